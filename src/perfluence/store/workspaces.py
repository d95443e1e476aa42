"""Workspace rows."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Row, insert, select, update

from perfluence.core.model import Workspace
from perfluence.store.tables import workspaces


def _to_workspace(row: Row[tuple[object, ...]]) -> Workspace:
    m = row._mapping
    return Workspace(
        id=m["id"],
        slug=m["slug"],
        name=m["name"],
        default_currency=m["default_currency"],
        default_language=m["default_language"],
        fallback_url=m["fallback_url"],
        created_at=m["created_at"],
    )


def insert_workspace(
    conn: Connection,
    *,
    slug: str,
    name: str,
    default_currency: str,
    default_language: str,
    fallback_url: str | None,
    created_at: datetime,
) -> int:
    result = conn.execute(
        insert(workspaces).values(
            slug=slug,
            name=name,
            default_currency=default_currency,
            default_language=default_language,
            fallback_url=fallback_url,
            created_at=created_at,
        )
    )
    pk = result.inserted_primary_key
    assert pk is not None
    return int(pk[0])


def find_workspace(conn: Connection, slug: str) -> Workspace | None:
    row = conn.execute(select(workspaces).where(workspaces.c.slug == slug)).first()
    return None if row is None else _to_workspace(row)


def all_workspaces(conn: Connection) -> list[Workspace]:
    return [_to_workspace(r) for r in conn.execute(select(workspaces).order_by(workspaces.c.slug))]


def set_fallback_url(conn: Connection, workspace_id: int, url: str | None) -> None:
    conn.execute(update(workspaces).where(workspaces.c.id == workspace_id).values(fallback_url=url))
