"""``simulate``: what a partnership's real events would have cost under other payment models."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Final, Literal

from perfluence.core.money import Money, sum_money
from perfluence.core.payouts import AccrualInput, AccrualLine
from perfluence.core.simulator import (
    Replay,
    ReplayConversion,
    SimulatedCost,
    parse_model,
)
from perfluence.core.simulator import (
    simulate as simulate_terms,
)
from perfluence.core.terms import ContractTerms
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services.context import Context
from perfluence.services.fx import rate_table
from perfluence.services.payouts import creator_id, workspace_id
from perfluence.store import payouts as repo
from perfluence.store.campaigns import find_campaign
from perfluence.store.partnerships import find_partnership

_KINDS: Final[dict[str, Literal["sale", "lead", "refund"]]] = {
    "sale": "sale",
    "lead": "lead",
    "refund": "refund",
}


@dataclass(frozen=True, slots=True)
class Simulation:
    campaign: str
    creator: str
    through: date
    unique_clicks: int
    sales: int
    leads: int
    refunds: int
    ledger_total: Money  # every ledger line of the partnership, on a statement or not
    rows: tuple[SimulatedCost, ...]
    notes: tuple[str, ...]


def load_replay(
    ctx: Context, workspace: str, campaign: str, creator: str
) -> tuple[ContractTerms, Replay, Money, list[str]]:
    """The partnership's terms, its events as a replay, its ledger total, and FX notes."""
    through = ctx.now().date()
    with ctx.engine.connect() as conn:
        ws_id = workspace_id(conn, workspace)
        found_campaign = find_campaign(conn, ws_id, campaign)
        if found_campaign is None:
            raise PerfluenceError(ErrorCode.NOT_FOUND, f"campaign {campaign!r} not found")
        p = find_partnership(conn, ws_id, found_campaign.id, creator_id(conn, ws_id, creator))
        if p is None:
            raise PerfluenceError(
                ErrorCode.NOT_FOUND, f"creator {creator!r} is not in campaign {campaign!r}"
            )
        events = repo.partnership_conversions(conn, p.id)
        clicks, first = repo.unique_clicks(conn, p.id, None, through)
        ledger = repo.partnership_lines(conn, p.id)
    terms = p.terms
    notes: list[str] = []
    foreign = [e for e in events if e.amount.currency != terms.currency]
    rates = None
    if foreign:
        days = [e.occurred_at.date() for e in foreign]
        currencies = {e.amount.currency for e in foreign} | {terms.currency}
        rates = rate_table(ctx, currencies, min(days), max(days))
        notes.append(
            f"{len(foreign)} conversions converted into {terms.currency} at the ECB rate of "
            "their day"
        )
    replayed = []
    for e in events:
        amount = e.amount
        if rates is not None and amount.currency != terms.currency:
            amount = rates.convert(amount, terms.currency, e.occurred_at.date()).money
        kind = _KINDS.get(e.kind)
        if kind is None:
            continue
        replayed.append(
            ReplayConversion(
                key=e.id,
                event=AccrualInput(
                    kind,
                    amount,
                    e.occurred_at,
                    e.country,
                    lines=tuple(AccrualLine(ln.product_id, ln.amount, ln.sku) for ln in e.lines),
                ),
                reverses_key=e.reverses_id,
            )
        )
    replay = Replay(
        currency=terms.currency,
        starts_on=found_campaign.starts_on,
        through=through,
        unique_clicks=clicks,
        first_click_on=first,
        conversions=tuple(replayed),
    )
    ledger_total = sum_money(
        (ln.amount for ln in ledger if ln.amount.currency == terms.currency), terms.currency
    )
    return terms, replay, ledger_total, notes


def simulate(
    ctx: Context, workspace: str, campaign: str, creator: str, models: Sequence[str]
) -> Simulation:
    """Replay the partnership under ``models`` (``flat:500``, ``cps:12%``, ``cpc:0.40`` ...)."""
    terms, replay, ledger_total, notes = load_replay(ctx, workspace, campaign, creator)
    alternatives = [(m.strip(), parse_model(m, terms)) for m in models]
    rows = simulate_terms(terms, alternatives, replay)
    kinds = [c.event.kind for c in replay.conversions]
    return Simulation(
        campaign=campaign,
        creator=creator,
        through=replay.through,
        unique_clicks=replay.unique_clicks,
        sales=kinds.count("sale"),
        leads=kinds.count("lead"),
        refunds=kinds.count("refund"),
        ledger_total=ledger_total,
        rows=tuple(rows),
        notes=tuple(notes),
    )
