"""Rows of users, memberships, sessions and portal token versions."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Connection, Row, delete, func, insert, select, update

from perfluence.store.tables import (
    creators,
    memberships,
    portal_tokens,
    sessions,
    users,
    workspaces,
)


@dataclass(frozen=True, slots=True)
class UserRow:
    id: int
    email: str
    name: str
    password_hash: str
    created_at: datetime
    disabled_at: datetime | None


@dataclass(frozen=True, slots=True)
class MembershipRow:
    workspace_id: int
    workspace_slug: str
    workspace_name: str
    role: str


@dataclass(frozen=True, slots=True)
class SessionRow:
    user_id: int
    csrf_token: str
    created_at: datetime
    expires_at: datetime


def insert_user(
    conn: Connection, *, email: str, name: str, password_hash: str, created_at: datetime
) -> int:
    result = conn.execute(
        insert(users).values(
            email=email, name=name, password_hash=password_hash, created_at=created_at
        )
    )
    pk = result.inserted_primary_key
    assert pk is not None
    return int(pk[0])


def _user(row: Row[tuple[object, ...]]) -> UserRow:
    m = row._mapping
    return UserRow(
        id=m["id"],
        email=m["email"],
        name=m["name"],
        password_hash=m["password_hash"],
        created_at=m["created_at"],
        disabled_at=m["disabled_at"],
    )


def find_user_by_email(conn: Connection, email: str) -> UserRow | None:
    row = conn.execute(select(users).where(users.c.email == email)).first()
    return None if row is None else _user(row)


def find_user(conn: Connection, user_id: int) -> UserRow | None:
    row = conn.execute(select(users).where(users.c.id == user_id)).first()
    return None if row is None else _user(row)


def all_users(conn: Connection) -> list[UserRow]:
    return [_user(r) for r in conn.execute(select(users).order_by(users.c.email))]


def set_password_hash(conn: Connection, user_id: int, password_hash: str) -> None:
    conn.execute(update(users).where(users.c.id == user_id).values(password_hash=password_hash))


def upsert_membership(
    conn: Connection, *, user_id: int, workspace_id: int, role: str, at: datetime
) -> None:
    found = conn.execute(
        select(memberships.c.id).where(
            memberships.c.user_id == user_id, memberships.c.workspace_id == workspace_id
        )
    ).first()
    if found is None:
        conn.execute(
            insert(memberships).values(
                user_id=user_id, workspace_id=workspace_id, role=role, created_at=at
            )
        )
    else:
        conn.execute(update(memberships).where(memberships.c.id == found[0]).values(role=role))


def membership_role(conn: Connection, user_id: int, workspace_id: int) -> str | None:
    row = conn.execute(
        select(memberships.c.role).where(
            memberships.c.user_id == user_id, memberships.c.workspace_id == workspace_id
        )
    ).first()
    return None if row is None else str(row[0])


def memberships_of(conn: Connection, user_id: int) -> list[MembershipRow]:
    query = (
        select(workspaces.c.id, workspaces.c.slug, workspaces.c.name, memberships.c.role)
        .join(workspaces, workspaces.c.id == memberships.c.workspace_id)
        .where(memberships.c.user_id == user_id)
        .order_by(workspaces.c.slug)
    )
    return [MembershipRow(r[0], r[1], r[2], r[3]) for r in conn.execute(query)]


def insert_session(
    conn: Connection,
    *,
    id_hash: str,
    user_id: int,
    csrf_token: str,
    created_at: datetime,
    expires_at: datetime,
) -> None:
    conn.execute(
        insert(sessions).values(
            id_hash=id_hash,
            user_id=user_id,
            csrf_token=csrf_token,
            created_at=created_at,
            expires_at=expires_at,
        )
    )


def find_session(conn: Connection, id_hash: str) -> SessionRow | None:
    row = conn.execute(
        select(
            sessions.c.user_id,
            sessions.c.csrf_token,
            sessions.c.created_at,
            sessions.c.expires_at,
        ).where(sessions.c.id_hash == id_hash)
    ).first()
    return None if row is None else SessionRow(row[0], row[1], row[2], row[3])


def delete_session(conn: Connection, id_hash: str) -> None:
    conn.execute(delete(sessions).where(sessions.c.id_hash == id_hash))


def delete_expired_sessions(conn: Connection, now: datetime) -> int:
    return int(conn.execute(delete(sessions).where(sessions.c.expires_at <= now)).rowcount or 0)


def count_expired_sessions(conn: Connection, now: datetime) -> int:
    query = select(func.count()).select_from(sessions).where(sessions.c.expires_at <= now)
    return int(conn.execute(query).scalar_one())


def portal_version(conn: Connection, creator_id: int) -> int:
    row = conn.execute(
        select(portal_tokens.c.version).where(portal_tokens.c.creator_id == creator_id)
    ).first()
    return 0 if row is None else int(row[0])


def bump_portal_version(conn: Connection, creator_id: int, at: datetime) -> int:
    current = portal_version(conn, creator_id)
    if current == 0:
        conn.execute(insert(portal_tokens).values(creator_id=creator_id, version=1, updated_at=at))
    else:
        conn.execute(
            update(portal_tokens)
            .where(portal_tokens.c.creator_id == creator_id)
            .values(version=current + 1, updated_at=at)
        )
    return current + 1


def delete_sessions_of(conn: Connection, user_id: int) -> None:
    conn.execute(delete(sessions).where(sessions.c.user_id == user_id))


def creator_id(conn: Connection, workspace_id: int, handle: str) -> int | None:
    row = conn.execute(
        select(creators.c.id).where(
            creators.c.workspace_id == workspace_id, creators.c.handle == handle
        )
    ).first()
    return None if row is None else int(row[0])


def creator_handle(conn: Connection, workspace_id: int, creator_id: int) -> str | None:
    row = conn.execute(
        select(creators.c.handle).where(
            creators.c.workspace_id == workspace_id, creators.c.id == creator_id
        )
    ).first()
    return None if row is None else str(row[0])


def workspace_slug(conn: Connection, workspace_id: int) -> str | None:
    row = conn.execute(select(workspaces.c.slug).where(workspaces.c.id == workspace_id)).first()
    return None if row is None else str(row[0])
