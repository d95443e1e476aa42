"""Campaign KPI reports: per creator, totals, and one row per campaign.

The analytics queries return sums per creator and currency; this module turns
them into ``KpiFigures`` in the campaign currency (other currencies converted
at the ECB rate of the campaign's last day, or today while it runs), adds
them up, and lets ``core.campaign_report`` derive every ratio through
``core.kpis``. Totals are the sum of the creator rows plus the campaign-level
row, never a separate query, so they always equal the sum of their parts.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from sqlalchemy import Connection

from perfluence.analytics import campaign_kpis as q
from perfluence.analytics import campaign_roster as roster_q
from perfluence.config import Settings
from perfluence.core.campaign_report import (
    CampaignKpis,
    CampaignOverviewRow,
    CreatorKpis,
    KpiFigures,
    ratios_for,
    sum_figures,
)
from perfluence.core.fx import MAX_LOOKBACK_DAYS, RateTable
from perfluence.core.kpis import tier_for
from perfluence.core.money import Money
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services.context import Context
from perfluence.services.creators import tier_thresholds
from perfluence.store.fx import rates_between
from perfluence.store.workspaces import find_workspace


def _workspace_id(conn: Connection, slug: str) -> int:
    found = find_workspace(conn, slug)
    if found is None:
        raise PerfluenceError(ErrorCode.NOT_FOUND, f"workspace {slug!r} not found")
    return found.id


def campaign_kpis(ctx: Context, workspace_slug: str, campaign_slug: str) -> CampaignKpis:
    """KPIs of one campaign: a row per creator, the campaign-level costs, and totals."""
    with ctx.engine.connect() as conn:
        workspace_id = _workspace_id(conn, workspace_slug)
        found = roster_q.fetch_campaigns(conn, workspace_id, campaign_slug)
        if not found:
            raise PerfluenceError(
                ErrorCode.NOT_FOUND,
                f"campaign {campaign_slug!r} not found in workspace {workspace_slug!r}",
            )
        return _report(conn, ctx.settings, ctx.now().date(), workspace_id, found[0])


def campaign_overview(ctx: Context, workspace_slug: str) -> list[CampaignOverviewRow]:
    """One row per campaign of the workspace, oldest first."""
    with ctx.engine.connect() as conn:
        workspace_id = _workspace_id(conn, workspace_slug)
        reports = [
            (campaign.status, _report(conn, ctx.settings, ctx.now().date(), workspace_id, campaign))
            for campaign in roster_q.fetch_campaigns(conn, workspace_id)
        ]
    return [
        CampaignOverviewRow(
            campaign_id=r.campaign_id,
            slug=r.slug,
            name=r.name,
            goal=r.goal,
            status=status,
            currency=r.currency,
            starts_on=r.starts_on,
            ends_on=r.ends_on,
            budget=r.budget,
            creators=len(r.creators),
            figures=r.totals,
            ratios=r.total_ratios,
            target_cpa=r.target_cpa,
            target_roas=r.target_roas,
        )
        for status, r in reports
    ]


def _targets(raw: dict[str, object]) -> dict[str, Decimal]:
    out: dict[str, Decimal] = {}
    for name, value in raw.items():
        if isinstance(value, bool | float) or value is None:
            continue
        try:
            out[name] = Decimal(str(value))
        except InvalidOperation:
            continue
    return out


class _Converter:
    """Brings amounts into the campaign currency and remembers how it did."""

    def __init__(
        self, conn: Connection, campaign: roster_q.CampaignRow, on: date, p: q.CampaignKpiParams
    ) -> None:
        self.campaign = campaign.slug
        self.currency = campaign.currency
        self.on = on
        self._conn, self._params = conn, p
        self._rates: RateTable | None = None
        self.notes: dict[str, str] = {}

    @property
    def rates(self) -> RateTable:
        """The rates of every currency the campaign has money in, read at the first need
        (most campaigns have one currency and never need them)."""
        if self._rates is None:
            seen = set(q.fetch_money_currencies(self._conn, self._params))
            # Cross rates go through EUR, so the campaign's own rate is needed as well.
            wanted = seen | {self.currency} if seen - {self.currency} else set()
            by_currency: dict[str, dict[date, Decimal]] = {c: {} for c in wanted}
            if wanted:
                since = self.on - timedelta(days=MAX_LOOKBACK_DAYS)
                for (day, code), rate in rates_between(self._conn, wanted, since, self.on).items():
                    by_currency[code][day] = rate
            self._rates = RateTable(by_currency)
        return self._rates

    def __call__(self, minor: int, currency: str) -> Money:
        money = Money.from_minor(minor, currency)
        if currency == self.currency:
            return money
        try:
            converted = self.rates.convert(money, self.currency, self.on)
        except PerfluenceError as exc:
            raise PerfluenceError(
                exc.code,
                f"campaign {self.campaign!r} reports in {self.currency} but has amounts in "
                f"{currency}: {exc.message}",
            ) from None
        self.notes[currency] = (
            f"{currency} → {self.currency} at 1 {currency} = {converted.rate} {self.currency}, "
            f"the {converted.describe()}"
        )
        return converted.money


def _figures_by_creator(
    conn: Connection, p: q.CampaignKpiParams, money: _Converter, post_rows: list[q.PostsRow]
) -> dict[int | None, list[KpiFigures]]:
    """Every metric family as partial figures per creator (``None``: campaign level)."""
    nothing = Money.zero(money.currency)
    parts: dict[int | None, list[KpiFigures]] = defaultdict(list)
    for r in post_rows:
        parts[r.creator_id].append(
            KpiFigures(
                gross_revenue=nothing,
                refunds=nothing,
                cost=nothing,
                posts=r.posts,
                impressions=r.impressions,
                reach=r.reach,
                views=r.views,
                likes=r.likes,
                comments=r.comments,
                shares=r.shares,
                saves=r.saves,
            )
        )
    for t in q.fetch_traffic(conn, p):
        parts[t.creator_id].append(
            KpiFigures(
                gross_revenue=nothing,
                refunds=nothing,
                cost=nothing,
                clicks=t.clicks,
                unique_clicks=t.unique_clicks,
                bot_clicks=t.bot_clicks,
            )
        )
    for s in q.fetch_conversions(conn, p):
        parts[s.creator_id].append(
            KpiFigures(
                gross_revenue=money(s.sales_minor, s.currency),
                refunds=nothing,
                cost=nothing,
                sales=s.sales,
                leads=s.leads,
            )
        )
    for f in q.fetch_refunds(conn, p):
        parts[f.creator_id].append(
            KpiFigures(
                gross_revenue=nothing,
                refunds=money(f.refunds_minor, f.currency),
                cost=nothing,
                refunded_orders=f.refunded_orders,
            )
        )
    for k in q.fetch_costs(conn, p):
        parts[k.creator_id].append(
            KpiFigures(gross_revenue=nothing, refunds=nothing, cost=money(k.cost_minor, k.currency))
        )
    return parts


def _report(
    conn: Connection, settings: Settings, today: date, workspace_id: int, c: roster_q.CampaignRow
) -> CampaignKpis:
    p = q.CampaignKpiParams(workspace_id=workspace_id, campaign_id=c.id)
    roster = roster_q.fetch_roster(conn, p)
    accounts = roster_q.fetch_accounts(conn, p)
    post_rows = q.fetch_posts(conn, p)
    money = _Converter(conn, c, min(c.ends_on, today), p)
    parts = _figures_by_creator(conn, p, money, post_rows)
    nothing = Money.zero(c.currency)

    reference_cpm = (
        Money(settings.reference_cpm, c.currency)
        if c.reference_cpm_minor is None
        else Money.from_minor(c.reference_cpm_minor, c.currency)
    )
    thresholds = tier_thresholds(settings)
    followers_by_creator: dict[int, dict[str, int]] = defaultdict(dict)
    for a in accounts:
        followers_by_creator[a.creator_id][a.platform] = a.followers
    impressions_by_creator: dict[int, dict[str, int]] = defaultdict(dict)
    for r in post_rows:
        impressions_by_creator[r.creator_id][r.platform] = r.impressions

    rows: list[CreatorKpis] = []
    for member in roster:
        platform = _main_platform(
            impressions_by_creator.get(member.creator_id, {}),
            followers_by_creator.get(member.creator_id, {}),
        )
        followers = followers_by_creator.get(member.creator_id, {}).get(platform or "", 0)
        own = parts.pop(member.creator_id, [])
        own.append(
            KpiFigures(gross_revenue=nothing, refunds=nothing, cost=nothing, followers=followers)
        )
        figures = sum_figures(own, c.currency)
        rows.append(
            CreatorKpis(
                creator_id=member.creator_id,
                handle=member.handle,
                name=member.name,
                payment_model=member.payment_model,
                tier=tier_for(followers, thresholds),
                platform=platform,
                figures=figures,
                ratios=ratios_for(figures, reference_cpm),
            )
        )
    rows.sort(
        key=lambda row: (
            -row.figures.revenue.amount,
            -row.figures.conversions,
            -row.figures.human_clicks,
            row.handle,
        )
    )
    # Whatever is not a creator of the roster is campaign level (costs without a partnership).
    campaign_level = sum_figures((f for fs in parts.values() for f in fs), c.currency)
    totals = sum_figures([*(row.figures for row in rows), campaign_level], c.currency)
    return CampaignKpis(
        campaign_id=c.id,
        slug=c.slug,
        name=c.name,
        goal=c.goal,
        currency=c.currency,
        starts_on=c.starts_on,
        ends_on=c.ends_on,
        budget=Money.from_minor(c.budget_minor, c.currency),
        targets=_targets(c.kpi_targets),
        reference_cpm=reference_cpm,
        creators=tuple(rows),
        campaign_level=campaign_level,
        campaign_level_ratios=ratios_for(campaign_level, reference_cpm),
        totals=totals,
        total_ratios=ratios_for(totals, reference_cpm),
        fx_notes=tuple(money.notes[k] for k in sorted(money.notes)),
    )


def _main_platform(impressions: dict[str, int], followers: dict[str, int]) -> str | None:
    """The platform a creator's figures are about: most impressions, else most followers."""
    ranked = impressions or followers
    if not ranked:
        return None
    return max(sorted(ranked), key=lambda name: ranked[name])
