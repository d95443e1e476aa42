"""Webhook endpoint rows: one signing secret per workspace and shop platform."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Row, delete, insert, select, update

from perfluence.store.tables import webhook_endpoints


@dataclass(frozen=True, slots=True)
class WebhookEndpointRow:
    workspace_id: int
    source: str
    secret: str
    created_at: datetime
    rotated_at: datetime | None

    def __repr__(self) -> str:
        # A row may end up in a log line or a traceback; the secret must not.
        return f"WebhookEndpointRow(workspace_id={self.workspace_id}, source={self.source!r})"


def _to_row(row: Row[tuple[object, ...]]) -> WebhookEndpointRow:
    m = row._mapping
    return WebhookEndpointRow(
        workspace_id=m["workspace_id"],
        source=m["source"],
        secret=m["secret"],
        created_at=m["created_at"],
        rotated_at=m["rotated_at"],
    )


def find_endpoint(conn: Connection, workspace_id: int, source: str) -> WebhookEndpointRow | None:
    row = conn.execute(
        select(webhook_endpoints).where(
            webhook_endpoints.c.workspace_id == workspace_id,
            webhook_endpoints.c.source == source,
        )
    ).first()
    return None if row is None else _to_row(row)


def workspace_endpoints(conn: Connection, workspace_id: int) -> list[WebhookEndpointRow]:
    rows = conn.execute(
        select(webhook_endpoints)
        .where(webhook_endpoints.c.workspace_id == workspace_id)
        .order_by(webhook_endpoints.c.source)
    )
    return [_to_row(r) for r in rows]


def insert_endpoint(
    conn: Connection, *, workspace_id: int, source: str, secret: str, created_at: datetime
) -> None:
    conn.execute(
        insert(webhook_endpoints).values(
            workspace_id=workspace_id, source=source, secret=secret, created_at=created_at
        )
    )


def replace_secret(
    conn: Connection, *, workspace_id: int, source: str, secret: str, rotated_at: datetime
) -> None:
    conn.execute(
        update(webhook_endpoints)
        .where(
            webhook_endpoints.c.workspace_id == workspace_id,
            webhook_endpoints.c.source == source,
        )
        .values(secret=secret, rotated_at=rotated_at)
    )


def delete_endpoint(conn: Connection, workspace_id: int, source: str) -> bool:
    result = conn.execute(
        delete(webhook_endpoints).where(
            webhook_endpoints.c.workspace_id == workspace_id,
            webhook_endpoints.c.source == source,
        )
    )
    return result.rowcount > 0
