"""Creator and social account rows (every query is filtered by workspace)."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from sqlalchemy import Connection, Row, insert, select, update

from perfluence.core.kpis import TierThresholds, tier_for
from perfluence.core.model import Creator, Platform, SocialAccount
from perfluence.store.post_metrics import save_follower_snapshot
from perfluence.store.tables import creators, social_accounts

Audience = Mapping[str, Mapping[str, Decimal]]


@dataclass(frozen=True, slots=True)
class CreatorRow:
    """Columns of a creator to insert or update."""

    handle: str
    name: str
    email: str | None
    country: str | None
    currency: str
    notes: str | None


@dataclass(frozen=True, slots=True)
class AccountRow:
    """Columns of a social account to insert or update."""

    platform: Platform
    handle: str
    url: str | None
    followers: int
    audience: Audience | None


def audience_to_json(audience: Audience | None) -> dict[str, dict[str, str]] | None:
    if audience is None:
        return None
    return {
        group: {key: format(share, "f") for key, share in shares.items()}
        for group, shares in audience.items()
    }


def _audience_from_json(raw: object) -> Audience:
    if not isinstance(raw, dict):
        return {}
    return {
        str(group): {str(k): Decimal(str(v)) for k, v in shares.items()}
        for group, shares in raw.items()
        if isinstance(shares, dict)
    }


def insert_creators(
    conn: Connection, workspace_id: int, rows: Sequence[CreatorRow], created_at: datetime
) -> dict[str, int]:
    """Insert creators in one statement; return their ids by handle."""
    if rows:
        conn.execute(
            insert(creators),
            [
                {
                    "workspace_id": workspace_id,
                    "handle": r.handle,
                    "name": r.name,
                    "email": r.email,
                    "country": r.country,
                    "currency": r.currency,
                    "notes": r.notes,
                    "created_at": created_at,
                }
                for r in rows
            ],
        )
    return creator_ids(conn, workspace_id, [r.handle for r in rows])


def update_creator(conn: Connection, workspace_id: int, creator_id: int, row: CreatorRow) -> None:
    conn.execute(
        update(creators)
        .where(creators.c.workspace_id == workspace_id, creators.c.id == creator_id)
        .values(
            name=row.name,
            email=row.email,
            country=row.country,
            currency=row.currency,
            notes=row.notes,
        )
    )


def insert_accounts(
    conn: Connection,
    workspace_id: int,
    rows: Sequence[tuple[int, AccountRow]],
    updated_at: datetime,
) -> None:
    """Insert ``(creator_id, account)`` pairs in one statement."""
    if not rows:
        return
    conn.execute(
        insert(social_accounts),
        [
            {
                "workspace_id": workspace_id,
                "creator_id": creator_id,
                "platform": a.platform.value,
                "handle": a.handle,
                "url": a.url,
                "followers": a.followers,
                "audience": audience_to_json(a.audience),
                "updated_at": updated_at,
            }
            for creator_id, a in rows
        ],
    )
    # Every follower count written is also a dated snapshot: growth history is
    # what the fake-follower signal in vetting reads.
    owners = account_owners(conn, workspace_id)
    for _creator_id, a in rows:
        account_id = owners[(a.platform.value, a.handle)][0]
        save_follower_snapshot(
            conn, workspace_id, account_id, updated_at.date(), a.followers, updated_at
        )


def update_account(
    conn: Connection, workspace_id: int, account_id: int, row: AccountRow, updated_at: datetime
) -> None:
    values: dict[str, object] = {"followers": row.followers, "updated_at": updated_at}
    if row.url is not None:
        values["url"] = row.url
    if row.audience is not None:
        values["audience"] = audience_to_json(row.audience)
    conn.execute(
        update(social_accounts)
        .where(social_accounts.c.workspace_id == workspace_id, social_accounts.c.id == account_id)
        .values(**values)
    )
    save_follower_snapshot(
        conn, workspace_id, account_id, updated_at.date(), row.followers, updated_at
    )


def creator_ids(
    conn: Connection, workspace_id: int, handles: Iterable[str] | None = None
) -> dict[str, int]:
    """Ids by handle: of ``handles`` when given, else of every creator in the workspace."""
    query = select(creators.c.handle, creators.c.id).where(creators.c.workspace_id == workspace_id)
    if handles is not None:
        wanted = sorted(set(handles))
        if not wanted:
            return {}
        query = query.where(creators.c.handle.in_(wanted))
    return {str(h): int(i) for h, i in conn.execute(query)}


def account_owners(conn: Connection, workspace_id: int) -> dict[tuple[str, str], tuple[int, int]]:
    """``(platform, handle) -> (account id, creator id)`` for the whole workspace."""
    query = select(
        social_accounts.c.platform,
        social_accounts.c.handle,
        social_accounts.c.id,
        social_accounts.c.creator_id,
    ).where(social_accounts.c.workspace_id == workspace_id)
    return {(str(p), str(h)): (int(i), int(c)) for p, h, i, c in conn.execute(query)}


def _to_account(row: Row[tuple[object, ...]]) -> SocialAccount:
    m = row._mapping
    return SocialAccount(
        id=m["id"],
        creator_id=m["creator_id"],
        platform=Platform(m["platform"]),
        handle=m["handle"],
        url=m["url"],
        followers=int(m["followers"]),
        audience=_audience_from_json(m["audience"]),
        updated_at=m["updated_at"],
    )


def load_creators(
    conn: Connection,
    workspace_id: int,
    thresholds: TierThresholds,
    *,
    handle: str | None = None,
    country: str | None = None,
) -> list[Creator]:
    """Creators with their accounts (two queries), ordered by handle."""
    query = select(creators).where(creators.c.workspace_id == workspace_id)
    if handle is not None:
        query = query.where(creators.c.handle == handle)
    if country is not None:
        query = query.where(creators.c.country == country)
    rows = list(conn.execute(query.order_by(creators.c.handle)))
    if not rows:
        return []
    ids = [r._mapping["id"] for r in rows]
    acc_query = select(social_accounts).where(social_accounts.c.workspace_id == workspace_id)
    if handle is not None:
        acc_query = acc_query.where(social_accounts.c.creator_id.in_(ids))
    by_creator: dict[int, list[SocialAccount]] = {}
    for acc in conn.execute(
        acc_query.order_by(social_accounts.c.platform, social_accounts.c.handle)
    ):
        account = _to_account(acc)
        by_creator.setdefault(account.creator_id, []).append(account)
    out = []
    for r in rows:
        m = r._mapping
        accounts = tuple(by_creator.get(m["id"], ()))
        out.append(
            Creator(
                id=m["id"],
                workspace_id=m["workspace_id"],
                handle=m["handle"],
                name=m["name"],
                email=m["email"],
                country=m["country"],
                currency=m["currency"],
                notes=m["notes"],
                created_at=m["created_at"],
                accounts=accounts,
                tier=tier_for(max((a.followers for a in accounts), default=0), thresholds),
            )
        )
    return out
