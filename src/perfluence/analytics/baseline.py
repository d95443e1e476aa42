"""Daily series for lift: from the store (the workspace's sales or leads) or imported.

Store series count the workspace's conversions of one kind per UTC day,
whoever they are attributed to (unattributed ones included): lift asks what
the shop sold, not what creators were credited with. Rejected conversions
count nowhere. Imported series live in ``baseline_series`` (one exact decimal
per workspace, series and day).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import ColumnElement, Connection, Select, delete, func, insert, select

from perfluence.analytics.campaign_kpis import EXCLUDED_STATUSES
from perfluence.analytics.dimensions import utc_day
from perfluence.store.tables import baseline_series, conversions

# Series the store can derive, and the conversion kind each one counts.
STORE_SERIES: Final = {"sales": "sale", "leads": "lead"}


@dataclass(frozen=True, slots=True)
class SeriesParams:
    workspace_id: int
    series: str
    first_day: date
    last_day: date  # inclusive


def _start(day: date) -> datetime:
    return datetime.combine(day, time.min, UTC)


def store_series_query(p: SeriesParams) -> Select[Any]:
    """Conversions of the series' kind per UTC day in [first_day, last_day]."""
    day: ColumnElement[Any] = utc_day(conversions.c.occurred_at).label("day")
    return (
        select(day, func.count(conversions.c.id).label("value"))
        .where(
            conversions.c.workspace_id == p.workspace_id,
            conversions.c.kind == STORE_SERIES[p.series],
            conversions.c.status.not_in(EXCLUDED_STATUSES),
            conversions.c.occurred_at >= _start(p.first_day),
            conversions.c.occurred_at < _start(p.last_day + timedelta(days=1)),
        )
        .group_by(day)
        .order_by(day)
    )


def fetch_store_series(conn: Connection, p: SeriesParams) -> dict[date, Decimal]:
    """Every day of the range, zero-filled: no sale on a day is a 0, not a gap."""
    found = {
        date.fromisoformat(str(r.day)): Decimal(int(r.value))
        for r in conn.execute(store_series_query(p))
    }
    days = (p.last_day - p.first_day).days + 1
    return {
        p.first_day + timedelta(days=i): found.get(p.first_day + timedelta(days=i), Decimal(0))
        for i in range(max(0, days))
    }


def first_event_day(conn: Connection, workspace_id: int) -> date | None:
    """The UTC day of the workspace's first conversion of any kind: before it, no data.

    A derived series starts there, so days before the shop was connected are
    missing rather than read as days without a sale.
    """
    query = select(func.min(conversions.c.occurred_at)).where(
        conversions.c.workspace_id == workspace_id
    )
    first = conn.execute(query).scalar_one_or_none()
    return None if first is None else first.date()


def imported_series_query(p: SeriesParams) -> Select[Any]:
    return (
        select(baseline_series.c.day, baseline_series.c.value)
        .where(
            baseline_series.c.workspace_id == p.workspace_id,
            baseline_series.c.series == p.series,
            baseline_series.c.day >= p.first_day,
            baseline_series.c.day <= p.last_day,
        )
        .order_by(baseline_series.c.day)
    )


def fetch_imported_series(conn: Connection, p: SeriesParams) -> dict[date, Decimal]:
    """The imported days of the range; days not imported are missing, not zero."""
    return {r.day: r.value for r in conn.execute(imported_series_query(p))}


def imported_series_exists(conn: Connection, workspace_id: int, series: str) -> bool:
    query = select(baseline_series.c.day).where(
        baseline_series.c.workspace_id == workspace_id, baseline_series.c.series == series
    )
    return conn.execute(query.limit(1)).first() is not None


def replace_imported_days(
    conn: Connection,
    workspace_id: int,
    series: str,
    values: Iterable[tuple[date, Decimal]],
    now: datetime,
) -> int:
    """Write the days given (an imported day replaces the stored one); return how many."""
    rows = [
        {"workspace_id": workspace_id, "series": series, "day": d, "value": v, "created_at": now}
        for d, v in values
    ]
    days = [r["day"] for r in rows]
    for start in range(0, len(days), 500):
        conn.execute(
            delete(baseline_series).where(
                baseline_series.c.workspace_id == workspace_id,
                baseline_series.c.series == series,
                baseline_series.c.day.in_(days[start : start + 500]),
            )
        )
    if rows:
        conn.execute(insert(baseline_series), rows)
    return len(rows)
