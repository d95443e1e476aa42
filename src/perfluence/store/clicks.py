"""Click rows: idempotent batch insert and the look-back the unique rule needs."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Insert, bindparam, func, select
from sqlalchemy.dialects import postgresql, sqlite

from perfluence.store.tables import clicks, tracking_links

# Keeps every IN (...) list well under SQLite's bound-parameter limit.
_IN_CHUNK = 5_000


def _insert_ignoring_duplicates(conn: Connection) -> Insert:
    """INSERT … ON CONFLICT (click_id) DO NOTHING in the connection's dialect."""
    if conn.dialect.name == "postgresql":
        return postgresql.insert(clicks).on_conflict_do_nothing(index_elements=["click_id"])
    if conn.dialect.name == "sqlite":
        return sqlite.insert(clicks).on_conflict_do_nothing(index_elements=["click_id"])
    raise NotImplementedError(f"no idempotent click insert for {conn.dialect.name}")


def insert_clicks(conn: Connection, rows: Sequence[Mapping[str, Any]]) -> set[str]:
    """Insert click rows, skipping click ids already stored; return the ids actually inserted.

    Replaying a batch that was already committed therefore inserts nothing,
    and the caller counts rollups from the returned ids only.
    """
    if not rows:
        return set()
    stmt = _insert_ignoring_duplicates(conn).returning(clicks.c.click_id)
    result = conn.execute(stmt, list(rows))
    return {str(click_id) for click_id in result.scalars()}


def human_click_times(
    conn: Connection,
    workspace_id: int,
    link_ids: Collection[int],
    visitor_hashes: Collection[str],
    since: datetime,
    first: datetime,
    until: datetime,
) -> dict[tuple[int, str], list[datetime]]:
    """Stored human click times per (link, visitor) that a batch's unique check needs.

    Only those links and visitors; a superset of the pairs in the batch is fine.

    For a batch spanning ``[first, until]`` whose window starts at ``since``:
    the latest click in ``[since, first)`` (enough for every click of the
    batch, since any earlier click in its window is at most that one) and
    every click in ``[first, until]`` (rare: replayed or late clicks). Both
    run on ``ix_clicks_visitor`` (workspace_id, visitor_hash, occurred_at).
    """
    found: dict[tuple[int, str], list[datetime]] = defaultdict(list)
    hashes = sorted(set(visitor_hashes))
    human = (
        clicks.c.workspace_id == workspace_id,
        clicks.c.link_id.in_(sorted(set(link_ids))),
        clicks.c.visitor_hash.in_(bindparam("hashes", expanding=True)),
        clicks.c.is_bot.is_(False),
    )
    latest_before = (
        select(clicks.c.link_id, clicks.c.visitor_hash, func.max(clicks.c.occurred_at))
        .where(*human, clicks.c.occurred_at >= since, clicks.c.occurred_at < first)
        .group_by(clicks.c.link_id, clicks.c.visitor_hash)
    )
    during = select(clicks.c.link_id, clicks.c.visitor_hash, clicks.c.occurred_at).where(
        *human, clicks.c.occurred_at >= first, clicks.c.occurred_at <= until
    )
    for start in range(0, len(hashes), _IN_CHUNK):
        chunk = hashes[start : start + _IN_CHUNK]
        for stmt in (latest_before, during):
            for link_id, hash_, moment in conn.execute(stmt, {"hashes": chunk}):
                found[(int(link_id), str(hash_))].append(moment)
    return dict(found)


def existing_link_ids(conn: Connection, link_ids: Iterable[int]) -> set[int]:
    """Which of these tracking links still exist (a link can be deleted while clicks wait)."""
    wanted = sorted(set(link_ids))
    if not wanted:
        return set()
    stmt = select(tracking_links.c.id).where(tracking_links.c.id.in_(wanted))
    return {int(link_id) for link_id in conn.execute(stmt).scalars()}


def count_clicks(conn: Connection) -> int:
    return int(conn.execute(select(func.count()).select_from(clicks)).scalar_one())
