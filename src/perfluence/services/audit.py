"""The audit log: one entry per security-relevant change, written in the change's transaction.

Entries name people and keys by id or public prefix (``user:12``,
``api_key:k3v9x2qa``), never by a secret, a password, a session token, an IP
address or an identifier that was erased on request: a privacy request is
recorded under a keyed hash of the identifier (``subject_digest``), which
recognises a repeated request without keeping what it erased.

Actors: ``cli`` (a command on the server), ``user:<id>`` (the dashboard),
``api_key:<prefix>`` (the HTTP API), ``system``.
"""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Final

from sqlalchemy import Connection

from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services.context import Context
from perfluence.store import audit as repo
from perfluence.store.workspaces import find_workspace

CLI_ACTOR: Final = "cli"
SYSTEM_ACTOR: Final = "system"
MAX_LISTED: Final = 1_000
_DIGEST_SALT: Final = b"perfluence.audit.subject.v1"
# Details are for people reading the log; these names smell of a secret and are refused.
_SECRET_WORDS: Final = ("password", "secret", "token", "api_key", "session", "ip")


class AuditAction(StrEnum):
    API_KEY_CREATED = "api_key.created"
    API_KEY_REVOKED = "api_key.revoked"
    WEBHOOK_SECRET_SET = "webhook.secret_set"  # noqa: S105 - an action's name, not a secret
    WEBHOOK_SECRET_ROTATED = "webhook.secret_rotated"  # noqa: S105 - likewise
    WEBHOOK_REMOVED = "webhook.removed"
    USER_CREATED = "user.created"
    USER_ROLE_CHANGED = "user.role_changed"
    USER_PASSWORD_CHANGED = "user.password_changed"  # noqa: S105 - likewise
    LOGIN_SUCCEEDED = "user.login"
    LOGIN_FAILED = "user.login_failed"
    PORTAL_LINKS_REVOKED = "portal.links_revoked"
    PAYOUT_APPROVED = "payout.approved"
    PAYOUT_PAID = "payout.paid"
    CUSTOMER_FORGOTTEN = "privacy.customer_forgotten"
    CREATOR_FORGOTTEN = "privacy.creator_forgotten"
    RETENTION_RUN = "retention.run"


@dataclass(frozen=True, slots=True)
class AuditEntry:
    id: int
    workspace_slug: str | None
    actor: str
    action: str
    subject: str
    details: Mapping[str, object]
    created_at: datetime


def _check_details(details: Mapping[str, object]) -> None:
    for name in details:
        lowered = name.lower()
        if any(word == lowered or lowered.startswith(f"{word}_") for word in _SECRET_WORDS):
            raise ValueError(f"audit details must not carry {name!r}")


def record(
    conn: Connection,
    *,
    at: datetime,
    action: AuditAction,
    subject: str,
    actor: str = CLI_ACTOR,
    workspace_id: int | None = None,
    details: Mapping[str, object] | None = None,
) -> None:
    """Append an entry on the caller's connection (so inside the change's transaction)."""
    found = dict(details or {})
    _check_details(found)
    repo.insert_entry(
        conn,
        workspace_id=workspace_id,
        actor=actor,
        action=action.value,
        subject=subject,
        details=found,
        at=at,
    )


def record_now(
    ctx: Context,
    action: AuditAction,
    subject: str,
    *,
    actor: str = CLI_ACTOR,
    workspace_id: int | None = None,
    details: Mapping[str, object] | None = None,
) -> None:
    """Append an entry in a transaction of its own (for events that change nothing else)."""
    with ctx.engine.begin() as conn:
        record(
            conn,
            at=ctx.now(),
            action=action,
            subject=subject,
            actor=actor,
            workspace_id=workspace_id,
            details=details,
        )


def subject_digest(ctx: Context, kind: str, value: str) -> str:
    """A keyed hash naming an erased identifier: the same request gives the same digest.

    Keyed with the server's secret, so the digest cannot be recomputed from a
    guessed e-mail address by someone who only has the database.
    """
    key = hmac.new(
        ctx.settings.secret_key.get_secret_value().encode(), _DIGEST_SALT, hashlib.sha256
    ).digest()
    mac = hmac.new(key, f"{kind}\x00{value}".encode("utf-8", "surrogatepass"), hashlib.sha256)
    return mac.hexdigest()[:40]


def _entry(row: repo.AuditRow) -> AuditEntry:
    return AuditEntry(
        row.id,
        row.workspace_slug,
        row.actor,
        row.action,
        row.subject,
        dict(row.details),
        row.created_at,
    )


def list_entries(
    ctx: Context,
    *,
    workspace: str | None = None,
    action: str | None = None,
    subject: str | None = None,
    limit: int = 50,
) -> list[AuditEntry]:
    """Entries newest first; ``action`` matches a prefix (``user.`` lists every user event)."""
    if not 1 <= limit <= MAX_LISTED:
        raise PerfluenceError(
            ErrorCode.INVALID, f"limit must be 1-{MAX_LISTED}, not {limit}", field="limit"
        )
    with ctx.engine.connect() as conn:
        workspace_id = None
        if workspace is not None:
            found = find_workspace(conn, workspace)
            if found is None:
                raise PerfluenceError(
                    ErrorCode.NOT_FOUND, f"workspace {workspace!r} not found", field="workspace"
                )
            workspace_id = found.id
        rows = repo.entries(
            conn, workspace_id=workspace_id, action=action, subject=subject, limit=limit
        )
    return [_entry(r) for r in rows]
