"""``perfluence links ...`` and ``perfluence codes ...`` against the test database."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from perfluence import cli
from perfluence.config import Settings, get_settings
from perfluence.core.model import LinkStatus
from perfluence.errors import EXIT_CODE, ErrorCode
from perfluence.services import codes, links, workspaces
from perfluence.services.context import Context
from tests.integration.factories import (
    make_campaign,
    make_creator,
    make_partnership,
    make_workspace,
)

runner = CliRunner()


@pytest.fixture
def cli_env(ctx: Context, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Context]:
    with ctx.engine.begin() as conn:
        ws = make_workspace(conn, "shop")
        emma = make_creator(conn, ws, "emma", platform="youtube")
        make_partnership(conn, ws, make_campaign(conn, ws, "summer"), emma)
    assert settings.database_url is not None
    monkeypatch.setenv("PERFLUENCE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PERFLUENCE_WORKSPACE", "shop")
    monkeypatch.setenv("PERFLUENCE_ENV", "test")
    monkeypatch.setenv("PERFLUENCE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("PERFLUENCE_BASE_URL", "https://go.shop.example")
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield ctx
    get_settings.cache_clear()


def _invoke(*args: str) -> str:
    result = runner.invoke(cli.app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _exit_code(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["perfluence", *args])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    code = exit_info.value.code
    return code if isinstance(code, int) else 1


def test_create_list_pause_resume(cli_env: Context) -> None:
    out = _invoke(
        "links", "create", "summer", "emma", "https://shop.example/?a=1#x",
        "--slug", "emma-summer", "--utm-source", "yt", "--utm", "utm_content=", "--utm",
        "utm_term=kaffe", "--cap", "100", "--fallback", "https://shop.example/sold-out",
    )  # fmt: skip
    assert "https://go.shop.example/l/emma-summer" in out
    link = links.get_link(cli_env, "shop", "emma-summer")
    assert dict(link.utm) == {
        "utm_source": "yt",
        "utm_medium": "influencer",
        "utm_campaign": "summer",
        "utm_term": "kaffe",
    }
    assert (link.click_cap, link.fallback_url) == (100, "https://shop.example/sold-out")
    _invoke("links", "create", "summer", "emma", "https://shop.example/b")
    listed = _invoke("links", "list")
    assert "2 links" in listed
    assert "emma-summer" in listed
    assert "paused" in _invoke("links", "pause", "emma-summer")
    assert links.get_link(cli_env, "shop", "emma-summer").status is LinkStatus.PAUSED
    only_paused = _invoke("links", "list", "--status", "paused")
    assert "1 link" in only_paused
    assert "emma-summer" in only_paused
    _invoke("links", "resume", "emma-summer")
    assert links.get_link(cli_env, "shop", "emma-summer").status is LinkStatus.ACTIVE


def test_set_changes_destination_cap_and_fallback(cli_env: Context) -> None:
    _invoke("links", "create", "summer", "emma", "https://shop.example/", "--slug", "emma1")
    _invoke(
        "links", "set", "emma1", "--destination", "https://shop.example/new", "--cap", "5",
        "--fallback", "https://shop.example/over", "--utm", "utm_medium=creator",
    )  # fmt: skip
    link = links.get_link(cli_env, "shop", "emma1")
    assert (link.destination_url, link.click_cap) == ("https://shop.example/new", 5)
    assert link.fallback_url == "https://shop.example/over"
    assert link.utm["utm_medium"] == "creator"
    _invoke("links", "set", "emma1", "--no-cap")
    link = links.get_link(cli_env, "shop", "emma1")
    assert (link.click_cap, link.fallback_url) == (None, "https://shop.example/over")


def test_qr_files(cli_env: Context, tmp_path: Path) -> None:
    _invoke("links", "create", "summer", "emma", "https://shop.example/", "--slug", "emma-qr")
    png, svg = tmp_path / "qr.png", tmp_path / "qr.svg"
    assert "https://go.shop.example/l/emma-qr" in _invoke(
        "links", "qr", "emma-qr", "--format", "png", "--out", str(png)
    )
    _invoke("links", "qr", "emma-qr", "--out", str(svg))
    assert png.read_bytes().startswith(b"\x89PNG\r\n\x1a\n")
    assert b"<svg" in svg.read_bytes()


def test_workspace_fallback_is_set_and_removed(
    cli_env: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    out = _invoke("links", "fallback", "https://Shop.example/closed")
    assert "workspace shop falls back to https://shop.example/closed" in out
    assert workspaces.get_workspace(cli_env, "shop").fallback_url == "https://shop.example/closed"
    assert "has no fallback" in _invoke("links", "fallback", "--none")
    assert workspaces.get_workspace(cli_env, "shop").fallback_url is None
    bad = ("links", "fallback", "ftp://shop.example/")
    assert _exit_code(monkeypatch, *bad) == EXIT_CODE[ErrorCode.INVALID]
    both = runner.invoke(cli.app, ["links", "fallback", "https://shop.example/", "--none"])
    assert both.exit_code == 2  # a usage error: a URL or --none
    assert workspaces.get_workspace(cli_env, "shop").fallback_url is None


def test_errors_exit_with_their_code(cli_env: Context, monkeypatch: pytest.MonkeyPatch) -> None:
    bad_destination = ("links", "create", "summer", "emma", "javascript:alert(1)")
    assert _exit_code(monkeypatch, *bad_destination) == EXIT_CODE[ErrorCode.INVALID]
    assert _exit_code(monkeypatch, "links", "pause", "nope") == EXIT_CODE[ErrorCode.NOT_FOUND]
    bad_utm = ("links", "create", "summer", "emma", "https://shop.example/", "--utm", "novalue")
    assert _exit_code(monkeypatch, *bad_utm) == EXIT_CODE[ErrorCode.INVALID]
    _invoke("codes", "create", "summer", "emma", "--code", "EMMA15")
    again = ("codes", "create", "summer", "emma", "--code", "emma15")
    assert _exit_code(monkeypatch, *again) == EXIT_CODE[ErrorCode.DUPLICATE]
    assert links.list_links(cli_env, "shop") == []


def test_codes_create_list_import(cli_env: Context, tmp_path: Path) -> None:
    assert "EMMA15" in _invoke("codes", "create", "summer", "emma", "--pattern", "{HANDLE}15")
    _invoke("codes", "create", "summer", "emma", "--code", "Sommer-Emma", "--description", "10 %")
    csv = tmp_path / "codes.csv"
    csv.write_text("code,campaign,creator\nEMMA20,summer,emma\nEMMA25,summer,@emma\n")
    assert "2 codes created" in _invoke("codes", "import", str(csv))
    listed = _invoke("codes", "list", "--creator", "emma")
    assert "4 codes" in listed
    assert [c.code for c in codes.list_codes(cli_env, "shop")] == [
        "EMMA15",
        "EMMA20",
        "EMMA25",
        "Sommer-Emma",
    ]


def test_a_bad_import_file_exits_with_the_import_code(
    cli_env: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    csv = tmp_path / "codes.csv"
    csv.write_text("code,campaign,creator\nEMMA20,summer,emma\nemma20,summer,emma\n")
    assert (
        _exit_code(monkeypatch, "codes", "import", str(csv)) == EXIT_CODE[ErrorCode.IMPORT_FAILED]
    )
    assert codes.list_codes(cli_env, "shop") == []
