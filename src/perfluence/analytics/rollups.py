"""Hourly click rollups, rebuilt from the click events.

A rollup row is (link, UTC hour): ``clicks`` counts every click, ``unique_clicks``
those flagged unique (bots never are), ``bot_clicks`` those flagged as bots.
The live click writer keeps rollups current as it goes; this rebuild derives
them again from events, so the two must agree for the same clicks.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    String,
    case,
    cast,
    delete,
    func,
    insert,
    literal,
    select,
)

from perfluence.store.tables import click_rollups_hourly, clicks


def hour_bucket(dialect: str) -> ColumnElement[Any]:
    """The UTC hour a click falls in, in the column's stored form for ``dialect``.

    SQLite keeps ``UTCDateTime`` as ``YYYY-MM-DD HH:MM:SS.ffffff`` text, so the
    hour is the first 13 characters with a zero tail; PostgreSQL truncates.
    """
    if dialect == "sqlite":
        return func.substr(cast(clicks.c.occurred_at, String), 1, 13).concat(
            literal(":00:00.000000")
        )
    return func.date_trunc("hour", clicks.c.occurred_at)


def _count_where(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def rollup_select(workspace_id: int, dialect: str) -> Select[Any]:
    """The rollup rows of a workspace, grouped from its click events."""
    hour = hour_bucket(dialect).label("hour")
    return (
        select(
            clicks.c.link_id,
            hour,
            clicks.c.workspace_id,
            func.count().label("clicks"),
            _count_where(clicks.c.is_unique).label("unique_clicks"),
            _count_where(clicks.c.is_bot).label("bot_clicks"),
        )
        .where(clicks.c.workspace_id == workspace_id)
        .group_by(clicks.c.link_id, hour, clicks.c.workspace_id)
    )


def rebuild_click_rollups(conn: Connection, workspace_id: int) -> int:
    """Replace every rollup row of ``workspace_id`` with one derived from its clicks.

    Runs on the caller's connection, so with the caller's transaction the old
    rows and the new ones are never both visible. Returns the rows written.
    """
    conn.execute(
        delete(click_rollups_hourly).where(click_rollups_hourly.c.workspace_id == workspace_id)
    )
    source = rollup_select(workspace_id, conn.dialect.name)
    conn.execute(
        insert(click_rollups_hourly).from_select(
            ["link_id", "hour", "workspace_id", "clicks", "unique_clicks", "bot_clicks"], source
        )
    )
    # rowcount of INSERT ... SELECT is not reported alike by every driver: count instead.
    written = select(func.count()).where(click_rollups_hourly.c.workspace_id == workspace_id)
    return int(conn.execute(written).scalar_one())
