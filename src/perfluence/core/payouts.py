"""The payout ledger's accrual rules (pure): what one event earns a creator.

Accrual happens when an event is stored and never looks at other events:
a sale earns a commission at the base, per-country rate (order lines of a
product with its own rate earn that rate); a lead earns the per-lead rate;
a refund reverses part of what its sale earned. Everything that depends on
several events (volume tiers, caps, the minimum payout, pay per click,
flat-fee instalments) is decided when a statement is drawn up
(``core.statements``). See ``docs/payouts.md``.

Rounding: every entry is rounded half up to the currency's minor unit once,
here, so what the ledger stores is exactly what was computed.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal
from enum import StrEnum
from typing import Final, Literal

from perfluence.core.money import Money, allocate, sum_money
from perfluence.core.terms import ContractTerms
from perfluence.errors import ErrorCode, PerfluenceError


class LineKind(StrEnum):
    COMMISSION = "commission"
    LEAD = "lead"
    REVERSAL = "reversal"
    CLICK = "click"
    FLAT_FEE = "flat_fee"
    GIFTING = "gifting"
    ADJUSTMENT = "adjustment"


# Pay that depends on performance: what tiers and caps apply to.
VARIABLE_KINDS: Final = frozenset(
    {LineKind.COMMISSION, LineKind.LEAD, LineKind.REVERSAL, LineKind.CLICK, LineKind.ADJUSTMENT}
)


@dataclass(frozen=True, slots=True)
class AccrualLine:
    """One order line of a sale: which product, and its (after-discount) amount."""

    product_id: str | None
    amount: Money
    sku: str | None = None


@dataclass(frozen=True, slots=True)
class AccrualInput:
    """One attributed conversion (or refund) as the ledger sees it.

    ``amount`` is the revenue basis in the partnership's currency; for a
    refund the refunded part (positive). A refund names what its sale
    earned (``reverses_commission``) and the sale's amount
    (``reverses_amount``) so the reversal is proportional;
    ``refunded_before`` is what earlier refunds of the same sale returned,
    so that partial refunds add up to exactly the commission.

    ``lines`` are the sale's order lines, for per-product rates; their
    amounts only weigh how ``amount`` is shared out (see ``line_bases``), so
    they may be in the order's currency when ``amount`` has been converted.
    """

    kind: Literal["sale", "lead", "refund"]
    amount: Money
    occurred_at: datetime
    country: str | None
    product_ids: tuple[str, ...] = ()
    lines: tuple[AccrualLine, ...] = ()
    reverses_commission: Money | None = None
    reverses_amount: Money | None = None
    refunded_before: Money | None = None


@dataclass(frozen=True, slots=True)
class LedgerEntry:
    """One line the ledger appends. ``amount`` is signed (reversals are negative).

    ``basis`` is the revenue a commission or reversal was computed on (signed
    like the amount) and ``rate`` the rate used: volume tiers need both.
    """

    kind: str
    amount: Money
    payable_on: date
    description: str
    basis: Money | None = None
    rate: Decimal | None = None


def _check(terms: ContractTerms, event: AccrualInput) -> None:
    if event.occurred_at.tzinfo is None:
        raise PerfluenceError(ErrorCode.INVALID, "occurred_at must be an aware UTC time")
    if event.amount.currency != terms.currency:
        raise PerfluenceError(
            ErrorCode.CURRENCY_MISMATCH,
            f"the event is in {event.amount.currency} but the partnership pays in "
            f"{terms.currency}; convert the revenue basis first",
            field="amount",
        )
    if event.amount.amount < 0:
        raise PerfluenceError(
            ErrorCode.INVALID, "amount must not be negative (a refund is a positive amount)"
        )


def held_until(terms: ContractTerms, occurred_at: datetime) -> date:
    """The day a commission or lead becomes payable: the event's UTC date + hold days."""
    return occurred_at.date() + timedelta(days=terms.hold_days)


def percent_text(rate: Decimal) -> str:
    """``Decimal("0.125")`` as ``12.5%``."""
    text = format(rate * 100, "f")
    return (text.rstrip("0").rstrip(".") if "." in text else text) + "%"


def commission_rate(terms: ContractTerms, country: str | None) -> Decimal | None:
    """The base rate for a sale: the buyer's country rate, else the contract's rate."""
    return terms.commission_rate_for(country.upper() if country else None)


