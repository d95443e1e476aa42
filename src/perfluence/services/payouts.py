"""Payout statements: preview, create, approve, mark paid, export; creators' bank details.

A statement is drawn up by ``core.statements.draw_up`` from what the store
holds: the creator's unassigned ledger lines payable by the period's end,
click lines for the unique clicks not paid for yet (from the hourly rollups),
flat-fee instalments due and not booked yet, what earlier statements paid
(for caps), and the balance of carried statements. ``preview`` writes
nothing; ``create`` writes the statement and claims its lines in one
transaction. See ``docs/payouts.md``.
"""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Connection

from perfluence.core.fx import BASE, MAX_LOOKBACK_DAYS, RateTable
from perfluence.core.kpis import TierThresholds
from perfluence.core.money import Money, sum_money
from perfluence.core.payouts import LedgerEntry, accrue_clicks, flat_fee_due
from perfluence.core.statements import (
    PartnershipPay,
    SourceLine,
    Statement,
    StatementStatus,
    cap_window,
    draw_up,
)
from perfluence.core.terms import ContractTerms, terms_from_dict
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.reports.sepa import normalise_bic, normalise_iban
from perfluence.services import audit
from perfluence.services.audit import AuditAction
from perfluence.services.context import Context
from perfluence.services.creators import normalise_handle, tier_thresholds
from perfluence.services.vetting import held_partnerships
from perfluence.store import payout_statements as statements_repo
from perfluence.store import payouts as repo
from perfluence.store.creators import creator_ids
from perfluence.store.fx import rates_between
from perfluence.store.workspaces import find_workspace


@dataclass(frozen=True, slots=True)
class StatementView:
    """A statement as shown: drawn up (``id`` None) or stored."""

    id: int | None
    creator: str
    statement: Statement
    campaigns: dict[int, str]  # partnership id -> campaign slug
    # campaign slug -> why that partnership's pay waits (risk score, missing ad disclosure)
    held: dict[str, list[str]] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Creditor:
    handle: str
    name: str
    iban: str | None
    bic: str | None
    holder: str | None


def workspace_id(conn: Connection, slug: str) -> int:
    found = find_workspace(conn, slug)
    if found is None:
        raise PerfluenceError(ErrorCode.NOT_FOUND, f"workspace {slug!r} not found")
    return found.id


def creator_id(conn: Connection, ws_id: int, handle: str) -> int:
    wanted = normalise_handle(handle, "creator")
    found = creator_ids(conn, ws_id, [wanted])
    if wanted not in found:
        raise PerfluenceError(ErrorCode.NOT_FOUND, f"creator {wanted!r} not found", field="creator")
    return found[wanted]


def _line(p: int, e: LedgerEntry, covers: tuple[date, date] | None = None) -> SourceLine:
    return SourceLine(
        partnership_id=p,
        kind=e.kind,
        amount=e.amount,
        payable_on=e.payable_on,
        description=e.description,
        basis=e.basis,
        rate=e.rate,
        covers_from=None if covers is None else covers[0],
        covers_to=None if covers is None else covers[1],
    )


def new_click_lines(
    conn: Connection, pid: int, campaign: str, terms: ContractTerms, end: date
) -> list[SourceLine]:
    """A click line for the unique clicks of the days after the last paid-for day, to ``end``."""
    if terms.cpc_rate is None:
        return []
    covered = repo.click_coverage(conn, [pid]).get(pid)
    start = None if covered is None else covered + timedelta(days=1)
    if start is not None and start > end:
        return []
    count, first = repo.unique_clicks(conn, pid, start, end)
    span_from = start or first
    if span_from is None:
        return []
    return [
        _line(pid, _prefixed(campaign, e), (span_from, end))
        for e in accrue_clicks(terms, count, span_from, end)
    ]


def _prefixed(campaign: str, e: LedgerEntry) -> LedgerEntry:
    """Lines a statement makes name their campaign: a creator's statement spans several."""
    return LedgerEntry(e.kind, e.amount, e.payable_on, f"{campaign}: {e.description}")


