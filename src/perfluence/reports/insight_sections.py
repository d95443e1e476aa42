"""The campaign insights (``core.insights_model``) as parts of the report model.

Pure mapping: days, sections and findings from values the insight services
computed. Money goes through ``money`` so that it ends up in the report
currency; texts become catalog keys, so the insights read in every language
of the report (their English ``reason`` and ``verdict`` strings are not
shown).
"""

from __future__ import annotations

from collections.abc import Callable

from perfluence.core.insights_model import (
    AttributionComparison,
    CreatorUncertainty,
    Recommendations,
    TierComparison,
    Timeseries,
)
from perfluence.core.kpis import NA
from perfluence.core.money import Money
from perfluence.core.stats import Interval
from perfluence.reports.model import DayPoint, Finding, ReportValue, Section, ValueKind

Convert = Callable[[Money], Money]
TOTAL_MARK = "Σ"  # the creator cell of a total row: the same in every language


def days_from(series: Timeseries, money: Convert) -> tuple[DayPoint, ...]:
    return tuple(
        DayPoint(p.day, p.clicks, p.unique_clicks, p.conversions, money(p.revenue))
        for p in series.points
    )


def _bounds(interval: Interval | None) -> tuple[ReportValue, ReportValue]:
    if interval is None:
        return NA, NA
    return interval.lower, NA if interval.upper is None else interval.upper


def uncertainty_section(u: CreatorUncertainty) -> Section:
    """Creators by shrunk conversion rate, with the 95 % interval of their raw rate."""
    rows = []
    for e in u.creators:
        low, high = _bounds(e.conversion_rate_interval)
        shrunk: ReportValue = NA if e.shrunk_conversion_rate is None else e.shrunk_conversion_rate
        rows.append(
            (e.handle, e.unique_clicks, e.conversions, e.conversion_rate, low, high, shrunk)
        )
    fraction = ValueKind.FRACTION
    return Section(
        "uncertainty",
        (
            "column.creator",
            "column.unique_clicks",
            "column.conversions",
            "column.conversion_rate",
            "column.interval_low",
            "column.interval_high",
            "column.shrunk_rate",
        ),
        (ValueKind.TEXT, ValueKind.COUNT, ValueKind.COUNT, fraction, fraction, fraction, fraction),
        tuple(rows),
    )


def attribution_section(a: AttributionComparison, money: Convert) -> Section:
    """Revenue and commission per creator under each model, then the totals per model."""
    rows: list[tuple[ReportValue, ...]] = []
    for c in a.creators:
        for credit in c.by_model:
            rows.append(
                (
                    c.handle,
                    f"model.{credit.model}",
                    money(credit.revenue),
                    money(credit.payout),
                    money(credit.payout_change),
                )
            )
    for credit in a.totals:
        rows.append(
            (
                TOTAL_MARK,
                f"model.{credit.model}",
                money(credit.revenue),
                money(credit.payout),
                money(credit.payout_change),
            )
        )
    return Section(
        "attribution",
        (
            "column.creator",
            "column.model",
            "column.revenue",
            "column.payout",
            "column.payout_change",
        ),
        (ValueKind.TEXT, ValueKind.LABEL, *(ValueKind.MONEY,) * 3),
        tuple(rows),
    )


def recommendation_findings(
    recs: Recommendations, u: CreatorUncertainty, money: Convert
) -> tuple[Finding, ...]:
    clicks = {e.creator_id: e.unique_clicks for e in u.creators}
    found: list[Finding] = []
    for r in recs.creators:
        if r.not_enough_data:
            found.append(
                Finding(
                    "recommendation.not_enough_data",
                    {"creator": r.handle, "clicks": clicks.get(r.creator_id, 0)},
                    {"creator": ValueKind.TEXT, "clicks": ValueKind.COUNT},
                )
            )
        else:
            found.append(Finding(f"recommendation.{r.action.value}", {"creator": r.handle}, {}))
    for move in recs.moves:
        if move.amount.is_zero():
            continue
        key = "recommendation.move_to" if move.amount.amount > 0 else "recommendation.move_from"
        found.append(
            Finding(
                key,
                {"creator": move.handle, "amount": money(abs(move.amount))},
                {"creator": ValueKind.TEXT, "amount": ValueKind.MONEY},
            )
        )
    return tuple(found)


def tier_finding(comparison: TierComparison) -> Finding | None:
    if comparison.p_value is None:
        return None
    return Finding(
        "learning.tiers_differ" if comparison.significant else "learning.tiers_alike",
        {"p": comparison.p_value},
        {"p": ValueKind.PROBABILITY},
    )
