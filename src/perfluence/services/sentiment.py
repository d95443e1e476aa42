"""Comments on posts: import (CSV or Instagram's comments JSON), sentiment, brand mentions.

Sentiment is computed when asked for, from the stored text and the word
lists (``core.sentiment``), so a better word list re-scores history. Comment
authors are not stored; the text is public content kept for this analysis
(see ``docs/sentiment.md`` for retention). Word lists: AFINN (Finn Årup
Nielsen, ODbL 1.0) from the ``afinn`` package for Danish and English; the
project's own lists for Swedish and Norwegian Bokmål in ``core/lexicons``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from importlib.resources import files
from pathlib import Path
from typing import Any, Final

from sqlalchemy.exc import IntegrityError

from perfluence.core.csvrows import CsvImportError, CsvRow, RowErrors, RowProblem
from perfluence.core.post_exports import parse_time
from perfluence.core.sentiment import (
    LANGUAGES,
    PeriodComparison,
    SentimentSummary,
    TextScore,
    before_and_during,
    check_language,
    count_mentions,
    parse_lexicon,
    score_text,
    summarise,
)
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services import imports
from perfluence.services.context import Context
from perfluence.services.creators import normalise_handle, parse_platform
from perfluence.services.workspaces import get_workspace
from perfluence.store import content
from perfluence.store.campaigns import find_campaign
from perfluence.store.content import CommentWrite
from perfluence.store.creators import creator_ids
from perfluence.store.post_metrics import find_posts

_AFINN: Final = {"da": "AFINN-da-32.txt", "en": "AFINN-en-165.txt"}
REQUIRED: Final = ("platform", "post", "comment_id", "text")
OPTIONAL: Final = ("published_at", "language")
MAX_TEXT: Final = 10_000


@cache
def load_lexicon(language: str) -> Mapping[str, int]:
    """The word list for ``language`` (da, sv, nb, en)."""
    code = check_language(language)
    if code in _AFINN:
        name = _AFINN[code]
        text = (files("afinn") / "data" / name).read_text(encoding="utf-8")
    else:
        name = f"{code}.tsv"
        text = (files("perfluence.core") / "lexicons" / name).read_text(encoding="utf-8")
    return parse_lexicon(text, name)


def score_comment(text: str, language: str) -> TextScore:
    code = check_language(language)
    return score_text(text, load_lexicon(code), code)


@dataclass(frozen=True, slots=True)
class CommentImport:
    created: int
    already_stored: int


@dataclass(frozen=True, slots=True)
class _Comment:
    number: int
    key: tuple[str, str]  # the post's (platform, external id)
    external_id: str
    text: str
    language: str | None
    published_at: datetime | None


def _read_row(row: CsvRow, errors: RowErrors) -> _Comment | None:
    platform = errors.check(row, "platform", parse_platform)
    post, comment_id, text = row.get("post"), row.get("comment_id"), row.get("text")
    for column, value in (("post", post), ("comment_id", comment_id), ("text", text)):
        if not value:
            errors.add(row.number, column, None, f"{column} is required")
    if len(text) > MAX_TEXT:
        errors.add(row.number, "text", text[:20], f"longer than {MAX_TEXT} characters")
    language = None
    if row.get("language"):
        language = errors.check(row, "language", check_language)
    published = None
    if row.get("published_at"):
        published = errors.check(row, "published_at", lambda v: parse_time(v, "published_at"))
    if platform is None or not (post and comment_id and text):
        return None
    return _Comment(row.number, (platform.value, post), comment_id, text, language, published)


def _read_instagram(data: bytes, name: str, key: tuple[str, str]) -> list[_Comment]:
    """``GET /{ig-media-id}/comments`` with fields ``id, text, timestamp``."""
    try:
        doc: Any = json.loads(data.decode("utf-8-sig"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CsvImportError(name, [RowProblem(None, None, None, f"not JSON: {exc}")]) from None
    items = doc.get("data") if isinstance(doc, dict) else None
    if not isinstance(items, list):
        raise CsvImportError(name, [RowProblem(None, "data", None, "expected a list here")])
    errors = RowErrors()
    out = []
    for number, item in enumerate(items, start=1):
        if not isinstance(item, dict) or not item.get("id") or not item.get("text"):
            errors.add(number, None, None, "a comment needs 'id' and 'text'")
            continue
        if "\x00" in str(item["id"]) or "\x00" in str(item["text"]):
            # PostgreSQL text cannot hold NUL; refused here rather than failing the insert.
            errors.add(number, None, None, "'id' and 'text' must not contain NUL characters")
            continue
        published = None
        if item.get("timestamp"):
            try:
                published = parse_time(item["timestamp"], "timestamp")
            except PerfluenceError as exc:
                errors.add(number, "timestamp", None, exc.message)
        out.append(_Comment(number, key, str(item["id"]), str(item["text"]), None, published))
    errors.raise_if_any(name)
    return out


def import_comments(
    ctx: Context,
    workspace: str,
    source: Path | str | bytes,
    *,
    fmt: str = "csv",
    platform: str | None = None,
    post: str | None = None,
    language: str | None = None,
    progress: imports.Progress | None = None,
    source_name: str = "upload",
) -> CommentImport:
    """Import comments; comments stored before (same post and id) are left as they are.

    ``language`` is the default for comments without one (else the
    workspace's language). The Instagram format needs ``platform`` and ``post``.
    """
    ws = get_workspace(ctx, workspace)
    default_language = check_language(language or ws.default_language)
    data, name = (source, source_name) if isinstance(source, bytes) else imports.read_file(source)
    kind = fmt.strip().lower()
    if kind == "csv":
        comments, errors = imports.validate_rows(
            data,
            source=name,
            required=REQUIRED,
            optional=OPTIONAL,
            validate_row=_read_row,
            progress=progress,
        )
    elif kind == "instagram":
        if platform is None or post is None:
            raise PerfluenceError(
                ErrorCode.INVALID, "an Instagram comments export needs --platform and --post"
            )
        comments = _read_instagram(data, name, (parse_platform(platform).value, post.strip()))
        errors = RowErrors()
    else:
        raise PerfluenceError(
            ErrorCode.INVALID, f"format {fmt!r} is not csv or instagram", field="format"
        )
    try:
        with ctx.engine.begin() as conn:
            posts = find_posts(conn, ws.id, {c.key for c in comments})
            for c in comments:
                if c.key not in posts:
                    errors.add(c.number, "post", c.key[1], f"{c.key[0]} post not found")
            errors.raise_if_any(name)
            stored = content.comment_keys(conn, [p.id for p in posts.values()])
            fresh: dict[tuple[int, str], CommentWrite] = {}
            for c in comments:
                pid = posts[c.key].id
                if (pid, c.external_id) not in stored:
                    fresh.setdefault(
                        (pid, c.external_id),
                        CommentWrite(
                            pid,
                            c.external_id,
                            c.language or default_language,
                            c.text,
                            c.published_at,
                        ),
                    )
            created = content.insert_comments(conn, ws.id, list(fresh.values()), ctx.now())
    except IntegrityError:
        raise PerfluenceError(
            ErrorCode.DUPLICATE, f"{name}: comments were added meanwhile; import again"
        ) from None
    return CommentImport(created, len(comments) - created)


@dataclass(frozen=True, slots=True)
class SentimentReport:
    overall: SentimentSummary
    by_language: Mapping[str, SentimentSummary]
    brand_terms: tuple[str, ...]
    comments_mentioning_brand: int
    brand_mentions: int
    comparison: PeriodComparison | None  # before vs during the campaign


def comment_sentiment(
    ctx: Context,
    workspace: str,
    *,
    campaign: str | None = None,
    creator: str | None = None,
    brand_terms: Sequence[str] = (),
) -> SentimentReport:
    """Sentiment of the comments on a campaign's creators' posts (or one creator's, or all).

    With a campaign, comments are compared before its first day and during
    it, and the brand terms default to the campaign's brand.
    """
    ws = get_workspace(ctx, workspace)
    with ctx.engine.connect() as conn:
        who: list[int] | None = None
        profile = None
        if campaign is not None:
            found = find_campaign(conn, ws.id, campaign.strip().lower())
            if found is None:
                raise PerfluenceError(ErrorCode.NOT_FOUND, f"campaign {campaign!r} not found")
            profile = content.campaign_profiles(conn, ws.id)[found.id]
            who = [k for _, c, k in content.partnership_rows(conn, ws.id) if c == found.id]
        if creator is not None:
            handle = normalise_handle(creator, "creator")
            ids = creator_ids(conn, ws.id, [handle])
            if handle not in ids:
                raise PerfluenceError(ErrorCode.NOT_FOUND, f"creator {handle!r} not found")
            who = [ids[handle]] if who is None else [k for k in who if k == ids[handle]]
        comments = content.load_comments(conn, ws.id, creator_ids=who)
    terms = tuple(brand_terms) or ((profile.brand,) if profile and profile.brand else ())
    scored = [(c, score_comment(c.text, c.language)) for c in comments]
    mentions = [count_mentions(c.text, terms) if terms else 0 for c in comments]
    by_language = {
        lang: summarise(s for c, s in scored if c.language == lang)
        for lang in LANGUAGES
        if any(c.language == lang for c in comments)
    }
    comparison = None
    if profile is not None:
        dated = [(c.published_at, s) for c, s in scored if c.published_at is not None]
        comparison = before_and_during(dated, profile.starts_on, profile.ends_on)
    return SentimentReport(
        overall=summarise(s for _, s in scored),
        by_language=by_language,
        brand_terms=terms,
        comments_mentioning_brand=sum(1 for m in mentions if m),
        brand_mentions=sum(mentions),
        comparison=comparison,
    )
