"""Hourly click rollups, updated in the same transaction as the clicks they count."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Insert
from sqlalchemy.dialects import postgresql, sqlite

from perfluence.store.tables import click_rollups_hourly

_t = click_rollups_hourly


@dataclass(frozen=True, slots=True)
class HourlyClickCounts:
    """What one batch adds to one link's hour."""

    link_id: int
    hour: datetime  # aware UTC, on the hour
    workspace_id: int
    clicks: int
    unique_clicks: int
    bot_clicks: int


_upserts: dict[str, Insert] = {}


def _upsert(conn: Connection) -> Insert:
    """INSERT … ON CONFLICT (link_id, hour) DO UPDATE SET n = n + excluded.n, per dialect.

    Built once per dialect: the same statement object hits SQLAlchemy's compiled
    cache straight away, where a new one costs a cache-key walk per batch.
    """
    stmt = _upserts.get(conn.dialect.name)
    if stmt is None:
        stmt = _upserts[conn.dialect.name] = _build_upsert(conn)
    return stmt


def _build_upsert(conn: Connection) -> Insert:
    if conn.dialect.name == "postgresql":
        stmt: postgresql.Insert | sqlite.Insert = postgresql.insert(_t)
    elif conn.dialect.name == "sqlite":
        stmt = sqlite.insert(_t)
    else:
        raise NotImplementedError(f"no rollup upsert for {conn.dialect.name}")
    return stmt.on_conflict_do_update(
        index_elements=[_t.c.link_id, _t.c.hour],
        set_={
            "clicks": _t.c.clicks + stmt.excluded.clicks,
            "unique_clicks": _t.c.unique_clicks + stmt.excluded.unique_clicks,
            "bot_clicks": _t.c.bot_clicks + stmt.excluded.bot_clicks,
        },
    )


def add_hourly_click_counts(conn: Connection, counts: Iterable[HourlyClickCounts]) -> None:
    """Add counts to the hourly rollups, creating hours that do not exist yet."""
    rows = [
        {
            "link_id": c.link_id,
            "hour": c.hour,
            "workspace_id": c.workspace_id,
            "clicks": c.clicks,
            "unique_clicks": c.unique_clicks,
            "bot_clicks": c.bot_clicks,
        }
        for c in counts
    ]
    if rows:
        conn.execute(_upsert(conn), rows)
