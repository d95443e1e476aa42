"""ECB rates in the store (SQLite and PostgreSQL): import, upsert, loading, conversion, CLI."""

from __future__ import annotations

import sys
import zipfile
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from perfluence import cli
from perfluence.config import get_settings
from perfluence.core.money import Money
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services import fx
from perfluence.services.context import Context
from perfluence.store import fx as store
from perfluence.store.tables import fx_rates
from tests.conftest import DATA

HIST = DATA / "eurofxref-hist.csv"
FRIDAY = date(2026, 1, 2)
SATURDAY = date(2026, 1, 3)
RATES_IN_FILE = 17 * 6


def stored(ctx: Context) -> dict[tuple[date, str], Decimal]:
    with ctx.engine.connect() as conn:
        return store.rates_between(conn, None, None, None)


def test_import_stores_every_rate_exactly(ctx: Context) -> None:
    calls: list[tuple[int, int]] = []
    summary = fx.import_ecb_rates(
        ctx, HIST, progress=lambda done, total: calls.append((done, total))
    )
    assert summary.dates == 17
    assert summary.currencies == ("USD", "JPY", "DKK", "GBP", "SEK", "NOK")
    assert summary.rates == RATES_IN_FILE
    assert (summary.first_date, summary.last_date) == (date(2025, 12, 15), date(2026, 1, 9))
    assert (summary.inserted, summary.replaced, summary.unchanged) == (RATES_IN_FILE, 0, 0)
    rates = stored(ctx)
    assert len(rates) == RATES_IN_FILE
    # Text in the column: exact digits, trailing zero kept, never a float.
    assert str(rates[(date(2026, 1, 9), "GBP")]) == "0.87700"
    assert rates[(FRIDAY, "DKK")] == Decimal("7.4676")
    assert calls[0] == (0, RATES_IN_FILE)
    assert calls[-1] == (RATES_IN_FILE, RATES_IN_FILE)


def test_reimporting_the_same_file_changes_nothing(ctx: Context) -> None:
    fx.import_ecb_rates(ctx, HIST)
    before = stored(ctx)
    again = fx.import_ecb_rates(ctx, HIST)
    assert (again.inserted, again.replaced, again.unchanged) == (0, 0, RATES_IN_FILE)
    assert stored(ctx) == before


def test_a_conflicting_rate_replaces_the_stored_one(ctx: Context) -> None:
    fx.import_ecb_rates(ctx, HIST)
    corrected = "Date,DKK,SEK,\n2026-01-02,7.4677,10.9322,\n2026-01-12,7.4670,10.9400,\n"
    summary = fx.import_ecb_rates(ctx, corrected)
    assert (summary.inserted, summary.replaced, summary.unchanged) == (2, 1, 1)
    rates = stored(ctx)
    assert rates[(FRIDAY, "DKK")] == Decimal("7.4677")
    assert rates[(FRIDAY, "SEK")] == Decimal("10.9322")
    assert rates[(date(2026, 1, 12), "SEK")] == Decimal("10.9400")
    assert len(rates) == RATES_IN_FILE + 2


def test_upsert_replaces_on_conflict_in_the_database(ctx: Context) -> None:
    with ctx.engine.begin() as conn:
        store.upsert_rates(conn, [(FRIDAY, "DKK", Decimal("7.1")), (FRIDAY, "SEK", Decimal("11"))])
        store.upsert_rates(conn, [(FRIDAY, "DKK", Decimal("7.2"))])
        store.upsert_rates(conn, [])
    with ctx.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(fx_rates)).scalar_one() == 2
    assert stored(ctx)[(FRIDAY, "DKK")] == Decimal("7.2")


def test_upsert_in_batches(ctx: Context) -> None:
    rows = [
        (date(2000, 1, 1).fromordinal(730_000 + i), "USD", Decimal(i + 1)) for i in range(2_500)
    ]
    with ctx.engine.begin() as conn:
        store.upsert_rates(conn, rows)
    assert len(stored(ctx)) == 2_500


def test_a_bad_file_imports_nothing(ctx: Context) -> None:
    fx.import_ecb_rates(ctx, HIST)
    before = stored(ctx)
    bad = "Date,DKK,\n2026-01-12,7.4670,\n2026-01-13,seven,\n"
    with pytest.raises(PerfluenceError) as info:
        fx.import_ecb_rates(ctx, bad)
    assert (info.value.code, info.value.row, info.value.field) == (
        ErrorCode.IMPORT_FAILED,
        3,
        "DKK",
    )
    assert stored(ctx) == before


def test_zip_bytes_and_missing_files(ctx: Context, tmp_path: Path) -> None:
    archive = tmp_path / "eurofxref-hist.zip"
    with zipfile.ZipFile(archive, "w") as z:
        z.write(HIST, "eurofxref-hist.csv")
    assert fx.import_ecb_rates(ctx, archive).rates == RATES_IN_FILE
    assert fx.import_ecb_rates(ctx, HIST.read_bytes()).unchanged == RATES_IN_FILE
    assert fx.import_ecb_rates(ctx, str(HIST)).unchanged == RATES_IN_FILE
    with pytest.raises(PerfluenceError) as missing:
        fx.import_ecb_rates(ctx, tmp_path / "nope.csv")
    assert missing.value.code is ErrorCode.NOT_FOUND
    (tmp_path / "bad.zip").write_bytes(b"not a zip")
    with pytest.raises(PerfluenceError) as bad_zip:
        fx.import_ecb_rates(ctx, tmp_path / "bad.zip")
    assert bad_zip.value.code is ErrorCode.IMPORT_FAILED
    with pytest.raises(PerfluenceError) as latin1:
        fx.import_ecb_rates(ctx, b"Date,DKK,\n\xff")
    assert "UTF-8" in latin1.value.message


