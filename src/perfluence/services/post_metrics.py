"""``posts import``: posts and metrics from CSV or the platforms' JSON exports; follower history.

Idempotent per (workspace, platform, external id): importing a post again
updates its metrics (and the caption, URL and time when the file gives them)
and appends a metric snapshot only when a metric changed, so importing the
same file twice changes nothing. All rows or none: every problem is listed
with its row (CSV, header = row 1) or item number (JSON) before anything is
written. See ``docs/import-formats.md``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Final

from sqlalchemy import Connection
from sqlalchemy.exc import IntegrityError

from perfluence.core.csvrows import CsvRow, RowErrors
from perfluence.core.post_exports import (
    METRICS,
    ExportFormat,
    ImportedPost,
    parse_count,
    parse_instagram,
    parse_tiktok,
    parse_time,
    parse_youtube,
)
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services import imports
from perfluence.services.context import Context
from perfluence.services.creators import normalise_handle, parse_followers, parse_platform
from perfluence.services.workspaces import get_workspace
from perfluence.store import post_metrics as repo
from perfluence.store.campaigns import find_campaign
from perfluence.store.creators import account_owners, creator_ids
from perfluence.store.partnerships import find_partnership
from perfluence.store.post_metrics import MetricSnapshot, PostView, PostWrite

REQUIRED: Final = ("creator", "platform", "external_id")
OPTIONAL: Final = (
    "campaign",
    "url",
    "published_at",
    "caption",
    "paid_partnership_label",
    *METRICS,
)
FOLLOWER_COLUMNS: Final = ("platform", "handle", "day", "followers")
_TRUE: Final = frozenset({"1", "true", "yes", "ja", "y"})
_FALSE: Final = frozenset({"0", "false", "no", "nej", "nei", "n"})


@dataclass(frozen=True, slots=True)
class PostImport:
    created: int
    updated: int
    unchanged: int


def _invalid(field: str, message: str) -> PerfluenceError:
    return PerfluenceError(ErrorCode.INVALID, message, field=field)


def _flag(value: str) -> bool | None:
    text = value.strip().lower()
    if not text:
        return None
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise _invalid("paid_partnership_label", f"{value!r} is not yes/no/true/false/1/0")


def _read_csv_row(row: CsvRow, errors: RowErrors) -> ImportedPost | None:
    creator = errors.check(row, "creator", normalise_handle)
    platform = errors.check(row, "platform", parse_platform)
    external_id = row.get("external_id")
    if not external_id or len(external_id) > 200:
        errors.add(row.number, "external_id", external_id[:40], "is required (max 200 characters)")
    metrics: dict[str, int] = {}
    for name in METRICS:
        if row.get(name):
            value = errors.check(row, name, _metric_parser(name))
            if value is not None:
                metrics[name] = value
    published = None
    if row.get("published_at"):
        published = errors.check(row, "published_at", lambda v: parse_time(v, "published_at"))
    label = errors.check(row, "paid_partnership_label", _flag)
    if creator is None or platform is None or not external_id or len(external_id) > 200:
        return None
    return ImportedPost(
        number=row.number,
        platform=platform,
        external_id=external_id,
        url=row.get("url") or None,
        published_at=published,
        caption=row.values.get("caption") or None,
        metrics=metrics,
        paid_partnership_label=label,
        creator=creator,
        campaign=row.get("campaign").lower() or None,
    )


def _metric_parser(name: str) -> Callable[[str], int]:
    return lambda value: parse_count(_digits(value), name)


def _digits(value: str) -> str:
    """Spreadsheets write 12 500 or 12_500; both are 12500."""
    return "".join(ch for ch in value if ch not in " _\u00a0\u202f")


def _parse(
    fmt: ExportFormat, data: bytes, name: str, progress: imports.Progress | None
) -> tuple[list[ImportedPost], RowErrors]:
    if fmt is ExportFormat.CSV:
        return imports.validate_rows(
            data,
            source=name,
            required=REQUIRED,
            optional=OPTIONAL,
            validate_row=_read_csv_row,
            progress=progress,
        )
    parse = {
        ExportFormat.INSTAGRAM: parse_instagram,
        ExportFormat.TIKTOK: parse_tiktok,
        ExportFormat.YOUTUBE: parse_youtube,
    }[fmt]
    return parse(data, name), RowErrors()


def parse_format(value: str) -> ExportFormat:
    try:
        return ExportFormat(value.strip().lower())
    except ValueError:
        choices = ", ".join(f.value for f in ExportFormat)
        raise _invalid("format", f"format {value!r} is not one of {choices}") from None


def import_posts(
    ctx: Context,
    workspace: str,
    source: Path | str | bytes,
    *,
    fmt: ExportFormat | str = ExportFormat.CSV,
    creator: str | None = None,
    campaign: str | None = None,
    progress: imports.Progress | None = None,
    source_name: str = "upload",
) -> PostImport:
    """Import posts from a CSV file or a platform's JSON export; all or nothing.

    JSON exports carry no creator: ``creator`` (and optionally ``campaign``)
    say whose posts they are. In a CSV file each row names them.
    """
    kind = fmt if isinstance(fmt, ExportFormat) else parse_format(fmt)
    if kind is not ExportFormat.CSV and creator is None:
        raise _invalid("creator", f"a {kind} export needs --creator: it does not say whose it is")
    ws = get_workspace(ctx, workspace)
    data, name = (source, source_name) if isinstance(source, bytes) else imports.read_file(source)
    items, errors = _parse(kind, data, name, progress)
    default_creator = None if creator is None else normalise_handle(creator, "creator")
    default_campaign = None if campaign is None else campaign.strip().lower()
    try:
        with ctx.engine.begin() as conn:
            writes, existing = _resolve(
                conn, ws.id, items, errors, default_creator, default_campaign
            )
            # Cross-row problems come after the per-row ones; list them all in row order.
            errors.problems.sort(key=lambda p: p.row or 0)
            errors.raise_if_any(name)
            totals = [0, 0, 0]

            def write(chunk: Sequence[PostWrite]) -> None:
                done = repo.save_posts(conn, ws.id, chunk, existing, kind.value, ctx.now())
                for i, n in enumerate(done):
                    totals[i] += n

            imports.write_in_steps(writes, write, progress)
    except IntegrityError:
        raise PerfluenceError(
            ErrorCode.DUPLICATE, f"{name}: a post was added meanwhile; import again"
        ) from None
    return PostImport(*totals)


def _resolve(
    conn: Connection,
    ws_id: int,
    items: Sequence[ImportedPost],
    errors: RowErrors,
    default_creator: str | None,
    default_campaign: str | None,
) -> tuple[list[PostWrite], dict[tuple[str, str], PostView]]:
    handles = {i.creator or default_creator for i in items} - {None}
    ids = creator_ids(conn, ws_id, [h for h in handles if h is not None])
    existing = repo.find_posts(conn, ws_id, [(i.platform.value, i.external_id) for i in items])
    campaign_ids: dict[str, int | None] = {}
    seen: dict[tuple[str, str], int] = {}
    writes = []
    for item in items:
        handle = item.creator or default_creator
        slug = item.campaign or default_campaign
        column = "creator" if item.creator else None
        if handle not in ids:
            errors.add(item.number, column, handle, f"creator {handle!r} not found")
            continue
        key = (item.platform.value, item.external_id)
        if key in seen:
            errors.add(
                item.number,
                "external_id",
                item.external_id,
                f"{key[0]} post {key[1]!r} is already on row {seen[key]}",
            )
        seen.setdefault(key, item.number)
        old = existing.get(key)
        if old is not None and old.creator_id != ids[handle]:
            errors.add(
                item.number,
                "external_id",
                item.external_id,
                f"{key[0]} post {key[1]!r} belongs to {old.creator_handle!r}",
            )
        partnership_id = None
        if slug is not None:
            if slug not in campaign_ids:
                found = find_campaign(conn, ws_id, slug)
                campaign_ids[slug] = None if found is None else found.id
            cid = campaign_ids[slug]
            partnership = None if cid is None else find_partnership(conn, ws_id, cid, ids[handle])
            if partnership is None:
                errors.add(
                    item.number,
                    "campaign" if item.campaign else None,
                    slug,
                    f"creator {handle!r} has no partnership in campaign {slug!r}",
                )
                continue
            partnership_id = partnership.id
        writes.append(
            PostWrite(
                creator_id=ids[handle],
                partnership_id=partnership_id,
                platform=item.platform.value,
                external_id=item.external_id,
                url=item.url,
                published_at=item.published_at,
                caption=item.caption,
                paid_partnership_label=item.paid_partnership_label,
                metrics=item.metrics,
            )
        )
    return writes, existing


def list_posts(
    ctx: Context, workspace: str, *, creator: str | None = None, campaign: str | None = None
) -> list[PostView]:
    ws = get_workspace(ctx, workspace)
    with ctx.engine.connect() as conn:
        creator_id = None
        if creator is not None:
            handle = normalise_handle(creator, "creator")
            found = creator_ids(conn, ws.id, [handle])
            if handle not in found:
                raise PerfluenceError(ErrorCode.NOT_FOUND, f"creator {handle!r} not found")
            creator_id = found[handle]
        campaign_id = None
        if campaign is not None:
            c = find_campaign(conn, ws.id, campaign.strip().lower())
            if c is None:
                raise PerfluenceError(ErrorCode.NOT_FOUND, f"campaign {campaign!r} not found")
            campaign_id = c.id
        return repo.list_posts(conn, ws.id, creator_id=creator_id, campaign_id=campaign_id)


def post_history(
    ctx: Context, workspace: str, platform: str, external_id: str
) -> list[MetricSnapshot]:
    """Every metric snapshot of one post, oldest first."""
    ws = get_workspace(ctx, workspace)
    key = (parse_platform(platform).value, external_id)
    with ctx.engine.connect() as conn:
        found = repo.find_posts(conn, ws.id, [key])
        if key not in found:
            raise PerfluenceError(ErrorCode.NOT_FOUND, f"{key[0]} post {external_id!r} not found")
        return repo.metric_history(conn, found[key].id)


# --- follower snapshots ----------------------------------------------------------------


def record_follower_snapshot_on(
    conn: Connection, ws_id: int, account_id: int, followers: int, day: date, now: datetime
) -> bool:
    """Inside a caller's transaction (e.g. when a creator's followers are updated)."""
    return repo.save_follower_snapshot(conn, ws_id, account_id, day, followers, now)


def record_follower_snapshot(
    ctx: Context,
    workspace: str,
    platform: str,
    handle: str,
    followers: int | str,
    day: date | None = None,
) -> bool:
    """Record an account's follower count for ``day`` (default: today, UTC)."""
    ws = get_workspace(ctx, workspace)
    key = (parse_platform(platform).value, normalise_handle(handle))
    count = parse_followers(followers)
    with ctx.engine.begin() as conn:
        owner = account_owners(conn, ws.id).get(key)
        if owner is None:
            raise PerfluenceError(ErrorCode.NOT_FOUND, f"{key[0]} account {key[1]!r} not found")
        return record_follower_snapshot_on(
            conn, ws.id, owner[0], count, day or ctx.now().date(), ctx.now()
        )


