"""Posts and their metrics as the platforms export them (pure: bytes in, posts out).

Three JSON shapes besides our CSV (``docs/import-formats.md``):

- Instagram Graph API: ``GET /{ig-user-id}/media`` with fields ``id, caption,
  media_type, permalink, timestamp, like_count, comments_count`` and the
  nested ``insights.metric(reach, impressions, views, saved, shares)`` edge;
  each insight is ``{"name", "period": "lifetime", "values": [{"value": N}]}``
  (or ``"total_value": {"value": N}``).
- TikTok: ``data.videos`` of the Display API ``POST /v2/video/list/`` (``id,
  create_time, title, video_description, share_url, view_count, like_count,
  comment_count, share_count``) or of the Business API ``GET
  /business/video/list/`` (``item_id, create_time, caption, share_url,
  video_views, likes, comments, shares, reach``, and ``favorites`` when given).
- YouTube Analytics API ``reports.query`` with ``dimensions=video``: a
  ``youtubeAnalytics#resultTable`` whose ``columnHeaders`` name the columns
  of ``rows`` (``video, views, likes, comments, shares``; others are ignored).

Every item is checked and every problem collected (item numbers count from 1)
before anything is returned; a file with any problem raises ``CsvImportError``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum
from typing import Any, Final

from perfluence.core.csvrows import CsvImportError, RowErrors, RowProblem
from perfluence.core.model import Platform
from perfluence.errors import ErrorCode, PerfluenceError

# As services.posts allows; far past any post's reach, far inside a BIGINT column.
MAX_COUNT: Final = 10**15
# ASCII digits only (str.isdigit() is true for '²', which int() refuses), and not so many that
# int() slows down: no count reaches 10^18, and Unix seconds of year 9999 have 12 digits.
_DIGITS: Final = re.compile(r"[0-9]{1,18}", re.ASCII)
METRICS: Final = ("impressions", "reach", "views", "likes", "comments", "shares", "saves")


class ExportFormat(StrEnum):
    CSV = "csv"
    INSTAGRAM = "instagram"
    TIKTOK = "tiktok"
    YOUTUBE = "youtube"


@dataclass(frozen=True, slots=True)
class ImportedPost:
    """One post read from a file; ``metrics`` holds only the metrics the file gives."""

    number: int
    platform: Platform
    external_id: str
    url: str | None
    published_at: datetime | None
    caption: str | None
    metrics: Mapping[str, int]
    paid_partnership_label: bool | None = None
    creator: str | None = None  # CSV only; JSON exports take it from the command
    campaign: str | None = None


class ExportValueError(PerfluenceError):
    """A field of an export item that cannot be read; ``value`` is what was there."""

    def __init__(self, field: str, message: str, value: object) -> None:
        super().__init__(ErrorCode.INVALID, f"{field} {message}", field=field)
        self.value = None if value is None else str(value)[:40]


def _bad(field: str, message: str, value: object) -> ExportValueError:
    return ExportValueError(field, message, value)


def parse_time(value: object, field: str) -> datetime:
    """ISO 8601 with an offset (``+0000`` too) or Unix seconds; naive text is UTC."""
    if isinstance(value, int) and not isinstance(value, bool):
        return _from_unix(value, field)
    if isinstance(value, str) and value.strip():
        text = value.strip()
        if _DIGITS.fullmatch(text):
            return _from_unix(int(text), field)
        try:
            parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
            return parsed.replace(tzinfo=UTC) if parsed.tzinfo is None else parsed.astimezone(UTC)
        except ValueError:
            raise _bad(field, "is not an ISO 8601 time or Unix seconds", value) from None
        except OverflowError:
            # 0001-01-01T00:00+01:00 is a valid time whose UTC falls before year 1.
            raise _bad(field, "is out of range once in UTC", value) from None
    raise _bad(field, "is not an ISO 8601 time or Unix seconds", value)


def _from_unix(seconds: int, field: str) -> datetime:
    try:
        return datetime.fromtimestamp(seconds, UTC)
    except (OverflowError, OSError, ValueError):
        # Past year 9999, or beyond what the platform's time_t holds.
        raise _bad(field, "is not a usable Unix time", seconds) from None


def parse_count(value: object, field: str) -> int:
    """A whole number >= 0 (JSON integer, integral float, or digits)."""
    if isinstance(value, bool):
        raise _bad(field, "must be a whole number >= 0", value)
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, str) and _DIGITS.fullmatch(value.strip()):
        value = int(value.strip())
    if not isinstance(value, int) or value < 0:
        raise _bad(field, "must be a whole number >= 0", value)
    if value > MAX_COUNT:
        raise _bad(field, f"is more than {MAX_COUNT}", value)
    return value


def _text(item: Mapping[str, Any], *names: str) -> str | None:
    for name in names:
        value = item.get(name)
        if isinstance(value, str) and value.strip():
            return _no_nul(value, name)
    return None


def _no_nul(value: str, field: str) -> str:
    # PostgreSQL text cannot hold U+0000; JSON can ("\u0000").
    if "\x00" in value:
        raise _bad(field, "contains a NUL character", value.replace("\x00", "\\0"))
    return value


def _insight(entry: Mapping[str, Any]) -> object:
    total = entry.get("total_value")
    if isinstance(total, Mapping):
        return total.get("value")
    values = entry.get("values")
    if isinstance(values, list) and values and isinstance(values[-1], Mapping):
        return values[-1].get("value")
    return None


_IG_INSIGHTS: Final = {
    "impressions": "impressions",
    "reach": "reach",
    "views": "views",
    "video_views": "views",
    "plays": "views",
    "saved": "saves",
    "shares": "shares",
}


def _instagram(item: Mapping[str, Any], number: int) -> ImportedPost:
    metrics: dict[str, int] = {}
    if "like_count" in item:
        metrics["likes"] = parse_count(item["like_count"], "like_count")
    if "comments_count" in item:
        metrics["comments"] = parse_count(item["comments_count"], "comments_count")
    insights = item.get("insights", {})
    entries = insights.get("data", []) if isinstance(insights, Mapping) else []
    for entry in entries if isinstance(entries, list) else []:
        if isinstance(entry, Mapping) and entry.get("name") in _IG_INSIGHTS:
            name = str(entry["name"])
            metrics[_IG_INSIGHTS[name]] = parse_count(_insight(entry), f"insights.{name}")
    return ImportedPost(
        number=number,
        platform=Platform.INSTAGRAM,
        external_id=_id(item, "id"),
        url=_text(item, "permalink"),
        published_at=parse_time(item["timestamp"], "timestamp") if "timestamp" in item else None,
        caption=_text(item, "caption"),
        metrics=metrics,
    )


_TIKTOK_METRICS: Final = {
    "view_count": "views",
    "video_views": "views",
    "like_count": "likes",
    "likes": "likes",
    "comment_count": "comments",
    "comments": "comments",
    "share_count": "shares",
    "shares": "shares",
    "reach": "reach",
    "favorites": "saves",
}


def _tiktok(item: Mapping[str, Any], number: int) -> ImportedPost:
    metrics = {
        metric: parse_count(item[name], name)
        for name, metric in _TIKTOK_METRICS.items()
        if name in item
    }
    created = item.get("create_time")
    return ImportedPost(
        number=number,
        platform=Platform.TIKTOK,
        external_id=_id(item, "item_id" if "item_id" in item else "id"),
        url=_text(item, "share_url", "embed_link"),
        published_at=None if created is None else parse_time(created, "create_time"),
        caption=_text(item, "caption", "video_description", "title"),
        metrics=metrics,
    )


def _id(item: Mapping[str, Any], name: str) -> str:
    value = item.get(name)
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip() or len(value.strip()) > 200:
        raise _bad(name, "is required (text, at most 200 characters)", value)
    return _no_nul(value.strip(), name)


def _items(doc: object, path: tuple[str, ...], source: str) -> list[Any]:
    found = doc
    for key in path:
        found = found.get(key) if isinstance(found, Mapping) else None
    if not isinstance(found, list):
        raise CsvImportError(
            source, [RowProblem(None, ".".join(path), None, "expected a list of posts here")]
        )
    return found


def _load(data: bytes, source: str) -> object:
    try:
        return json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CsvImportError(source, [RowProblem(None, None, None, f"not JSON: {exc}")]) from None


def _each(
    items: list[Any],
    source: str,
    read: Callable[[Mapping[str, Any], int], ImportedPost],
) -> list[ImportedPost]:
    errors = RowErrors()
    posts = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, Mapping):
            errors.add(number, None, None, "expected an object")
            continue
        try:
            posts.append(read(item, number))
        except PerfluenceError as bad:
            shown = bad.value if isinstance(bad, ExportValueError) else None
            errors.add(number, bad.field, shown, bad.message)
    errors.raise_if_any(source)
    return posts


def parse_instagram(data: bytes, source: str) -> list[ImportedPost]:
    return _each(_items(_load(data, source), ("data",), source), source, _instagram)


def parse_tiktok(data: bytes, source: str) -> list[ImportedPost]:
    return _each(_items(_load(data, source), ("data", "videos"), source), source, _tiktok)


_YOUTUBE_METRICS: Final = {"views": "views", "likes": "likes", "comments": "comments",
                           "shares": "shares"}  # fmt: skip


def parse_youtube(data: bytes, source: str) -> list[ImportedPost]:
    doc = _load(data, source)
    headers = _items(doc, ("columnHeaders",), source)
    names = [h.get("name") if isinstance(h, Mapping) else None for h in headers]
    if "video" not in names:
        raise CsvImportError(
            source,
            [RowProblem(None, "columnHeaders", None, "the report needs the 'video' dimension")],
        )
    rows = doc.get("rows") if isinstance(doc, Mapping) else None
    width = len(names)

    def read(row: Mapping[str, Any], number: int) -> ImportedPost:
        video = _id(row, "video")
        metrics = {
            metric: parse_count(row[name], name)
            for name, metric in _YOUTUBE_METRICS.items()
            if name in row
        }
        return ImportedPost(
            number=number,
            platform=Platform.YOUTUBE,
            external_id=video,
            url=f"https://www.youtube.com/watch?v={video}",
            published_at=None,
            caption=None,
            metrics=metrics,
        )

    errors = RowErrors()
    records: list[Any] = []
    for number, row in enumerate(rows or [], start=1):
        if not isinstance(row, list) or len(row) != width:
            errors.add(number, None, None, f"expected a list of {width} values")
            records.append(None)
        else:
            records.append(dict(zip(names, row, strict=True)))
    errors.raise_if_any(source)
    return _each(records, source, read)
