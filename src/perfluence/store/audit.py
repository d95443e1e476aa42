"""Rows of the audit log: who did what to which subject, when. Appended, never updated."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, func, insert, select

from perfluence.store.tables import audit_log, workspaces


@dataclass(frozen=True, slots=True)
class AuditRow:
    id: int
    workspace_slug: str | None
    actor: str
    action: str
    subject: str
    details: Mapping[str, Any]
    created_at: datetime


def insert_entry(
    conn: Connection,
    *,
    workspace_id: int | None,
    actor: str,
    action: str,
    subject: str,
    details: Mapping[str, Any],
    at: datetime,
) -> None:
    conn.execute(
        insert(audit_log).values(
            workspace_id=workspace_id,
            actor=actor[:100],
            action=action[:60],
            subject=subject[:100],
            details=dict(details),
            created_at=at,
        )
    )


def entries(
    conn: Connection,
    *,
    workspace_id: int | None = None,
    action: str | None = None,
    subject: str | None = None,
    limit: int = 50,
) -> list[AuditRow]:
    """The newest entries first, filtered by workspace, action (a prefix) and subject."""
    query = select(
        audit_log.c.id,
        workspaces.c.slug,
        audit_log.c.actor,
        audit_log.c.action,
        audit_log.c.subject,
        audit_log.c.details,
        audit_log.c.created_at,
    ).outerjoin(workspaces, workspaces.c.id == audit_log.c.workspace_id)
    if workspace_id is not None:
        query = query.where(audit_log.c.workspace_id == workspace_id)
    if action is not None:
        query = query.where(audit_log.c.action.startswith(action, autoescape=True))
    if subject is not None:
        query = query.where(audit_log.c.subject == subject)
    query = query.order_by(audit_log.c.created_at.desc(), audit_log.c.id.desc()).limit(limit)
    return [
        AuditRow(int(r[0]), r[1], r[2], r[3], r[4], r[5] or {}, r[6]) for r in conn.execute(query)
    ]


def delete_older_than(conn: Connection, before: datetime, batch: int) -> int:
    """Delete at most ``batch`` entries created before ``before``; returns how many went."""
    ids = list(
        conn.execute(select(audit_log.c.id).where(audit_log.c.created_at < before).limit(batch))
        .scalars()
        .all()
    )
    if ids:
        conn.execute(delete(audit_log).where(audit_log.c.id.in_(ids)))
    return len(ids)


def count_older_than(conn: Connection, before: datetime) -> int:
    query = select(func.count()).select_from(audit_log).where(audit_log.c.created_at < before)
    return int(conn.execute(query).scalar_one())
