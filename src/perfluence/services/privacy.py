"""Erasing a person's identifiers on request (GDPR article 17): a shop's customer, a creator.

A **customer** is found by e-mail (matched as the SHA-256 the shops' data is
stored under), by customer ref, or by one of their orders (which names the
customer ref, so every other order of theirs goes too). Their conversions keep
kind, time, amount, currency, credit, attribution and ledger lines: every
report and payout adds up to the same figures. What goes: the customer ref,
the order, payment and external ids (the external id becomes
``forgotten:<conversion id>``, which stays unique) and the visitor hash of
every click the customer's conversions link to, and of every other click
with the same hash (each gets a random hash of its own, matching no one).

A **creator** loses handle, e-mail, notes, account handles and URLs, post ids,
URLs, captions and comments, their codes and link slugs (tombstoned, links
paused, partnerships ended) and every ``@handle`` in attribution reasons.
Followers, post metrics, clicks, conversions, ledger lines and statements stay.
When the creator has statements that were approved or paid, their name and
bank details stay too: bookkeeping law keeps payment records for 5 (DK, NO) to
7 (SE) years (article 17(3)(b)); they are erased otherwise.

Each request goes into the audit log under a keyed hash of the identifier,
never the identifier: a repeated request is recognised (``repeat_of``).
perfluence keeps no copy of webhook bodies, names or postal addresses, so
there is nothing else to erase (docs/security.md).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from sqlalchemy import Connection

from perfluence.conversions.identity import email_hash
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services import audit
from perfluence.services.audit import AuditAction
from perfluence.services.context import Context
from perfluence.services.creators import normalise_handle, validate_email
from perfluence.store import privacy as repo
from perfluence.store import privacy_creators as creators_repo
from perfluence.store.users import bump_portal_version
from perfluence.store.workspaces import find_workspace

MAX_IDENTIFIER: Final = 200
CustomerKey = Literal["email", "customer_ref", "order"]


@dataclass(frozen=True, slots=True)
class CustomerErasure:
    workspace: str
    conversions: int
    clicks: int
    # When the same identifier was forgotten before (the first time), else None.
    repeat_of: datetime | None


@dataclass(frozen=True, slots=True)
class CreatorErasure:
    workspace: str
    tombstone: str | None
    kept_for_bookkeeping: tuple[str, ...]
    accounts: int
    posts: int
    codes: int
    links: int
    partnerships: int
    conversions: int
    repeat_of: datetime | None


def _identifier(value: str, field: str) -> str:
    cleaned = value.strip()
    if not cleaned:
        raise PerfluenceError(ErrorCode.INVALID, f"{field} is empty", field=field)
    if len(cleaned) > MAX_IDENTIFIER:
        raise PerfluenceError(
            ErrorCode.INVALID, f"{field} is longer than {MAX_IDENTIFIER} characters", field=field
        )
    return cleaned


def _customer_key(
    email: str | None, customer_ref: str | None, order: str | None
) -> tuple[CustomerKey, str]:
    given = [
        (kind, value)
        for kind, value in (("email", email), ("customer_ref", customer_ref), ("order", order))
        if value is not None
    ]
    if len(given) != 1:
        raise PerfluenceError(
            ErrorCode.INVALID, "name the customer by exactly one of email, customer_ref, order"
        )
    kind, value = given[0]
    cleaned = _identifier(value, kind)
    if kind == "customer_ref" and "@" in cleaned:
        # The track API stores an e-mail given as customer_ref as its hash; so does this.
        kind = "email"
    if kind == "email":
        cleaned = validate_email(cleaned).lower()
        return "email", cleaned
    return ("customer_ref" if kind == "customer_ref" else "order"), cleaned


def _first_time(ctx: Context, subject: str) -> datetime | None:
    earlier = audit.list_entries(ctx, action="privacy.", subject=subject, limit=audit.MAX_LISTED)
    return min((e.created_at for e in earlier), default=None)


@contextmanager
def _transaction(ctx: Context, dry_run: bool) -> Iterator[Connection]:
    """One transaction; a dry run rolls it back, so it counts exactly what a real run erases."""
    with ctx.engine.connect() as conn:
        tx = conn.begin()
        try:
            yield conn
        except BaseException:
            tx.rollback()
            raise
        if dry_run:
            tx.rollback()
        else:
            tx.commit()


def _workspace_id(ctx: Context, slug: str) -> int:
    with ctx.engine.connect() as conn:
        found = find_workspace(conn, slug)
    if found is None:
        raise PerfluenceError(
            ErrorCode.NOT_FOUND, f"workspace {slug!r} not found", field="workspace"
        )
    return found.id


def forget_customer(
    ctx: Context,
    workspace: str,
    *,
    email: str | None = None,
    customer_ref: str | None = None,
    order: str | None = None,
    actor: str = audit.CLI_ACTOR,
    dry_run: bool = False,
) -> CustomerErasure:
    """Erase one customer's identifiers in ``workspace``; nothing found is not an error."""
    kind, value = _customer_key(email, customer_ref, order)
    workspace_id = _workspace_id(ctx, workspace)
    subject = f"customer:{audit.subject_digest(ctx, f'{workspace_id}:{kind}', value)}"
    repeat_of = _first_time(ctx, subject)
    refs: set[str] = set()
    orders: set[str] = set()
    if kind == "email":
        digest = email_hash(value)
        refs |= {value} if digest is None else {value, digest}
    elif kind == "customer_ref":
        refs.add(value)
    else:
        orders.add(value)
    with _transaction(ctx, dry_run) as conn:
        ids = repo.conversions_matching(conn, workspace_id, refs, orders)
        # An order names its customer: their other orders go too.
        refs |= repo.customer_refs_of(conn, workspace_id, ids)
        ids |= repo.conversions_matching(conn, workspace_id, refs, ())
        ids |= repo.reversal_partners(conn, workspace_id, ids)
        click_ids = repo.carried_click_ids(conn, workspace_id, ids)
        hashes = repo.visitor_hashes_of_clicks(conn, workspace_id, click_ids)
        click_rows = repo.clicks_of_visitors(conn, workspace_id, hashes)
        tombstones = repo.order_identifiers(conn, workspace_id, ids)
        erased = repo.erase_conversion_identifiers(conn, workspace_id, sorted(ids))
        repo.rewrite_reasons(conn, workspace_id, tombstones)
        unlinked = repo.unlink_clicks(conn, workspace_id, click_rows)
        audit.record(
            conn,
            at=ctx.now(),
            action=AuditAction.CUSTOMER_FORGOTTEN,
            subject=subject,
            actor=actor,
            workspace_id=workspace_id,
            details={"by": kind, "conversions": erased, "clicks": unlinked},
        )
    return CustomerErasure(workspace, erased, unlinked, repeat_of)


