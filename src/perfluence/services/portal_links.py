"""Creator portal links: signed, expiring, revocable, read-only access to one creator's page.

A link is signed with the settings' secret (itsdangerous) and carries the
workspace, the creator, an expiry and the creator's token version: bumping the
version revokes every link issued before (recorded in the audit log).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Final

from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Connection

from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services import audit
from perfluence.services.audit import AuditAction
from perfluence.services.context import Context
from perfluence.services.creators import normalise_handle
from perfluence.store import users as repo
from perfluence.store.workspaces import find_workspace

PORTAL_LIFETIME: Final = timedelta(days=30)
_PORTAL_SALT: Final = "perfluence.portal.v1"


@dataclass(frozen=True, slots=True)
class PortalAccess:
    workspace_slug: str
    creator_handle: str


def _portal_serializer(ctx: Context) -> URLSafeSerializer:
    return URLSafeSerializer(ctx.settings.secret_key.get_secret_value(), salt=_PORTAL_SALT)


def _creator_ids(conn: Connection, workspace: str, handle: str) -> tuple[int, int]:
    ws = find_workspace(conn, workspace)
    if ws is None:
        raise PerfluenceError(ErrorCode.NOT_FOUND, f"workspace {workspace!r} not found")
    creator_id = repo.creator_id(conn, ws.id, normalise_handle(handle))
    if creator_id is None:
        raise PerfluenceError(ErrorCode.NOT_FOUND, f"creator {handle!r} not found")
    return ws.id, creator_id


def portal_token(
    ctx: Context, workspace: str, creator: str, *, lifetime: timedelta = PORTAL_LIFETIME
) -> str:
    """A signed token opening ``creator``'s portal until it expires or is revoked."""
    with ctx.engine.connect() as conn:
        ws_id, creator_id = _creator_ids(conn, workspace, creator)
        version = repo.portal_version(conn, creator_id)
    expires = int((ctx.now() + lifetime).timestamp())
    return str(
        _portal_serializer(ctx).dumps({"w": ws_id, "c": creator_id, "v": version, "e": expires})
    )


def portal_url(ctx: Context, workspace: str, creator: str) -> str:
    return f"{ctx.settings.public_base_url}/portal/{portal_token(ctx, workspace, creator)}"


def revoke_portal_links(
    ctx: Context, workspace: str, creator: str, *, actor: str = audit.CLI_ACTOR
) -> int:
    """Invalidate every portal link of ``creator`` issued so far; returns the new version."""
    with ctx.engine.begin() as conn:
        ws_id, creator_id = _creator_ids(conn, workspace, creator)
        version = repo.bump_portal_version(conn, creator_id, ctx.now())
        audit.record(
            conn,
            at=ctx.now(),
            action=AuditAction.PORTAL_LINKS_REVOKED,
            subject=f"creator:{creator_id}",
            actor=actor,
            workspace_id=ws_id,
            details={"version": version},
        )
        return version


def open_portal(ctx: Context, token: str) -> PortalAccess:
    """Whose portal a token opens; NOT_FOUND for a forged, expired or revoked one."""
    gone = PerfluenceError(ErrorCode.NOT_FOUND, "this portal link is not valid (any more)")
    try:
        data = _portal_serializer(ctx).loads(token)
    except BadSignature:
        raise gone from None
    if not isinstance(data, dict) or set(data) != {"w", "c", "v", "e"}:
        raise gone
    if not all(isinstance(data[k], int) for k in data):
        raise gone
    if data["e"] <= ctx.now().timestamp():
        raise gone
    with ctx.engine.connect() as conn:
        if repo.portal_version(conn, data["c"]) != data["v"]:
            raise gone
        handle = repo.creator_handle(conn, data["w"], data["c"])
        slug = repo.workspace_slug(conn, data["w"])
    if handle is None or slug is None:
        raise gone
    return PortalAccess(slug, handle)
