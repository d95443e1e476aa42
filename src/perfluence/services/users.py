"""People who use the dashboard: accounts, roles per workspace, sessions, CSRF, portal links.

Passwords are hashed with Argon2id. A session is a random id in an HttpOnly
cookie; the database keeps only its SHA-256, so a leaked table cannot be
replayed. Logging in always starts a new session (the id a browser carried
before is dropped: no session fixation). Each session has its own CSRF token,
which every changing request from the dashboard must echo (synchronizer token).

Every change to accounts, roles and passwords, and every login and failed
login, goes to the audit log (by user id; never a password or a token). A
role change ends the user's sessions, so the new privileges come with a new
session id. Failed logins are limited per client address and per account
(``services.auth_limits``) when the caller passes its limits.

Creator portal links (``services.portal_links``) are reachable from here too.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import cache
from typing import Final

from argon2 import PasswordHasher, profiles
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection

from perfluence.config import Environment
from perfluence.core.auth import Role, parse_role, password_problem
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services import audit, portal_links
from perfluence.services.audit import AuditAction
from perfluence.services.auth_limits import AuthLimits
from perfluence.services.context import Context
from perfluence.services.creators import validate_email
from perfluence.store import users as repo
from perfluence.store.workspaces import find_workspace

# Portal links have a module of their own; callers reach them here as before.
PORTAL_LIFETIME = portal_links.PORTAL_LIFETIME
PortalAccess = portal_links.PortalAccess
open_portal = portal_links.open_portal
portal_token = portal_links.portal_token
portal_url = portal_links.portal_url
revoke_portal_links = portal_links.revoke_portal_links

_hasher = PasswordHasher()
# Tests hash many passwords; the cost of a hash is not what they test.
_test_hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)


@cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    """Verified when the e-mail is unknown, so both failures take the same time."""
    return hasher.hash("perfluence-no-such-user")


def _hasher_for(ctx: Context) -> PasswordHasher:
    return _test_hasher if ctx.settings.env is Environment.TEST else _hasher


def session_lifetime(ctx: Context) -> timedelta:
    return timedelta(days=ctx.settings.session_lifetime_days)


@dataclass(frozen=True, slots=True)
class Membership:
    workspace_slug: str
    workspace_name: str
    role: Role


@dataclass(frozen=True, slots=True)
class User:
    id: int
    email: str
    name: str
    created_at: datetime
    memberships: tuple[Membership, ...]

    def role_in(self, workspace_slug: str) -> Role:
        """The user's role in a workspace; NOT_FOUND when they have none (never "forbidden")."""
        for m in self.memberships:
            if m.workspace_slug == workspace_slug:
                return m.role
        raise PerfluenceError(ErrorCode.NOT_FOUND, f"workspace {workspace_slug!r} not found")


@dataclass(frozen=True, slots=True)
class NewSession:
    token: str  # goes in the cookie; never stored
    csrf_token: str
    expires_at: datetime


@dataclass(frozen=True, slots=True)
class ActiveSession:
    user: User
    csrf_token: str
    expires_at: datetime

    def csrf_ok(self, presented: str | None) -> bool:
        return presented is not None and hmac.compare_digest(
            presented.encode(), self.csrf_token.encode()
        )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _email(value: str) -> str:
    return validate_email(value.strip().lower())


def _role(value: Role | str) -> Role:
    try:
        return value if isinstance(value, Role) else parse_role(value)
    except ValueError as exc:
        raise PerfluenceError(ErrorCode.INVALID, str(exc), field="role") from None


def _check_password(password: str) -> None:
    problem = password_problem(password)
    if problem is not None:
        raise PerfluenceError(ErrorCode.INVALID, problem, field="password")


def _load(conn: Connection, row: repo.UserRow) -> User:
    members = tuple(
        Membership(m.workspace_slug, m.workspace_name, Role(m.role))
        for m in repo.memberships_of(conn, row.id)
    )
    return User(row.id, row.email, row.name, row.created_at, members)


