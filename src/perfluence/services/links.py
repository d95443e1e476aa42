"""Tracking links: create, change, pause, list; QR codes; what the redirect cache loads.

A link belongs to a partnership (a creator in a campaign). Its UTM parameters
are the defaults (``utm_source`` = the creator's biggest platform,
``utm_medium=influencer``, ``utm_campaign`` = campaign slug, ``utm_content`` =
creator handle) with the link's overrides applied; they are stored as the
effective parameters and merged into the destination when the link is loaded.
Every change sets ``updated_at``, which is how the redirect cache notices it.
"""

from __future__ import annotations

import io
from collections.abc import Mapping
from datetime import datetime
from enum import StrEnum
from random import Random
from typing import Any, Final

import segno
from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from perfluence.core.links import (
    LinkTarget,
    default_utm,
    effective_utm,
    new_slug,
    validate_custom_slug,
    validate_destination,
    validate_utm,
)
from perfluence.core.model import LinkStatus, TrackingLink
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services.context import Context
from perfluence.services.creators import normalise_handle
from perfluence.services.workspaces import get_workspace
from perfluence.store import links as repo
from perfluence.store.links import PartnershipRef

# 56^7 slugs: a collision is already rare; ten in a row means something else is wrong.
SLUG_ATTEMPTS: Final = 10
MAX_CLICK_CAP: Final = 10**12


class QrFormat(StrEnum):
    SVG = "svg"
    PNG = "png"


def find_partnership(
    conn: Connection, workspace_id: int, campaign: str, creator: str
) -> PartnershipRef:
    """The partnership of ``creator`` (handle) in ``campaign`` (slug), or ``NOT_FOUND``."""
    handle = normalise_handle(creator, "creator")
    ref = repo.find_partnership_ref(conn, workspace_id, campaign, handle)
    if ref is not None:
        return ref
    if not repo.campaign_exists(conn, workspace_id, campaign):
        raise PerfluenceError(
            ErrorCode.NOT_FOUND, f"campaign {campaign!r} not found", field="campaign"
        )
    if not repo.creator_exists(conn, workspace_id, handle):
        raise PerfluenceError(ErrorCode.NOT_FOUND, f"creator {handle!r} not found", field="creator")
    raise PerfluenceError(
        ErrorCode.NOT_FOUND,
        f"creator {handle!r} is not in campaign {campaign!r}; add the partnership first",
        field="creator",
    )


def validate_click_cap(click_cap: int | None) -> int | None:
    if click_cap is None:
        return None
    if isinstance(click_cap, bool) or not isinstance(click_cap, int):
        raise PerfluenceError(
            ErrorCode.INVALID, "click cap must be a whole number", field="click_cap"
        )
    if not 1 <= click_cap <= MAX_CLICK_CAP:
        raise PerfluenceError(
            ErrorCode.INVALID,
            f"click cap must be between 1 and {MAX_CLICK_CAP}",
            field="click_cap",
        )
    return click_cap


def _fallback(url: str | None) -> str | None:
    return None if url is None else validate_destination(url, field="fallback_url")


def _free_slug(conn: Connection, rng: Random | None) -> str:
    for _ in range(SLUG_ATTEMPTS):
        slug = new_slug(rng)
        if not repo.slug_taken(conn, slug):
            return slug
    raise PerfluenceError(
        ErrorCode.UNAVAILABLE, f"no free slug found in {SLUG_ATTEMPTS} attempts; try again"
    )


def _slug_taken_error(slug: str) -> PerfluenceError:
    return PerfluenceError(
        ErrorCode.DUPLICATE, f"slug {slug!r} is already in use; choose another", field="slug"
    )


def create_link(
    ctx: Context,
    workspace: str,
    campaign: str,
    creator: str,
    destination: str,
    *,
    slug: str | None = None,
    utm: Mapping[str, str] | None = None,
    click_cap: int | None = None,
    fallback_url: str | None = None,
    rng: Random | None = None,
) -> TrackingLink:
    """A new active link for ``creator`` in ``campaign``; a random slug unless one is given.

    ``utm`` overrides the default UTM parameters: a value replaces a default,
    ``""`` removes it, a new key is added.
    """
    ws = get_workspace(ctx, workspace)
    url = validate_destination(destination)
    custom = None if slug is None else validate_custom_slug(slug)
    overrides = validate_utm(utm or {})
    cap = validate_click_cap(click_cap)
    fallback = _fallback(fallback_url)
    now = ctx.now()
    try:
        with ctx.engine.begin() as conn:
            ref = find_partnership(conn, ws.id, campaign, creator)
            platform = repo.primary_platform(conn, ws.id, ref.creator_id)
            params = effective_utm(
                default_utm(platform, ref.campaign_slug, ref.creator_handle), overrides
            )
            if custom is not None and repo.slug_taken(conn, custom):
                raise _slug_taken_error(custom)
            chosen = custom or _free_slug(conn, rng)
            repo.insert_link(
                conn,
                workspace_id=ws.id,
                partnership_id=ref.id,
                slug=chosen,
                destination_url=url,
                utm=params,
                click_cap=cap,
                fallback_url=fallback,
                now=now,
            )
            link = repo.find_link(conn, ws.id, chosen)
    except IntegrityError:
        # Another writer took the same slug between our check and our insert.
        raise _slug_taken_error(slug or "(random)") from None
    assert link is not None
    return link


