"""Every KPI, defined once (see ``docs/kpis.md``, one heading per function here).

Inputs are plain counts and ``Money``; outputs are ``Decimal``, ``Money`` or
``NA``. A ratio whose denominator is zero is *not available* (``NA``), never 0
and never an exception. Rates (CTR, engagement rate, conversion rate, return
rate) are fractions; ``roi_percent`` is a percentage, as its name says.
Revenue passed in is net of refunds. Money results are exact (not rounded);
round with ``Money.quantize()`` where they are shown or stored.

Counts are ``int`` or ``Decimal`` (multi-touch attribution credits fractions
of a conversion); a negative count or a ``float`` is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Final

from perfluence.core.money import Money
from perfluence.errors import ErrorCode, PerfluenceError


class _NotAvailable:
    """The value of a ratio whose denominator is zero. Prints as ``n/a``."""

    _instance: _NotAvailable | None = None

    def __new__(cls) -> _NotAvailable:
        if cls._instance is None:
            cls._instance = super().__new__(cls)
        return cls._instance

    def __repr__(self) -> str:
        return "NA"

    def __str__(self) -> str:
        return "n/a"

    def __bool__(self) -> bool:
        return False


NA: Final = _NotAvailable()
NotAvailable = _NotAvailable

Ratio = Decimal | _NotAvailable
MoneyRatio = Money | _NotAvailable
Count = int | Decimal


class Tier(StrEnum):
    NANO = "nano"
    MICRO = "micro"
    MACRO = "macro"
    MEGA = "mega"


@dataclass(frozen=True, slots=True)
class TierThresholds:
    """Follower counts at which a tier starts (settings ``PERFLUENCE_TIER_*_FROM``)."""

    micro_from: int = 1_000
    macro_from: int = 100_000
    mega_from: int = 1_000_000

    def __post_init__(self) -> None:
        if not 0 < self.micro_from < self.macro_from < self.mega_from:
            raise PerfluenceError(
                ErrorCode.INVALID,
                "tier thresholds must be positive and increasing: "
                f"micro {self.micro_from} < macro {self.macro_from} < mega {self.mega_from}",
            )


DEFAULT_TIERS: Final = TierThresholds()


def _count(value: Count, name: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        raise TypeError(f"{name} must be an int or Decimal count, not {type(value).__name__}")
    if not Decimal(value).is_finite() or value < 0:
        raise PerfluenceError(
            ErrorCode.INVALID, f"{name} must be a finite count, not negative", field=name
        )
    return Decimal(value)


def _money(value: Money, name: str) -> Money:
    if not isinstance(value, Money):
        raise TypeError(f"{name} must be Money, not {type(value).__name__}")
    return value


def tier_for(followers: int, thresholds: TierThresholds = DEFAULT_TIERS) -> Tier:
    """nano < 1k ≤ micro < 100k ≤ macro < 1M ≤ mega (thresholds configurable)."""
    _count(followers, "followers")
    if followers >= thresholds.mega_from:
        return Tier.MEGA
    if followers >= thresholds.macro_from:
        return Tier.MACRO
    if followers >= thresholds.micro_from:
        return Tier.MICRO
    return Tier.NANO


def _ratio(numerator: Count, denominator: Count, names: tuple[str, str]) -> Ratio:
    top, bottom = _count(numerator, names[0]), _count(denominator, names[1])
    if bottom == 0:
        return NA
    return top / bottom


def _per(amount: Money, count: Count, name: str) -> MoneyRatio:
    _money(amount, "amount")
    n = _count(count, name)
    if n == 0:
        return NA
    return amount / n


# --- reach and engagement ---------------------------------------------------


def engagements(likes: int, comments: int, shares: int, saves: int) -> int:
    """likes + comments + shares + saves."""
    counts = {"likes": likes, "comments": comments, "shares": shares, "saves": saves}
    for name, value in counts.items():
        _count(value, name)
    return likes + comments + shares + saves


def engagement_rate_by_followers(engagement_count: Count, followers: Count) -> Ratio:
    return _ratio(engagement_count, followers, ("engagements", "followers"))


def engagement_rate_by_reach(engagement_count: Count, reach: Count) -> Ratio:
    return _ratio(engagement_count, reach, ("engagements", "reach"))


def emv(impressions: Count, reference_cpm: Money) -> Money:
    """Earned media value: what the impressions would have cost at the reference CPM."""
    return _money(reference_cpm, "reference_cpm") * _count(impressions, "impressions") / 1000


# --- cost efficiency --------------------------------------------------------


def cpm(cost: Money, impressions: Count) -> MoneyRatio:
    _money(cost, "cost")
    n = _count(impressions, "impressions")
    if n == 0:
        return NA
    return cost * 1000 / n


def cpe(cost: Money, engagement_count: Count) -> MoneyRatio:
    return _per(cost, engagement_count, "engagements")


def cpc(cost: Money, clicks: Count) -> MoneyRatio:
    return _per(cost, clicks, "clicks")


def cpa(cost: Money, conversions: Count) -> MoneyRatio:
    return _per(cost, conversions, "conversions")


# --- traffic and conversion -------------------------------------------------


def ctr(clicks: Count, impressions: Count) -> Ratio:
    return _ratio(clicks, impressions, ("clicks", "impressions"))


def conversion_rate(conversions: Count, unique_clicks: Count) -> Ratio:
    return _ratio(conversions, unique_clicks, ("conversions", "unique_clicks"))


def aov(revenue: Money, orders: Count) -> MoneyRatio:
    return _per(revenue, orders, "orders")


def return_rate(refunded_orders: Count, orders: Count) -> Ratio:
    return _ratio(refunded_orders, orders, ("refunded_orders", "orders"))


# --- return on investment ---------------------------------------------------


def _same_currency(revenue: Money, cost: Money) -> None:
    _money(revenue, "revenue")
    _money(cost, "cost")
    # Checked before the zero test: a zero cost in another currency is still a bug.
    if revenue.currency != cost.currency:
        raise PerfluenceError(
            ErrorCode.CURRENCY_MISMATCH,
            f"revenue in {revenue.currency} and cost in {cost.currency}; convert first",
        )


def roas(revenue: Money, cost: Money) -> Ratio:
    """Revenue per unit of cost (4.5 means 4.50 back for every 1.00 spent)."""
    _same_currency(revenue, cost)
    if cost.is_zero():
        return NA
    return revenue.ratio_to(cost)


def roi_percent(revenue: Money, cost: Money) -> Ratio:
    """(revenue − cost) / cost × 100."""
    _same_currency(revenue, cost)
    if cost.is_zero():
        return NA
    return (revenue - cost).ratio_to(cost) * 100


def revenue_for_roas(cost: Money, target_roas: Decimal) -> Money:
    """Revenue a given ROAS implies for a cost (5,000 at 4.5 → 22,500)."""
    return _money(cost, "cost") * target_roas


def is_available(value: object) -> bool:
    """False for ``NA``, True for every computed value."""
    return value is not NA


def roi_margin_percent(
    net_revenue: Money,
    investment: Money,
    *,
    cogs: Money | None = None,
    discounts: Money | None = None,
) -> Ratio:
    """(net revenue − COGS − discounts − investment) / investment × 100.

    Margin-true ROI: what the sales earned after the goods sold and the
    discounts given, against the marketing investment (which must not contain
    them). Without COGS and discounts it equals ``roi_percent``.
    """
    margin = net_revenue
    for part in (cogs, discounts):
        if part is not None:
            _same_currency(net_revenue, part)
            margin = margin - part
    return roi_percent(margin, investment)
