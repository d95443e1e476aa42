"""The payout-model simulator (pure): a partnership's real events under other terms.

The replay runs the same rules the ledger uses (``core.payouts`` for each
event, ``core.statements`` for tiers and caps) with the whole replay as one
statement period and nothing paid before. So under the current terms it
gives what the ledger holds when the partnership's lines went onto one
statement (and, without tiers and period caps, whatever the statements were).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date

from perfluence.core.kpis import MoneyRatio, cpa, cpc
from perfluence.core.money import Money, sum_money
from perfluence.core.payouts import (
    AccrualInput,
    LedgerEntry,
    accrue_clicks,
    accrue_conversion,
    flat_fee_due,
)
from perfluence.core.statements import PartnershipPay, SourceLine, with_adjustments
from perfluence.core.terms import ContractTerms, PaymentModel, terms_from_dict
from perfluence.errors import ErrorCode, PerfluenceError


@dataclass(frozen=True, slots=True)
class ReplayConversion:
    """One stored conversion; a refund names the key of the sale it reverses."""

    key: int
    event: AccrualInput
    reverses_key: int | None = None


@dataclass(frozen=True, slots=True)
class Replay:
    """A partnership's real events: unique clicks, leads, sales and refunds (in time order)."""

    currency: str
    starts_on: date  # the campaign's first day: when an unscheduled flat fee is due
    through: date  # the last day replayed
    unique_clicks: int
    first_click_on: date | None
    conversions: tuple[ReplayConversion, ...]

    @property
    def orders_and_leads(self) -> int:
        return sum(1 for c in self.conversions if c.event.kind in ("sale", "lead"))


@dataclass(frozen=True, slots=True)
class SimulatedCost:
    label: str
    terms: ContractTerms
    total: Money
    per_conversion: MoneyRatio
    per_click: MoneyRatio
    vs_current: Money


_MODELS = {
    "flat": ("flat_fee", PaymentModel.FLAT_FEE),
    "cpc": ("cpc_rate", PaymentModel.CPC),
    "cpl": ("cpl_rate", PaymentModel.CPL),
    "cps": ("commission_rate", PaymentModel.CPS),
}


def parse_model(text: str, current: ContractTerms) -> ContractTerms:
    """``flat:500``, ``cpc:0.40``, ``cpl:25``, ``cps:12%`` or a sum like ``flat:500+cps:5%``.

    Amounts are in the current terms' currency; the hold days carry over.
    """
    parts = [p.strip() for p in text.split("+") if p.strip()]
    values: dict[str, object] = {}
    models = []
    for part in parts:
        name, _, value = part.partition(":")
        key = name.strip().lower()
        if key not in _MODELS or not value.strip():
            raise PerfluenceError(
                ErrorCode.INVALID,
                f"model {part!r} is not one of flat:AMOUNT, cpc:AMOUNT, cpl:AMOUNT, cps:RATE",
                field="model",
            )
        field_name, model = _MODELS[key]
        values[field_name] = value.strip()
        models.append(model)
    if not models:
        raise PerfluenceError(ErrorCode.INVALID, "an empty model", field="model")
    chosen = models[0] if len(models) == 1 else PaymentModel.HYBRID
    return terms_from_dict(
        {"model": chosen.value, "hold_days": current.hold_days, **values},
        currency=current.currency,
    )


def _source(entries: list[LedgerEntry]) -> list[SourceLine]:
    return [
        SourceLine(0, e.kind, e.amount, e.payable_on, e.description, basis=e.basis, rate=e.rate)
        for e in entries
    ]


def replay_lines(terms: ContractTerms, replay: Replay) -> list[SourceLine]:
    """Every line the ledger would hold under ``terms``, tier and cap adjustments included."""
    if terms.currency != replay.currency:
        raise PerfluenceError(
            ErrorCode.CURRENCY_MISMATCH, f"terms in {terms.currency}, events in {replay.currency}"
        )
    lines: list[SourceLine] = []
    earned: dict[int, Money] = {}
    sold: dict[int, Money] = {}
    refunded: dict[int, Money] = {}
    for c in replay.conversions:
        event = c.event
        if event.kind == "refund" and c.reverses_key is not None and c.reverses_key in sold:
            key = c.reverses_key
            event = replace(
                event,
                reverses_commission=earned.get(key, Money.zero(terms.currency)),
                reverses_amount=sold[key],
                refunded_before=refunded.get(key),
            )
            refunded[key] = refunded.get(key, Money.zero(terms.currency)) + c.event.amount
        entries = accrue_conversion(terms, event)
        if event.kind == "sale":
            sold[c.key] = event.amount
            earned[c.key] = sum_money((e.amount for e in entries), terms.currency)
        lines.extend(_source(entries))
    if replay.first_click_on is not None:
        lines.extend(
            _source(
                accrue_clicks(terms, replay.unique_clicks, replay.first_click_on, replay.through)
            )
        )
    lines.extend(_source(flat_fee_due(terms, replay.starts_on, date.max, frozenset())))
    on = max([replay.through, *(ln.payable_on for ln in lines)])
    pay = PartnershipPay(0, "", terms, Money.zero(terms.currency))
    return with_adjustments([pay], lines, on)


def replay_cost(terms: ContractTerms, replay: Replay) -> Money:
    return sum_money((ln.amount for ln in replay_lines(terms, replay)), terms.currency)


def simulate(
    current: ContractTerms, alternatives: Sequence[tuple[str, ContractTerms]], replay: Replay
) -> list[SimulatedCost]:
    """The current terms first, then each alternative: total, per conversion, per click."""
    base = replay_cost(current, replay)
    out = []
    for label, terms in [("current", current), *alternatives]:
        total = base if terms is current else replay_cost(terms, replay)
        out.append(
            SimulatedCost(
                label=label,
                terms=terms,
                total=total,
                per_conversion=cpa(total, replay.orders_and_leads),
                per_click=cpc(total, replay.unique_clicks),
                vs_current=total - base,
            )
        )
    return out