def accrue_conversion(terms: ContractTerms, event: AccrualInput) -> list[LedgerEntry]:
    """The ledger entries one stored conversion (or refund) earns under ``terms``.

    - sale: ``amount × rate`` (country rate if the buyer's country has one),
      payable after the hold; nothing without a commission rate.
    - lead: the per-lead rate, payable after the hold; nothing without one.
    - refund: a negative ``reversal`` payable the day it happened,
      proportional to the refunded part of the sale and never more than the
      sale earned; nothing when the sale earned nothing.

    Volume tiers, caps and the minimum payout are not applied here; a
    statement applies them (see ``core.statements``).
    """
    _check(terms, event)
    if event.kind == "sale":
        return _sale(terms, event)
    if event.kind == "lead":
        if terms.cpl_rate is None:
            return []
        return [
            LedgerEntry(
                kind=LineKind.LEAD,
                amount=terms.cpl_rate,
                payable_on=held_until(terms, event.occurred_at),
                description=f"lead at {terms.cpl_rate}",
            )
        ]
    if event.kind == "refund":
        return _refund(terms, event)
    raise PerfluenceError(ErrorCode.INVALID, f"unknown conversion kind {event.kind!r}")


def line_bases(amount: Money, lines: tuple[AccrualLine, ...]) -> list[Money] | None:
    """Each line's part of ``amount``; the parts always sum to ``amount`` exactly.

    When the lines add up to ``amount`` (same currency) they are their own
    parts. Otherwise ``amount`` is shared out in proportion to the line
    amounts (``allocate``: largest remainder, to the minor unit), which
    covers order-level discounts, a credited share of a split conversion and
    a converted currency alike. ``None`` (so the whole amount earns the base
    rate) when there are no lines, a line is negative, the lines are in
    several currencies or sum to zero, or ``amount`` is finer than a minor unit.
    """
    if not lines or amount.quantize() != amount:
        return None
    currency = lines[0].amount.currency
    if any(ln.amount.currency != currency or ln.amount.amount < 0 for ln in lines):
        return None
    total = sum_money((ln.amount for ln in lines), currency)
    if total.is_zero():
        return None
    if total == amount:
        return [ln.amount for ln in lines]
    return allocate(amount, [ln.amount.amount for ln in lines])


def _sale(terms: ContractTerms, event: AccrualInput) -> list[LedgerEntry]:
    rate = commission_rate(terms, event.country)
    if rate is None:
        return []
    where = f" ({event.country.upper()})" if event.country and terms.country_rates else ""
    bases = line_bases(event.amount, event.lines) if terms.product_rates else None
    rates = (
        None
        if bases is None
        else [terms.product_rate_for(ln.product_id, ln.sku) for ln in event.lines]
    )
    if bases is not None and rates is not None and any(r is not None for r in rates):
        return [_per_product(terms, event, rate, where, bases, rates)]
    return [
        LedgerEntry(
            kind=LineKind.COMMISSION,
            amount=(event.amount * rate).quantize(),
            payable_on=held_until(terms, event.occurred_at),
            description=f"{percent_text(rate)}{where} of {event.amount}",
            basis=event.amount,
            rate=rate,
        )
    ]


def _per_product(
    terms: ContractTerms,
    event: AccrualInput,
    base_rate: Decimal,
    where: str,
    bases: list[Money],
    rates: list[Decimal | None],
) -> LedgerEntry:
    """One commission line for the whole sale (volume tiers count it as one order).

    Each line earns its product's rate or the base rate; the exact sum is
    rounded once. ``rate`` is stored only when every line had the same one.
    """
    groups: dict[Decimal, tuple[Money, list[str]]] = {}
    for line, basis, own in zip(event.lines, bases, rates, strict=True):
        rate = base_rate if own is None else own
        part, names = groups.get(rate, (Money.zero(terms.currency), []))
        name = line.sku or line.product_id
        if own is not None and name is not None and name not in names:
            names.append(name)
        groups[rate] = (part + basis, names)
    exact = sum_money((part * rate for rate, (part, _) in groups.items()), terms.currency)
    parts = []
    for rate, (part, names) in groups.items():
        label = f" ({', '.join(names[:3])}{', …' if len(names) > 3 else ''})" if names else where
        parts.append(f"{percent_text(rate)}{label} of {part}")
    return LedgerEntry(
        kind=LineKind.COMMISSION,
        amount=exact.quantize(),
        payable_on=held_until(terms, event.occurred_at),
        description=" + ".join(parts),
        basis=event.amount,
        rate=next(iter(groups)) if len(groups) == 1 else None,
    )


