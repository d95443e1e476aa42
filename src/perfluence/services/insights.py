"""Campaign insights: funnel, KPIs by dimension, day by day, uncertainty, tiers,
recommendations, attribution models side by side, and lift over a baseline.

Every function reads (one connection, no writes) except
``import_baseline_csv``; results are the frozen values of
``core.insights_model`` (and ``core.lift.LiftResult``). Methods:
``docs/insights.md``.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal

from sqlalchemy import Connection

from perfluence.analytics import attribution_compare as aq
from perfluence.analytics import attribution_memo as memo
from perfluence.analytics import campaign_kpis as q
from perfluence.analytics import campaign_roster as roster_q
from perfluence.analytics.funnel import campaign_funnel as funnel_of
from perfluence.analytics.timeseries import daily_points
from perfluence.core.campaign_report import CampaignKpis
from perfluence.core.insights_model import (
    AttributionComparison,
    CreatorAttribution,
    CreatorUncertainty,
    Dimension,
    DimensionBreakdown,
    Funnel,
    ModelCredit,
    Recommendations,
    TierComparison,
    Timeseries,
)
from perfluence.core.money import Money
from perfluence.core.recommend import DEFAULT_SHIFT, Targets, reallocate, recommend
from perfluence.core.stats import MIN_UNIQUE_CLICKS
from perfluence.core.uncertainty import CreatorEvidence, compare_tiers, estimate_creators
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services import reporting
from perfluence.services.baselines import baseline_lift, import_baseline_csv
from perfluence.services.context import Context
from perfluence.services.insights_figures import Converter, breakdown, parse_dimension
from perfluence.store.workspaces import find_workspace

__all__ = [
    "attribution_comparison",
    "baseline_lift",
    "campaign_funnel",
    "campaign_timeseries",
    "creator_uncertainty",
    "import_baseline_csv",
    "kpis_by",
    "recommendations",
    "tier_comparison",
]


def resolve_campaign(
    conn: Connection, workspace_slug: str, campaign_slug: str
) -> tuple[int, roster_q.CampaignRow]:
    found = find_workspace(conn, workspace_slug)
    if found is None:
        raise PerfluenceError(ErrorCode.NOT_FOUND, f"workspace {workspace_slug!r} not found")
    campaigns = roster_q.fetch_campaigns(conn, found.id, campaign_slug)
    if not campaigns:
        raise PerfluenceError(
            ErrorCode.NOT_FOUND,
            f"campaign {campaign_slug!r} not found in workspace {workspace_slug!r}",
        )
    return found.id, campaigns[0]


def campaign_funnel(ctx: Context, workspace: str, campaign: str) -> Funnel:
    """Top (impressions, reach, engagement), middle (clicks, CTR, CPC), bottom
    (conversions, CR, CPA, ROAS, ROI) of the campaign's totals, against its targets."""
    return funnel_of(reporting.campaign_kpis(ctx, workspace, campaign))


def _kpis(ctx: Context, workspace: str, campaign: str, known: CampaignKpis | None) -> CampaignKpis:
    """The campaign's KPI table: ``known`` when the caller already has it (one per report)."""
    return known if known is not None else reporting.campaign_kpis(ctx, workspace, campaign)


def kpis_by(
    ctx: Context,
    workspace: str,
    campaign: str,
    dimension: Dimension | str,
    *,
    kpis: CampaignKpis | None = None,
) -> DimensionBreakdown:
    """The campaign's KPI figures grouped by ``dimension``; totals are the sum of the rows.

    ``kpis``: the campaign's KPI table if the caller has it already (this
    function and the ones below read it, and building it is most of their cost).
    """
    chosen = dimension if isinstance(dimension, Dimension) else parse_dimension(dimension)
    report = _kpis(ctx, workspace, campaign, kpis)
    with ctx.engine.connect() as conn:
        workspace_id, c = resolve_campaign(conn, workspace, campaign)
        p = q.CampaignKpiParams(workspace_id, c.id)
        money = Converter(conn, c, min(c.ends_on, ctx.now().date()), p)
        return breakdown(conn, p, report, money, chosen)


def campaign_timeseries(
    ctx: Context, workspace: str, campaign: str, *, kpis: CampaignKpis | None = None
) -> Timeseries:
    """Every day of the campaign (to today while it runs), zero-filled."""
    by_day = kpis_by(ctx, workspace, campaign, Dimension.DAY, kpis=kpis)
    with ctx.engine.connect() as conn:
        _, c = resolve_campaign(conn, workspace, campaign)
    figures = {date.fromisoformat(r.key): r.figures for r in by_day.rows if r.key is not None}
    last = max(c.starts_on, min(c.ends_on, ctx.now().date()))
    return Timeseries(c.slug, c.currency, daily_points(figures, c.starts_on, last, c.currency))