def test_rate_table_loads_only_what_is_needed(ctx: Context) -> None:
    fx.import_ecb_rates(ctx, HIST)
    table = fx.rate_table(ctx, ["dkk", "SEK", "EUR"], date(2026, 1, 5), date(2026, 1, 6))
    assert table.currencies == {"EUR", "DKK", "SEK"}
    # Monday 5 January still sees the Friday before through the look-back window.
    assert table.rate("DKK", SATURDAY) == (Decimal("7.4676"), FRIDAY)
    assert table.rate("SEK", date(2026, 1, 6))[1] == date(2026, 1, 6)
    with pytest.raises(PerfluenceError):
        table.rate("USD", FRIDAY)
    assert fx.rate_table(ctx, ["EUR"], FRIDAY, FRIDAY).currencies == {"EUR"}
    with pytest.raises(PerfluenceError):
        fx.rate_table(ctx, ["DKK"], SATURDAY, FRIDAY)


def test_convert_on_saturday_holiday_and_before_the_first_rate(ctx: Context) -> None:
    fx.import_ecb_rates(ctx, HIST)
    saturday = fx.convert(ctx, Money(1000, "DKK"), "SEK", SATURDAY)
    assert saturday.money == Money("1463.95", "SEK")
    assert saturday.describe() == "ECB reference rate of 2026-01-02"
    holiday = fx.convert(ctx, Money(100, "EUR"), "NOK", date(2026, 1, 1))
    assert holiday.rate_date == date(2025, 12, 31)
    assert holiday.money == Money("1181.44", "NOK")
    assert fx.convert(ctx, Money(5, "SEK"), "SEK", date(1990, 1, 1)).rate_date is None
    with pytest.raises(PerfluenceError) as info:
        fx.convert(ctx, Money(1000, "DKK"), "SEK", date(2025, 12, 1))
    assert info.value.code is ErrorCode.FX_RATE_MISSING
    assert info.value.message.startswith("no ECB rate to convert DKK to SEK on 2025-12-01 (")
    assert "stored DKK rates: 2025-12-15 to 2026-01-09" in info.value.message
    with pytest.raises(PerfluenceError) as none_stored:
        fx.convert(ctx, Money(1, "EUR"), "CHF", FRIDAY)
    assert "no CHF rates are stored" in none_stored.value.message


def test_rate_coverage(ctx: Context) -> None:
    assert fx.rate_coverage(ctx) == []
    fx.import_ecb_rates(ctx, HIST)
    coverage = {c.currency: c for c in fx.rate_coverage(ctx)}
    assert set(coverage) == {"USD", "JPY", "DKK", "GBP", "SEK", "NOK"}
    assert coverage["NOK"].rates == 17
    assert coverage["NOK"].first_date == date(2025, 12, 15)


# --- the CLI ---------------------------------------------------------------------------------


def run_cli(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["perfluence", *args])
    get_settings.cache_clear()
    try:
        cli.main()
    except SystemExit as exc:
        return int(exc.code or 0)
    finally:
        get_settings.cache_clear()
    return 0


@pytest.fixture
def cli_env(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> Context:
    monkeypatch.setenv("PERFLUENCE_DATABASE_URL", ctx.settings.resolved_database_url)
    monkeypatch.setenv("PERFLUENCE_DATA_DIR", str(ctx.settings.data_dir))
    return ctx


def words(text: str) -> str:
    return " ".join(text.split())


def test_cli_import_convert_and_status(
    cli_env: Context, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(monkeypatch, "fx", "status") == 0
    assert "no rates stored" in capsys.readouterr().out

    assert run_cli(monkeypatch, "fx", "import", str(HIST)) == 0
    out = words(capsys.readouterr().out)
    assert "imported 102 rates: 17 dates, 6 currencies, 2025-12-15 to 2026-01-09" in out
    assert "102 new, 0 replaced, 0 unchanged" in out

    assert run_cli(monkeypatch, "fx", "import", str(HIST)) == 0
    assert "0 new, 0 replaced, 102 unchanged" in words(capsys.readouterr().out)

    assert run_cli(monkeypatch, "fx", "convert", "1000", "DKK", "SEK", "--on", "2026-01-03") == 0
    out = words(capsys.readouterr().out)
    assert "DKK1,000.00 = SEK1,463.95" in out
    assert "ECB reference rate of 2026-01-02" in out

    code = run_cli(
        monkeypatch, "fx", "convert", "1000", "dkk", "sek", "--on", "2026-01-03", "--locale", "da"
    )
    assert code == 0
    # Danish shows the krone as "kr." and the Swedish one by its code (Babel's real output).
    assert "1.000,00\xa0kr. = 1.463,95\xa0SEK\n" in capsys.readouterr().out

    assert run_cli(monkeypatch, "fx", "status") == 0
    assert "2025-12-15" in capsys.readouterr().out


def test_cli_errors_are_one_line_with_their_exit_code(
    cli_env: Context, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    run_cli(monkeypatch, "fx", "import", str(HIST))
    capsys.readouterr()
    code = run_cli(monkeypatch, "fx", "convert", "1000", "DKK", "SEK", "--on", "2025-12-01")
    err = words(capsys.readouterr().err)
    assert code == 5
    assert "fx_rate_missing" in err
    assert "Traceback" not in err

    assert run_cli(monkeypatch, "fx", "convert", "12,5", "DKK", "SEK", "--on", "2026-01-02") == 2
    assert run_cli(monkeypatch, "fx", "convert", "1", "DKK", "SEK", "--on", "3/1/2026") == 2
    assert "not a date" in words(capsys.readouterr().err)
