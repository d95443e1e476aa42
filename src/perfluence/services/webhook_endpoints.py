"""Webhook endpoints: each workspace's signing secret per shop, and receiving a delivery.

The secrets are stored as given. An HMAC signature can only be checked with
the secret that made it, so unlike API keys they cannot be kept as a hash;
they are masked wherever they are shown and never logged. Whoever can read the
database can forge deliveries, which is why the database needs the same care
as the secret itself (docs/api.md).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Final, Literal

from perfluence.conversions.outcomes import Accepted, Ignored
from perfluence.conversions.payload import MAX_BODY_BYTES
from perfluence.conversions.webhooks import receive_webhook
from perfluence.core.model import WebhookSource
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services import audit, conversions
from perfluence.services.audit import AuditAction
from perfluence.services.context import Context
from perfluence.store import webhook_endpoints as repo
from perfluence.store.workspaces import find_workspace

MAX_DELIVERY_BYTES: Final = MAX_BODY_BYTES
MIN_SECRET_LENGTH: Final = 16
MAX_SECRET_LENGTH: Final = 500
_SECRET_SHAPE: Final = re.compile(r"[!-~]+", re.ASCII)  # printable ASCII, no spaces
_VISIBLE_TAIL: Final = 4


@dataclass(frozen=True, slots=True)
class WebhookEndpoint:
    """An endpoint as shown: the URL to paste into the shop and the masked secret."""

    workspace_slug: str
    source: WebhookSource
    url: str
    masked_secret: str
    created_at: datetime
    rotated_at: datetime | None


@dataclass(frozen=True, slots=True)
class DeliveryReceipt:
    """What one delivery amounted to, for the route's answer."""

    outcome: Literal["accepted", "ignored", "ping"]
    received: int = 0
    created: int = 0
    duplicates: int = 0
    reason: str | None = None
    results: tuple[conversions.IngestResult, ...] = ()


def parse_source(value: str, *, unknown: ErrorCode = ErrorCode.INVALID) -> WebhookSource:
    """``shopify``, ``woocommerce`` or ``stripe``; anything else raises ``unknown``."""
    try:
        return WebhookSource(value.strip().lower())
    except ValueError:
        known = ", ".join(s.value for s in WebhookSource)
        raise PerfluenceError(
            unknown, f"no webhook source {value!r}; use {known}", field="source"
        ) from None


def mask_secret(secret: str) -> str:
    """``••••••••wxyz``: enough to tell two secrets apart, never enough to use one."""
    tail = secret[-_VISIBLE_TAIL:] if len(secret) >= 4 * _VISIBLE_TAIL else ""
    return "•" * 8 + tail


def endpoint_url(ctx: Context, source: WebhookSource, workspace_slug: str) -> str:
    """The URL a shop delivers to."""
    return f"{ctx.settings.public_base_url}/webhooks/{source.value}/{workspace_slug}"


def _workspace_id(ctx: Context, slug: str) -> int:
    with ctx.engine.connect() as conn:
        found = find_workspace(conn, slug)
    if found is None:
        raise PerfluenceError(
            ErrorCode.NOT_FOUND, f"workspace {slug!r} not found", field="workspace"
        )
    return found.id


def _clean_secret(secret: str) -> str:
    value = secret.strip()
    if not value:
        raise PerfluenceError(ErrorCode.INVALID, "the secret is empty", field="secret")
    if not _SECRET_SHAPE.fullmatch(value):
        raise PerfluenceError(
            ErrorCode.INVALID,
            "the secret must be printable ASCII without spaces, as the shop shows it",
            field="secret",
        )
    if not MIN_SECRET_LENGTH <= len(value) <= MAX_SECRET_LENGTH:
        # A short secret makes forged deliveries (and so forged commissions) guessable.
        raise PerfluenceError(
            ErrorCode.INVALID,
            f"the secret has {len(value)} characters; use {MIN_SECRET_LENGTH}-"
            f"{MAX_SECRET_LENGTH} (the ones shops generate are 32 or more)",
            field="secret",
        )
    return value


def _endpoint(ctx: Context, slug: str, row: repo.WebhookEndpointRow) -> WebhookEndpoint:
    source = WebhookSource(row.source)
    return WebhookEndpoint(
        workspace_slug=slug,
        source=source,
        url=endpoint_url(ctx, source, slug),
        masked_secret=mask_secret(row.secret),
        created_at=row.created_at,
        rotated_at=row.rotated_at,
    )


