"""What the insight services return (pure, frozen): the report renderers read these.

Methods and formulas: ``docs/insights.md``. Money is in the campaign currency;
``NA`` marks a ratio whose denominator is zero; intervals are 95 % unless a
field says otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from perfluence.core.campaign_report import KpiFigures, KpiRatios
from perfluence.core.kpis import Count, MoneyRatio, Ratio, Tier
from perfluence.core.money import Money
from perfluence.core.stats import Interval


class Dimension(StrEnum):
    CREATOR = "creator"
    TIER = "tier"
    PLATFORM = "platform"
    MARKET = "market"
    LINK = "link"
    DAY = "day"


@dataclass(frozen=True, slots=True)
class DimensionRow:
    """One group: ``key`` is ``None`` for what the dimension cannot place (``label`` says so)."""

    key: str | None
    label: str
    figures: KpiFigures
    ratios: KpiRatios


@dataclass(frozen=True, slots=True)
class DimensionBreakdown:
    campaign_slug: str
    currency: str
    dimension: Dimension
    rows: tuple[DimensionRow, ...]
    totals: KpiFigures  # always the sum of ``rows``
    total_ratios: KpiRatios


class Stage(StrEnum):
    TOP = "top"
    MIDDLE = "middle"
    BOTTOM = "bottom"


class TargetStatus(StrEnum):
    MET = "met"
    MISSED = "missed"
    NO_TARGET = "no target"
    NOT_AVAILABLE = "n/a"


@dataclass(frozen=True, slots=True)
class FunnelMetric:
    stage: Stage
    metric: str
    value: Decimal | Money | int | Ratio | MoneyRatio
    target: Decimal | Money | None
    status: TargetStatus
    higher_is_better: bool


@dataclass(frozen=True, slots=True)
class Funnel:
    campaign_slug: str
    currency: str
    metrics: tuple[FunnelMetric, ...]


@dataclass(frozen=True, slots=True)
class DayPoint:
    day: date
    clicks: int  # human clicks
    unique_clicks: int
    conversions: Count  # credit shares: a split sale counts 0.5 for each side
    revenue: Money  # net of refunds (refunds dated by their sale)
    cost: Money


@dataclass(frozen=True, slots=True)
class Timeseries:
    campaign_slug: str
    currency: str
    points: tuple[DayPoint, ...]  # every day, zero-filled


@dataclass(frozen=True, slots=True)
class CreatorEstimate:
    """One creator's rates with their uncertainty; ``rank`` 1 is the best."""

    rank: int
    creator_id: int
    handle: str
    tier: Tier
    unique_clicks: int
    conversions: int
    conversion_rate: Ratio
    conversion_rate_interval: Interval | None
    shrunk_conversion_rate: Decimal | None
    # What the rank goes by: the low end of the shrunk rate's interval.
    shrunk_lower_bound: Decimal | None
    cpa: MoneyRatio
    cpa_interval: tuple[Money, Money | None] | None  # (low, high); high None: unbounded
    roas: Ratio
    roas_interval: Interval | None
    shrunk_roas: Decimal | None
    not_enough_data: bool
    note: str


@dataclass(frozen=True, slots=True)
class CreatorUncertainty:
    campaign_slug: str
    currency: str
    prior_mean: Decimal | None  # the pooled conversion rate the estimates shrink towards
    prior_strength: Decimal | None  # how many unique clicks the prior is worth
    min_unique_clicks: int
    creators: tuple[CreatorEstimate, ...]


@dataclass(frozen=True, slots=True)
class TierRow:
    tier: Tier
    creators: int
    unique_clicks: int
    conversions: int
    conversion_rate: Ratio
    interval: Interval | None


@dataclass(frozen=True, slots=True)
class TierComparison:
    campaign_slug: str
    rows: tuple[TierRow, ...]
    statistic: Decimal | None  # Pearson's chi-square
    degrees_of_freedom: int | None
    p_value: Decimal | None
    significant: bool
    verdict: str


class Action(StrEnum):
    SCALE = "scale"
    KEEP = "keep"
    RENEGOTIATE = "renegotiate"
    DROP = "drop"


@dataclass(frozen=True, slots=True)
class Recommendation:
    creator_id: int
    handle: str
    action: Action
    reason: str
    not_enough_data: bool


@dataclass(frozen=True, slots=True)
class BudgetMove:
    """Budget to take from (negative) or give to (positive) a creator."""

    creator_id: int
    handle: str
    amount: Money
    reason: str


@dataclass(frozen=True, slots=True)
class Recommendations:
    campaign_slug: str
    currency: str
    target_roas: Decimal | None
    target_cpa: Money | None
    creators: tuple[Recommendation, ...]
    moves: tuple[BudgetMove, ...]  # the negative and the positive amounts sum to zero
    movable: Money
    reallocation_note: str


@dataclass(frozen=True, slots=True)
class ModelCredit:
    """What one attribution model credits one creator with."""

    model: str
    revenue: Money
    payout: Money  # commission at the creator's contract rate on that revenue
    payout_change: Money  # against "as credited": what the stored attribution pays


@dataclass(frozen=True, slots=True)
class CreatorAttribution:
    creator_id: int
    handle: str
    commission_rate: Decimal | None
    by_model: tuple[ModelCredit, ...]


@dataclass(frozen=True, slots=True)
class AttributionComparison:
    campaign_slug: str
    currency: str
    models: tuple[str, ...]
    conversions: int  # sales compared
    creators: tuple[CreatorAttribution, ...]
    totals: tuple[ModelCredit, ...]  # per model; revenue totals are equal across models
    note: str