@dataclass(frozen=True, slots=True)
class _FollowerLine:
    row: int
    key: tuple[str, str]
    day: date
    followers: int


def _read_follower_row(row: CsvRow, errors: RowErrors) -> _FollowerLine | None:
    platform = errors.check(row, "platform", parse_platform)
    handle = errors.check(row, "handle", normalise_handle)
    day = errors.check(row, "day", _day)
    followers = errors.check(row, "followers", parse_followers)
    if platform is None or handle is None or day is None or followers is None:
        return None
    return _FollowerLine(row.number, (platform.value, handle), day, followers)


def _day(value: str) -> date:
    try:
        return date.fromisoformat(value.strip())
    except ValueError:
        raise _invalid("day", f"day {value!r} must be YYYY-MM-DD") from None


def import_follower_snapshots(
    ctx: Context,
    workspace: str,
    source: Path | str | bytes,
    *,
    progress: imports.Progress | None = None,
    source_name: str = "upload.csv",
) -> int:
    """Follower counts per account and day from CSV; returns how many rows were new or changed."""
    ws = get_workspace(ctx, workspace)
    data, name = (source, source_name) if isinstance(source, bytes) else imports.read_file(source)
    lines, errors = imports.validate_rows(
        data,
        source=name,
        required=FOLLOWER_COLUMNS,
        optional=(),
        validate_row=_read_follower_row,
        progress=progress,
    )
    with ctx.engine.begin() as conn:
        owners = account_owners(conn, ws.id)
        seen: dict[tuple[str, str, date], int] = {}
        for line in lines:
            if line.key not in owners:
                errors.add(line.row, "handle", line.key[1], f"{line.key[0]} account not found")
            k = (*line.key, line.day)
            if k in seen:
                errors.add(line.row, "day", line.day.isoformat(), f"already on row {seen[k]}")
            seen.setdefault(k, line.row)
        errors.raise_if_any(name)
        changed = 0
        for line in lines:
            changed += repo.save_follower_snapshot(
                conn, ws.id, owners[line.key][0], line.day, line.followers, ctx.now()
            )
        return changed
