"""Conversion rows, their credit and the evidence attribution reads (every query per workspace).

Conversions are append-only. The one update is ``link_refund``: a refund that
arrived before its sale points at nothing (``reverses_id`` empty) until the
sale is stored, and then gets the sale's id and attribution.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, Row, String, cast, func, insert, select, update

from perfluence.core.model import NormalisedLine
from perfluence.core.money import Money
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.store.tables import (
    conversion_credits,
    conversions,
    payout_lines,
    workspaces,
)

_IN_CHUNK = 1_000


def flags_of(value: object) -> tuple[str, ...]:
    """Stored flags as names; older rows may hold ``{name: true}`` instead of a list."""
    if isinstance(value, list):
        return tuple(str(v) for v in value)
    if isinstance(value, dict):
        return tuple(str(k) for k, v in value.items() if v)
    return ()


def workspace_currency(conn: Connection, workspace_id: int) -> str:
    row = conn.execute(
        select(workspaces.c.default_currency).where(workspaces.c.id == workspace_id)
    ).first()
    if row is None:
        raise PerfluenceError(ErrorCode.NOT_FOUND, f"workspace {workspace_id} not found")
    return str(row[0])


def lines_json(lines: Sequence[NormalisedLine]) -> list[dict[str, object]] | None:
    """The ``lines`` column: order lines with integer minor units; ``None`` for none."""
    if not lines:
        return None
    return [
        {
            "product_id": ln.product_id,
            "sku": ln.sku,
            "quantity": ln.quantity,
            "amount_minor": ln.amount.minor_units,
            "currency": ln.amount.currency,
        }
        for ln in lines
    ]


def lines_of(value: object) -> tuple[NormalisedLine, ...]:
    """Stored order lines back as values; anything unreadable counts as no lines."""
    if not isinstance(value, list):
        return ()
    out = []
    for item in value:
        if not isinstance(item, dict) or not isinstance(item.get("amount_minor"), int):
            return ()
        product, sku = item.get("product_id"), item.get("sku")
        out.append(
            NormalisedLine(
                product_id=None if product is None else str(product),
                sku=None if sku is None else str(sku),
                quantity=int(item.get("quantity") or 0),
                amount=Money.from_minor(item["amount_minor"], str(item.get("currency"))),
            )
        )
    return tuple(out)


# --- writing ------------------------------------------------------------------------


def insert_conversion(conn: Connection, row: Mapping[str, Any]) -> int:
    pk = conn.execute(insert(conversions).values(**row)).inserted_primary_key
    assert pk is not None
    return int(pk[0])


@dataclass(frozen=True, slots=True)
class Credit:
    partnership_id: int
    share: Decimal
    amount: Money


def insert_credits(
    conn: Connection, workspace_id: int, conversion_id: int, credits: Sequence[Credit]
) -> None:
    insert_many_credits(conn, workspace_id, [(conversion_id, c) for c in credits])


def insert_many_credits(
    conn: Connection, workspace_id: int, credits: Sequence[tuple[int, Credit]]
) -> None:
    """``(conversion id, credit)`` pairs in one statement (bulk loads write thousands)."""
    if not credits:
        return
    conn.execute(
        insert(conversion_credits),
        [
            {
                "conversion_id": conversion_id,
                "partnership_id": c.partnership_id,
                "workspace_id": workspace_id,
                "share": c.share,
                "amount_minor": c.amount.minor_units,
                "currency": c.amount.currency,
            }
            for conversion_id, c in credits
        ],
    )


def credits_of(conn: Connection, workspace_id: int, conversion_id: int) -> list[Credit]:
    query = (
        select(conversion_credits)
        .where(
            conversion_credits.c.workspace_id == workspace_id,
            conversion_credits.c.conversion_id == conversion_id,
        )
        .order_by(conversion_credits.c.partnership_id)
    )
    return [
        Credit(r.partnership_id, r.share, Money.from_minor(int(r.amount_minor), r.currency))
        for r in conn.execute(query)
    ]


def link_refund(
    conn: Connection, workspace_id: int, refund_id: int, values: Mapping[str, Any]
) -> None:
    """Point a refund stored before its sale at that sale (see the module docstring)."""
    conn.execute(
        update(conversions)
        .where(
            conversions.c.workspace_id == workspace_id,
            conversions.c.id == refund_id,
            conversions.c.reverses_id.is_(None),
        )
        .values(**values)
    )


# --- stored conversions -------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredConversion:
    """A stored conversion as ingest reads it back (a sale a refund reverses)."""

    id: int
    kind: str
    source: str
    external_id: str
    occurred_at: datetime
    amount: Money
    gross_amount: Money | None
    status: str
    partnership_id: int | None
    link_id: int | None
    click_id: str | None
    code: str | None
    customer_ref: str | None
    country: str | None
    attribution_method: str | None
    flags: tuple[str, ...]
    reverses_id: int | None
    reverses_external_id: str | None
    lines: tuple[NormalisedLine, ...] = ()


def _stored(row: Row[Any]) -> StoredConversion:
    m = row._mapping
    cur = m["currency"]
    gross = m["gross_amount_minor"]
    return StoredConversion(
        id=int(m["id"]),
        kind=m["kind"],
        source=m["source"],
        external_id=m["external_id"],
        occurred_at=m["occurred_at"],
        amount=Money.from_minor(int(m["amount_minor"]), cur),
        gross_amount=None if gross is None else Money.from_minor(int(gross), cur),
        status=m["status"],
        partnership_id=m["partnership_id"],
        link_id=m["link_id"],
        click_id=m["click_id"],
        code=m["code"],
        customer_ref=m["customer_ref"],
        country=m["country"],
        attribution_method=m["attribution_method"],
        flags=flags_of(m["flags"]),
        reverses_id=m["reverses_id"],
        reverses_external_id=m["reverses_external_id"],
        lines=lines_of(m["lines"]),
    )


def find_sale(
    conn: Connection, workspace_id: int, source: str, external_id: str
) -> StoredConversion | None:
    """The sale (or, failing that, the lead) a refund names by its external id."""
    query = (
        select(conversions)
        .where(
            conversions.c.workspace_id == workspace_id,
            conversions.c.source == source,
            conversions.c.external_id == external_id,
            conversions.c.kind.in_(("sale", "lead")),
        )
        .order_by(conversions.c.kind.desc())  # "sale" before "lead"
    )
    row = conn.execute(query).first()
    return None if row is None else _stored(row)


def find_sale_by_payment(
    conn: Connection, workspace_id: int, payment_ref: str
) -> StoredConversion | None:
    query = (
        select(conversions)
        .where(
            conversions.c.workspace_id == workspace_id,
            conversions.c.payment_ref == payment_ref,
            conversions.c.kind == "sale",
        )
        .order_by(conversions.c.id)
    )
    row = conn.execute(query).first()
    return None if row is None else _stored(row)


def refunded_minor(
    conn: Connection, workspace_id: int, sale_id: int, before_id: int | None = None
) -> int:
    """What refunds of a sale (stored before ``before_id``) returned, rejected ones left out."""
    query = select(func.coalesce(func.sum(conversions.c.amount_minor), 0)).where(
        conversions.c.workspace_id == workspace_id,
        conversions.c.kind == "refund",
        conversions.c.reverses_id == sale_id,
        conversions.c.status != "rejected",
    )
    if before_id is not None:
        query = query.where(conversions.c.id < before_id)
    return int(conn.execute(query).scalar_one())


def refunded_gross_minor(conn: Connection, workspace_id: int, sale_id: int) -> int:
    """Money the refunds of a sale returned to the customer (their gross, else their amount)."""
    query = select(
        func.coalesce(
            func.sum(func.coalesce(conversions.c.gross_amount_minor, conversions.c.amount_minor)),
            0,
        )
    ).where(
        conversions.c.workspace_id == workspace_id,
        conversions.c.kind == "refund",
        conversions.c.reverses_id == sale_id,
    )
    return int(conn.execute(query).scalar_one())


def orphan_refunds(
    conn: Connection, workspace_id: int, source: str, sale_external_id: str
) -> list[StoredConversion]:
    """Refunds stored before the sale they name, oldest first."""
    query = (
        select(conversions)
        .where(
            conversions.c.workspace_id == workspace_id,
            conversions.c.source == source,
            conversions.c.kind == "refund",
            conversions.c.reverses_external_id == sale_external_id,
            conversions.c.reverses_id.is_(None),
        )
        .order_by(conversions.c.id)
    )
    return [_stored(r) for r in conn.execute(query)]


def conversion_by_id(
    conn: Connection, workspace_id: int, conversion_id: int
) -> StoredConversion | None:
    row = conn.execute(
        select(conversions).where(
            conversions.c.workspace_id == workspace_id, conversions.c.id == conversion_id
        )
    ).first()
    return None if row is None else _stored(row)


def flagged(conn: Connection, workspace_id: int, flag: str) -> list[int]:
    """Ids of the workspace's conversions carrying ``flag``, in id order."""
    query = (
        select(conversions.c.id, conversions.c.flags)
        .where(
            conversions.c.workspace_id == workspace_id,
            cast(conversions.c.flags, String).like(f"%{flag}%"),
        )
        .order_by(conversions.c.id)
    )
    return [int(r.id) for r in conn.execute(query) if flag in flags_of(r.flags)]


