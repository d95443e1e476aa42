"""Finding and erasing a customer's identifiers; the money of their conversions stays.

Every query is filtered by workspace. Erasing changes identifier columns only:
amounts, currencies, credits, ledger lines and rollups are never touched, so
every report and payout adds up to the same figures afterwards.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Collection, Iterator, Mapping, Sequence
from typing import Final, TypeVar

from sqlalchemy import Connection, or_, select, update

from perfluence.store.tables import clicks, conversions

_IN_CHUNK: Final = 500
TOMBSTONE_PREFIX: Final = "forgotten"
_T = TypeVar("_T", str, int)


def _chunks(values: Collection[_T]) -> Iterator[list[_T]]:
    ordered = sorted(values)
    for start in range(0, len(ordered), _IN_CHUNK):
        yield ordered[start : start + _IN_CHUNK]


def conversions_matching(
    conn: Connection, workspace_id: int, refs: Collection[str], orders: Collection[str]
) -> set[int]:
    """Conversions of these customer refs, or whose order, payment or external id is given."""
    found: set[int] = set()
    for chunk in _chunks(refs):
        query = select(conversions.c.id).where(
            conversions.c.workspace_id == workspace_id, conversions.c.customer_ref.in_(chunk)
        )
        found.update(int(i) for i in conn.execute(query).scalars())
    for chunk in _chunks(orders):
        query = select(conversions.c.id).where(
            conversions.c.workspace_id == workspace_id,
            or_(
                conversions.c.external_id.in_(chunk),
                conversions.c.order_ref.in_(chunk),
                conversions.c.payment_ref.in_(chunk),
            ),
        )
        found.update(int(i) for i in conn.execute(query).scalars())
    return found


def customer_refs_of(conn: Connection, workspace_id: int, ids: Collection[int]) -> set[str]:
    refs: set[str] = set()
    for chunk in _chunks(ids):
        query = select(conversions.c.customer_ref).where(
            conversions.c.workspace_id == workspace_id,
            conversions.c.id.in_(chunk),
            conversions.c.customer_ref.is_not(None),
        )
        refs.update(str(r) for r in conn.execute(query).scalars())
    return refs


def reversal_partners(conn: Connection, workspace_id: int, ids: Collection[int]) -> set[int]:
    """Refunds that reverse these conversions and the sales these refunds reverse."""
    found: set[int] = set()
    for chunk in _chunks(ids):
        refunds = select(conversions.c.id).where(
            conversions.c.workspace_id == workspace_id, conversions.c.reverses_id.in_(chunk)
        )
        sales = select(conversions.c.reverses_id).where(
            conversions.c.workspace_id == workspace_id,
            conversions.c.id.in_(chunk),
            conversions.c.reverses_id.is_not(None),
        )
        found.update(int(i) for i in conn.execute(refunds).scalars())
        found.update(int(i) for i in conn.execute(sales).scalars())
    return found


def carried_click_ids(conn: Connection, workspace_id: int, ids: Collection[int]) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(ids):
        query = select(conversions.c.click_id).where(
            conversions.c.workspace_id == workspace_id,
            conversions.c.id.in_(chunk),
            conversions.c.click_id.is_not(None),
        )
        found.update(str(c) for c in conn.execute(query).scalars())
    return found


def visitor_hashes_of_clicks(
    conn: Connection, workspace_id: int, click_ids: Collection[str]
) -> set[str]:
    found: set[str] = set()
    for chunk in _chunks(click_ids):
        query = select(clicks.c.visitor_hash).where(
            clicks.c.workspace_id == workspace_id, clicks.c.click_id.in_(chunk)
        )
        found.update(str(h) for h in conn.execute(query).scalars())
    return found


def clicks_of_visitors(conn: Connection, workspace_id: int, hashes: Collection[str]) -> list[int]:
    """Row ids of every click these visitor hashes made in the workspace."""
    found: list[int] = []
    for chunk in _chunks(hashes):
        query = select(clicks.c.id).where(
            clicks.c.workspace_id == workspace_id, clicks.c.visitor_hash.in_(chunk)
        )
        found.extend(int(i) for i in conn.execute(query).scalars())
    return sorted(found)


def conversion_tombstone(conversion_id: int) -> str:
    """What an erased order id becomes: unique (the idempotency key stays unique), and no one's."""
    return f"{TOMBSTONE_PREFIX}:{conversion_id}"


def order_identifiers(conn: Connection, workspace_id: int, ids: Collection[int]) -> dict[str, str]:
    """Each external, order, payment or reversed id of these conversions -> its tombstone."""
    found: dict[str, str] = {}
    columns = (
        conversions.c.external_id,
        conversions.c.order_ref,
        conversions.c.payment_ref,
        conversions.c.reverses_external_id,
    )
    for chunk in _chunks(ids):
        query = select(conversions.c.id, *columns).where(
            conversions.c.workspace_id == workspace_id, conversions.c.id.in_(chunk)
        )
        for conversion_id, *values in conn.execute(query):
            for value in values:
                if value:
                    found.setdefault(str(value), conversion_tombstone(int(conversion_id)))
    return found


def rewrite_reasons(conn: Connection, workspace_id: int, replacements: Mapping[str, str]) -> int:
    """Attribution reasons quote order ids ("refund of sale 1001"): put the tombstones there.

    Matched as whole tokens, so erasing order ``1001`` leaves ``1001.00 DKK`` alone.
    """
    changed: dict[int, str] = {}
    for identifier, tombstone in sorted(replacements.items()):
        token = re.compile(rf"(?<![\w.:-]){re.escape(identifier)}(?![\w.-])")
        query = select(conversions.c.id, conversions.c.attribution_reason).where(
            conversions.c.workspace_id == workspace_id,
            conversions.c.attribution_reason.contains(identifier, autoescape=True),
        )
        for conversion_id, reason in conn.execute(query):
            current = changed.get(int(conversion_id), str(reason))
            rewritten = token.sub(tombstone, current)
            if rewritten != current:
                changed[int(conversion_id)] = rewritten
    for conversion_id, reason in sorted(changed.items()):
        conn.execute(
            update(conversions)
            .where(conversions.c.id == conversion_id)
            .values(attribution_reason=reason)
        )
    return len(changed)


def erase_conversion_identifiers(conn: Connection, workspace_id: int, ids: Sequence[int]) -> int:
    """Drop the customer and order identifiers of these conversions; money and credit stay."""
    for conversion_id in ids:
        conn.execute(
            update(conversions)
            .where(conversions.c.workspace_id == workspace_id, conversions.c.id == conversion_id)
            .values(
                external_id=conversion_tombstone(conversion_id),
                customer_ref=None,
                order_ref=None,
                payment_ref=None,
                reverses_external_id=None,
            )
        )
    return len(ids)


def unlink_clicks(conn: Connection, workspace_id: int, click_row_ids: Sequence[int]) -> int:
    """Give each click a visitor hash of its own that matches no one (not even each other)."""
    for row_id in click_row_ids:
        # 64 characters like a real hash, but marked, and random: no two clicks link up.
        tombstone = f"{TOMBSTONE_PREFIX}-{secrets.token_hex(27)}"
        conn.execute(
            update(clicks)
            .where(clicks.c.workspace_id == workspace_id, clicks.c.id == row_id)
            .values(visitor_hash=tombstone)
        )
    return len(click_row_ids)