def create_user(
    ctx: Context,
    email: str,
    password: str,
    *,
    name: str | None = None,
    workspace: str | None = None,
    role: Role | str = Role.MEMBER,
    actor: str = audit.CLI_ACTOR,
) -> User:
    """A new account; with ``workspace``, a membership in it with ``role``."""
    address = _email(email)
    _check_password(password)
    wanted = _role(role)
    hashed = _hasher_for(ctx).hash(password)
    with ctx.engine.begin() as conn:
        if repo.find_user_by_email(conn, address) is not None:
            raise PerfluenceError(ErrorCode.DUPLICATE, f"user {address!r} already exists")
        user_id = repo.insert_user(
            conn,
            email=address,
            name=(name or address.split("@")[0]).strip()[:200],
            password_hash=hashed,
            created_at=ctx.now(),
        )
        ws_id = None
        if workspace is not None:
            ws = find_workspace(conn, workspace)
            if ws is None:
                raise PerfluenceError(
                    ErrorCode.NOT_FOUND, f"workspace {workspace!r} not found", field="workspace"
                )
            repo.upsert_membership(
                conn, user_id=user_id, workspace_id=ws.id, role=wanted.value, at=ctx.now()
            )
            ws_id = ws.id
        audit.record(
            conn,
            at=ctx.now(),
            action=AuditAction.USER_CREATED,
            subject=f"user:{user_id}",
            actor=actor,
            workspace_id=ws_id,
            details={} if ws_id is None else {"role": wanted.value},
        )
        found = repo.find_user(conn, user_id)
        assert found is not None
        return _load(conn, found)


def set_password(ctx: Context, email: str, password: str, *, actor: str = audit.CLI_ACTOR) -> None:
    """Replace a user's password; every session they had ends."""
    _check_password(password)
    hashed = _hasher_for(ctx).hash(password)
    with ctx.engine.begin() as conn:
        found = repo.find_user_by_email(conn, _email(email))
        if found is None:
            raise PerfluenceError(ErrorCode.NOT_FOUND, f"user {email!r} not found")
        repo.set_password_hash(conn, found.id, hashed)
        repo.delete_sessions_of(conn, found.id)
        audit.record(
            conn,
            at=ctx.now(),
            action=AuditAction.USER_PASSWORD_CHANGED,
            subject=f"user:{found.id}",
            actor=actor,
        )


def grant(
    ctx: Context, email: str, workspace: str, role: Role | str, *, actor: str = audit.CLI_ACTOR
) -> User:
    """Give (or change) a user's role in a workspace; a change ends the user's sessions."""
    wanted = _role(role)
    with ctx.engine.begin() as conn:
        found = repo.find_user_by_email(conn, _email(email))
        if found is None:
            raise PerfluenceError(ErrorCode.NOT_FOUND, f"user {email!r} not found")
        ws = find_workspace(conn, workspace)
        if ws is None:
            raise PerfluenceError(
                ErrorCode.NOT_FOUND, f"workspace {workspace!r} not found", field="workspace"
            )
        previous = repo.membership_role(conn, found.id, ws.id)
        if previous == wanted.value:
            return _load(conn, found)
        repo.upsert_membership(
            conn, user_id=found.id, workspace_id=ws.id, role=wanted.value, at=ctx.now()
        )
        # New privileges, new session id: the user logs in again.
        repo.delete_sessions_of(conn, found.id)
        audit.record(
            conn,
            at=ctx.now(),
            action=AuditAction.USER_ROLE_CHANGED,
            subject=f"user:{found.id}",
            actor=actor,
            workspace_id=ws.id,
            details={"role": wanted.value, "previous": previous},
        )
        return _load(conn, found)


def list_users(ctx: Context) -> list[User]:
    with ctx.engine.connect() as conn:
        return [_load(conn, row) for row in repo.all_users(conn)]


def get_user(ctx: Context, email: str) -> User:
    with ctx.engine.connect() as conn:
        found = repo.find_user_by_email(conn, _email(email))
        if found is None:
            raise PerfluenceError(ErrorCode.NOT_FOUND, f"user {email!r} not found")
        return _load(conn, found)


def _wrong() -> PerfluenceError:
    return PerfluenceError(ErrorCode.UNAUTHENTICATED, "wrong e-mail or password")


