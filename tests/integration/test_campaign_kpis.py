"""Campaign KPIs on the hand-sized data set in ``tests/data/kpi_small`` (both dialects).

Every expected figure below is worked out by hand from the CSV files; the
comments show the sums.
"""

from __future__ import annotations

import os
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Select
from sqlalchemy.dialects import postgresql, sqlite

from perfluence.analytics import campaign_kpis as q
from perfluence.analytics import campaign_roster as roster_q
from perfluence.analytics.rollups import rebuild_click_rollups, rollup_select
from perfluence.core.campaign_report import CampaignKpis, CreatorKpis, sum_figures
from perfluence.core.kpis import NA, Tier
from perfluence.core.money import Money
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services import reporting
from perfluence.services.context import Context
from perfluence.store.tables import fx_rates
from tests.integration import kpi_small

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE_SNAPSHOTS = os.environ.get("PERFLUENCE_UPDATE_SNAPSHOTS") == "1"


def dkk(amount: str) -> Money:
    return Money(amount, "DKK")


@pytest.fixture
def spring(ctx: Context) -> CampaignKpis:
    with ctx.engine.begin() as conn:
        ws = kpi_small.load(conn)
        rebuild_click_rollups(conn, ws)
    return reporting.campaign_kpis(ctx, "kpi", "spring")


def by_handle(kpis: CampaignKpis) -> dict[str, CreatorKpis]:
    return {c.handle: c for c in kpis.creators}


def test_anna_figures_from_posts_rollups_conversions_and_costs(spring: CampaignKpis) -> None:
    anna = by_handle(spring)["anna"]
    f = anna.figures
    assert anna.platform == "instagram"  # 25,000 impressions there against 3,000 on TikTok
    assert anna.tier is Tier.MICRO
    assert f.followers == 50_000
    assert (f.posts, f.impressions, f.reach, f.views) == (3, 28_000, 21_500, 15_800)
    assert f.engagements == 1_000 + 10 + 100
    assert (f.clicks, f.bot_clicks, f.human_clicks, f.unique_clicks) == (10, 2, 8, 6)
    assert (f.sales, f.leads, f.conversions, f.refunded_orders) == (3, 1, 4, 2)
    assert f.gross_revenue == dkk("1000.00")  # 500 + 300 + 200
    assert f.refunds == dkk("650.00")  # 500 + 100 + 50 (two refunds of one order)
    assert f.revenue == dkk("350.00")
    # fee 2,000 + product 300 + commission 50 - reversal 25; the flat_fee payout line is not cost
    assert f.cost == dkk("2325.00")
    r = anna.ratios
    assert r.engagement_rate_by_followers == Decimal(1110) / Decimal(50_000)
    assert r.engagement_rate_by_reach == Decimal(1110) / Decimal(21_500)
    assert r.ctr == Decimal(8) / Decimal(28_000)
    assert r.conversion_rate == Decimal(4) / Decimal(6)
    assert r.return_rate == Decimal(2) / Decimal(3)
    assert r.cpm == dkk("2325.00") * 1000 / 28_000
    assert r.cpc == dkk("2325.00") / 8
    assert r.cpa == dkk("2325.00") / 4
    assert r.roas == Decimal("350.00") / Decimal("2325.00")
    assert r.emv == dkk("1400.00")  # 28,000 impressions at a 50.00 reference CPM


def test_bo_gets_refund_through_the_sale_and_eur_cost_converted(spring: CampaignKpis) -> None:
    bo = by_handle(spring)["bo"]
    f = bo.figures
    assert (bo.tier, bo.platform, f.followers) == (Tier.NANO, "youtube", 500)
    assert (f.clicks, f.human_clicks, f.unique_clicks) == (4, 4, 3)
    # S5 is rejected; R4 has no partnership but reverses S4.
    assert (f.sales, f.refunded_orders) == (1, 1)
    assert f.revenue == dkk("75.00")
    # gifting 500 + EUR 100.00 at 7.4600 (Friday 27 Feb for Saturday 28 Feb) + click line 12
    assert f.cost == dkk("1258.00")
    assert bo.ratios.return_rate == Decimal(1)
    assert bo.ratios.engagement_rate_by_followers == Decimal(25) / Decimal(500)
    assert spring.fx_notes == (
        "EUR → DKK at 1 EUR = 7.4600 DKK, the ECB reference rate of 2026-02-27",
    )


def test_zero_denominators_are_not_available(spring: CampaignKpis) -> None:
    cecilie = by_handle(spring)["cecilie"]
    f, r = cecilie.figures, cecilie.ratios
    assert (cecilie.tier, cecilie.platform, f.impressions, f.clicks) == (
        Tier.MEGA,
        "instagram",
        0,
        0,
    )
    assert f.cost == dkk("1000.00")
    for ratio in (r.ctr, r.cpm, r.cpc, r.cpa, r.cpe, r.aov, r.return_rate, r.conversion_rate):
        assert ratio is NA
    assert r.engagement_rate_by_reach is NA
    assert r.engagement_rate_by_followers == Decimal(0)  # followers are there, engagements not
    assert r.roas == Decimal(0)
    assert r.roi_percent == Decimal(-100)


