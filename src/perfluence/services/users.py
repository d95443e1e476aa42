"""People who use the dashboard: accounts, roles per workspace, sessions, CSRF, portal links.

Passwords are hashed with Argon2id. A session is a random id in an HttpOnly
cookie; the database keeps only its SHA-256, so a leaked table cannot be
replayed. Logging in always starts a new session (the id a browser carried
before is dropped: no session fixation). Each session has its own CSRF token,
which every changing request from the dashboard must echo (synchronizer token).

Creator portal links are signed with the settings' secret (itsdangerous) and
carry an expiry and the creator's token version: bumping the version revokes
every link issued before.
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
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import Connection

from perfluence.config import Environment
from perfluence.core.auth import Role, parse_role, password_problem
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services.context import Context
from perfluence.services.creators import normalise_handle, validate_email
from perfluence.store import users as repo
from perfluence.store.workspaces import find_workspace

SESSION_LIFETIME: Final = timedelta(days=14)
PORTAL_LIFETIME: Final = timedelta(days=30)
_PORTAL_SALT: Final = "perfluence.portal.v1"
_hasher = PasswordHasher()
# Tests hash many passwords; the cost of a hash is not what they test.
_test_hasher = PasswordHasher.from_parameters(profiles.CHEAPEST)


@cache
def _dummy_hash(hasher: PasswordHasher) -> str:
    """Verified when the e-mail is unknown, so both failures take the same time."""
    return hasher.hash("perfluence-no-such-user")


def _hasher_for(ctx: Context) -> PasswordHasher:
    return _test_hasher if ctx.settings.env is Environment.TEST else _hasher


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


@dataclass(frozen=True, slots=True)
class PortalAccess:
    workspace_slug: str
    creator_handle: str


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
        if workspace is not None:
            ws = find_workspace(conn, workspace)
            if ws is None:
                raise PerfluenceError(
                    ErrorCode.NOT_FOUND, f"workspace {workspace!r} not found", field="workspace"
                )
            repo.upsert_membership(
                conn, user_id=user_id, workspace_id=ws.id, role=wanted.value, at=ctx.now()
            )
        found = repo.find_user(conn, user_id)
        assert found is not None
        return _load(conn, found)


def set_password(ctx: Context, email: str, password: str) -> None:
    """Replace a user's password; every session they had ends."""
    _check_password(password)
    hashed = _hasher_for(ctx).hash(password)
    with ctx.engine.begin() as conn:
        found = repo.find_user_by_email(conn, _email(email))
        if found is None:
            raise PerfluenceError(ErrorCode.NOT_FOUND, f"user {email!r} not found")
        repo.set_password_hash(conn, found.id, hashed)
        repo.delete_sessions_of(conn, found.id)


def grant(ctx: Context, email: str, workspace: str, role: Role | str) -> User:
    """Give (or change) a user's role in a workspace."""
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
        repo.upsert_membership(
            conn, user_id=found.id, workspace_id=ws.id, role=wanted.value, at=ctx.now()
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


def authenticate(ctx: Context, email: str, password: str) -> User:
    """The user with these credentials; one UNAUTHENTICATED error for every failure."""
    wrong = PerfluenceError(ErrorCode.UNAUTHENTICATED, "wrong e-mail or password")
    try:
        address = _email(email)
    except PerfluenceError:
        raise wrong from None
    with ctx.engine.connect() as conn:
        found = repo.find_user_by_email(conn, address)
    hasher = _hasher_for(ctx)
    try:
        hasher.verify(found.password_hash if found else _dummy_hash(hasher), password)
    except (VerificationError, InvalidHashError):
        raise wrong from None
    if found is None or found.disabled_at is not None:
        raise wrong
    if hasher.check_needs_rehash(found.password_hash):
        with ctx.engine.begin() as conn:
            repo.set_password_hash(conn, found.id, hasher.hash(password))
    with ctx.engine.connect() as conn:
        return _load(conn, found)


def start_session(ctx: Context, user: User, *, replacing: str | None = None) -> NewSession:
    """A fresh session for ``user``; the session ``replacing`` names (if any) ends."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = ctx.now()
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
            expires_at=now + SESSION_LIFETIME,
        )
    return NewSession(token, csrf, now + SESSION_LIFETIME)


def login(ctx: Context, email: str, password: str, *, replacing: str | None = None) -> NewSession:
    return start_session(ctx, authenticate(ctx, email, password), replacing=replacing)


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


def revoke_portal_links(ctx: Context, workspace: str, creator: str) -> int:
    """Invalidate every portal link of ``creator`` issued so far; returns the new version."""
    with ctx.engine.begin() as conn:
        _ws_id, creator_id = _creator_ids(conn, workspace, creator)
        return repo.bump_portal_version(conn, creator_id, ctx.now())


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
