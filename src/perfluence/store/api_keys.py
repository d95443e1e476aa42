"""API key rows: the public prefix and the SHA-256 of the whole key, never the key."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Row, Select, insert, select, update

from perfluence.store.tables import api_keys, workspaces


@dataclass(frozen=True, slots=True)
class ApiKeyRow:
    id: int
    workspace_id: int
    workspace_slug: str
    name: str
    prefix: str
    key_hash: str
    scopes: tuple[str, ...]
    created_at: datetime
    revoked_at: datetime | None


def _to_row(row: Row[tuple[object, ...]]) -> ApiKeyRow:
    m = row._mapping
    scopes = m["scopes"]
    return ApiKeyRow(
        id=m["id"],
        workspace_id=m["workspace_id"],
        workspace_slug=m["slug"],
        name=m["name"],
        prefix=m["prefix"],
        key_hash=m["key_hash"],
        scopes=tuple(str(s) for s in scopes) if isinstance(scopes, list) else (),
        created_at=m["created_at"],
        revoked_at=m["revoked_at"],
    )


def _select() -> Select[tuple[object, ...]]:
    return select(api_keys, workspaces.c.slug).join(
        workspaces, workspaces.c.id == api_keys.c.workspace_id
    )


def insert_api_key(
    conn: Connection,
    *,
    workspace_id: int,
    name: str,
    prefix: str,
    key_hash: str,
    scopes: Sequence[str],
    created_at: datetime,
) -> int:
    result = conn.execute(
        insert(api_keys).values(
            workspace_id=workspace_id,
            name=name,
            prefix=prefix,
            key_hash=key_hash,
            scopes=list(scopes),
            created_at=created_at,
        )
    )
    pk = result.inserted_primary_key
    assert pk is not None
    return int(pk[0])


def prefix_taken(conn: Connection, prefix: str) -> bool:
    """Whether any key (any workspace, revoked too) already has this prefix."""
    found = conn.execute(select(api_keys.c.id).where(api_keys.c.prefix == prefix)).first()
    return found is not None


def keys_with_prefix(conn: Connection, prefix: str) -> list[ApiKeyRow]:
    """Every key with this prefix, across workspaces (at most one: prefixes are minted unique)."""
    rows = conn.execute(_select().where(api_keys.c.prefix == prefix).order_by(api_keys.c.id))
    return [_to_row(r) for r in rows]


def workspace_keys(conn: Connection, workspace_id: int) -> list[ApiKeyRow]:
    rows = conn.execute(
        _select().where(api_keys.c.workspace_id == workspace_id).order_by(api_keys.c.id)
    )
    return [_to_row(r) for r in rows]


def find_workspace_key(conn: Connection, workspace_id: int, prefix: str) -> ApiKeyRow | None:
    row = conn.execute(
        _select().where(api_keys.c.workspace_id == workspace_id, api_keys.c.prefix == prefix)
    ).first()
    return None if row is None else _to_row(row)


def revoke_key(conn: Connection, key_id: int, revoked_at: datetime) -> None:
    conn.execute(
        update(api_keys)
        .where(api_keys.c.id == key_id, api_keys.c.revoked_at.is_(None))
        .values(revoked_at=revoked_at)
    )