def test_totals_are_the_sum_of_creators_and_campaign_level(spring: CampaignKpis) -> None:
    parts = [c.figures for c in spring.creators] + [spring.campaign_level]
    assert spring.totals.additive() == sum_figures(parts, "DKK").additive()
    assert spring.campaign_level.cost == dkk("1500.00")  # the agency fee
    t = spring.totals
    assert t.cost == dkk("6083.00")  # 2,325 + 1,258 + 1,000 + 1,500
    assert t.revenue == dkk("425.00")
    assert (t.impressions, t.human_clicks, t.unique_clicks, t.conversions) == (28_400, 12, 9, 5)
    assert t.followers == 1_250_500
    assert spring.total_ratios.cpa == dkk("6083.00") / 5
    assert (
        spring.total_ratios.roi_percent
        == (Decimal("425.00") - Decimal("6083.00")) / Decimal("6083.00") * 100
    )
    assert spring.total_ratios.emv == dkk("1420.00")


def test_other_campaigns_and_unattributed_rows_stay_out(spring: CampaignKpis, ctx: Context) -> None:
    assert [c.handle for c in spring.creators] == ["anna", "bo", "cecilie"]  # by net revenue
    assert spring.target_cpa == dkk("150.00")
    assert spring.target_roas == Decimal("4.0")
    other = reporting.campaign_kpis(ctx, "kpi", "other")
    (anna,) = other.creators
    assert (anna.figures.impressions, anna.figures.clicks, anna.figures.unique_clicks) == (
        99_999,
        5,
        4,
    )
    assert anna.figures.revenue == Money("777.00", "SEK")
    assert anna.figures.cost == Money("4099.99", "SEK")  # fee 4,000 + commission 99.99
    assert anna.ratios.return_rate == Decimal(0)


def test_overview_has_a_row_per_campaign_matching_the_totals(
    spring: CampaignKpis, ctx: Context
) -> None:
    rows = {r.slug: r for r in reporting.campaign_overview(ctx, "kpi")}
    assert sorted(rows) == ["other", "spring"]
    assert rows["spring"].figures == spring.totals
    assert rows["spring"].ratios == spring.total_ratios
    assert rows["spring"].creators == 3


def test_missing_rate_is_named(ctx: Context) -> None:
    with ctx.engine.begin() as conn:
        ws = kpi_small.load(conn)
        conn.execute(fx_rates.delete())
        rebuild_click_rollups(conn, ws)
    with pytest.raises(PerfluenceError) as err:
        reporting.campaign_kpis(ctx, "kpi", "spring")
    assert err.value.code is ErrorCode.FX_RATE_MISSING
    assert "'spring' reports in DKK but has amounts in EUR" in err.value.message


def test_unknown_campaign_is_not_found(ctx: Context) -> None:
    with ctx.engine.begin() as conn:
        kpi_small.load(conn)
    with pytest.raises(PerfluenceError, match="campaign 'nope' not found") as err:
        reporting.campaign_kpis(ctx, "kpi", "nope")
    assert err.value.code is ErrorCode.NOT_FOUND


# --- compiled SQL snapshots ----------------------------------------------------

PARAMS = q.CampaignKpiParams(workspace_id=1, campaign_id=2)
QUERIES: dict[str, Select[Any]] = {
    "campaigns": roster_q.campaigns_query(1, "spring"),
    "roster": roster_q.roster_query(PARAMS),
    "accounts": roster_q.accounts_query(PARAMS),
    "posts": q.posts_query(PARAMS),
    "traffic": q.traffic_query(PARAMS),
    "conversions": q.conversions_query(PARAMS),
    "refunds": q.refunds_query(PARAMS),
    "cost": q.cost_query(PARAMS),
    "money_currencies": q.money_currencies_query(PARAMS),
}
DIALECTS = {"sqlite": sqlite.dialect(), "postgresql": postgresql.dialect()}


def compiled(name: str, dialect: str) -> str:
    query = (
        rollup_select(1, dialect) if name == "rollups" else QUERIES[name]
    )  # the rollup rebuild's grouping differs by dialect
    sql = query.compile(dialect=DIALECTS[dialect], compile_kwargs={"literal_binds": True})
    return f"{sql}\n"


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
@pytest.mark.parametrize("name", [*sorted(QUERIES), "rollups"])
def test_compiled_sql_matches_snapshot(name: str, dialect: str) -> None:
    """Regenerate with ``PERFLUENCE_UPDATE_SNAPSHOTS=1`` and review the diff."""
    path = SNAPSHOTS / f"{name}.{dialect}.sql"
    sql = compiled(name, dialect)
    if UPDATE_SNAPSHOTS:
        path.parent.mkdir(exist_ok=True)
        path.write_text(sql, encoding="utf-8")
    assert path.exists(), f"no snapshot {path.name}; run with PERFLUENCE_UPDATE_SNAPSHOTS=1"
    assert sql == path.read_text(encoding="utf-8")