def set_webhook_secret(
    ctx: Context, workspace_slug: str, source: str, secret: str, *, actor: str = audit.CLI_ACTOR
) -> WebhookEndpoint:
    """Set (or rotate) the signing secret the workspace's ``source`` shop signs with."""
    platform = parse_source(source)
    value = _clean_secret(secret)
    workspace_id = _workspace_id(ctx, workspace_slug)
    now = ctx.now()
    with ctx.engine.begin() as conn:
        is_new = repo.find_endpoint(conn, workspace_id, platform.value) is None
        if is_new:
            repo.insert_endpoint(
                conn,
                workspace_id=workspace_id,
                source=platform.value,
                secret=value,
                created_at=now,
            )
        else:
            repo.replace_secret(
                conn,
                workspace_id=workspace_id,
                source=platform.value,
                secret=value,
                rotated_at=now,
            )
        audit.record(
            conn,
            at=now,
            action=AuditAction.WEBHOOK_SECRET_SET if is_new else AuditAction.WEBHOOK_SECRET_ROTATED,
            subject=f"webhook:{platform.value}",
            actor=actor,
            workspace_id=workspace_id,
            # Which secret is in force, as masked everywhere it is shown; never the secret.
            details={"masked": mask_secret(value)},
        )
        row = repo.find_endpoint(conn, workspace_id, platform.value)
    assert row is not None
    return _endpoint(ctx, workspace_slug, row)


def list_webhook_endpoints(ctx: Context, workspace_slug: str) -> list[WebhookEndpoint]:
    """The workspace's endpoints by source, secrets masked."""
    workspace_id = _workspace_id(ctx, workspace_slug)
    with ctx.engine.connect() as conn:
        rows = repo.workspace_endpoints(conn, workspace_id)
    return [_endpoint(ctx, workspace_slug, r) for r in rows]


def remove_webhook_endpoint(
    ctx: Context, workspace_slug: str, source: str, *, actor: str = audit.CLI_ACTOR
) -> None:
    """Forget the secret: deliveries from that shop are refused (404) from now on."""
    platform = parse_source(source)
    workspace_id = _workspace_id(ctx, workspace_slug)
    with ctx.engine.begin() as conn:
        if not repo.delete_endpoint(conn, workspace_id, platform.value):
            raise PerfluenceError(
                ErrorCode.NOT_FOUND,
                f"no {platform.value} webhook is set up for workspace {workspace_slug!r}",
                field="source",
            )
        audit.record(
            conn,
            at=ctx.now(),
            action=AuditAction.WEBHOOK_REMOVED,
            subject=f"webhook:{platform.value}",
            actor=actor,
            workspace_id=workspace_id,
        )


def receive_delivery(
    ctx: Context,
    source: str,
    workspace_slug: str,
    body: bytes,
    headers: Mapping[str, str],
) -> DeliveryReceipt:
    """Verify one delivery against the workspace's secret, then store what it carries.

    Refusals raise ``PerfluenceError``: ``NOT_FOUND`` (unknown source, or no
    endpoint for this workspace: the same answer, so a stranger cannot probe
    for workspace names), ``SIGNATURE_INVALID``, ``INVALID``,
    ``PAYLOAD_TOO_LARGE``. Nothing is stored unless the signature holds.
    """
    platform = parse_source(source, unknown=ErrorCode.NOT_FOUND)
    with ctx.engine.connect() as conn:
        workspace = find_workspace(conn, workspace_slug)
        row = None if workspace is None else repo.find_endpoint(conn, workspace.id, platform.value)
    if workspace is None or row is None:
        raise PerfluenceError(
            ErrorCode.NOT_FOUND,
            f"no {platform.value} webhook is set up for workspace {workspace_slug!r}",
        )
    outcome = receive_webhook(platform, body, headers, row.secret, int(ctx.now().timestamp()))
    if isinstance(outcome, Ignored):
        return DeliveryReceipt(outcome="ignored", reason=outcome.reason)
    if not isinstance(outcome, Accepted):
        return DeliveryReceipt(outcome="ping")
    results = conversions.record_events(ctx, workspace.id, outcome.events)
    created = sum(1 for r in results if r.created)
    return DeliveryReceipt(
        outcome="accepted",
        received=len(results),
        created=created,
        duplicates=len(results) - created,
        results=tuple(results),
    )
