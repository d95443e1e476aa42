"""Deleting raw click rows past their retention, in batches; rollups are never touched.

Clicks of links with a click cap are kept: the cap counts stored clicks, and
deleting them would let a capped link send more traffic than agreed.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ColumnElement, Connection, delete, func, select

from perfluence.store.tables import clicks, tracking_links, workspaces


def workspace_ids(conn: Connection) -> list[tuple[int, str]]:
    return [
        (int(i), str(s))
        for i, s in conn.execute(
            select(workspaces.c.id, workspaces.c.slug).order_by(workspaces.c.id)
        )
    ]


def _old_clicks(workspace_id: int, before: datetime) -> ColumnElement[bool]:
    capped = select(tracking_links.c.id).where(
        tracking_links.c.workspace_id == workspace_id, tracking_links.c.click_cap.is_not(None)
    )
    return (
        (clicks.c.workspace_id == workspace_id)
        & (clicks.c.occurred_at < before)
        & clicks.c.link_id.not_in(capped)
    )


def count_old_clicks(conn: Connection, workspace_id: int, before: datetime) -> int:
    query = select(func.count()).select_from(clicks).where(_old_clicks(workspace_id, before))
    return int(conn.execute(query).scalar_one())


def delete_old_clicks(conn: Connection, workspace_id: int, before: datetime, batch: int) -> int:
    """Delete at most ``batch`` of the workspace's clicks older than ``before``; how many went."""
    ids = select(clicks.c.id).where(_old_clicks(workspace_id, before)).limit(batch)
    result = conn.execute(delete(clicks).where(clicks.c.id.in_(ids)))
    return int(result.rowcount or 0)
