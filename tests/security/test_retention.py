"""Retention: raw clicks past their time go; rollups, KPIs, conversions and ledger lines stay,
and a conversion can still be attributed to any click inside its window."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal
from itertools import count

import pytest
from sqlalchemy import func, insert, select
from typer.testing import CliRunner

from perfluence import cli
from perfluence.analytics.rollups import rebuild_click_rollups
from perfluence.config import Settings, get_settings
from perfluence.core.money import Money
from perfluence.services import (
    audit,
    campaigns,
    conversions,
    creators,
    links,
    partnerships,
    reporting,
    retention,
    users,
    workspaces,
)
from perfluence.services.context import Context
from perfluence.services.conversions import TrackRequest
from perfluence.store.tables import clicks, sessions
from tests.conftest import FrozenClock
from tests.security import scan

WS = "rist"
_numbers = count(1)


def click_id() -> str:
    return f"0Ret{next(_numbers):018d}"


def add_clicks(ctx: Context, slug: str, ages_in_days: list[float]) -> list[str]:
    link = links.get_link(ctx, WS, slug)
    made = []
    with ctx.engine.begin() as conn:
        for age in ages_in_days:
            made.append(click_id())
            conn.execute(
                insert(clicks).values(
                    workspace_id=link.workspace_id,
                    link_id=link.id,
                    click_id=made[-1],
                    occurred_at=ctx.now() - timedelta(days=age),
                    visitor_hash=f"{len(made):064d}",
                    is_bot=False,
                    is_unique=True,
                )
            )
        rebuild_click_rollups(conn, link.workspace_id)
    return made


@pytest.fixture
def shop(ctx: Context, clock: FrozenClock) -> Context:
    """Clicks 400, 200 and 60 days old and from this week, on a plain and a capped link."""
    kept = Context(
        settings=ctx.settings.model_copy(update={"retention_clicks_days": 90}),
        engine=ctx.engine,
        clock=clock,
    )
    workspaces.create_workspace(kept, WS, "Rist", currency="DKK", language="en")
    creators.add_creator(kept, WS, "ida", name="Ida")
    campaigns.create_campaign(
        kept, WS, "always", name="Always on", goal="sales", starts_on="2024-01-01",
        ends_on="2026-12-31",
    )  # fmt: skip
    partnerships.create_partnership(
        kept, WS, "always", "ida", {"model": "cps", "commission_rate": "10%", "hold_days": 0}
    )
    links.create_link(kept, WS, "always", "ida", "https://rist.example/", slug="ida-plain")
    links.create_link(
        kept, WS, "always", "ida", "https://rist.example/", slug="ida-capped", click_cap=1_000
    )
    add_clicks(kept, "ida-plain", [400, 400, 399, 200, 200, 120, 60, 3, 1])
    add_clicks(kept, "ida-capped", [400, 300])
    return kept


def stored_clicks(ctx: Context) -> int:
    with ctx.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(clicks)).scalar_one())


def kept_tables(ctx: Context) -> dict[str, object]:
    dumped = scan.dump(ctx.engine)
    return {t: dumped[t] for t in ("click_rollups_hourly", "conversions", "payout_lines")}


def test_old_raw_clicks_go_and_every_figure_stays(shop: Context) -> None:
    report_before = reporting.campaign_kpis(shop, WS, "always")
    tables_before = kept_tables(shop)

    report = retention.run_retention(shop, batch_size=2)

    (purge,) = [p for p in report.purges if p.table == "clicks"]
    assert (purge.rows, purge.kept_days) == (6, 90)
    # 3 of the plain link inside 90 days, both of the capped link.
    assert stored_clicks(shop) == 5
    assert reporting.campaign_kpis(shop, WS, "always") == report_before
    assert kept_tables(shop) == tables_before
    (entry,) = audit.list_entries(shop, action="retention.")
    assert entry.details["clicks:rist"] == 6


def test_a_dry_run_counts_the_same_rows_and_deletes_none(shop: Context) -> None:
    before = scan.dump(shop.engine)
    counted = retention.run_retention(shop, dry_run=True)
    assert scan.dump(shop.engine) == before
    assert [(p.table, p.rows) for p in counted.purges] == [("clicks", 6), ("sessions", 0)]


def test_clicks_inside_an_attribution_window_are_kept_and_still_attribute(
    shop: Context,
) -> None:
    short = Context(
        settings=shop.settings.model_copy(update={"retention_clicks_days": 1}),
        engine=shop.engine,
        clock=shop.clock,
    )
    recent = add_clicks(short, "ida-plain", [20])
    report = retention.run_retention(short)
    (purge,) = [p for p in report.purges if p.table == "clicks"]
    # The campaign's window is 30 days: nothing younger goes, whatever the setting says.
    assert purge.kept_days == 30
    result = conversions.track(
        short,
        workspaces.get_workspace(short, WS).id,
        "api",
        TrackRequest(
            kind="sale",
            external_id="late-order",
            amount=Money(Decimal("100.00"), "DKK"),
            occurred_at=short.now(),
            click_id=recent[0],
        ),
    )
    assert (result.attribution_method, result.creator_handle) == ("click_id", "ida")


def test_expired_sessions_go(shop: Context, clock: FrozenClock) -> None:
    users.create_user(shop, "ida@rist.dk", "correct horse battery", workspace=WS)
    users.login(shop, "ida@rist.dk", "correct horse battery")
    clock.advance(days=shop.settings.session_lifetime_days + 1)
    users.login(shop, "ida@rist.dk", "correct horse battery")  # also clears expired ones
    clock.advance(days=shop.settings.session_lifetime_days + 1)
    report = retention.run_retention(shop)
    assert [p.rows for p in report.purges if p.table == "sessions"] == [1]
    with shop.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(sessions)).scalar_one() == 0


def test_old_audit_entries_go_when_asked(shop: Context, clock: FrozenClock) -> None:
    users.create_user(shop, "old@rist.dk", "correct horse battery")
    clock.advance(days=40)
    keep_30 = Context(
        settings=shop.settings.model_copy(update={"retention_audit_days": 30}),
        engine=shop.engine,
        clock=clock,
    )
    report = retention.run_retention(keep_30, dry_run=True)
    assert [p.rows for p in report.purges if p.table == "audit_log"] == [1]
    retention.run_retention(keep_30)
    assert [e.action for e in audit.list_entries(keep_30)] == ["retention.run"]


def test_the_cli_prints_what_it_would_delete_per_table(
    shop: Context, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    assert settings.database_url is not None
    monkeypatch.setenv("PERFLUENCE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PERFLUENCE_ENV", "test")
    monkeypatch.setenv("PERFLUENCE_RETENTION_CLICKS_DAYS", "90")
    monkeypatch.setenv("PERFLUENCE_DATA_DIR", str(settings.data_dir))
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(cli.app, ["retention", "run", "--dry-run"])
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert "would delete" in result.output
    assert "clicks" in result.output
    assert "sessions" in result.output
    assert stored_clicks(shop) == 11