def _pays_and_lines(
    conn: Connection, creator: int, end: date, held: Collection[int]
) -> tuple[list[PartnershipPay], list[SourceLine], dict[int, str]]:
    # A held partnership's lines stay unassigned in the ledger; a later statement
    # pays them once the hold is lifted.
    rows = [r for r in repo.creator_partnerships(conn, creator) if r.id not in held]
    ids = [r.id for r in rows]
    campaigns = {r.id: r.campaign_slug for r in rows}
    lines = repo.unassigned_lines(conn, ids, end)
    fee_dates = repo.flat_fee_dates(conn, ids)
    paid = repo.paid_variable(conn, ids)
    pays = []
    for r in rows:
        terms = terms_from_dict(r.terms_json)
        lines.extend(new_click_lines(conn, r.id, r.campaign_slug, terms, end))
        for e in flat_fee_due(terms, r.campaign_starts_on, end, fee_dates[r.id]):
            lines.append(_line(r.id, _prefixed(r.campaign_slug, e)))
        own = [(d, m) for p, d, m in paid if p == r.id]
        by_window: dict[date, Money] = {}
        if terms.cap_period is not None:
            for d, m in own:
                w = cap_window(terms.cap_period, d)
                by_window[w] = by_window.get(w, Money.zero(m.currency)) + m
        pays.append(
            PartnershipPay(
                partnership_id=r.id,
                campaign=r.campaign_slug,
                terms=terms,
                paid_total=sum_money((m for _, m in own), terms.currency),
                paid_by_window=by_window,
            )
        )
    return pays, lines, campaigns


def _rates(
    conn: Connection,
    lines: Sequence[SourceLine],
    pays: Sequence[PartnershipPay],
    currency: str,
    end: date,
) -> RateTable:
    """The ECB rates a statement ending on ``end`` may need, read on the statement's connection."""
    wanted = {ln.amount.currency for ln in lines} | {p.terms.currency for p in pays}
    if wanted <= {currency}:
        return RateTable({})
    wanted = (wanted | {currency}) - {BASE}
    by_currency: dict[str, dict[date, Decimal]] = {c: {} for c in wanted}
    since = end - timedelta(days=MAX_LOOKBACK_DAYS)
    for (day, code), rate in rates_between(conn, wanted, since, end).items():
        by_currency[code][day] = rate
    return RateTable(by_currency)


def _draw(
    conn: Connection, ws_id: int, handle: str, start: date, end: date, thresholds: TierThresholds
) -> tuple[StatementView, list[int]]:
    cid = creator_id(conn, ws_id, handle)
    currency = repo.creator_currency(conn, cid)
    all_holds = held_partnerships(conn, ws_id, thresholds)
    own = {r.id: r.campaign_slug for r in repo.creator_partnerships(conn, cid)}
    held = {pid: reasons for pid, reasons in all_holds.items() if pid in own}
    pays, lines, campaigns = _pays_and_lines(conn, cid, end, held)
    carried = statements_repo.open_carried(conn, cid)
    carried_in = sum_money((c.total for c in carried), currency)
    statement = draw_up(
        creator_id=cid,
        currency=currency,
        period_start=start,
        period_end=end,
        pays=pays,
        lines=lines,
        carried_in=carried_in,
        rates=_rates(conn, lines, pays, currency, end),
    )
    held_by_campaign = {own[pid]: reasons for pid, reasons in held.items()}
    view = StatementView(None, normalise_handle(handle), statement, campaigns, held_by_campaign)
    return view, [c.id for c in carried]


def _period(start: date | str, end: date | str) -> tuple[date, date]:
    try:
        s = start if isinstance(start, date) else date.fromisoformat(start)
        e = end if isinstance(end, date) else date.fromisoformat(end)
    except ValueError:
        raise PerfluenceError(
            ErrorCode.INVALID, "dates must be YYYY-MM-DD", field="period"
        ) from None
    if e < s:
        raise PerfluenceError(ErrorCode.INVALID, "the period ends before it starts", field="period")
    return s, e


def preview_statement(
    ctx: Context, workspace: str, creator: str, start: date | str, end: date | str
) -> StatementView:
    """The statement ``create`` would write now; writes nothing."""
    s, e = _period(start, end)
    with ctx.engine.connect() as conn:
        ws_id = workspace_id(conn, workspace)
        view, _ = _draw(conn, ws_id, creator, s, e, tier_thresholds(ctx.settings))
    return view