def _refund(terms: ContractTerms, event: AccrualInput) -> list[LedgerEntry]:
    on = event.occurred_at.date()
    earned = event.reverses_commission
    if earned is None:
        # No sale line to go by: reverse at the rate the sale would have earned.
        rate = commission_rate(terms, event.country)
        if rate is None:
            return []
        amount = (event.amount * rate).quantize()
        if amount.is_zero():
            return []
        return [
            LedgerEntry(
                kind=LineKind.REVERSAL,
                amount=-amount,
                payable_on=on,
                description=f"refund of {event.amount} at {percent_text(rate)}",
                basis=-event.amount,
                rate=rate,
            )
        ]
    if earned.currency != terms.currency:
        raise PerfluenceError(
            ErrorCode.CURRENCY_MISMATCH,
            f"the reversed commission is in {earned.currency}, the terms in {terms.currency}",
            field="reverses_commission",
        )
    if earned.amount <= 0:
        return []
    amount = reversal_amount(earned, event.amount, event.reverses_amount, event.refunded_before)
    if amount.is_zero():
        return []
    sale = event.reverses_amount
    return [
        LedgerEntry(
            kind=LineKind.REVERSAL,
            amount=-amount,
            payable_on=on,
            description=f"refund of {event.amount}"
            + (f" of a {sale} sale" if sale is not None else ""),
            basis=-event.amount,
        )
    ]


def reversal_amount(
    earned: Money, refunded: Money, sale: Money | None, refunded_before: Money | None = None
) -> Money:
    """The commission a refund takes back (positive), rounded half up.

    Cumulative, so that partial refunds telescope: the reversal is
    ``round(earned × (before + refunded) / sale) − round(earned × before / sale)``
    with the refunded share capped at the whole sale. Without a sale amount
    (or a zero sale) the whole commission is reversed.
    """
    if sale is None or sale.is_zero():
        return earned.quantize()
    before = refunded_before if refunded_before is not None else Money.zero(sale.currency)
    total = min(before + refunded, sale)
    before = min(before, sale)
    taken_after = (earned * total.ratio_to(sale)).quantize()
    taken_before = (earned * before.ratio_to(sale)).quantize()
    return taken_after - taken_before


def accrue_clicks(
    terms: ContractTerms, unique_clicks: int, covers_from: date, covers_to: date
) -> list[LedgerEntry]:
    """Pay per click for the unique (so human) clicks of ``covers_from``..``covers_to``.

    Clicks cannot be returned, so the line is payable on the last day it covers.
    """
    if terms.cpc_rate is None or unique_clicks <= 0:
        return []
    return [
        LedgerEntry(
            kind=LineKind.CLICK,
            amount=(terms.cpc_rate * unique_clicks).quantize(),
            payable_on=covers_to,
            description=f"{unique_clicks} unique clicks × {terms.cpc_rate}, "
            f"{covers_from.isoformat()} to {covers_to.isoformat()}",
        )
    ]


def flat_fee_due(
    terms: ContractTerms, default_due_on: date, through: date, already_due: frozenset[date]
) -> list[LedgerEntry]:
    """Flat-fee instalments due on or before ``through`` that the ledger does not hold yet.

    A fee without a schedule is one instalment due on ``default_due_on`` (the
    campaign's first day). ``already_due`` are the due dates of the flat-fee
    lines already in the ledger, so an instalment is never booked twice.
    """
    if terms.flat_fee is None:
        return []
    schedule = [(i.due_on, i.amount) for i in terms.fee_schedule] or [
        (default_due_on, terms.flat_fee)
    ]
    count = len(schedule)
    return [
        LedgerEntry(
            kind=LineKind.FLAT_FEE,
            amount=amount,
            payable_on=due_on,
            description=f"flat fee instalment {n} of {count}" if count > 1 else "flat fee",
        )
        for n, (due_on, amount) in enumerate(schedule, start=1)
        if due_on <= through and due_on not in already_due
    ]
