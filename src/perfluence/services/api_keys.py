"""Workspace API keys: minted once, stored as a hash, scoped, revocable.

A key reads ``pfk_<prefix>_<secret>``: ``prefix`` is 8 public characters that
name the key in lists and logs, ``secret`` is 43 characters from
``secrets.token_urlsafe(32)`` (256 random bits). Only the prefix and the
SHA-256 of the whole key are stored; the key itself is shown once, when it is
created.

SHA-256 and not a password hash (argon2, bcrypt): those are slow on purpose,
to make guessing a *low-entropy* password from its hash expensive. A key with
256 random bits cannot be guessed from its hash at any speed, and a slow hash
would cost every API request tens of milliseconds for nothing.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
import string
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Final

from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services import audit
from perfluence.services.audit import AuditAction
from perfluence.services.context import Context
from perfluence.store import api_keys as repo
from perfluence.store.workspaces import find_workspace

KEY_MARKER: Final = "pfk"
PREFIX_LENGTH: Final = 8
SECRET_BYTES: Final = 32
MAX_NAME_LENGTH: Final = 100
_PREFIX_ALPHABET: Final = string.ascii_lowercase + string.digits
# The secret part is token_urlsafe output (A-Z a-z 0-9 - _); the prefix never contains '_'.
_KEY_SHAPE: Final = re.compile(r"pfk_([a-z0-9]{8})_([A-Za-z0-9_-]{32,128})", re.ASCII)


class ApiScope(StrEnum):
    """What a key may do; a route asks for exactly one scope."""

    READ = "read"  # read reports and conversions
    WRITE = "write"  # change campaigns, creators, links
    TRACK = "track"  # send conversions (the S2S track API)
    PRIVACY = "privacy"  # erase a customer's or a creator's identifiers on request


# A scope dropped in a later version must not make stored keys unreadable.
_KNOWN_SCOPES: Final = frozenset(s.value for s in ApiScope)


@dataclass(frozen=True, slots=True)
class ApiKey:
    """A key as listed: everything but the key."""

    prefix: str
    name: str
    workspace_slug: str
    scopes: tuple[ApiScope, ...]
    created_at: datetime
    revoked_at: datetime | None

    @property
    def revoked(self) -> bool:
        return self.revoked_at is not None


@dataclass(frozen=True, slots=True)
class NewApiKey:
    """A key just created: ``token`` is the full key, shown once and never stored."""

    key: ApiKey
    token: str = field(repr=False)


@dataclass(frozen=True, slots=True)
class ApiPrincipal:
    """Who a request is: a workspace, through one of its keys."""

    workspace_id: int
    workspace_slug: str
    key_prefix: str
    scopes: frozenset[ApiScope]

    def require(self, scope: ApiScope) -> None:
        if scope not in self.scopes:
            raise PerfluenceError(
                ErrorCode.FORBIDDEN,
                f"API key {self.key_prefix} lacks the {scope.value!r} scope",
            )


def key_digest(token: str) -> str:
    """SHA-256 hex of the whole key, as stored."""
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()


def parse_scopes(values: Iterable[str]) -> tuple[ApiScope, ...]:
    """Scopes in a fixed order, de-duplicated; an unknown scope is refused."""
    found: set[ApiScope] = set()
    for value in values:
        try:
            found.add(ApiScope(value.strip().lower()))
        except ValueError:
            known = ", ".join(s.value for s in ApiScope)
            raise PerfluenceError(
                ErrorCode.INVALID, f"unknown scope {value!r}; use {known}", field="scope"
            ) from None
    if not found:
        raise PerfluenceError(ErrorCode.INVALID, "a key needs at least one scope", field="scope")
    return tuple(s for s in ApiScope if s in found)


def _to_key(row: repo.ApiKeyRow) -> ApiKey:
    return ApiKey(
        prefix=row.prefix,
        name=row.name,
        workspace_slug=row.workspace_slug,
        scopes=tuple(ApiScope(s) for s in row.scopes if s in _KNOWN_SCOPES),
        created_at=row.created_at,
        revoked_at=row.revoked_at,
    )


def _workspace_id(ctx: Context, slug: str) -> int:
    with ctx.engine.connect() as conn:
        found = find_workspace(conn, slug)
    if found is None:
        raise PerfluenceError(
            ErrorCode.NOT_FOUND, f"workspace {slug!r} not found", field="workspace"
        )
    return found.id


def _mint_prefix() -> str:
    return "".join(secrets.choice(_PREFIX_ALPHABET) for _ in range(PREFIX_LENGTH))


def create_api_key(
    ctx: Context,
    workspace_slug: str,
    name: str,
    scopes: Iterable[str],
    *,
    actor: str = audit.CLI_ACTOR,
) -> NewApiKey:
    """A new key for the workspace; the returned ``token`` is the only copy there will be."""
    clean_name = name.strip()
    if not clean_name or len(clean_name) > MAX_NAME_LENGTH:
        raise PerfluenceError(
            ErrorCode.INVALID, f"name must be 1-{MAX_NAME_LENGTH} characters", field="name"
        )
    wanted = parse_scopes(scopes)
    workspace_id = _workspace_id(ctx, workspace_slug)
    with ctx.engine.begin() as conn:
        # 36^8 prefixes: a clash is rare, but lists and revocation rely on uniqueness.
        prefix = _mint_prefix()
        while repo.prefix_taken(conn, prefix):
            prefix = _mint_prefix()
        token = f"{KEY_MARKER}_{prefix}_{secrets.token_urlsafe(SECRET_BYTES)}"
        repo.insert_api_key(
            conn,
            workspace_id=workspace_id,
            name=clean_name,
            prefix=prefix,
            key_hash=key_digest(token),
            scopes=[s.value for s in wanted],
            created_at=ctx.now(),
        )
        audit.record(
            conn,
            at=ctx.now(),
            action=AuditAction.API_KEY_CREATED,
            subject=f"api_key:{prefix}",
            actor=actor,
            workspace_id=workspace_id,
            details={"name": clean_name, "scopes": [s.value for s in wanted]},
        )
        row = repo.find_workspace_key(conn, workspace_id, prefix)
    assert row is not None
    return NewApiKey(key=_to_key(row), token=token)


def list_api_keys(ctx: Context, workspace_slug: str) -> list[ApiKey]:
    """The workspace's keys, oldest first, revoked ones included."""
    workspace_id = _workspace_id(ctx, workspace_slug)
    with ctx.engine.connect() as conn:
        return [_to_key(r) for r in repo.workspace_keys(conn, workspace_id)]


