"""Workspaces: the brand (or an agency's client) that owns everything else."""

from __future__ import annotations

import re

from perfluence.core.links import validate_destination
from perfluence.core.model import Workspace
from perfluence.core.money import normalise_currency
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services.context import Context
from perfluence.store import links as link_repo
from perfluence.store import workspaces as repo

SLUG_RE = re.compile(r"^[a-z0-9](?:[a-z0-9-]{0,62}[a-z0-9])?$")
LANGUAGES = ("en", "da", "sv", "nb")


def validate_slug(slug: str, what: str = "slug") -> str:
    if not SLUG_RE.match(slug):
        raise PerfluenceError(
            ErrorCode.INVALID,
            f"{what} {slug!r} must be 1-64 lower-case letters, digits or '-' "
            "(not starting or ending with '-')",
            field=what,
        )
    return slug


def create_workspace(
    ctx: Context,
    slug: str,
    name: str,
    *,
    currency: str = "EUR",
    language: str = "en",
    fallback_url: str | None = None,
) -> Workspace:
    validate_slug(slug, "workspace")
    if language not in LANGUAGES:
        raise PerfluenceError(
            ErrorCode.INVALID, f"language must be one of {', '.join(LANGUAGES)}", field="language"
        )
    currency = normalise_currency(currency)
    if fallback_url is not None:
        fallback_url = validate_destination(fallback_url, "fallback_url")
    with ctx.engine.begin() as conn:
        if repo.find_workspace(conn, slug) is not None:
            raise PerfluenceError(ErrorCode.DUPLICATE, f"workspace {slug!r} already exists")
        repo.insert_workspace(
            conn,
            slug=slug,
            name=name,
            default_currency=currency,
            default_language=language,
            fallback_url=fallback_url,
            created_at=ctx.now(),
        )
        found = repo.find_workspace(conn, slug)
    assert found is not None
    return found


def get_workspace(ctx: Context, slug: str) -> Workspace:
    with ctx.engine.connect() as conn:
        found = repo.find_workspace(conn, slug)
    if found is None:
        raise PerfluenceError(
            ErrorCode.NOT_FOUND,
            f"workspace {slug!r} not found; create it with 'perfluence init --workspace {slug}'",
        )
    return found


def ensure_workspace(ctx: Context, slug: str, name: str, currency: str = "EUR") -> Workspace:
    with ctx.engine.connect() as conn:
        found = repo.find_workspace(conn, slug)
    return found or create_workspace(ctx, slug, name, currency=currency)


def list_workspaces(ctx: Context) -> list[Workspace]:
    with ctx.engine.connect() as conn:
        return repo.all_workspaces(conn)


def set_fallback_url(ctx: Context, slug: str, url: str | None) -> Workspace:
    """Where clicks on a paused or capped link go when the link has no fallback of its own.

    ``None`` removes it (such clicks then get a 404). Running redirects pick
    the change up at once on PostgreSQL (a notification), else at their next
    cache refresh.
    """
    checked = None if url is None else validate_destination(url, "fallback_url")
    with ctx.engine.begin() as conn:
        found = repo.find_workspace(conn, slug)
        if found is None:
            raise PerfluenceError(ErrorCode.NOT_FOUND, f"workspace {slug!r} not found")
        repo.set_fallback_url(conn, found.id, checked)
        # Paused and capped links route to it: every tracking node reloads at once.
        link_repo.announce_link_change(conn)
        updated = repo.find_workspace(conn, slug)
    assert updated is not None
    return updated
