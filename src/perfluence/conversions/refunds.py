"""Refunds: a new conversion that reverses (part of) a stored sale.

A refund finds its sale by the sale's external id from the same source, or
(Stripe) by the PaymentIntent both carry. It inherits the sale's attribution
and is capped at what earlier refunds left of the sale. Its ledger lines take
back the matching share of what the sale earned (``conversions.accrual``).

A refund whose sale is not stored yet is kept unattributed and flagged
``unknown_sale``; when that sale arrives (same source, same order id) the
refund is linked to it and its reversal written then (``adopt_orphans``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection

from perfluence.conversions import accrual
from perfluence.conversions.incoming import IncomingEvent, conversion_row
from perfluence.core.money import Money, allocate
from perfluence.core.payouts import LedgerEntry
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.store import conversion_evidence as evidence
from perfluence.store import conversions as repo

UNKNOWN_SALE = "unknown_sale"
CAPPED_REFUND = "capped_refund"
LINKED_LATE = "sale_arrived_later"


@dataclass(frozen=True, slots=True)
class RefundPlan:
    amount: Money  # what the refund takes off the sale (capped), in the sale's currency
    refunded_before: Money
    reason: str
    flags: tuple[str, ...]


def find_reversed_sale(
    conn: Connection, workspace_id: int, event: IncomingEvent
) -> repo.StoredConversion | None:
    sale = None
    if event.reverses_external_id is not None:
        sale = repo.find_sale(conn, workspace_id, event.source, event.reverses_external_id)
    if sale is None and event.payment_ref is not None:
        sale = repo.find_sale_by_payment(conn, workspace_id, event.payment_ref)
    return sale


def plan_refund(
    conn: Connection,
    workspace_id: int,
    sale: repo.StoredConversion,
    asked: Money,
    *,
    from_gross: bool,
    before_id: int | None = None,
) -> RefundPlan:
    """Scale (Stripe gives money returned, not revenue) and cap a refund of ``sale``."""
    if asked.currency != sale.amount.currency:
        raise PerfluenceError(
            ErrorCode.CURRENCY_MISMATCH,
            f"the refund is in {asked.currency} but sale {sale.external_id} is in "
            f"{sale.amount.currency}",
            field="amount",
        )
    notes = [f"refund of {sale.kind} {sale.external_id}"]
    amount = asked
    gross = sale.gross_amount
    if from_gross and gross is not None and not gross.is_zero() and gross != sale.amount:
        amount = (asked * sale.amount.ratio_to(gross)).quantize()
        notes.append(f"{asked} returned of {gross} paid is {amount} of revenue")
    before = Money.from_minor(
        repo.refunded_minor(conn, workspace_id, sale.id, before_id), sale.amount.currency
    )
    left = sale.amount - before
    flags: list[str] = []
    if amount > left:
        notes.append(f"capped at {left}, what earlier refunds left of the sale (asked {amount})")
        amount = left if left.amount > 0 else Money.zero(left.currency)
        flags.append(CAPPED_REFUND)
    return RefundPlan(amount, before, "; ".join(notes), tuple(flags))


def _reversals(
    conn: Connection,
    workspace_id: int,
    sale: repo.StoredConversion,
    plan: RefundPlan,
    occurred_at: datetime,
    before_id: int | None,
) -> tuple[list[repo.Credit], dict[int, list[LedgerEntry]], bool]:
    """The refund's credit rows and ledger lines per partnership; ``True`` if a rate is missing."""
    credits = repo.credits_of(conn, workspace_id, sale.id)
    facts = evidence.partnership_facts(conn, workspace_id, {c.partnership_id for c in credits})
    earlier = repo.refund_ids(conn, workspace_id, sale.id, before_id)
    # Shared out like the sale's credit, so the parts sum exactly to the refund.
    parts = allocate(plan.amount, [c.share for c in credits]) if credits else []
    own: list[repo.Credit] = []
    ledger: dict[int, list[LedgerEntry]] = {}
    waiting = False
    for credit, part in zip(credits, parts, strict=True):
        own.append(repo.Credit(credit.partnership_id, credit.share, part))
        if sale.status == "rejected":
            continue
        entries = accrual.reversal_entries(
            conn,
            workspace_id,
            facts[credit.partnership_id].terms,
            credit.partnership_id,
            sale,
            refunded_before=plan.refunded_before,
            refunded=plan.amount,
            occurred_at=occurred_at,
            earlier_refunds=earlier,
        )
        if entries is None:
            waiting = True
        elif entries:
            ledger[credit.partnership_id] = entries
    return own, ledger, waiting


