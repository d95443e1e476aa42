"""The campaign KPI report as domain values (pure).

``KpiFigures`` holds only additive quantities (counts and money sums), so the
figures of a campaign are exactly the sum of its creators' figures plus the
campaign-level ones (costs not tied to a partnership). ``KpiRatios`` is derived
from one ``KpiFigures`` through ``core.kpis``; ratios are never summed or
averaged, they are recomputed from summed figures.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, fields
from datetime import date
from decimal import Decimal

from perfluence.core import kpis
from perfluence.core.kpis import Count, MoneyRatio, Ratio, Tier
from perfluence.core.money import Money

_COUNTS = (
    "followers",
    "posts",
    "impressions",
    "reach",
    "views",
    "likes",
    "comments",
    "shares",
    "saves",
    "clicks",
    "bot_clicks",
    "unique_clicks",
    "sales",
    "leads",
    "refunded_orders",
)


@dataclass(frozen=True, slots=True)
class KpiFigures:
    """Additive figures; the money fields share one currency (the campaign's)."""

    gross_revenue: Money  # sales, before refunds
    refunds: Money  # refunded amounts (positive)
    cost: Money
    followers: int = 0
    posts: int = 0
    impressions: int = 0
    reach: int = 0
    views: int = 0
    likes: int = 0
    comments: int = 0
    shares: int = 0
    saves: int = 0
    clicks: int = 0  # every click, bots included
    bot_clicks: int = 0
    unique_clicks: int = 0  # bots are never unique
    # A conversion split between partnerships counts as each one's share (a Decimal).
    sales: Count = 0  # orders
    leads: Count = 0
    refunded_orders: Count = 0  # sales with at least one refund

    @classmethod
    def zero(cls, currency: str) -> KpiFigures:
        nothing = Money.zero(currency)
        return cls(gross_revenue=nothing, refunds=nothing, cost=nothing)

    @property
    def currency(self) -> str:
        return self.cost.currency

    @property
    def engagements(self) -> int:
        return kpis.engagements(self.likes, self.comments, self.shares, self.saves)

    @property
    def human_clicks(self) -> int:
        return self.clicks - self.bot_clicks

    @property
    def conversions(self) -> Count:
        """Sales and leads: what CPA and the conversion rate count."""
        return self.sales + self.leads

    @property
    def revenue(self) -> Money:
        """Net revenue: sales minus refunds."""
        return self.gross_revenue - self.refunds

    def __add__(self, other: KpiFigures) -> KpiFigures:
        counts = {name: getattr(self, name) + getattr(other, name) for name in _COUNTS}
        return KpiFigures(
            gross_revenue=self.gross_revenue + other.gross_revenue,
            refunds=self.refunds + other.refunds,
            cost=self.cost + other.cost,
            **counts,
        )

    def additive(self) -> dict[str, object]:
        """Every additive field by name (what "totals equal the sum of parts" compares)."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def sum_figures(parts: Iterable[KpiFigures], currency: str) -> KpiFigures:
    total = KpiFigures.zero(currency)
    for part in parts:
        total = total + part
    return total


@dataclass(frozen=True, slots=True)
class KpiRatios:
    engagement_rate_by_followers: Ratio
    engagement_rate_by_reach: Ratio
    ctr: Ratio
    conversion_rate: Ratio
    return_rate: Ratio
    cpm: MoneyRatio
    cpe: MoneyRatio
    cpc: MoneyRatio
    cpa: MoneyRatio
    aov: MoneyRatio
    roas: Ratio
    roi_percent: Ratio
    emv: Money


def ratios_for(figures: KpiFigures, reference_cpm: Money) -> KpiRatios:
    """Every derived KPI of ``figures``; CTR and CPC count human clicks only."""
    engagement_count = figures.engagements
    clicks = figures.human_clicks
    return KpiRatios(
        engagement_rate_by_followers=kpis.engagement_rate_by_followers(
            engagement_count, figures.followers
        ),
        engagement_rate_by_reach=kpis.engagement_rate_by_reach(engagement_count, figures.reach),
        ctr=kpis.ctr(clicks, figures.impressions),
        conversion_rate=kpis.conversion_rate(figures.conversions, figures.unique_clicks),
        return_rate=kpis.return_rate(figures.refunded_orders, figures.sales),
        cpm=kpis.cpm(figures.cost, figures.impressions),
        cpe=kpis.cpe(figures.cost, engagement_count),
        cpc=kpis.cpc(figures.cost, clicks),
        cpa=kpis.cpa(figures.cost, figures.conversions),
        aov=kpis.aov(figures.revenue, figures.sales),
        roas=kpis.roas(figures.revenue, figures.cost),
        roi_percent=kpis.roi_percent(figures.revenue, figures.cost),
        emv=kpis.emv(figures.impressions, reference_cpm),
    )


@dataclass(frozen=True, slots=True)
class CreatorKpis:
    """One creator's figures within one campaign (their partnership)."""

    creator_id: int
    handle: str
    name: str
    payment_model: str
    tier: Tier
    platform: str | None  # the account the figures are about (most impressions)
    figures: KpiFigures
    ratios: KpiRatios


@dataclass(frozen=True, slots=True)
class CampaignKpis:
    campaign_id: int
    slug: str
    name: str
    goal: str
    currency: str
    starts_on: date
    ends_on: date
    budget: Money
    targets: Mapping[str, Decimal]
    reference_cpm: Money
    creators: tuple[CreatorKpis, ...]
    campaign_level: KpiFigures  # costs not tied to a partnership (agency fee, ...)
    campaign_level_ratios: KpiRatios
    totals: KpiFigures
    total_ratios: KpiRatios
    fx_notes: tuple[str, ...] = ()  # how amounts in other currencies were converted

    @property
    def target_cpa(self) -> Money | None:
        value = self.targets.get("cpa")
        return None if value is None else Money(value, self.currency)

    @property
    def target_roas(self) -> Decimal | None:
        return self.targets.get("roas")


@dataclass(frozen=True, slots=True)
class CampaignOverviewRow:
    campaign_id: int
    slug: str
    name: str
    goal: str
    status: str
    currency: str
    starts_on: date
    ends_on: date
    budget: Money
    creators: int
    figures: KpiFigures
    ratios: KpiRatios
    target_cpa: Money | None
    target_roas: Decimal | None
