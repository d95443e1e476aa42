"""Storing one conversion: attribute → flag → store → credit → ledger, on the caller's connection.

The caller (``services.conversions``) owns the transaction and the
idempotency check; everything here happens inside it, so a conversion, its
credit and its ledger lines are stored together or not at all. Refunds take
their own path (``conversions.refunds``).

Evidence is gathered per workspace only: a click id minted for another
workspace is unknown here. Which window and conflict rule apply: see
``docs/attribution.md``, "How perfluence applies this to stored conversions".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Final

from sqlalchemy import Connection

from perfluence.conversions import accrual, refunds
from perfluence.conversions.identity import email_hash
from perfluence.conversions.incoming import IncomingEvent, conversion_row
from perfluence.core.attribution import (
    DEFAULT_WINDOW,
    AttributionResult,
    AttributionRule,
    ConflictRule,
    ConversionFacts,
    Touch,
    attribute_conversion,
)
from perfluence.core.model import ConversionKind
from perfluence.core.money import Money
from perfluence.core.payouts import LedgerEntry
from perfluence.store import conversion_evidence as evidence
from perfluence.store import conversions as repo
from perfluence.store.codes import find_code

DUPLICATE_SPAN: Final = timedelta(minutes=10)
FAST_CONVERSION_SECONDS: Final = 10


# --- attribution ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Attribution:
    result: AttributionResult
    code: str | None
    partnerships: dict[int, evidence.PartnershipFacts]


def _code(
    conn: Connection, workspace_id: int, codes: tuple[str, ...]
) -> tuple[str | None, int | None]:
    """The first code that belongs to a partnership, else the first code given."""
    for code in codes:
        found = find_code(conn, workspace_id, code)
        if found is not None:
            return found.code, found.partnership_id
    return (codes[0] if codes else None), None


def _touch(click: evidence.ClickEvidence, key: str | None) -> Touch:
    return Touch(
        click_id=click.click_id,
        partnership_id=click.partnership_id,
        link_id=click.link_id,
        time=click.occurred_at,
        customer_key=key,
        is_bot=click.is_bot,
    )


def _within_own_window(
    click: evidence.ClickEvidence, when: datetime, facts: dict[int, evidence.PartnershipFacts]
) -> bool:
    window = timedelta(days=facts[click.partnership_id].window_days)
    return not click.is_bot and timedelta(0) <= when - click.occurred_at <= window


def attribute(conn: Connection, workspace_id: int, event: IncomingEvent) -> Attribution:
    """Gather the evidence for ``event`` and let ``core.attribution`` pick the winner."""
    when = event.occurred_at
    carried = (
        None if event.click_id is None else evidence.find_click(conn, workspace_id, event.click_id)
    )
    code, code_pid = _code(conn, workspace_id, event.codes)
    visitors = (
        set()
        if event.customer_ref is None
        else evidence.customer_visitors(conn, workspace_id, event.customer_ref)
    )
    if carried is not None:
        visitors.add(carried.visitor_hash)
    key = event.customer_ref or (f"visitor:{carried.visitor_hash}" if carried else None)
    longest = timedelta(days=evidence.longest_window_days(conn, workspace_id))
    history = (
        evidence.visitor_clicks(conn, workspace_id, visitors, when - longest, when)
        if visitors
        else []
    )
    pids = {c.partnership_id for c in history}
    pids |= {carried.partnership_id} if carried else set()
    pids |= {code_pid} if code_pid is not None else set()
    facts = evidence.partnership_facts(conn, workspace_id, pids)
    eligible = [c for c in history if _within_own_window(c, when, facts)]
    touches = {c.click_id: _touch(c, key) for c in eligible}
    if carried is not None:
        touches[carried.click_id] = _touch(carried, key)
    rule = _rule(carried, eligible, facts)
    result = attribute_conversion(
        ConversionFacts(
            time=when,
            amount=event.amount if event.amount is not None else Money.zero("EUR"),
            click_id=event.click_id,
            code=code,
            code_partnership_id=code_pid,
            customer_key=key,
        ),
        touches.values(),
        rule,
        labels={pid: f"@{f.creator_handle}" for pid, f in facts.items()},
    )
    return Attribution(result, code, facts)


def _rule(
    carried: evidence.ClickEvidence | None,
    eligible: list[evidence.ClickEvidence],
    facts: dict[int, evidence.PartnershipFacts],
) -> AttributionRule:
    """The carried click's campaign decides; else the campaign of the customer's latest click."""
    anchor = carried or (eligible[-1] if eligible else None)
    if anchor is None:
        return AttributionRule(window=DEFAULT_WINDOW)
    campaign = facts[anchor.partnership_id]
    return AttributionRule(
        window=timedelta(days=campaign.window_days),
        conflict=ConflictRule(campaign.conflict_rule),
    )


# --- flags ---------------------------------------------------------------------------


def _flags(
    conn: Connection,
    workspace_id: int,
    event: IncomingEvent,
    amount: Money,
    found: Attribution,
) -> list[str]:
    flags: list[str] = []
    result = found.result
    own = {event.customer_email_hash, event.customer_ref} - {None}
    for pid, _ in result.shares:
        creator_hash = email_hash(found.partnerships[pid].creator_email)
        if creator_hash is not None and creator_hash in own:
            flags.append("self_referral")
            break
    if (
        event.customer_ref is not None
        and result.partnership_id is not None
        and evidence.duplicate_exists(
            conn,
            workspace_id,
            kind=str(event.kind),
            external_id=event.external_id,
            customer_ref=event.customer_ref,
            amount_minor=amount.minor_units,
            currency=amount.currency,
            partnership_id=result.partnership_id,
            since=event.occurred_at - DUPLICATE_SPAN,
            until=event.occurred_at + DUPLICATE_SPAN,
        )
    ):
        flags.append("duplicate")
    if event.test:
        flags.append("test")
    if (
        result.seconds_from_click is not None
        and result.seconds_from_click < FAST_CONVERSION_SECONDS
    ):
        flags.append("fast_conversion")
    if len(event.codes) > 1:
        flags.append("multiple_codes")
    return flags


# --- storing -------------------------------------------------------------------------


def ingest_event(conn: Connection, workspace_id: int, event: IncomingEvent, now: datetime) -> int:
    """Store ``event`` with its attribution, credit and ledger lines; return the conversion id."""
    if event.kind is ConversionKind.REFUND:
        return refunds.ingest_refund(conn, workspace_id, event, now)
    amount = (
        event.amount.quantize()
        if event.amount is not None
        else Money.zero(repo.workspace_currency(conn, workspace_id))
    )
    found = attribute(conn, workspace_id, event)
    result = found.result
    flags = _flags(conn, workspace_id, event, amount, found)
    credits = [
        repo.Credit(pid, share, part)
        for (pid, share), part in zip(result.shares, result.credit(amount).values(), strict=True)
    ]
    ledger: dict[int, list[LedgerEntry]] = {}
    if not event.test:
        for credit in credits:
            entries = accrual.earning_entries(
                conn,
                found.partnerships[credit.partnership_id].terms,
                str(event.kind),
                credit.amount,
                event.occurred_at,
                event.country,
                event.product_ids,
                event.lines,
            )
            if entries is None:
                flags.append(accrual.FX_RATE_MISSING)
            else:
                ledger[credit.partnership_id] = entries
    row = conversion_row(workspace_id, event, amount, now) | {
        "code": found.code,
        "partnership_id": result.partnership_id,
        "link_id": result.link_id,
        "attribution_method": str(result.method),
        "attribution_reason": result.reason,
        "seconds_from_click": result.seconds_from_click,
        "flags": list(dict.fromkeys(flags)),
    }
    conversion_id = repo.insert_conversion(conn, row)
    repo.insert_credits(conn, workspace_id, conversion_id, credits)
    for pid, entries in ledger.items():
        accrual.write_entries(conn, workspace_id, pid, conversion_id, entries, now)
    if event.kind is ConversionKind.SALE:
        refunds.adopt_orphans(conn, workspace_id, conversion_id, now)
    return conversion_id


def reaccrue_missing(conn: Connection, workspace_id: int, now: datetime) -> int:
    """Ledger lines for conversions stored without them for want of an FX rate; idempotent.

    Sales and leads first, in id order, then refunds, so a refund reverses
    what its sale has just been given. A conversion whose rate is still
    missing is left as it is.
    """
    done = 0
    for conversion_id in repo.flagged(conn, workspace_id, accrual.FX_RATE_MISSING):
        stored = repo.conversion_by_id(conn, workspace_id, conversion_id)
        if stored is None or stored.status == "rejected":
            continue
        if stored.kind == "refund":
            wrote = refunds.reaccrue_refund(conn, workspace_id, stored, now)
        else:
            wrote = _reaccrue_earning(conn, workspace_id, stored, now)
        done += int(wrote)
    return done


def _reaccrue_earning(
    conn: Connection, workspace_id: int, stored: repo.StoredConversion, now: datetime
) -> bool:
    credits = repo.credits_of(conn, workspace_id, stored.id)
    facts = evidence.partnership_facts(conn, workspace_id, {c.partnership_id for c in credits})
    ledger: dict[int, list[LedgerEntry]] = {}
    for credit in credits:
        if repo.has_lines(conn, workspace_id, stored.id, credit.partnership_id):
            continue
        entries = accrual.earning_entries(
            conn,
            facts[credit.partnership_id].terms,
            stored.kind,
            credit.amount,
            stored.occurred_at,
            stored.country,
            tuple(ln.product_id for ln in stored.lines if ln.product_id is not None),
            stored.lines,
        )
        if entries is None:
            return False
        ledger[credit.partnership_id] = entries
    for pid, entries in ledger.items():
        accrual.write_entries(conn, workspace_id, pid, stored.id, entries, now)
    return bool(ledger)