def _inherited(sale: repo.StoredConversion, reason: str) -> dict[str, Any]:
    return {
        "reverses_id": sale.id,
        "partnership_id": sale.partnership_id,
        "link_id": sale.link_id,
        "attribution_method": sale.attribution_method or "none",
        "attribution_reason": reason,
        "seconds_from_click": None,
    }


def ingest_refund(conn: Connection, workspace_id: int, event: IncomingEvent, now: datetime) -> int:
    if event.amount is None:
        raise PerfluenceError(ErrorCode.INVALID, "a refund needs an amount", field="amount")
    asked = event.amount.quantize()
    sale = find_reversed_sale(conn, workspace_id, event)
    base = conversion_row(workspace_id, event, asked, now)
    code = event.codes[0] if event.codes else None
    if sale is None:
        ref = event.reverses_external_id or event.payment_ref or "(none given)"
        flags = [UNKNOWN_SALE, *(["test"] if event.test else [])]
        return repo.insert_conversion(
            conn,
            base
            | {
                "code": code,
                "reverses_id": None,
                "partnership_id": None,
                "link_id": None,
                "attribution_method": "none",
                "attribution_reason": f"refund of unknown sale {ref}: not stored (yet)",
                "seconds_from_click": None,
                "flags": flags,
            },
        )
    plan = plan_refund(conn, workspace_id, sale, asked, from_gross=event.amount_from_gross)
    credits, ledger, waiting = _reversals(conn, workspace_id, sale, plan, event.occurred_at, None)
    flags = [
        *plan.flags,
        *(["test"] if event.test else []),
        *([accrual.FX_RATE_MISSING] if waiting else []),
    ]
    row = (
        base
        | _inherited(sale, plan.reason)
        | {
            "amount_minor": plan.amount.minor_units,
            "code": code or sale.code,
            "click_id": event.click_id or sale.click_id,
            "customer_ref": event.customer_ref or sale.customer_ref,
            "country": event.country or sale.country,
            "status": "rejected" if event.test or sale.status == "rejected" else "pending",
            "flags": flags,
        }
    )
    refund_id = repo.insert_conversion(conn, row)
    repo.insert_credits(conn, workspace_id, refund_id, credits)
    for pid, entries in ledger.items():
        accrual.write_entries(conn, workspace_id, pid, refund_id, entries, now)
    return refund_id


def adopt_orphans(conn: Connection, workspace_id: int, sale_id: int, now: datetime) -> None:
    """Link refunds that arrived before this sale to it, and write their reversals."""
    sale = repo.conversion_by_id(conn, workspace_id, sale_id)
    assert sale is not None
    for orphan in repo.orphan_refunds(conn, workspace_id, sale.source, sale.external_id):
        if orphan.amount.currency != sale.amount.currency:
            continue
        plan = plan_refund(conn, workspace_id, sale, orphan.amount, from_gross=False)
        credits, ledger, waiting = _reversals(
            conn, workspace_id, sale, plan, orphan.occurred_at, orphan.id
        )
        kept = [f for f in orphan.flags if f != UNKNOWN_SALE]
        flags = [*kept, LINKED_LATE, *plan.flags, *([accrual.FX_RATE_MISSING] if waiting else [])]
        reason = f"{plan.reason}; linked when the sale arrived"
        values = _inherited(sale, reason) | {"flags": list(dict.fromkeys(flags))}
        if sale.status == "rejected":
            values["status"] = "rejected"
        repo.link_refund(conn, workspace_id, orphan.id, values)
        repo.insert_credits(conn, workspace_id, orphan.id, credits)
        for pid, entries in ledger.items():
            accrual.write_entries(conn, workspace_id, pid, orphan.id, entries, now)


def reaccrue_refund(
    conn: Connection, workspace_id: int, refund: repo.StoredConversion, now: datetime
) -> bool:
    """Write a refund's missing reversals once its sale has its lines; idempotent."""
    if refund.reverses_id is None:
        return False
    sale = repo.conversion_by_id(conn, workspace_id, refund.reverses_id)
    if sale is None:
        return False
    plan = RefundPlan(
        refund.amount,
        Money.from_minor(
            repo.refunded_minor(conn, workspace_id, sale.id, refund.id), sale.amount.currency
        ),
        "",
        (),
    )
    _, ledger, _ = _reversals(conn, workspace_id, sale, plan, refund.occurred_at, refund.id)
    wrote = False
    for pid, entries in ledger.items():
        if not repo.has_lines(conn, workspace_id, refund.id, pid):
            accrual.write_entries(conn, workspace_id, pid, refund.id, entries, now)
            wrote = True
    return wrote