def forget_creator(
    ctx: Context,
    workspace: str,
    handle: str,
    *,
    actor: str = audit.CLI_ACTOR,
    dry_run: bool = False,
) -> CreatorErasure:
    """Erase a creator's identifiers in ``workspace``; their figures and payment records stay."""
    wanted = normalise_handle(handle)
    workspace_id = _workspace_id(ctx, workspace)
    subject = f"creator:{audit.subject_digest(ctx, f'{workspace_id}:creator', wanted)}"
    repeat_of = _first_time(ctx, subject)
    with _transaction(ctx, dry_run) as conn:
        creator = creators_repo.find_creator(conn, workspace_id, wanted)
        if creator is None:
            if repeat_of is None:
                raise PerfluenceError(
                    ErrorCode.NOT_FOUND, f"creator {handle!r} not found", field="handle"
                )
            return CreatorErasure(workspace, None, (), 0, 0, 0, 0, 0, 0, repeat_of)
        keep_payee = creators_repo.booked_statements(conn, workspace_id, creator.id) > 0
        kept = ("name", "iban", "bic", "account_holder") if keep_payee else ()
        tombstone = creators_repo.creator_tombstone(creator.id)
        pattern = creators_repo.mentions(
            [creator.handle, creator.name, creator.email or "", creator.account_holder or ""]
        )
        pids = creators_repo.partnership_ids(conn, workspace_id, creator.id)
        creators_repo.erase_profile(conn, workspace_id, creator, keep_payee=keep_payee)
        accounts = creators_repo.unname_accounts(conn, workspace_id, creator.id)
        posts = creators_repo.unname_posts(conn, workspace_id, creator.id)
        codes = creators_repo.retire_codes(conn, workspace_id, pids)
        links = creators_repo.retire_links(conn, workspace_id, pids, pattern, ctx.now())
        ended = creators_repo.end_partnerships(conn, workspace_id, pids, pattern)
        rewritten = creators_repo.rewrite_conversions(
            conn, workspace_id, creator.handle, tombstone, codes
        )
        bump_portal_version(conn, creator.id, ctx.now())
        result = CreatorErasure(
            workspace,
            tombstone,
            kept,
            accounts,
            len(posts),
            len(codes),
            links,
            ended,
            rewritten,
            repeat_of,
        )
        audit.record(
            conn,
            at=ctx.now(),
            action=AuditAction.CREATOR_FORGOTTEN,
            subject=subject,
            actor=actor,
            workspace_id=workspace_id,
            details={
                "creator_id": creator.id,
                "kept_for_bookkeeping": list(kept),
                "accounts": accounts,
                "posts": len(posts),
                "codes": len(codes),
                "links": links,
                "partnerships": ended,
                "conversions": rewritten,
            },
        )
    return result
