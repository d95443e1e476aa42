"""``perfluence users ...`` and ``perfluence portal-link`` against the test database."""

from __future__ import annotations

import io
import sys
from collections.abc import Iterator

import pytest
from typer.testing import CliRunner

from perfluence import cli
from perfluence.config import Settings, get_settings
from perfluence.errors import EXIT_CODE, ErrorCode, PerfluenceError
from perfluence.services import creators, users, workspaces
from perfluence.services.context import Context

runner = CliRunner()
PASSWORD = "correct horse battery"


@pytest.fixture
def cli_env(ctx: Context, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Context]:
    workspaces.create_workspace(ctx, "shop", "Shop", currency="DKK")
    workspaces.create_workspace(ctx, "other", "Other", currency="SEK")
    creators.add_creator(ctx, "shop", "emma", name="Emma")
    assert settings.database_url is not None
    monkeypatch.setenv("PERFLUENCE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PERFLUENCE_WORKSPACE", "shop")
    monkeypatch.setenv("PERFLUENCE_ENV", "test")
    monkeypatch.setenv("PERFLUENCE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("PERFLUENCE_BASE_URL", "https://go.shop.example")
    get_settings.cache_clear()
    yield ctx
    get_settings.cache_clear()


def _invoke(*args: str, stdin: str | None = None) -> str:
    result = runner.invoke(cli.app, list(args), input=stdin, catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_add_grant_list(cli_env: Context) -> None:
    _invoke("users", "add", "maria@shop.dk", "--role", "owner", "--password-stdin",
            stdin=PASSWORD + "\n")  # fmt: skip
    _invoke("users", "grant", "maria@shop.dk", "-w", "other", "--role", "read_only")
    listed = _invoke("users", "list")
    assert "maria@shop.dk" in listed
    assert "other (read_only)" in listed
    assert "shop (owner)" in listed
    assert users.authenticate(cli_env, "maria@shop.dk", PASSWORD).email == "maria@shop.dk"


def test_password_from_stdin_replaces_the_old_one(cli_env: Context) -> None:
    users.create_user(cli_env, "bo@shop.dk", PASSWORD, workspace="shop")
    _invoke("users", "password", "bo@shop.dk", "--password-stdin", stdin="a new passphrase\n")
    assert users.authenticate(cli_env, "bo@shop.dk", "a new passphrase")


def test_a_short_password_is_refused_cleanly(
    cli_env: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(
        sys, "argv", ["perfluence", "users", "add", "x@shop.dk", "--password-stdin"]
    )
    monkeypatch.setattr(sys, "stdin", io.StringIO("short\n"))
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code == EXIT_CODE[ErrorCode.INVALID]
    assert users.list_users(cli_env) == []


def test_portal_link_prints_a_working_link_and_revoke_kills_old_ones(cli_env: Context) -> None:
    first = _invoke("portal-link", "emma").strip()
    assert first.startswith("https://go.shop.example/portal/")
    token = first.rsplit("/", 1)[1]
    assert users.open_portal(cli_env, token).creator_handle == "emma"
    second = _invoke("portal-link", "emma", "--revoke").strip()
    with pytest.raises(PerfluenceError, match="not valid"):
        users.open_portal(cli_env, token)
    assert users.open_portal(cli_env, second.rsplit("/", 1)[1]).creator_handle == "emma"
