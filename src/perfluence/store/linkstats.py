"""What the redirect's link cache needs besides the links: fallbacks and click counts."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, func, select

from perfluence.store.tables import clicks, workspaces


def workspace_fallbacks(conn: Connection) -> dict[int, str | None]:
    """Each workspace's fallback URL (``None`` when it has none)."""
    rows = conn.execute(select(workspaces.c.id, workspaces.c.fallback_url))
    return {int(ws_id): url for ws_id, url in rows}


def capped_click_counts(conn: Connection, caps: Mapping[int, int]) -> dict[int, int]:
    """Stored clicks per link, counted only up to ``cap + 1`` (all a cap check needs).

    The bound keeps the query cheap however many clicks a capped link goes on receiving.
    """
    counts: dict[int, int] = {}
    for link_id, cap in caps.items():
        limited = select(clicks.c.id).where(clicks.c.link_id == link_id).limit(cap + 1).subquery()
        counts[link_id] = int(conn.execute(select(func.count()).select_from(limited)).scalar_one())
    return counts


def find_click(conn: Connection, click_id: str) -> Mapping[str, Any] | None:
    """One stored click by its click id, as a column mapping."""
    row = conn.execute(select(clicks).where(clicks.c.click_id == click_id)).first()
    return None if row is None else dict(row._mapping)


def count_clicks_for(conn: Connection, click_ids: list[str]) -> int:
    """How many of these click ids are stored."""
    found = 0
    for start in range(0, len(click_ids), 5_000):
        chunk = click_ids[start : start + 5_000]
        found += int(
            conn.execute(
                select(func.count()).select_from(clicks).where(clicks.c.click_id.in_(chunk))
            ).scalar_one()
        )
    return found
