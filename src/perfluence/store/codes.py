"""Discount code rows (every query filtered by workspace; ``code_key`` is the upper-cased code)."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, Select, insert, select

from perfluence.core.codes import code_key
from perfluence.core.model import DiscountCode
from perfluence.store.tables import campaigns, creators, discount_codes, partnerships


@dataclass(frozen=True, slots=True)
class CodeRow:
    partnership_id: int
    code: str
    description: str | None


def insert_codes(
    conn: Connection, workspace_id: int, rows: Sequence[CodeRow], created_at: datetime
) -> None:
    if not rows:
        return
    conn.execute(
        insert(discount_codes),
        [
            {
                "workspace_id": workspace_id,
                "partnership_id": r.partnership_id,
                "code": r.code,
                "code_key": code_key(r.code),
                "description": r.description,
                "created_at": created_at,
            }
            for r in rows
        ],
    )


def existing_keys(conn: Connection, workspace_id: int, keys: Collection[str]) -> set[str]:
    """Which of ``keys`` the workspace already uses."""
    found: set[str] = set()
    wanted = list(keys)
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        query = select(discount_codes.c.code_key).where(
            discount_codes.c.workspace_id == workspace_id, discount_codes.c.code_key.in_(chunk)
        )
        found.update(str(k) for k in conn.execute(query).scalars())
    return found


def _select_codes() -> Select[Any]:
    return (
        select(
            discount_codes,
            campaigns.c.slug.label("campaign_slug"),
            creators.c.handle.label("creator_handle"),
        )
        .join(partnerships, partnerships.c.id == discount_codes.c.partnership_id)
        .join(campaigns, campaigns.c.id == partnerships.c.campaign_id)
        .join(creators, creators.c.id == partnerships.c.creator_id)
    )


def _to_code(row: Row[Any]) -> DiscountCode:
    m = row._mapping
    return DiscountCode(
        id=m["id"],
        workspace_id=m["workspace_id"],
        partnership_id=m["partnership_id"],
        campaign_slug=m["campaign_slug"],
        creator_handle=m["creator_handle"],
        code=m["code"],
        description=m["description"],
        created_at=m["created_at"],
    )


def find_code(conn: Connection, workspace_id: int, code: str) -> DiscountCode | None:
    row = conn.execute(
        _select_codes().where(
            discount_codes.c.workspace_id == workspace_id,
            discount_codes.c.code_key == code_key(code),
        )
    ).first()
    return None if row is None else _to_code(row)


def list_codes(
    conn: Connection,
    workspace_id: int,
    *,
    campaign_slug: str | None = None,
    creator_handle: str | None = None,
) -> list[DiscountCode]:
    query = _select_codes().where(discount_codes.c.workspace_id == workspace_id)
    if campaign_slug is not None:
        query = query.where(campaigns.c.slug == campaign_slug)
    if creator_handle is not None:
        query = query.where(creators.c.handle == creator_handle)
    query = query.order_by(campaigns.c.slug, creators.c.handle, discount_codes.c.code_key)
    return [_to_code(r) for r in conn.execute(query)]