def has_lines(conn: Connection, workspace_id: int, conversion_id: int, partnership_id: int) -> bool:
    query = select(payout_lines.c.id).where(
        payout_lines.c.workspace_id == workspace_id,
        payout_lines.c.conversion_id == conversion_id,
        payout_lines.c.partnership_id == partnership_id,
    )
    return conn.execute(query.limit(1)).first() is not None


# --- the ledger a conversion wrote -------------------------------------------------


@dataclass(frozen=True, slots=True)
class LedgerSums:
    amount: Money
    basis: Money


def ledger_sums(
    conn: Connection,
    workspace_id: int,
    partnership_id: int,
    conversion_ids: Collection[int],
    kinds: Collection[str],
    currency: str,
) -> LedgerSums:
    """Sum of amounts and bases of these conversions' lines of ``kinds`` for a partnership."""
    zero = Money.zero(currency)
    if not conversion_ids:
        return LedgerSums(zero, zero)
    query = select(
        func.coalesce(func.sum(payout_lines.c.amount_minor), 0),
        func.coalesce(func.sum(payout_lines.c.basis_minor), 0),
    ).where(
        payout_lines.c.workspace_id == workspace_id,
        payout_lines.c.partnership_id == partnership_id,
        payout_lines.c.conversion_id.in_(sorted(conversion_ids)),
        payout_lines.c.kind.in_(sorted(kinds)),
        payout_lines.c.currency == currency,
    )
    amount, basis = conn.execute(query).one()
    return LedgerSums(
        Money.from_minor(int(amount), currency), Money.from_minor(int(basis), currency)
    )


def refund_ids(
    conn: Connection, workspace_id: int, sale_id: int, before_id: int | None = None
) -> list[int]:
    """Refunds of a sale (stored before refund ``before_id``)."""
    query = select(conversions.c.id).where(
        conversions.c.workspace_id == workspace_id,
        conversions.c.reverses_id == sale_id,
        conversions.c.kind == "refund",
    )
    if before_id is not None:
        query = query.where(conversions.c.id < before_id)
    return [int(i) for i in conn.execute(query).scalars()]
