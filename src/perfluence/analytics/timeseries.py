"""A campaign day by day: human clicks, unique clicks, conversions, net revenue, cost.

Built from the day grouping of ``analytics.dimensions`` (so the days add up
to the campaign's totals; clicks come from the rollups summed per day,
``daily_traffic_query``) and zero-filled: every day from the campaign's
first day to its last (or today while it runs), widened to any day that has
figures outside that span (a fee booked before the start, say).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, func, select

from perfluence.analytics.campaign_kpis import CampaignKpiParams, in_campaign
from perfluence.analytics.dimensions import utc_day
from perfluence.core.campaign_report import KpiFigures
from perfluence.core.insights_model import DayPoint
from perfluence.core.money import Money
from perfluence.store.tables import click_rollups_hourly, partnerships, tracking_links


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


@dataclass(frozen=True, slots=True)
class DailyTrafficRow:
    day: date
    clicks: int
    unique_clicks: int
    bot_clicks: int


def daily_traffic_query(p: CampaignKpiParams) -> Select[Any]:
    """``dimensions.traffic_grain_query`` summed per day: all a day-by-day view needs."""
    day: ColumnElement[Any] = utc_day(click_rollups_hourly.c.hour).label("day")
    return (
        select(
            day,
            func.sum(click_rollups_hourly.c.clicks).label("clicks"),
            func.sum(click_rollups_hourly.c.unique_clicks).label("unique_clicks"),
            func.sum(click_rollups_hourly.c.bot_clicks).label("bot_clicks"),
        )
        .select_from(
            click_rollups_hourly.join(
                tracking_links, tracking_links.c.id == click_rollups_hourly.c.link_id
            ).join(partnerships, partnerships.c.id == tracking_links.c.partnership_id)
        )
        .where(in_campaign(p))
        .group_by(day)
        .order_by(day)
    )


def fetch_daily_traffic(conn: Connection, p: CampaignKpiParams) -> list[DailyTrafficRow]:
    out: list[DailyTrafficRow] = []
    for r in conn.execute(daily_traffic_query(p)):
        out.append(
            DailyTrafficRow(
                date.fromisoformat(str(r.day)),
                int(r.clicks),
                int(r.unique_clicks),
                int(r.bot_clicks),
            )
        )
    return out
