"""Conversions: the S2S API, webhook events and the listing, one use case each.

Every write is idempotent on (workspace, source, kind, external id): a repeat
returns the first result unchanged with ``created=False``, even when its
payload differs. One transaction per event stores the conversion, its credit
and its ledger lines together. See ``docs/attribution.md`` ("How perfluence
applies this to stored conversions").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Literal

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from perfluence.conversions import ingest
from perfluence.conversions.identity import (
    MAX_CODE_LENGTH,
    clean_click_id,
    clean_codes,
    clean_country,
    email_hash,
)
from perfluence.conversions.incoming import IncomingEvent, from_normalised, with_source
from perfluence.core.model import ConversionKind, NormalisedEvent
from perfluence.core.money import Money
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services.context import Context
from perfluence.store import conversion_views as views
from perfluence.store.workspaces import find_workspace

MAX_EXTERNAL_ID = 200
MAX_CUSTOMER_REF = 200
# Sources the S2S API and the CSV import write under; webhooks use their shop's name.
API_SOURCE = "api"
CSV_SOURCE = "csv"


@dataclass(frozen=True, slots=True)
class TrackRequest:
    """One event from the server-to-server API (``POST /api/v1/track/{kind}``)."""

    kind: Literal["lead", "sale", "refund"]
    external_id: str
    amount: Money | None  # required for sale and refund; optional for lead
    occurred_at: datetime | None  # None: now
    click_id: str | None = None
    code: str | None = None
    # An opaque id or a hash; a value containing '@' is an e-mail and is hashed here.
    customer_ref: str | None = None
    reverses_external_id: str | None = None  # refunds: the sale's external id
    country: str | None = None


@dataclass(frozen=True, slots=True)
class IngestResult:
    """What the API answers; a repeat gets the first result with ``created=False``."""

    conversion_id: int
    created: bool
    kind: str
    external_id: str
    status: str
    attribution_method: str
    partnership_id: int | None
    creator_handle: str | None
    campaign_slug: str | None
    reason: str
    seconds_from_click: int | None
    flags: tuple[str, ...]


ConversionView = views.ConversionView
LedgerLineView = views.LedgerLineView


def _text(value: str | None, field: str, limit: int) -> str | None:
    if value is None:
        return None
    stripped = value.strip()
    if len(stripped) > limit:
        raise PerfluenceError(
            ErrorCode.INVALID, f"{field} is longer than {limit} characters", field=field
        )
    return stripped or None


def _customer(value: str | None) -> str | None:
    ref = _text(value, "customer_ref", MAX_CUSTOMER_REF)
    if ref is not None and "@" in ref:
        return email_hash(ref)
    return ref


def event_from_request(request: TrackRequest, now: datetime) -> IncomingEvent:
    """Validate an API request into the event the ingest stores."""
    try:
        kind = ConversionKind(request.kind)
    except ValueError:
        raise PerfluenceError(
            ErrorCode.INVALID, f"kind {request.kind!r} is not lead, sale or refund", field="kind"
        ) from None
    external_id = _text(request.external_id, "external_id", MAX_EXTERNAL_ID)
    if external_id is None:
        raise PerfluenceError(ErrorCode.INVALID, "external_id is missing", field="external_id")
    amount = request.amount
    if amount is None and kind is not ConversionKind.LEAD:
        raise PerfluenceError(ErrorCode.INVALID, f"a {kind} needs an amount", field="amount")
    if amount is not None and amount.amount < 0:
        raise PerfluenceError(
            ErrorCode.INVALID,
            "amount must not be negative (a refund is sent as a positive amount)",
            field="amount",
        )
    occurred = request.occurred_at or now
    if occurred.utcoffset() is None:
        raise PerfluenceError(
            ErrorCode.INVALID, "occurred_at needs a UTC offset", field="occurred_at"
        )
    reverses = _text(request.reverses_external_id, "reverses_external_id", MAX_EXTERNAL_ID)
    if kind is ConversionKind.REFUND and reverses is None:
        raise PerfluenceError(
            ErrorCode.INVALID,
            "a refund needs reverses_external_id (the sale's external id)",
            field="reverses_external_id",
        )
    if (
        request.click_id is not None
        and request.click_id.strip()
        and not clean_click_id(request.click_id)
    ):
        raise PerfluenceError(
            ErrorCode.INVALID, f"click_id {request.click_id!r} is not a pf_cid", field="click_id"
        )
    if request.code is not None and len(request.code.strip()) > MAX_CODE_LENGTH:
        raise PerfluenceError(
            ErrorCode.INVALID, f"code is longer than {MAX_CODE_LENGTH} characters", field="code"
        )
    if request.country is not None and clean_country(request.country) is None:
        raise PerfluenceError(
            ErrorCode.INVALID,
            f"country {request.country!r} is not an ISO 3166 alpha-2 code",
            field="country",
        )
    return IncomingEvent(
        source=API_SOURCE,
        kind=kind,
        external_id=external_id,
        occurred_at=occurred.astimezone(UTC),
        amount=amount,
        click_id=clean_click_id(request.click_id),
        codes=clean_codes([request.code]),
        customer_ref=_customer(request.customer_ref),
        reverses_external_id=reverses,
        country=clean_country(request.country),
    )


def _result(view: views.ConversionView, created: bool) -> IngestResult:
    return IngestResult(
        conversion_id=view.id,
        created=created,
        kind=view.kind,
        external_id=view.external_id,
        status=view.status,
        attribution_method=view.attribution_method,
        partnership_id=view.partnership_id,
        creator_handle=view.creator_handle,
        campaign_slug=view.campaign_slug,
        reason=view.reason,
        seconds_from_click=view.seconds_from_click,
        flags=view.flags,
    )


def store_event(ctx: Context, workspace_id: int, event: IncomingEvent) -> IngestResult:
    """Store one event in its own transaction; a repeat returns the first result."""
    key = (event.source, str(event.kind), event.external_id)
    with ctx.engine.connect() as conn:
        existing = views.find_view(conn, workspace_id, *key)
    if existing is not None:
        return _result(existing, created=False)
    try:
        with ctx.engine.begin() as conn:
            conversion_id = ingest.ingest_event(conn, workspace_id, event, ctx.now())
            view = views.view_by_id(conn, workspace_id, conversion_id)
    except IntegrityError:
        # A concurrent delivery of the same event won the unique constraint.
        with ctx.engine.connect() as conn:
            existing = views.find_view(conn, workspace_id, *key)
        if existing is None:
            raise
        return _result(existing, created=False)
    return _result(view, created=True)


def track(ctx: Context, workspace_id: int, source: str, request: TrackRequest) -> IngestResult:
    """Record one lead, sale or refund from the S2S API (``source`` is normally ``api``)."""
    event = event_from_request(request, ctx.now())
    if source != API_SOURCE:
        event = with_source(event, _text(source, "source", 20) or API_SOURCE)
    return store_event(ctx, workspace_id, event)


def record_events(
    ctx: Context, workspace_id: int, events: Sequence[NormalisedEvent]
) -> list[IngestResult]:
    """Store what a verified webhook delivery carried (``Accepted.events``), in order.

    Each event gets its own transaction, so a redelivered order update stores
    only the refunds it had not seen. An event that is refused (a refund in
    another currency than its sale) raises after the events before it were
    stored; the shop's retry then finds those already stored.
    """
    return [store_event(ctx, workspace_id, from_normalised(e)) for e in events]


def _workspace_id(conn: Connection, slug: str) -> int:
    found = find_workspace(conn, slug)
    if found is None:
        raise PerfluenceError(
            ErrorCode.NOT_FOUND, f"workspace {slug!r} not found", field="workspace"
        )
    return found.id


def list_conversions(
    ctx: Context,
    workspace_slug: str,
    *,
    campaign: str | None = None,
    creator: str | None = None,
    kind: str | None = None,
    limit: int = 100,
    offset: int = 0,
    occurred_from: datetime | None = None,
    occurred_before: datetime | None = None,
) -> list[ConversionView]:
    """The workspace's conversions, newest first, optionally for one campaign, creator or kind,
    and occurred in ``[occurred_from, occurred_before)``; ``offset`` skips the newest ones."""
    if kind is not None and kind not in {k.value for k in ConversionKind}:
        raise PerfluenceError(
            ErrorCode.INVALID, f"kind {kind!r} is not lead, sale or refund", field="kind"
        )
    for name, bound in (("occurred_from", occurred_from), ("occurred_before", occurred_before)):
        if bound is not None and bound.utcoffset() is None:
            raise PerfluenceError(ErrorCode.INVALID, f"{name} needs a UTC offset", field=name)
    with ctx.engine.connect() as conn:
        ws = _workspace_id(conn, workspace_slug)
        return views.list_views(
            conn,
            ws,
            campaign_slug=campaign,
            creator_handle=creator.lstrip("@") if creator else None,
            kind=kind,
            limit=max(1, min(limit, 10_000)),
            offset=max(0, offset),
            occurred_from=occurred_from,
            occurred_before=occurred_before,
        )


@dataclass(frozen=True, slots=True)
class ConversionDetail:
    conversion: ConversionView
    ledger: tuple[LedgerLineView, ...]  # the lines it wrote, for every partnership it credits


def show_conversion(
    ctx: Context, workspace_slug: str, external_id: str, *, source: str | None = None
) -> list[ConversionDetail]:
    """Every conversion with this external id (a sale and its refund may share one), with lines."""
    with ctx.engine.connect() as conn:
        ws = _workspace_id(conn, workspace_slug)
        found = views.views_by_external_id(conn, ws, external_id.strip(), source=source)
        lines = views.ledger_lines(conn, ws, [v.id for v in found])
    if not found:
        raise PerfluenceError(
            ErrorCode.NOT_FOUND, f"no conversion with external id {external_id!r}"
        )
    return [
        ConversionDetail(v, tuple(line for line in lines if line.conversion_id == v.id))
        for v in found
    ]


def get_conversion(ctx: Context, workspace_slug: str, conversion_id: int) -> ConversionDetail:
    """One conversion of the workspace by its id, with the ledger lines it wrote."""
    with ctx.engine.connect() as conn:
        ws = _workspace_id(conn, workspace_slug)
        found = views.find_view_by_id(conn, ws, conversion_id)
        if found is None:
            raise PerfluenceError(ErrorCode.NOT_FOUND, f"conversion {conversion_id} not found")
        lines = views.ledger_lines(conn, ws, [found.id])
    return ConversionDetail(found, tuple(lines))


def reaccrue(ctx: Context, workspace_slug: str) -> int:
    """Write the ledger lines conversions flagged ``fx_rate_missing`` could not get; idempotent.

    Run it after importing the missing ECB rates. Returns how many conversions
    got their lines.
    """
    with ctx.engine.begin() as conn:
        ws = _workspace_id(conn, workspace_slug)
        return ingest.reaccrue_missing(conn, ws, ctx.now())
