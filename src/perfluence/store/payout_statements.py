"""Payout statements (``payouts``) and the ledger lines they hold.

A statement row changes only its status (pending -> approved -> paid) and,
when carried, which statement took its balance over. Writing one claims its
ledger lines: the one update a line ever gets (see ``store.payouts``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import Connection, Row, Select, insert, select, update

from perfluence.core.money import Money
from perfluence.core.payouts import LedgerEntry
from perfluence.core.statements import Statement, StatementStatus
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.store.payouts import ledger_row
from perfluence.store.tables import campaigns, creators, partnerships, payout_lines, payouts


@dataclass(frozen=True, slots=True)
class StatementRow:
    id: int
    creator_id: int
    creator_handle: str
    period_start: date
    period_end: date
    total: Money
    carried_in: Money
    fx_rate_date: date | None
    status: StatementStatus
    created_at: datetime
    approved_at: datetime | None
    paid_at: datetime | None
    carried_into_id: int | None


def _statement_select() -> Select[tuple[object, ...]]:
    return select(payouts, creators.c.handle).join(creators, creators.c.id == payouts.c.creator_id)


def _statement(row: Row[tuple[object, ...]]) -> StatementRow:
    m = row._mapping
    cur = m["currency"]
    return StatementRow(
        id=int(m["id"]),
        creator_id=int(m["creator_id"]),
        creator_handle=m["handle"],
        period_start=m["period_start"],
        period_end=m["period_end"],
        total=Money.from_minor(int(m["total_minor"]), cur),
        carried_in=Money.from_minor(int(m["carried_in_minor"]), cur),
        fx_rate_date=m["fx_rate_date"],
        status=StatementStatus(m["status"]),
        created_at=m["created_at"],
        approved_at=m["approved_at"],
        paid_at=m["paid_at"],
        carried_into_id=m["carried_into_id"],
    )


def list_statements(
    conn: Connection,
    workspace_id: int,
    *,
    creator_id: int | None = None,
    statement_id: int | None = None,
    status: StatementStatus | None = None,
) -> list[StatementRow]:
    query = _statement_select().where(payouts.c.workspace_id == workspace_id)
    if creator_id is not None:
        query = query.where(payouts.c.creator_id == creator_id)
    if statement_id is not None:
        query = query.where(payouts.c.id == statement_id)
    if status is not None:
        query = query.where(payouts.c.status == status.value)
    rows = conn.execute(query.order_by(payouts.c.period_end, creators.c.handle, payouts.c.id))
    return [_statement(r) for r in rows]


def overlapping(conn: Connection, creator_id: int, start: date, end: date) -> StatementRow | None:
    query = _statement_select().where(
        payouts.c.creator_id == creator_id,
        payouts.c.period_start <= end,
        payouts.c.period_end >= start,
    )
    row = conn.execute(query).first()
    return None if row is None else _statement(row)


def open_carried(conn: Connection, creator_id: int) -> list[StatementRow]:
    """Carried statements whose balance no later statement has taken over yet."""
    query = _statement_select().where(
        payouts.c.creator_id == creator_id,
        payouts.c.status == StatementStatus.CARRIED.value,
        payouts.c.carried_into_id.is_(None),
    )
    return [_statement(r) for r in conn.execute(query.order_by(payouts.c.id))]


def insert_statement(
    conn: Connection,
    workspace_id: int,
    statement: Statement,
    carried_from: Iterable[int],
    created_at: datetime,
) -> int:
    """Write a statement: its row, its new lines, and its claim on the stored lines.

    Raises ``DUPLICATE`` when a stored line was taken by another statement
    meanwhile (the caller's transaction then rolls everything back).
    """
    result = conn.execute(
        insert(payouts).values(
            workspace_id=workspace_id,
            creator_id=statement.creator_id,
            period_start=statement.period_start,
            period_end=statement.period_end,
            currency=statement.currency,
            total_minor=statement.total.minor_units,
            fx_rate_date=statement.fx_rate_date,
            status=statement.status.value,
            created_at=created_at,
            carried_in_minor=statement.carried_in.minor_units,
        )
    )
    pk = result.inserted_primary_key
    assert pk is not None
    payout_id = int(pk[0])
    new_rows = []
    for line in statement.lines:
        src = line.source
        if src.line_id is None:
            covers = (
                (src.covers_from, src.covers_to)
                if src.covers_from is not None and src.covers_to is not None
                else None
            )
            entry = LedgerEntry(src.kind, src.amount, src.payable_on, src.description, src.basis)
            row = ledger_row(workspace_id, src.partnership_id, entry, created_at, covers=covers)
            row.update(
                payout_id=payout_id,
                rate=src.rate,
                conversion_id=src.conversion_id,
                statement_amount_minor=line.converted.minor_units,
                fx_rate=line.fx_rate,
            )
            new_rows.append(row)
            continue
        claimed = conn.execute(
            update(payout_lines)
            .where(payout_lines.c.id == src.line_id, payout_lines.c.payout_id.is_(None))
            .values(
                payout_id=payout_id,
                statement_amount_minor=line.converted.minor_units,
                fx_rate=line.fx_rate,
            )
        )
        if claimed.rowcount != 1:
            raise PerfluenceError(
                ErrorCode.DUPLICATE, f"ledger line {src.line_id} is already on a statement"
            )
    if new_rows:
        conn.execute(insert(payout_lines), new_rows)
    ids = sorted(carried_from)
    if ids:
        conn.execute(update(payouts).where(payouts.c.id.in_(ids)).values(carried_into_id=payout_id))
    return payout_id


def set_status(
    conn: Connection,
    statement_id: int,
    old: StatementStatus,
    new: StatementStatus,
    at: datetime,
) -> bool:
    """Move a statement from ``old`` to ``new``; False when it was not in ``old``."""
    values: dict[str, object] = {"status": new.value}
    if new is StatementStatus.APPROVED:
        values["approved_at"] = at
    if new is StatementStatus.PAID:
        values["paid_at"] = at
    result = conn.execute(
        update(payouts)
        .where(payouts.c.id == statement_id, payouts.c.status == old.value)
        .values(**values)
    )
    return result.rowcount == 1


@dataclass(frozen=True, slots=True)
class StoredLine:
    partnership_id: int
    campaign_slug: str
    kind: str
    description: str
    amount: Money
    payable_on: date
    converted: Money
    fx_rate: Decimal


def statement_lines(conn: Connection, payout_id: int, currency: str) -> list[StoredLine]:
    query = (
        select(payout_lines, campaigns.c.slug)
        .join(partnerships, partnerships.c.id == payout_lines.c.partnership_id)
        .join(campaigns, campaigns.c.id == partnerships.c.campaign_id)
        .where(payout_lines.c.payout_id == payout_id)
        .order_by(payout_lines.c.payable_on, payout_lines.c.id)
    )
    out = []
    for r in conn.execute(query):
        m = r._mapping
        out.append(
            StoredLine(
                partnership_id=m["partnership_id"],
                campaign_slug=m["slug"],
                kind=m["kind"],
                description=m["description"],
                amount=Money.from_minor(int(m["amount_minor"]), m["currency"]),
                payable_on=m["payable_on"],
                converted=Money.from_minor(int(m["statement_amount_minor"]), currency),
                fx_rate=m["fx_rate"],
            )
        )
    return out
