"""Importing a Shopify order export: attribution as for the API, all or nothing, re-imports."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from perfluence import cli
from perfluence.cli import console as cli_console
from perfluence.config import Settings, get_settings
from perfluence.conversions import ingest
from perfluence.core.csvrows import CsvImportError
from perfluence.core.money import Money
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services import conversions as svc
from perfluence.services.context import Context
from perfluence.services.conversion_import import import_conversions_csv
from perfluence.services.reporting import campaign_kpis
from tests.conftest import DATA
from tests.integration.conversion_world import (
    NOW,
    World,
    build_world,
    click,
    commission_minor,
    conversion_count,
)

GOOD = DATA / "shopify_orders_export.csv"
BAD = DATA / "shopify_orders_export_bad.csv"
CLICK_ID = "pfcidInstagramStory001"  # in #1002's Note Attributes


def _world(ctx: Context) -> World:
    w = build_world(ctx)
    click(ctx, w.ws, w.noah_link, NOW - timedelta(days=2), click_id=CLICK_ID)
    return w


def _by_order(ctx: Context) -> dict[str, svc.ConversionView]:
    return {f"{v.kind}:{v.external_id}": v for v in svc.list_conversions(ctx, "shop")}


def test_an_export_is_attributed_like_the_api_would(ctx: Context) -> None:
    w = _world(ctx)
    seen: list[tuple[str, int, int]] = []
    summary = import_conversions_csv(ctx, "shop", GOOD, progress=lambda *a: seen.append(a))
    assert (summary.orders, summary.sales_created, summary.refunds_created) == (5, 4, 1)
    assert (summary.skipped_unpaid, summary.unattributed, summary.already_stored) == (1, 1, 0)
    stored = _by_order(ctx)
    assert stored["sale:5550001001"].partnership_id == w.emma
    assert stored["sale:5550001001"].attribution_method == "code"
    assert stored["sale:5550001002"].attribution_method == "click_id"
    assert stored["sale:5550001002"].partnership_id == w.noah
    assert stored["sale:5550001003"].flags == ("multiple_codes",)
    assert stored["sale:5550001005"].attribution_method == "none"
    refund = stored["refund:5550001003-refund-12500"]
    # 125.00 returned of 500.00 paid is a quarter: 100.00 of the 400.00 revenue.
    assert refund.amount == Money(Decimal("100.00"), "DKK")
    assert refund.partnership_id == w.noah
    assert commission_minor(ctx, w.noah) == 2500 + 4000 - 1000
    totals = campaign_kpis(ctx, "shop", "spring").totals
    assert totals.refunds == Money(Decimal("100.00"), "DKK")
    assert seen[-1] == ("writing", 5, 5)


def test_importing_the_same_export_again_stores_nothing(ctx: Context) -> None:
    w = _world(ctx)
    import_conversions_csv(ctx, "shop", GOOD)
    count, earned = conversion_count(ctx), commission_minor(ctx, w.noah)
    again = import_conversions_csv(ctx, "shop", GOOD.read_bytes())
    assert (again.sales_created, again.refunds_created, again.already_stored) == (0, 0, 4)
    assert conversion_count(ctx) == count
    assert commission_minor(ctx, w.noah) == earned


def test_a_later_export_with_more_refunded_stores_the_difference(ctx: Context) -> None:
    w = _world(ctx)
    import_conversions_csv(ctx, "shop", GOOD)
    later = (
        GOOD.read_text().replace(",125.00,", ",500.00,").replace("partially_refunded", "refunded")
    )
    summary = import_conversions_csv(ctx, "shop", later.encode())
    assert summary.refunds_created == 1
    refunds = svc.list_conversions(ctx, "shop", kind="refund")
    assert sorted(v.amount.amount for v in refunds) == [Decimal("100.00"), Decimal("300.00")]
    # Fully refunded: #1003 earns nothing any more; Noah keeps #1002's commission.
    assert commission_minor(ctx, w.noah) == 2500


def test_one_bad_row_stores_nothing_and_names_every_problem(ctx: Context) -> None:
    _world(ctx)
    with pytest.raises(CsvImportError) as err:
        import_conversions_csv(ctx, "shop", BAD)
    assert {(p.row, p.column) for p in err.value.problems} == {
        (3, "Lineitem quantity"),
        (7, "Total"),
    }
    assert conversion_count(ctx) == 0


def test_a_failure_while_storing_rolls_the_whole_file_back(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = _world(ctx)
    real = ingest.ingest_event
    calls = {"n": 0}

    def fail_on_third(*args: object) -> int:
        calls["n"] += 1
        if calls["n"] == 3:
            raise PerfluenceError(ErrorCode.INVALID, "simulated", field="Subtotal")
        return real(*args)  # type: ignore[arg-type]

    monkeypatch.setattr(ingest, "ingest_event", fail_on_third)
    with pytest.raises(PerfluenceError) as err:
        import_conversions_csv(ctx, "shop", GOOD)
    assert err.value.row == 5
    assert "order #1003" in err.value.message
    assert conversion_count(ctx) == 0
    assert commission_minor(ctx, w.emma) == 0


def test_unknown_workspace_and_missing_file(ctx: Context) -> None:
    with pytest.raises(PerfluenceError) as err:
        import_conversions_csv(ctx, "nope", GOOD)
    assert err.value.code is ErrorCode.NOT_FOUND
    with pytest.raises(PerfluenceError) as err:
        import_conversions_csv(ctx, "nope", DATA / "missing.csv")
    assert err.value.code is ErrorCode.NOT_FOUND


def test_cli_imports_lists_shows_and_reaccrues(
    ctx: Context, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    _world(ctx)
    assert settings.database_url is not None
    monkeypatch.setenv("PERFLUENCE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PERFLUENCE_WORKSPACE", "shop")
    monkeypatch.setenv("PERFLUENCE_ENV", "test")
    monkeypatch.setenv("PERFLUENCE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setattr(cli_console.console, "_width", 200)  # one table row per line
    get_settings.cache_clear()
    runner = CliRunner()
    try:
        imported = runner.invoke(cli.app, ["conversions", "import", str(GOOD)])
        assert imported.exit_code == 0, imported.output
        assert "4 sales and 1 refunds stored" in imported.output
        listed = runner.invoke(cli.app, ["conversions", "list", "--kind", "sale"])
        assert listed.exit_code == 0, listed.output
        assert "5550001002" in listed.output
        assert "@noah" in listed.output
        shown = runner.invoke(cli.app, ["conversions", "show", "5550001003"])
        assert shown.exit_code == 0, shown.output
        assert "code NOAH10 (@noah)" in shown.output
        assert "commission" in shown.output
        again = runner.invoke(cli.app, ["conversions", "reaccrue"])
        assert "0 conversions got their ledger lines" in again.output
        missing = runner.invoke(cli.app, ["conversions", "show", "nope"])
        assert isinstance(missing.exception, PerfluenceError)
        assert missing.exception.code is ErrorCode.NOT_FOUND
    finally:
        get_settings.cache_clear()
