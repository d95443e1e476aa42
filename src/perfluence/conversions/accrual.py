"""What a stored conversion earns: ledger lines in the partnership's currency.

A sale's credited amount is converted to the partnership's currency at the
ECB rate of the conversion's date (or the business day before) and handed to
``core.payouts.accrue_conversion``. Without a rate the conversion is stored
anyway, flagged ``fx_rate_missing``, and gets its lines from ``reaccrue``
once the rates are imported.

A refund never needs a rate: it reverses the same share of the sale's
converted basis as it returns of the sale's amount, cumulatively, so that
refunds adding up to the whole sale take back exactly what the sale earned.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Connection

from perfluence.core.fx import BASE, MAX_LOOKBACK_DAYS, RateTable
from perfluence.core.model import NormalisedLine
from perfluence.core.money import Money
from perfluence.core.payouts import (
    AccrualInput,
    AccrualLine,
    LedgerEntry,
    LineKind,
    accrue_conversion,
)
from perfluence.core.terms import ContractTerms
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.store import conversions as repo
from perfluence.store.fx import rates_between
from perfluence.store.payouts import insert_ledger_entries

FX_RATE_MISSING = "fx_rate_missing"
# Lines a sale or a lead earns, which a refund of it takes back.
EARNING_KINDS = (LineKind.COMMISSION.value, LineKind.LEAD.value)


def convert(conn: Connection, money: Money, currency: str, on: datetime) -> Money | None:
    """``money`` in ``currency`` at the ECB rate of ``on``'s date; ``None`` without a rate."""
    if money.currency == currency:
        return money
    day = on.date()
    wanted = {money.currency, currency} - {BASE}
    stored = rates_between(conn, wanted, day - timedelta(days=MAX_LOOKBACK_DAYS), day)
    by_currency: dict[str, dict[date, Decimal]] = {c: {} for c in wanted}
    for (rate_day, cur), rate in stored.items():
        by_currency[cur][rate_day] = rate
    try:
        return RateTable(by_currency).convert(money, currency, day).money
    except PerfluenceError as exc:
        if exc.code is ErrorCode.FX_RATE_MISSING:
            return None
        raise


def earning_entries(
    conn: Connection,
    terms: ContractTerms,
    kind: str,
    credited: Money,
    occurred_at: datetime,
    country: str | None,
    product_ids: tuple[str, ...],
    lines: Sequence[NormalisedLine] = (),
) -> list[LedgerEntry] | None:
    """A sale's or lead's entries for one credited partnership; ``None`` when a rate is missing.

    The order ``lines`` stay in the order's currency: ``core.payouts`` shares
    the credited, converted amount out over them in proportion (``line_bases``).
    """
    if kind == "lead" and credited.is_zero():
        amount: Money | None = Money.zero(terms.currency)
    else:
        amount = convert(conn, credited, terms.currency, occurred_at)
    if amount is None:
        return None
    event = AccrualInput(
        kind="lead" if kind == "lead" else "sale",
        amount=amount,
        occurred_at=occurred_at,
        country=country,
        product_ids=product_ids,
        lines=tuple(AccrualLine(ln.product_id, ln.amount, ln.sku) for ln in lines),
    )
    return accrue_conversion(terms, event)


def reversal_entries(
    conn: Connection,
    workspace_id: int,
    terms: ContractTerms,
    partnership_id: int,
    sale: repo.StoredConversion,
    *,
    refunded_before: Money,
    refunded: Money,
    occurred_at: datetime,
    earlier_refunds: Sequence[int],
) -> list[LedgerEntry] | None:
    """A refund's reversal for one partnership the sale credited.

    ``refunded_before`` and ``refunded`` are in the sale's currency; ``None``
    means the sale itself is still waiting for a rate (nothing to reverse yet).
    """
    earned = repo.ledger_sums(
        conn, workspace_id, partnership_id, [sale.id], EARNING_KINDS, terms.currency
    )
    if earned.amount.is_zero():
        return None if FX_RATE_MISSING in sale.flags else []
    if sale.kind == "lead":
        if earlier_refunds:
            return []
        event = AccrualInput(
            kind="refund",
            amount=Money.zero(terms.currency),
            occurred_at=occurred_at,
            country=sale.country,
            reverses_commission=earned.amount,
        )
        return accrue_conversion(terms, event)
    basis = earned.basis
    before = _share_of(basis, refunded_before, sale.amount)
    after = _share_of(basis, refunded_before + refunded, sale.amount)
    event = AccrualInput(
        kind="refund",
        amount=after - before,
        occurred_at=occurred_at,
        country=sale.country,
        reverses_commission=earned.amount,
        reverses_amount=basis,
        refunded_before=before,
    )
    return accrue_conversion(terms, event)


def _share_of(basis: Money, part: Money, whole: Money) -> Money:
    """``basis × part / whole`` rounded, with the part capped at the whole."""
    if whole.is_zero():
        return basis
    capped = min(part.amount, whole.amount)
    return (basis * (capped / whole.amount)).quantize()


def write_entries(
    conn: Connection,
    workspace_id: int,
    partnership_id: int,
    conversion_id: int,
    entries: Sequence[LedgerEntry],
    now: datetime,
) -> None:
    insert_ledger_entries(
        conn, workspace_id, partnership_id, entries, now, conversion_id=conversion_id
    )
