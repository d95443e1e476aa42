"""Every KPI, defined once (see ``docs/kpis.md``).

Inputs are plain counts and ``Money``; outputs are ``Decimal``, ``Money`` or
``NA``. A ratio whose denominator is zero is *not available* (``NA``), never 0
and never an exception. Rates (CTR, engagement rate, conversion rate, return
rate) are fractions; ``roi_percent`` is a percentage, as its name says.
Revenue passed in is net of refunds.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from enum import StrEnum
from typing import Final

from perfluence.core.money import Money


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


class Tier(StrEnum):
    NANO = "nano"
    MICRO = "micro"
    MACRO = "macro"
    MEGA = "mega"


@dataclass(frozen=True, slots=True)
class TierThresholds:
    micro_from: int = 1_000
    macro_from: int = 100_000
    mega_from: int = 1_000_000


def tier_for(followers: int, thresholds: TierThresholds = TierThresholds()) -> Tier:
    """nano < 1k ≤ micro < 100k ≤ macro < 1M ≤ mega (thresholds configurable)."""
    if followers >= thresholds.mega_from:
        return Tier.MEGA
    if followers >= thresholds.macro_from:
        return Tier.MACRO
    if followers >= thresholds.micro_from:
        return Tier.MICRO
    return Tier.NANO


def _ratio(numerator: int | Decimal, denominator: int | Decimal) -> Ratio:
    if denominator == 0:
        return NA
    return Decimal(numerator) / Decimal(denominator)


def _per(cost: Money, count: int) -> MoneyRatio:
    if count == 0:
        return NA
    return cost / count


# --- reach and engagement ---------------------------------------------------


def engagements(likes: int, comments: int, shares: int, saves: int) -> int:
    return likes + comments + shares + saves


def engagement_rate_by_followers(engagement_count: int, followers: int) -> Ratio:
    return _ratio(engagement_count, followers)


def engagement_rate_by_reach(engagement_count: int, reach: int) -> Ratio:
    return _ratio(engagement_count, reach)


def emv(impressions: int, reference_cpm: Money) -> Money:
    """Earned media value: what the impressions would have cost at the reference CPM."""
    return reference_cpm * impressions / 1000


# --- cost efficiency --------------------------------------------------------


def cpm(cost: Money, impressions: int) -> MoneyRatio:
    if impressions == 0:
        return NA
    return cost * 1000 / impressions


def cpe(cost: Money, engagement_count: int) -> MoneyRatio:
    return _per(cost, engagement_count)


def cpc(cost: Money, clicks: int) -> MoneyRatio:
    return _per(cost, clicks)


def cpa(cost: Money, conversions: int) -> MoneyRatio:
    return _per(cost, conversions)


# --- traffic and conversion -------------------------------------------------


def ctr(clicks: int, impressions: int) -> Ratio:
    return _ratio(clicks, impressions)


def conversion_rate(conversions: int, unique_clicks: int) -> Ratio:
    return _ratio(conversions, unique_clicks)


def aov(revenue: Money, orders: int) -> MoneyRatio:
    return _per(revenue, orders)


def return_rate(refunded_orders: int, orders: int) -> Ratio:
    return _ratio(refunded_orders, orders)


# --- return on investment ---------------------------------------------------


def roas(revenue: Money, cost: Money) -> Ratio:
    """Revenue per unit of cost (4.5 means 4.50 back for every 1.00 spent)."""
    if cost.is_zero():
        return NA
    return revenue.ratio_to(cost)


def roi_percent(revenue: Money, cost: Money) -> Ratio:
    """(revenue − cost) / cost × 100."""
    if cost.is_zero():
        return NA
    return (revenue - cost).ratio_to(cost) * 100


def revenue_for_roas(cost: Money, target_roas: Decimal) -> Money:
    """Revenue a given ROAS implies for a cost (5,000 at 4.5 → 22,500)."""
    return cost * target_roas


def is_available(value: object) -> bool:
    return value is not NA
