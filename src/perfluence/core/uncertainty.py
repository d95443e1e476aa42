"""Per-creator conversion rate, CPA and ROAS with intervals; tiers compared (pure).

Built on ``core.stats``; the point values come from ``core.kpis``. The
method, with worked numbers: ``docs/insights.md`` ("Uncertainty").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from decimal import Decimal, localcontext

from perfluence.core import kpis
from perfluence.core.insights_model import CreatorEstimate, TierComparison, TierRow
from perfluence.core.kpis import NA, Tier
from perfluence.core.money import Money
from perfluence.core.stats import (
    CONTEXT,
    MIN_UNIQUE_CLICKS,
    BetaPrior,
    Interval,
    beta_prior,
    chi_square_independence,
    shrunk_lower_bound,
    shrunk_rate,
    wilson_interval,
)

SIGNIFICANCE = Decimal("0.05")


@dataclass(frozen=True, slots=True)
class CreatorEvidence:
    creator_id: int
    handle: str
    tier: Tier
    unique_clicks: int
    conversions: int  # sales + leads
    revenue: Money  # net
    cost: Money


def _rate_counts(e: CreatorEvidence) -> tuple[int, int]:
    """(conversions, unique clicks) for the rate; code-only conversions make k > n possible."""
    return min(e.conversions, e.unique_clicks), e.unique_clicks


def _value_per_conversion(e: CreatorEvidence, fallback: Money) -> Money:
    value = kpis.aov(e.revenue, e.conversions)
    return fallback if isinstance(value, kpis.NotAvailable) else value


def _roas_at(value: Money, clicks: int, rate: Decimal, cost: Money) -> Decimal | None:
    if rate == 0 and not cost.is_zero():
        return Decimal(0)
    result = kpis.roas(value * (rate * clicks), cost)
    return None if isinstance(result, kpis.NotAvailable) else result


def estimate_creators(
    evidence: Sequence[CreatorEvidence], min_unique_clicks: int = MIN_UNIQUE_CLICKS
) -> tuple[list[CreatorEstimate], Decimal | None, Decimal | None]:
    """Ranked estimates, and the prior's mean and strength (``None`` without a prior).

    Rank: creators with enough data first, then by the low end of the shrunk
    rate's interval (``stats.shrunk_lower_bound``), the shrunk rate,
    conversions and handle; so a creator with too few clicks never outranks
    one whose rate is known.
    """
    prior = beta_prior([_rate_counts(e) for e in evidence])
    currency = evidence[0].cost.currency if evidence else "EUR"
    total_revenue = sum((e.revenue for e in evidence), Money.zero(currency))
    total_conversions = sum(e.conversions for e in evidence)
    fallback = kpis.aov(total_revenue, total_conversions)
    campaign_value = Money.zero(currency) if isinstance(fallback, kpis.NotAvailable) else fallback
    unranked = [_estimate(e, prior, campaign_value, min_unique_clicks) for e in evidence]
    unranked.sort(
        key=lambda c: (
            c.not_enough_data,
            -(c.shrunk_lower_bound or Decimal(0)),
            -(c.shrunk_conversion_rate or Decimal(0)),
            -c.conversions,
            c.handle,
        )
    )
    ranked = [replace(c, rank=rank) for rank, c in enumerate(unranked, start=1)]
    if prior is None:
        return ranked, None, None
    return ranked, prior.mean, prior.strength


def _estimate(
    e: CreatorEvidence, prior: BetaPrior | None, campaign_value: Money, min_unique_clicks: int
) -> CreatorEstimate:
    k, n = _rate_counts(e)
    notes: list[str] = []
    if e.conversions > n:
        notes.append(
            f"{e.conversions - n} conversion(s) came without a unique click (discount codes); "
            "the rate counts at most one per unique click"
        )
    thin = n < min_unique_clicks
    if thin:
        notes.append(f"not enough data: {n} unique clicks, fewer than {min_unique_clicks}")
    interval = wilson_interval(k, n)
    shrunk = shrunk_rate(k, n, prior)
    value = _value_per_conversion(e, campaign_value)
    cpa_interval: tuple[Money, Money | None] | None = None
    roas_interval: Interval | None = None
    shrunk_roas: Decimal | None = None
    point = kpis.roas(e.revenue, e.cost)
    with localcontext(CONTEXT):
        if interval is not None and not e.cost.is_zero():
            low = kpis.cpa(e.cost, interval.upper * n) if interval.upper else NA
            high = kpis.cpa(e.cost, interval.lower * n) if interval.lower else NA
            if isinstance(low, Money):
                cpa_interval = (low, high if isinstance(high, Money) else None)
            roas_low = _roas_at(value, n, interval.lower, e.cost)
            roas_high = _roas_at(value, n, interval.upper or Decimal(0), e.cost)
            if roas_low is not None and roas_high is not None and isinstance(point, Decimal):
                # Rounding (or refunds beyond sales) must not leave the point outside.
                roas_interval = Interval(min(roas_low, point), max(roas_high, point))
            if shrunk is not None:
                shrunk_roas = _roas_at(value, n, shrunk, e.cost)
    return CreatorEstimate(
        rank=0,
        creator_id=e.creator_id,
        handle=e.handle,
        tier=e.tier,
        unique_clicks=e.unique_clicks,
        conversions=e.conversions,
        conversion_rate=kpis.conversion_rate(k, n),
        conversion_rate_interval=interval,
        shrunk_conversion_rate=shrunk,
        shrunk_lower_bound=shrunk_lower_bound(k, n, prior),
        cpa=kpis.cpa(e.cost, e.conversions),
        cpa_interval=cpa_interval,
        roas=point,
        roas_interval=roas_interval,
        shrunk_roas=shrunk_roas,
        not_enough_data=thin,
        note="; ".join(notes),
    )


def compare_tiers(campaign_slug: str, evidence: Sequence[CreatorEvidence]) -> TierComparison:
    """Conversion rate per tier and Pearson's chi-square test of tier × converted."""
    rows: list[TierRow] = []
    table: list[list[int]] = []
    for tier in Tier:
        members = [e for e in evidence if e.tier is tier]
        if not members:
            continue
        k = sum(_rate_counts(e)[0] for e in members)
        n = sum(e.unique_clicks for e in members)
        rows.append(
            TierRow(tier, len(members), n, k, kpis.conversion_rate(k, n), wilson_interval(k, n))
        )
        table.append([k, n - k])
    test = chi_square_independence(table) if table else None
    if test is None:
        return TierComparison(
            campaign_slug,
            tuple(rows),
            None,
            None,
            None,
            False,
            "nothing to compare: fewer than two tiers have unique clicks, "
            "or no tier has both conversions and clicks without one",
        )
    significant = test.p_value < SIGNIFICANCE
    shown = f"χ² = {test.statistic:.2f}, df = {test.degrees_of_freedom}, p = {test.p_value:.4f}"
    if significant:
        verdict = f"conversion rates differ between tiers ({shown})"
    else:
        verdict = (
            f"no significant difference between tiers ({shown}); "
            "the data cannot show that tier matters"
        )
    if test.small_expected_cells:
        verdict += (
            f"; caution: {test.small_expected_cells} cell(s) expect fewer than 5, "
            "so the p-value is rough"
        )
    return TierComparison(
        campaign_slug,
        tuple(rows),
        test.statistic,
        test.degrees_of_freedom,
        test.p_value,
        significant,
        verdict,
    )
