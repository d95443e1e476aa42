"""The creators, campaigns and partnerships commands against the test database."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from perfluence import cli
from perfluence.config import Settings, get_settings
from perfluence.errors import EXIT_CODE, ErrorCode
from perfluence.services import creators, partnerships, workspaces
from perfluence.services.context import Context
from perfluence.store.tables import creators as creators_table
from perfluence.store.tables import social_accounts
from tests.conftest import DATA

runner = CliRunner()


@pytest.fixture
def cli_env(ctx: Context, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Context]:
    workspaces.create_workspace(ctx, "shop", "Shop", currency="DKK")
    assert settings.database_url is not None
    monkeypatch.setenv("PERFLUENCE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PERFLUENCE_WORKSPACE", "shop")
    monkeypatch.setenv("PERFLUENCE_ENV", "test")
    monkeypatch.setenv("PERFLUENCE_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    yield ctx
    get_settings.cache_clear()


def _invoke(*args: str) -> str:
    result = runner.invoke(cli.app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def _run_main(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["perfluence", *args])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    code = exit_info.value.code
    return code if isinstance(code, int) else 1


def _snapshot(ctx: Context) -> tuple[list[tuple[object, ...]], list[tuple[object, ...]]]:
    with ctx.engine.connect() as conn:
        people = [
            tuple(r) for r in conn.execute(select(creators_table).order_by(creators_table.c.id))
        ]
        accounts = [
            tuple(r) for r in conn.execute(select(social_accounts).order_by(social_accounts.c.id))
        ]
    return people, accounts


def test_add_and_list_creators(cli_env: Context) -> None:
    out = _invoke(
        "creators", "add", "@Emma.Eats", "--name", "Emma Holm", "--email", "emma@example.dk",
        "--country", "dk", "--platform", "instagram", "--followers", "48200",
    )  # fmt: skip
    assert "emma.eats" in out
    assert "micro" in out
    _invoke(
        "creators", "add", "lars", "--name", "Lars", "--country", "SE", "--currency", "SEK",
        "--platform", "youtube", "--followers", "210000", "--account-handle", "larsloeber",
    )  # fmt: skip
    out = _invoke("creators", "list")
    assert "2 creators" in out
    assert "emma.eats" in out
    assert "lars" in out
    assert "48,200" in out
    out = _invoke("creators", "list", "--tier", "macro")
    assert "lars" in out
    assert "emma.eats" not in out
    out = _invoke("creators", "list", "--platform", "instagram", "--country", "DK")
    assert "emma.eats" in out
    assert "lars" not in out
    out = _invoke("creators", "show", "lars")
    assert "larsloeber" in out
    assert "210,000" in out
    assert creators.get_creator(cli_env, "shop", "lars").currency == "SEK"


def test_import_good_file_reports_counts(cli_env: Context) -> None:
    out = _invoke("creators", "import", str(DATA / "creators.csv"))
    assert "4 creators created" in out
    assert "4 social accounts created" in out
    assert len(creators.list_creators(cli_env, "shop")) == 4


def test_import_with_one_bad_row_exits_non_zero_names_row_and_field_stores_nothing(
    cli_env: Context, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    creators.add_creator(
        cli_env,
        "shop",
        "existing",
        name="Existing",
        accounts=[creators.NewAccount("x", followers=7)],
    )
    before = _snapshot(cli_env)
    code = _run_main(monkeypatch, "creators", "import", str(DATA / "creators_one_bad_row.csv"))
    err = capsys.readouterr().err
    assert code == EXIT_CODE[ErrorCode.IMPORT_FAILED] != 0
    assert "import_failed" in err
    assert "row 4" in err
    assert "'email'" in err
    assert "carl-at-example.dk" in err
    assert _snapshot(cli_env) == before


def test_import_existing_creator_needs_update_flag(
    cli_env: Context, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _invoke("creators", "import", str(DATA / "creators.csv"))
    assert _run_main(monkeypatch, "creators", "import", str(DATA / "creators.csv")) == 6
    assert "--update" in capsys.readouterr().err
    out = _invoke("creators", "import", "--update", str(DATA / "creators.csv"))
    assert "4 updated" in out


def test_unknown_workspace_and_duplicate_exit_codes(
    cli_env: Context, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        _run_main(monkeypatch, "creators", "list", "-w", "nope") == EXIT_CODE[ErrorCode.NOT_FOUND]
    )
    assert "'nope' not found" in capsys.readouterr().err
    _invoke("creators", "add", "emma", "--name", "Emma")
    assert (
        _run_main(monkeypatch, "creators", "add", "@EMMA", "--name", "E")
        == EXIT_CODE[ErrorCode.DUPLICATE]
    )


def test_campaign_add_list_show(cli_env: Context) -> None:
    out = _invoke(
        "campaigns", "add", "spring", "--name", "Spring", "--goal", "sales",
        "--start", "2026-03-01", "--end", "2026-04-30", "--budget", "50000", "--currency", "DKK",
        "--market", "DK", "--market", "SE", "--target", "roas=4", "--target", "cpa=150",
        "--target", "ctr=1.5%", "--brief", "Spring menu",
    )  # fmt: skip
    assert "spring" in out
    out = _invoke("campaigns", "list")
    assert "1 campaign" in out
    assert "draft" in out
    out = _invoke("campaigns", "show", "spring")
    for text in ("Spring", "sales", "2026-03-01", "DK SE", "Spring menu", "roas", "1.5%", "150.00"):
        assert text in out
    out = _invoke("campaigns", "status", "spring", "active")
    assert "active" in out


def test_partnership_add_and_list(
    cli_env: Context, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _invoke("creators", "add", "emma", "--name", "Emma", "--currency", "SEK")
    _invoke("creators", "add", "bo", "--name", "Bo")
    _invoke("creators", "add", "cy", "--name", "Cy")
    _invoke("creators", "add", "di", "--name", "Di")
    _invoke("campaigns", "add", "spring", "--name", "Spring", "--goal", "sales",
            "--start", "2026-03-01", "--end", "2026-04-30")  # fmt: skip
    out = _invoke(
        "partnerships",
        "add",
        "spring",
        "emma",
        "--model",
        "cps",
        "--commission",
        "12%",
        "--hold-days",
        "14",
    )
    assert "12% commission" in out
    _invoke(
        "partnerships", "add", "spring", "bo", "--model", "hybrid", "--flat-fee", "5000",
        "--commission", "0.08", "--instalment", "2026-03-01=2000",
        "--instalment", "2026-04-01=3000", "--country-rate", "SE=10%",
        "--cap-total", "20000", "--min-payout", "100",
    )  # fmt: skip
    _invoke("partnerships", "add", "spring", "cy", "--model", "gifting", "--gift-value", "1200")
    _invoke(
        "partnerships",
        "add",
        "spring",
        "di",
        "--model",
        "cpc",
        "--cpc",
        "0.40",
        "--currency",
        "EUR",
    )
    found = {
        p.creator_handle: p
        for p in partnerships.list_partnerships(cli_env, "shop", campaign="spring")
    }
    assert found["emma"].currency == "SEK"
    assert found["emma"].hold_days == 14
    assert found["bo"].terms.commission_rate_for("SE") is not None
    assert len(found["bo"].terms.fee_schedule) == 2
    assert found["di"].currency == "EUR"
    out = _invoke("partnerships", "list", "--campaign", "spring")
    assert "4 partnerships" in out
    code = _run_main(
        monkeypatch, "partnerships", "add", "spring", "cy", "--model", "cpl", "--cpl", "5"
    )
    assert code == EXIT_CODE[ErrorCode.DUPLICATE]
    code = _run_main(
        monkeypatch, "partnerships", "add", "autumn", "cy", "--model", "cpl", "--cpl", "25"
    )
    assert code == EXIT_CODE[ErrorCode.NOT_FOUND]
    assert "campaign 'autumn' not found" in capsys.readouterr().err


def test_partnership_terms_errors_name_the_field(
    cli_env: Context, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _invoke("creators", "add", "emma", "--name", "Emma")
    _invoke("campaigns", "add", "spring", "--name", "Spring", "--goal", "sales",
            "--start", "2026-03-01", "--end", "2026-04-30")  # fmt: skip
    code = _run_main(monkeypatch, "partnerships", "add", "spring", "emma", "--model", "cps")
    assert code == EXIT_CODE[ErrorCode.INVALID]
    assert "commission_rate" in capsys.readouterr().err
    code = _run_main(
        monkeypatch, "partnerships", "add", "spring", "emma", "--model", "cps", "--commission", "12"
    )
    assert code == EXIT_CODE[ErrorCode.INVALID]
    assert "12%" in capsys.readouterr().err
    assert partnerships.list_partnerships(cli_env, "shop") == []


def test_partnership_product_rates(
    cli_env: Context, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _invoke("creators", "add", "emma", "--name", "Emma")
    _invoke("creators", "add", "bo", "--name", "Bo")
    _invoke("campaigns", "add", "spring", "--name", "Spring", "--goal", "sales",
            "--start", "2026-03-01", "--end", "2026-04-30")  # fmt: skip
    out = _invoke(
        "partnerships", "add", "spring", "emma", "--model", "cps", "--commission", "10%",
        "--product-rate", "EMMA-TEE=15%", "--product-rate", "SIZE=XL=0.2",
    )  # fmt: skip
    assert "2 product rates" in out
    [emma] = partnerships.list_partnerships(cli_env, "shop", creator="emma")
    assert emma.terms.product_rates == (("EMMA-TEE", Decimal("0.15")), ("SIZE=XL", Decimal("0.2")))
    twice = ("--product-rate", "TEE=5%", "--product-rate", "TEE=6%")
    code = _run_main(
        monkeypatch, "partnerships", "add", "spring", "bo", "--model", "cps",
        "--commission", "10%", *twice,
    )  # fmt: skip
    assert code == EXIT_CODE[ErrorCode.INVALID]
    assert "names a product twice" in capsys.readouterr().err
    code = _run_main(
        monkeypatch, "partnerships", "add", "spring", "bo", "--model", "cps",
        "--commission", "10%", "--product-rate", "TEE=150",
    )  # fmt: skip
    assert code == EXIT_CODE[ErrorCode.INVALID]
    assert "product_rates[TEE]" in capsys.readouterr().err
    assert [p.creator_handle for p in partnerships.list_partnerships(cli_env, "shop")] == ["emma"]


def test_import_file_not_found(
    cli_env: Context, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    code = _run_main(monkeypatch, "creators", "import", str(tmp_path / "nope.csv"))
    assert code == EXIT_CODE[ErrorCode.NOT_FOUND]