def _verify(ctx: Context, email: str, password: str) -> tuple[repo.UserRow | None, bool]:
    """The account the e-mail names (if any) and whether the password opens it."""
    try:
        address = _email(email)
    except PerfluenceError:
        return None, False
    with ctx.engine.connect() as conn:
        found = repo.find_user_by_email(conn, address)
    hasher = _hasher_for(ctx)
    try:
        hasher.verify(found.password_hash if found else _dummy_hash(hasher), password)
    except (VerificationError, InvalidHashError):
        return found, False
    if found is None or found.disabled_at is not None:
        return found, False
    if hasher.check_needs_rehash(found.password_hash):
        with ctx.engine.begin() as conn:
            repo.set_password_hash(conn, found.id, hasher.hash(password))
    return found, True


def authenticate(ctx: Context, email: str, password: str) -> User:
    """The user with these credentials; one UNAUTHENTICATED error for every failure."""
    found, ok = _verify(ctx, email, password)
    if found is None or not ok:
        raise _wrong()
    with ctx.engine.connect() as conn:
        return _load(conn, found)


def start_session(
    ctx: Context, user: User, *, replacing: str | None = None, method: str = "password"
) -> NewSession:
    """A fresh session for ``user``; the session ``replacing`` names (if any) ends."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = ctx.now()
    expires = now + session_lifetime(ctx)
    with ctx.engine.begin() as conn:
        if replacing:
            repo.delete_session(conn, _digest(replacing))
        repo.delete_expired_sessions(conn, now)
        repo.insert_session(
            conn,
            id_hash=_digest(token),
            user_id=user.id,
            csrf_token=csrf,
            created_at=now,
            expires_at=expires,
        )
        audit.record(
            conn,
            at=now,
            action=AuditAction.LOGIN_SUCCEEDED,
            subject=f"user:{user.id}",
            actor=f"user:{user.id}",
            details={"method": method},
        )
    return NewSession(token, csrf, expires)


def login(
    ctx: Context,
    email: str,
    password: str,
    *,
    replacing: str | None = None,
    client: str | None = None,
    limits: AuthLimits | None = None,
) -> NewSession:
    """Check the credentials and start a session; ``limits`` counts the failures of ``client``.

    Over a limit, ``TooManyAttemptsError`` comes before the password is even
    checked, and alike for existing and unknown accounts.
    """
    if limits is not None:
        limits.check_login(client, email)
    found, ok = _verify(ctx, email, password)
    if found is None or not ok:
        if limits is not None:
            limits.login_failed(client, email)
        # Which account was tried, by id; an unknown e-mail is not written down (it may
        # be a password typed into the wrong field).
        audit.record_now(
            ctx,
            AuditAction.LOGIN_FAILED,
            "user:unknown" if found is None else f"user:{found.id}",
            actor="anonymous",
        )
        raise _wrong()
    if limits is not None:
        limits.login_succeeded(email)
    with ctx.engine.connect() as conn:
        user = _load(conn, found)
    return start_session(ctx, user, replacing=replacing)


def resolve_session(ctx: Context, token: str | None) -> ActiveSession | None:
    """The live session a cookie names, or None (unknown, expired or user disabled)."""
    if not token or len(token) > 200:
        return None
    with ctx.engine.connect() as conn:
        found = repo.find_session(conn, _digest(token))
        if found is None or found.expires_at <= ctx.now():
            return None
        user = repo.find_user(conn, found.user_id)
        if user is None or user.disabled_at is not None:
            return None
        return ActiveSession(_load(conn, user), found.csrf_token, found.expires_at)


def end_session(ctx: Context, token: str | None) -> None:
    if token:
        with ctx.engine.begin() as conn:
            repo.delete_session(conn, _digest(token))


DEMO_EMAIL: Final = "demo@perfluence.local"


def ensure_demo_user(ctx: Context, workspace: str) -> str | None:
    """The demo owner of ``workspace``; returns the new password when it was just created."""
    with ctx.engine.connect() as conn:
        exists = repo.find_user_by_email(conn, DEMO_EMAIL) is not None
    if exists:
        grant(ctx, DEMO_EMAIL, workspace, Role.OWNER)
        return None
    password = secrets.token_urlsafe(12)
    create_user(ctx, DEMO_EMAIL, password, name="Demo", workspace=workspace, role=Role.OWNER)
    return password
