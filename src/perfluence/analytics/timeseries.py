"""A campaign day by day: human clicks, unique clicks, conversions, net revenue, cost.

Built from the day grouping of ``analytics.dimensions`` (so the days add up
to the campaign's totals) and zero-filled: every day from the campaign's
first day to its last (or today while it runs), widened to any day that has
figures outside that span (a fee booked before the start, say).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from perfluence.core.campaign_report import KpiFigures
from perfluence.core.insights_model import DayPoint
from perfluence.core.money import Money


def daily_points(
    by_day: Mapping[date, KpiFigures], first: date, last: date, currency: str
) -> tuple[DayPoint, ...]:
    """One point per day of ``first..last`` widened to the days in ``by_day``."""
    days = [*by_day, first, last]
    start, end = min(days), max(days)
    nothing = Money.zero(currency)
    points: list[DayPoint] = []
    for offset in range((end - start).days + 1):
        day = start + timedelta(days=offset)
        f = by_day.get(day)
        if f is None:
            points.append(DayPoint(day, 0, 0, 0, nothing, nothing))
        else:
            points.append(
                DayPoint(day, f.human_clicks, f.unique_clicks, f.conversions, f.revenue, f.cost)
            )
    return tuple(points)
