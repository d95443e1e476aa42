"""Payout statements (pure): what a creator is owed for a period, line by line.

A statement takes the ledger lines that are payable by the period's end and
not on a statement yet, adds what only a statement can decide (volume-tier
uplift and caps, per partnership, as explicit ``adjustment`` lines), converts
every line into the creator's currency at one dated ECB rate, and adds the
balance carried from earlier statements. The total is the sum of the
converted lines plus the carried balance, by construction. See
``docs/payouts.md``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from enum import StrEnum

from perfluence.core.fx import RateTable
from perfluence.core.money import Money, sum_money
from perfluence.core.payouts import VARIABLE_KINDS, LineKind, percent_text
from perfluence.core.terms import CapPeriod, CommissionTier, ContractTerms
from perfluence.errors import ErrorCode, PerfluenceError


class StatementStatus(StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    PAID = "paid"
    CARRIED = "carried"


@dataclass(frozen=True, slots=True)
class SourceLine:
    """A ledger line a statement may take: stored (``line_id``) or made by the statement."""

    partnership_id: int
    kind: str
    amount: Money
    payable_on: date
    description: str
    line_id: int | None = None
    conversion_id: int | None = None
    basis: Money | None = None
    rate: Decimal | None = None
    covers_from: date | None = None
    covers_to: date | None = None


@dataclass(frozen=True, slots=True)
class PartnershipPay:
    """One partnership of the creator, and the variable pay earlier statements took."""

    partnership_id: int
    campaign: str
    terms: ContractTerms
    paid_total: Money
    # Variable pay on earlier statements per cap window (keyed by the window's first day).
    paid_by_window: Mapping[date, Money] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class StatementLine:
    source: SourceLine
    converted: Money  # in the statement's currency, rounded to its minor unit
    fx_rate: Decimal  # statement currency per unit of the line's currency


@dataclass(frozen=True, slots=True)
class Statement:
    creator_id: int
    period_start: date
    period_end: date
    currency: str
    lines: tuple[StatementLine, ...]
    carried_in: Money
    total: Money
    fx_rate_date: date | None
    minimum_payout: Money | None
    status: StatementStatus
    note: str

    @property
    def lines_total(self) -> Money:
        return sum_money((line.converted for line in self.lines), self.currency)


def cap_window(period: CapPeriod, day: date) -> date:
    """The first day of the calendar month or ISO week ``day`` falls in."""
    if period is CapPeriod.MONTH:
        return day.replace(day=1)
    return day - timedelta(days=day.weekday())


def _tier_for(
    tiers: Sequence[CommissionTier], orders: int, revenue: Money
) -> CommissionTier | None:
    chosen = None
    for tier in tiers:
        reached = (
            orders >= tier.from_orders
            if tier.from_orders is not None
            else tier.from_revenue is not None and revenue >= tier.from_revenue
        )
        if reached:
            chosen = tier
    return chosen


def tier_adjustment(p: PartnershipPay, lines: Sequence[SourceLine], on: date) -> SourceLine | None:
    """Uplift to the volume tier reached by the commission lines of this statement.

    Volume is the number of commission lines (orders) or their net revenue
    basis (sales minus refunds) on this statement. The tier rate replaces the
    base rate for every commission and reversal line of the partnership here:
    the uplift is ``round(tier rate × net basis) − Σ those lines``; a tier
    never lowers pay, so a negative uplift is no line.
    """
    terms = p.terms
    if not terms.commission_tiers:
        return None
    own = [ln for ln in lines if ln.kind in (LineKind.COMMISSION, LineKind.REVERSAL)]
    orders = sum(1 for ln in own if ln.kind == LineKind.COMMISSION)
    basis = sum_money((ln.basis for ln in own if ln.basis is not None), terms.currency)
    tier = _tier_for(terms.commission_tiers, orders, basis)
    if tier is None:
        return None
    paid = sum_money((ln.amount for ln in own), terms.currency)
    uplift = (basis * tier.rate).quantize() - paid
    if uplift.amount <= 0:
        return None
    volume = f"{orders} orders" if tier.from_orders is not None else f"{basis} net sales"
    return SourceLine(
        partnership_id=p.partnership_id,
        kind=LineKind.ADJUSTMENT,
        amount=uplift,
        payable_on=on,
        description=f"{p.campaign}: volume tier {percent_text(tier.rate)} reached ({volume})",
        basis=Money.zero(terms.currency),
        rate=tier.rate,
    )


def cap_adjustments(p: PartnershipPay, lines: Sequence[SourceLine], on: date) -> list[SourceLine]:
    """Negative ``adjustment`` lines that bring variable pay down to the caps.

    The per-period cap bounds each calendar week or month (by the lines'
    ``payable_on``) together with what earlier statements paid in it; the
    all-time cap bounds everything ever paid. Only positive pay is cut: a
    window already at its cap still passes reversals on.
    """
    terms = p.terms
    zero = Money.zero(terms.currency)
    variable = [ln for ln in lines if ln.kind in VARIABLE_KINDS]
    out: list[SourceLine] = []
    if terms.cap_per_period is not None and terms.cap_period is not None:
        by_window: dict[date, list[SourceLine]] = {}
        for ln in variable:
            by_window.setdefault(cap_window(terms.cap_period, ln.payable_on), []).append(ln)
        for w in sorted(by_window):
            in_window = by_window[w]
            allowed = max(zero, terms.cap_per_period - p.paid_by_window.get(w, zero))
            cut = sum_money((ln.amount for ln in in_window), terms.currency) - allowed
            if cut.amount > 0:
                # Dated inside its window, so later statements count it there.
                last = max(ln.payable_on for ln in in_window)
                what = f"{terms.cap_period}ly cap {terms.cap_per_period} reached ({w.isoformat()})"
                out.append(_cap_line(p, -cut, last, what))
    if terms.cap_total is not None:
        here = sum_money((ln.amount for ln in variable), terms.currency)
        here = here + sum_money((ln.amount for ln in out), terms.currency)
        allowed = max(zero, terms.cap_total - p.paid_total)
        cut = here - allowed
        if cut.amount > 0:
            out.append(_cap_line(p, -cut, on, f"all-time cap {terms.cap_total} reached"))
    return out


def _cap_line(p: PartnershipPay, amount: Money, on: date, what: str) -> SourceLine:
    return SourceLine(
        partnership_id=p.partnership_id,
        kind=LineKind.ADJUSTMENT,
        amount=amount,
        payable_on=on,
        description=f"{p.campaign}: {what}",
    )


def with_adjustments(
    pays: Sequence[PartnershipPay], lines: Sequence[SourceLine], on: date
) -> list[SourceLine]:
    """``lines`` plus, per partnership, its tier uplift and then its cap cuts."""
    out = list(lines)
    for p in pays:
        own = [ln for ln in lines if ln.partnership_id == p.partnership_id]
        tier = tier_adjustment(p, own, on)
        if tier is not None:
            own.append(tier)
            out.append(tier)
        out.extend(cap_adjustments(p, own, on))
    return out


def draw_up(
    *,
    creator_id: int,
    currency: str,
    period_start: date,
    period_end: date,
    pays: Sequence[PartnershipPay],
    lines: Sequence[SourceLine],
    carried_in: Money,
    rates: RateTable,
) -> Statement:
    """The statement for one creator and period (see the module docstring).

    Lines must be payable by ``period_end``. Every line is converted at the
    ECB rate of ``period_end`` (or the nearest earlier publication). A total
    below the largest minimum payout of the creator's partnerships with lines
    here, or below zero, makes the statement ``carried``: its total rolls into
    the next statement.
    """
    if period_end < period_start:
        raise PerfluenceError(ErrorCode.INVALID, "the period ends before it starts")
    late = [ln for ln in lines if ln.payable_on > period_end]
    if late:
        raise PerfluenceError(
            ErrorCode.INVALID, f"a line is payable only on {late[0].payable_on.isoformat()}"
        )
    if carried_in.currency != currency:
        raise PerfluenceError(ErrorCode.CURRENCY_MISMATCH, "carried balance in another currency")
    all_lines = with_adjustments(pays, lines, period_end)
    converted: list[StatementLine] = []
    rate_date: date | None = None
    for ln in all_lines:
        c = rates.convert(ln.amount, currency, period_end)
        if c.rate_date is not None:
            rate_date = c.rate_date if rate_date is None else max(rate_date, c.rate_date)
        converted.append(StatementLine(ln, c.money.quantize(), c.rate))
    total = sum_money((ln.converted for ln in converted), currency) + carried_in
    with_lines = {ln.partnership_id for ln in all_lines}
    minimums = [
        rates.convert(p.terms.minimum_payout, currency, period_end).money
        for p in pays
        if p.terms.minimum_payout is not None and p.partnership_id in with_lines
    ]
    minimum = max(minimums, default=None)
    status, note = StatementStatus.PENDING, "payable"
    if total.amount < 0:
        status, note = StatementStatus.CARRIED, "negative balance carried into the next statement"
    elif minimum is not None and total < minimum:
        status, note = StatementStatus.CARRIED, f"below the minimum payout of {minimum}; carried"
    return Statement(
        creator_id=creator_id,
        period_start=period_start,
        period_end=period_end,
        currency=currency,
        lines=tuple(converted),
        carried_in=carried_in,
        total=total,
        fx_rate_date=rate_date,
        minimum_payout=minimum,
        status=status,
        note=note,
    )