def _whole(value: int | Decimal) -> int:
    """A credited count as a whole number of trials (split credit rounds half even)."""
    return int(Decimal(value).to_integral_value(ROUND_HALF_EVEN))


def _evidence(report: CampaignKpis) -> list[CreatorEvidence]:
    return [
        CreatorEvidence(
            c.creator_id,
            c.handle,
            c.tier,
            c.figures.unique_clicks,
            _whole(c.figures.conversions),
            c.figures.revenue,
            c.figures.cost,
        )
        for c in report.creators
    ]


def creator_uncertainty(
    ctx: Context,
    workspace: str,
    campaign: str,
    *,
    min_unique_clicks: int = MIN_UNIQUE_CLICKS,
    kpis: CampaignKpis | None = None,
) -> CreatorUncertainty:
    """Creators ranked by shrunk conversion rate, with 95 % intervals and data flags."""
    report = _kpis(ctx, workspace, campaign, kpis)
    ranked, mean, strength = estimate_creators(_evidence(report), min_unique_clicks)
    return CreatorUncertainty(
        report.slug, report.currency, mean, strength, min_unique_clicks, tuple(ranked)
    )


def tier_comparison(
    ctx: Context, workspace: str, campaign: str, *, kpis: CampaignKpis | None = None
) -> TierComparison:
    """Conversion rate per tier and a chi-square test of whether tier and converting go together."""
    report = _kpis(ctx, workspace, campaign, kpis)
    return compare_tiers(report.slug, _evidence(report))


def recommendations(
    ctx: Context,
    workspace: str,
    campaign: str,
    *,
    shift: Decimal = DEFAULT_SHIFT,
    min_unique_clicks: int = MIN_UNIQUE_CLICKS,
    kpis: CampaignKpis | None = None,
) -> Recommendations:
    """Keep / scale / renegotiate / drop per creator, and a budget reallocation."""
    if not Decimal(0) < shift <= 1:
        raise PerfluenceError(
            ErrorCode.INVALID, "shift must be above 0 and at most 1", field="shift"
        )
    report = _kpis(ctx, workspace, campaign, kpis)
    ranked, _, _ = estimate_creators(_evidence(report), min_unique_clicks)
    targets = Targets(report.target_roas, report.target_cpa)
    decided = recommend(ranked, targets)
    costs = {c.creator_id: c.figures.cost for c in report.creators}
    moves, movable, note = reallocate(ranked, decided, costs, targets, report.currency, shift)
    return Recommendations(
        report.slug,
        report.currency,
        targets.roas,
        targets.cpa,
        tuple(decided),
        tuple(moves),
        movable,
        note,
    )


def attribution_comparison(
    ctx: Context, workspace: str, campaign: str, *, kpis: CampaignKpis | None = None
) -> AttributionComparison:
    """The campaign's sales under every model, per creator, with the commission each implies."""
    report = _kpis(ctx, workspace, campaign, kpis)
    with ctx.engine.connect() as conn:
        workspace_id, c = resolve_campaign(conn, workspace, campaign)
        p = q.CampaignKpiParams(workspace_id, c.id)
        money = Converter(conn, c, min(c.ends_on, ctx.now().date()), p)
        window = timedelta(days=aq.fetch_window_days(conn, p))
        credited, sales = memo.credit_by_model(conn, p, window, c.currency, money.money)
        ships = aq.fetch_commission_rates(conn, p)
    nothing = Money.zero(c.currency)
    handles = {row.creator_id: row.handle for row in report.creators}
    rows: list[CreatorAttribution] = []
    totals: dict[str, list[Money]] = defaultdict(lambda: [nothing, nothing])
    for pid, (creator_id, rate) in sorted(ships.items(), key=lambda i: handles.get(i[1][0], "")):
        base = aq.commission(credited[aq.AS_CREDITED].get(pid, nothing), rate)
        credits = []
        for model in aq.MODELS:
            revenue = credited[model].get(pid, nothing)
            payout = aq.commission(revenue, rate)
            credits.append(ModelCredit(model, revenue, payout, payout - base))
            totals[model][0] += revenue
            totals[model][1] += payout
        rows.append(
            CreatorAttribution(creator_id, handles.get(creator_id, ""), rate, tuple(credits))
        )
    base_total = totals[aq.AS_CREDITED][1]
    return AttributionComparison(
        c.slug,
        c.currency,
        aq.MODELS,
        sales,
        tuple(rows),
        tuple(
            ModelCredit(m, totals[m][0], totals[m][1], totals[m][1] - base_total) for m in aq.MODELS
        ),
        "gross sale amounts (refunds are not re-credited); commission at each contract's base "
        "rate (country rates, volume tiers and caps left out); flat fees do not move",
    )