def revoke_api_key(
    ctx: Context, workspace_slug: str, prefix: str, *, actor: str = audit.CLI_ACTOR
) -> ApiKey:
    """Revoke the key with this prefix (a key revoked earlier keeps its first revocation time)."""
    wanted = prefix.strip().removeprefix(f"{KEY_MARKER}_")[:PREFIX_LENGTH]
    workspace_id = _workspace_id(ctx, workspace_slug)
    with ctx.engine.begin() as conn:
        row = repo.find_workspace_key(conn, workspace_id, wanted)
        if row is None:
            raise PerfluenceError(
                ErrorCode.NOT_FOUND,
                f"no API key with prefix {prefix!r} in workspace {workspace_slug!r}",
                field="prefix",
            )
        repo.revoke_key(conn, row.id, ctx.now())
        audit.record(
            conn,
            at=ctx.now(),
            action=AuditAction.API_KEY_REVOKED,
            subject=f"api_key:{row.prefix}",
            actor=actor,
            workspace_id=workspace_id,
            details={"name": row.name, "revoked_before": row.revoked_at is not None},
        )
        row = repo.find_workspace_key(conn, workspace_id, wanted)
    assert row is not None
    return _to_key(row)


def _unauthenticated(message: str) -> PerfluenceError:
    return PerfluenceError(ErrorCode.UNAUTHENTICATED, message)


def authenticate(ctx: Context, presented: str | None) -> ApiPrincipal:
    """The workspace and scopes of a presented key; ``UNAUTHENTICATED`` unless it is live."""
    if presented is None or not presented.strip():
        raise _unauthenticated("an API key is required: send 'Authorization: Bearer pfk_…'")
    token = presented.strip()
    shape = _KEY_SHAPE.fullmatch(token)
    if shape is None:
        raise _unauthenticated("the API key is not a perfluence key (pfk_…)")
    digest = key_digest(token)
    with ctx.engine.connect() as conn:
        candidates = repo.keys_with_prefix(conn, shape.group(1))
    match: repo.ApiKeyRow | None = None
    for row in candidates:
        # Constant-time, and every candidate is compared: the time taken says nothing.
        if hmac.compare_digest(row.key_hash.encode("ascii"), digest.encode("ascii")):
            match = row
    if match is None:
        raise _unauthenticated("the API key is not valid")
    if match.revoked_at is not None:
        raise _unauthenticated(f"API key {match.prefix} has been revoked")
    return ApiPrincipal(
        workspace_id=match.workspace_id,
        workspace_slug=match.workspace_slug,
        key_prefix=match.prefix,
        scopes=frozenset(_to_key(match).scopes),
    )