def create_statement(
    ctx: Context, workspace: str, creator: str, start: date | str, end: date | str
) -> StatementView:
    """Write the statement and claim its lines, in one transaction.

    A statement below the minimum payout (or negative) is written as
    ``carried``; its total is taken over by the creator's next statement.
    """
    s, e = _period(start, end)
    with ctx.engine.begin() as conn:
        ws_id = workspace_id(conn, workspace)
        cid = creator_id(conn, ws_id, creator)
        clash = statements_repo.overlapping(conn, cid, s, e)
        if clash is not None:
            raise PerfluenceError(
                ErrorCode.DUPLICATE,
                f"statement {clash.id} already covers {clash.period_start.isoformat()} to "
                f"{clash.period_end.isoformat()} for {clash.creator_handle!r}",
            )
        view, carried = _draw(conn, ws_id, creator, s, e, tier_thresholds(ctx.settings))
        if not view.statement.lines and view.statement.carried_in.is_zero():
            raise PerfluenceError(
                ErrorCode.INVALID,
                f"nothing to pay {view.creator!r} for {s.isoformat()} to {e.isoformat()}",
            )
        new_id = statements_repo.insert_statement(conn, ws_id, view.statement, carried, ctx.now())
    return StatementView(new_id, view.creator, view.statement, view.campaigns, view.held)


_NEXT = {
    StatementStatus.APPROVED: StatementStatus.PENDING,
    StatementStatus.PAID: StatementStatus.APPROVED,
}


def _advance(
    ctx: Context, workspace: str, statement_id: int, to: StatementStatus
) -> statements_repo.StatementRow:
    before = _NEXT[to]
    with ctx.engine.begin() as conn:
        ws_id = workspace_id(conn, workspace)
        found = statements_repo.list_statements(conn, ws_id, statement_id=statement_id)
        if not found:
            raise PerfluenceError(ErrorCode.NOT_FOUND, f"statement {statement_id} not found")
        if not statements_repo.set_status(conn, statement_id, before, to, ctx.now()):
            raise PerfluenceError(
                ErrorCode.INVALID,
                f"statement {statement_id} is {found[0].status}; only a {before} statement "
                f"can become {to}",
            )
        audit.record(
            conn,
            at=ctx.now(),
            action=AuditAction(f"payout.{to.value}"),
            subject=f"statement:{statement_id}",
            workspace_id=ws_id,
        )
        return statements_repo.list_statements(conn, ws_id, statement_id=statement_id)[0]


def approve_statement(
    ctx: Context, workspace: str, statement_id: int
) -> statements_repo.StatementRow:
    """pending -> approved."""
    return _advance(ctx, workspace, statement_id, StatementStatus.APPROVED)


def mark_paid(ctx: Context, workspace: str, statement_id: int) -> statements_repo.StatementRow:
    """approved -> paid."""
    return _advance(ctx, workspace, statement_id, StatementStatus.PAID)


def list_statements(
    ctx: Context, workspace: str, *, creator: str | None = None, status: str | None = None
) -> list[statements_repo.StatementRow]:
    wanted = None
    if status is not None:
        try:
            wanted = StatementStatus(status.strip().lower())
        except ValueError:
            choices = ", ".join(s.value for s in StatementStatus)
            raise PerfluenceError(
                ErrorCode.INVALID, f"status {status!r} is not one of {choices}", field="status"
            ) from None
    with ctx.engine.connect() as conn:
        ws_id = workspace_id(conn, workspace)
        cid = None if creator is None else creator_id(conn, ws_id, creator)
        return statements_repo.list_statements(conn, ws_id, creator_id=cid, status=wanted)


def statement_lines(
    ctx: Context, workspace: str, statement_id: int
) -> tuple[statements_repo.StatementRow, list[statements_repo.StoredLine]]:
    with ctx.engine.connect() as conn:
        ws_id = workspace_id(conn, workspace)
        found = statements_repo.list_statements(conn, ws_id, statement_id=statement_id)
        if not found:
            raise PerfluenceError(ErrorCode.NOT_FOUND, f"statement {statement_id} not found")
        return found[0], statements_repo.statement_lines(
            conn, statement_id, found[0].total.currency
        )


def set_bank_details(
    ctx: Context, workspace: str, creator: str, iban: str, bic: str | None, holder: str | None
) -> Creditor:
    """Store a creator's IBAN (checked), BIC and account holder for SEPA transfers."""
    clean_iban = normalise_iban(iban)
    clean_bic = None if bic is None or not bic.strip() else normalise_bic(bic)
    with ctx.engine.begin() as conn:
        ws_id = workspace_id(conn, workspace)
        cid = creator_id(conn, ws_id, creator)
        repo.set_bank_details(conn, cid, clean_iban, clean_bic, holder.strip() if holder else None)
        return creditor(conn, ws_id, cid)


def creditor(conn: Connection, ws_id: int, cid: int) -> Creditor:
    handle, name, iban, bic, holder = repo.creditor(conn, cid)
    return Creditor(handle, name, iban, bic, holder)