def _existing(conn: Connection, workspace_id: int, slug: str) -> TrackingLink:
    found = repo.find_link(conn, workspace_id, slug)
    if found is None:
        raise PerfluenceError(ErrorCode.NOT_FOUND, f"link {slug!r} not found", field="slug")
    return found


def _change(ctx: Context, workspace: str, slug: str, values: Mapping[str, Any]) -> TrackingLink:
    ws = get_workspace(ctx, workspace)
    with ctx.engine.begin() as conn:
        link = _existing(conn, ws.id, slug)
        current = {
            "destination_url": link.destination_url,
            "status": link.status.value,
            "click_cap": link.click_cap,
            "fallback_url": link.fallback_url,
            "utm": dict(link.utm),
        }
        changed = {k: v for k, v in values.items() if current[k] != v}
        if not changed:
            return link
        repo.update_link(conn, ws.id, link.id, changed, ctx.now())
        return _existing(conn, ws.id, slug)


def get_link(ctx: Context, workspace: str, slug: str) -> TrackingLink:
    ws = get_workspace(ctx, workspace)
    with ctx.engine.connect() as conn:
        return _existing(conn, ws.id, slug)


def list_links(
    ctx: Context,
    workspace: str,
    *,
    campaign: str | None = None,
    creator: str | None = None,
    status: LinkStatus | str | None = None,
) -> list[TrackingLink]:
    """The workspace's links, paused ones included unless ``status`` filters them out."""
    ws = get_workspace(ctx, workspace)
    wanted = None if status is None else _status(status)
    handle = None if creator is None else normalise_handle(creator, "creator")
    with ctx.engine.connect() as conn:
        return repo.list_links(
            conn, ws.id, campaign_slug=campaign, creator_handle=handle, status=wanted
        )


def _status(value: LinkStatus | str) -> LinkStatus:
    try:
        return LinkStatus(str(value).strip().lower())
    except ValueError:
        choices = ", ".join(s.value for s in LinkStatus)
        raise PerfluenceError(
            ErrorCode.INVALID, f"status {value!r} is not one of {choices}", field="status"
        ) from None


def pause_link(ctx: Context, workspace: str, slug: str) -> TrackingLink:
    """Stop sending people to the destination; they get the fallback (or the not-found page)."""
    return _change(ctx, workspace, slug, {"status": LinkStatus.PAUSED.value})


def resume_link(ctx: Context, workspace: str, slug: str) -> TrackingLink:
    return _change(ctx, workspace, slug, {"status": LinkStatus.ACTIVE.value})


def update_destination(ctx: Context, workspace: str, slug: str, destination: str) -> TrackingLink:
    """Send the link somewhere else (same slug, same UTM parameters)."""
    return _change(ctx, workspace, slug, {"destination_url": validate_destination(destination)})


def update_utm(
    ctx: Context, workspace: str, slug: str, overrides: Mapping[str, str]
) -> TrackingLink:
    """Apply ``overrides`` to the link's current UTM parameters (``""`` removes one)."""
    checked = validate_utm(overrides)
    ws = get_workspace(ctx, workspace)
    with ctx.engine.connect() as conn:
        current = _existing(conn, ws.id, slug).utm
    return _change(ctx, workspace, slug, {"utm": effective_utm(current, checked)})


def set_click_cap(
    ctx: Context, workspace: str, slug: str, click_cap: int | None, fallback_url: str | None
) -> TrackingLink:
    """Cap the link at ``click_cap`` clicks (``None``: no cap); past it, send to the fallback.

    ``fallback_url`` is the link's own fallback (``None``: use the workspace's).
    """
    values = {"click_cap": validate_click_cap(click_cap), "fallback_url": _fallback(fallback_url)}
    return _change(ctx, workspace, slug, values)


def active_links_snapshot(ctx: Context) -> list[LinkTarget]:
    """Every link of every workspace, whatever its status, for the redirect cache.

    Paused links are included: they still answer, with their fallback. A
    target's ``fallback_url`` is the link's own; the workspace's applies when
    it is ``None``.
    """
    with ctx.engine.connect() as conn:
        return repo.link_targets(conn)


def links_changed_since(ctx: Context, since: datetime) -> list[LinkTarget]:
    """Like ``active_links_snapshot``, only the links updated at or after ``since``."""
    with ctx.engine.connect() as conn:
        return repo.link_targets(conn, since=since)


def public_url(ctx: Context, slug: str) -> str:
    """The short URL people click: ``{public_base_url}/l/{slug}``."""
    return f"{ctx.settings.public_base_url}/l/{slug}"


def link_qr(ctx: Context, workspace: str, slug: str, fmt: QrFormat | str = QrFormat.SVG) -> bytes:
    """A QR code of the link's short URL, as SVG or PNG bytes."""
    try:
        kind = QrFormat(str(fmt).strip().lower())
    except ValueError:
        raise PerfluenceError(
            ErrorCode.INVALID, f"QR format {fmt!r} must be svg or png", field="format"
        ) from None
    link = get_link(ctx, workspace, slug)
    # Level M survives a smudged print and keeps the symbol small for a short URL.
    qr = segno.make(public_url(ctx, link.slug), error="m", micro=False)
    out = io.BytesIO()
    qr.save(out, kind=kind.value, scale=10 if kind is QrFormat.PNG else 4, border=4)
    return out.getvalue()
