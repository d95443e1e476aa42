"""Posts (a creator's deliverables) and their latest metrics: add, change, get, list.

A post belongs to a creator and, when it was made for a campaign, to that
creator's partnership in it. ``(platform, external_id)`` identifies a post
within a workspace. The counts here are the latest known; importing metric
histories from platforms is a use case of its own.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Final

from sqlalchemy.exc import IntegrityError

from perfluence.core.post_exports import METRICS
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services.context import Context
from perfluence.services.creators import normalise_handle, parse_platform, validate_url
from perfluence.services.links import find_partnership
from perfluence.services.workspaces import get_workspace
from perfluence.store import posts as repo
from perfluence.store.creators import creator_ids
from perfluence.store.posts import Post

MAX_EXTERNAL_ID: Final = 200
MAX_CAPTION: Final = 10_000
MAX_COUNT: Final = 10**15
# No social platform is older; the bounds keep time-zone arithmetic inside datetime's range.
FIRST_YEAR: Final = 2000
LAST_YEAR: Final = 2999

__all__ = ["METRICS", "Post", "add_post", "get_post", "list_posts", "update_post"]


def _invalid(field: str, message: str) -> PerfluenceError:
    return PerfluenceError(ErrorCode.INVALID, message, field=field)


def _metrics(values: Mapping[str, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for name, count in values.items():
        if name not in METRICS:
            raise _invalid(name, f"{name!r} is not a post metric; use {', '.join(METRICS)}")
        if isinstance(count, bool) or not isinstance(count, int) or not 0 <= count <= MAX_COUNT:
            raise _invalid(name, f"{name} must be a whole number from 0 to {MAX_COUNT}")
        out[name] = count
    return out


def _published(value: datetime | None) -> datetime | None:
    if value is None:
        return None
    if value.utcoffset() is None:
        raise _invalid("published_at", "published_at needs a UTC offset")
    if not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise _invalid("published_at", f"published_at must be in {FIRST_YEAR}-{LAST_YEAR}")
    return value.astimezone(UTC)


def _caption(value: str | None) -> str | None:
    if value is not None and len(value) > MAX_CAPTION:
        raise _invalid("caption", f"caption is longer than {MAX_CAPTION} characters")
    return value or None


def add_post(
    ctx: Context,
    workspace: str,
    creator: str,
    platform: str,
    external_id: str,
    *,
    campaign: str | None = None,
    url: str | None = None,
    published_at: datetime | None = None,
    caption: str | None = None,
    metrics: Mapping[str, int] | None = None,
) -> Post:
    """Record a post of ``creator``; with ``campaign``, as a deliverable of that partnership."""
    ws = get_workspace(ctx, workspace)
    kind = parse_platform(platform).value
    ext = external_id.strip()
    if not ext or len(ext) > MAX_EXTERNAL_ID:
        raise _invalid("external_id", f"external_id must be 1-{MAX_EXTERNAL_ID} characters")
    counts = _metrics(metrics or {})
    clean_url = None if url is None else validate_url(url)
    when = _published(published_at)
    text = _caption(caption)
    handle = normalise_handle(creator, "creator")
    try:
        with ctx.engine.begin() as conn:
            if campaign is not None:
                ref = find_partnership(conn, ws.id, campaign, handle)
                cid, pid = ref.creator_id, ref.id
            else:
                ids = creator_ids(conn, ws.id, [handle])
                if handle not in ids:
                    raise PerfluenceError(
                        ErrorCode.NOT_FOUND, f"creator {handle!r} not found", field="creator"
                    )
                cid, pid = ids[handle], None
            if repo.post_id_of(conn, ws.id, kind, ext) is not None:
                raise PerfluenceError(
                    ErrorCode.DUPLICATE,
                    f"{kind} post {ext!r} is already recorded",
                    field="external_id",
                )
            new_id = repo.insert_post(
                conn,
                workspace_id=ws.id,
                creator_id=cid,
                partnership_id=pid,
                platform=kind,
                external_id=ext,
                url=clean_url,
                published_at=when,
                caption=text,
                metrics=counts,
                now=ctx.now(),
            )
            found = repo.find_post(conn, ws.id, new_id)
    except IntegrityError:
        raise PerfluenceError(
            ErrorCode.DUPLICATE, f"{kind} post {ext!r} is already recorded", field="external_id"
        ) from None
    assert found is not None
    return found


def update_post(
    ctx: Context,
    workspace: str,
    post_id: int,
    *,
    changes: Mapping[str, object],
) -> Post:
    """Change what ``changes`` names: ``url``, ``published_at``, ``caption`` or metric counts."""
    ws = get_workspace(ctx, workspace)
    values: dict[str, object] = {}
    counts: dict[str, int] = {}
    for name, value in changes.items():
        if name == "url":
            values["url"] = None if value is None else validate_url(str(value))
        elif name == "published_at":
            if value is not None and not isinstance(value, datetime):
                raise _invalid("published_at", "published_at must be a time")
            values["published_at"] = _published(value)
        elif name == "caption":
            values["caption"] = _caption(None if value is None else str(value))
        else:
            counts[name] = value  # type: ignore[assignment]  # checked by _metrics
    values.update(_metrics(counts))
    with ctx.engine.begin() as conn:
        if repo.find_post(conn, ws.id, post_id) is None:
            raise PerfluenceError(ErrorCode.NOT_FOUND, f"post {post_id} not found")
        if values:
            repo.update_post(conn, ws.id, post_id, values, ctx.now())
        found = repo.find_post(conn, ws.id, post_id)
    assert found is not None
    return found


def get_post(ctx: Context, workspace: str, post_id: int) -> Post:
    ws = get_workspace(ctx, workspace)
    with ctx.engine.connect() as conn:
        found = repo.find_post(conn, ws.id, post_id)
    if found is None:
        raise PerfluenceError(ErrorCode.NOT_FOUND, f"post {post_id} not found")
    return found


def list_posts(
    ctx: Context,
    workspace: str,
    *,
    campaign: str | None = None,
    creator: str | None = None,
    platform: str | None = None,
) -> list[Post]:
    """The workspace's posts, newest published first; optionally of one campaign, creator
    or platform."""
    ws = get_workspace(ctx, workspace)
    with ctx.engine.connect() as conn:
        return repo.list_posts(
            conn,
            ws.id,
            campaign_slug=campaign,
            creator_handle=None if creator is None else normalise_handle(creator, "creator"),
            platform=None if platform is None else parse_platform(platform).value,
        )
