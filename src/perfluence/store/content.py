"""Comments, disclosure verdicts, campaigns' vetting profiles, and the sums vetting reads."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import Connection, case, delete, func, insert, select, update

from perfluence.store.tables import (
    campaigns,
    clicks,
    conversions,
    partnerships,
    post_comments,
    post_disclosures,
    posts,
    social_accounts,
    tracking_links,
)

# --- comments --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CommentWrite:
    post_id: int
    external_id: str
    language: str
    text: str
    published_at: datetime | None


@dataclass(frozen=True, slots=True)
class StoredComment:
    post_id: int
    creator_id: int
    partnership_id: int | None
    language: str
    text: str
    published_at: datetime | None


def comment_keys(conn: Connection, post_ids: Iterable[int]) -> set[tuple[int, str]]:
    wanted = sorted(set(post_ids))
    if not wanted:
        return set()
    query = select(post_comments.c.post_id, post_comments.c.external_id).where(
        post_comments.c.post_id.in_(wanted)
    )
    return {(int(p), str(e)) for p, e in conn.execute(query)}


def insert_comments(
    conn: Connection, workspace_id: int, rows: Sequence[CommentWrite], now: datetime
) -> int:
    if rows:
        conn.execute(
            insert(post_comments),
            [
                {
                    "workspace_id": workspace_id,
                    "post_id": r.post_id,
                    "external_id": r.external_id,
                    "language": r.language,
                    "text": r.text,
                    "published_at": r.published_at,
                    "created_at": now,
                }
                for r in rows
            ],
        )
    return len(rows)


def load_comments(
    conn: Connection, workspace_id: int, *, creator_ids: Iterable[int] | None = None
) -> list[StoredComment]:
    query = (
        select(
            post_comments.c.post_id,
            posts.c.creator_id,
            posts.c.partnership_id,
            post_comments.c.language,
            post_comments.c.text,
            post_comments.c.published_at,
        )
        .join(posts, posts.c.id == post_comments.c.post_id)
        .where(post_comments.c.workspace_id == workspace_id)
        .order_by(post_comments.c.published_at, post_comments.c.id)
    )
    if creator_ids is not None:
        query = query.where(posts.c.creator_id.in_(sorted(set(creator_ids))))
    return [StoredComment(*row) for row in conn.execute(query)]


# --- disclosure verdicts ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class StoredVerdict:
    post_id: int
    market: str
    verdict: str
    reason: str
    checked_at: datetime


def save_verdicts(
    conn: Connection,
    workspace_id: int,
    post_id: int,
    verdicts: Sequence[tuple[str, str, str]],
    now: datetime,
) -> None:
    """Replace the post's verdicts with ``(market, verdict, reason)`` triples."""
    conn.execute(delete(post_disclosures).where(post_disclosures.c.post_id == post_id))
    if verdicts:
        conn.execute(
            insert(post_disclosures),
            [
                {
                    "post_id": post_id,
                    "market": market,
                    "workspace_id": workspace_id,
                    "verdict": verdict,
                    "reason": reason,
                    "checked_at": now,
                }
                for market, verdict, reason in verdicts
            ],
        )


def load_verdicts(
    conn: Connection, workspace_id: int, *, post_ids: Iterable[int] | None = None
) -> list[StoredVerdict]:
    query = select(post_disclosures).where(post_disclosures.c.workspace_id == workspace_id)
    if post_ids is not None:
        query = query.where(post_disclosures.c.post_id.in_(sorted(set(post_ids))))
    rows = conn.execute(query.order_by(post_disclosures.c.post_id, post_disclosures.c.market))
    return [
        StoredVerdict(
            r._mapping["post_id"],
            r._mapping["market"],
            r._mapping["verdict"],
            r._mapping["reason"],
            r._mapping["checked_at"],
        )
        for r in rows
    ]


# --- campaign vetting profile ----------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CampaignProfile:
    campaign_id: int
    slug: str
    brand: str | None
    competitors: tuple[str, ...]
    audience_target: Mapping[str, Mapping[str, Decimal]]
    markets: tuple[str, ...]
    starts_on: date
    ends_on: date


def _profile(row: Any) -> CampaignProfile:
    m = row._mapping
    target = m["audience_target"] if isinstance(m["audience_target"], dict) else {}
    return CampaignProfile(
        campaign_id=m["id"],
        slug=m["slug"],
        brand=m["brand"],
        competitors=tuple(str(c) for c in m["competitors"] or ()),
        audience_target={
            str(group): {str(k): Decimal(str(v)) for k, v in shares.items()}
            for group, shares in target.items()
            if isinstance(shares, dict)
        },
        markets=tuple(str(x) for x in m["markets"] or ()),
        starts_on=m["starts_on"],
        ends_on=m["ends_on"],
    )


_PROFILE_COLUMNS = (
    campaigns.c.id,
    campaigns.c.slug,
    campaigns.c.brand,
    campaigns.c.competitors,
    campaigns.c.audience_target,
    campaigns.c.markets,
    campaigns.c.starts_on,
    campaigns.c.ends_on,
)


def campaign_profiles(conn: Connection, workspace_id: int) -> dict[int, CampaignProfile]:
    query = select(*_PROFILE_COLUMNS).where(campaigns.c.workspace_id == workspace_id)
    return {p.campaign_id: p for p in (_profile(r) for r in conn.execute(query))}


def set_campaign_profile(
    conn: Connection,
    campaign_id: int,
    *,
    brand: str | None,
    competitors: Sequence[str],
    audience_target: Mapping[str, Mapping[str, Decimal]],
) -> None:
    conn.execute(
        update(campaigns)
        .where(campaigns.c.id == campaign_id)
        .values(
            brand=brand,
            competitors=list(competitors),
            audience_target={
                g: {k: format(v, "f") for k, v in shares.items()}
                for g, shares in audience_target.items()
            },
        )
    )


# --- what vetting reads ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AccountPosts:
    """A social account with the sums of its creator's posts on that platform."""

    account_id: int
    creator_id: int
    platform: str
    followers: int
    audience: Mapping[str, Any] | None
    posts: int
    engagements: int
    reach: int


def account_posts(conn: Connection, workspace_id: int) -> list[AccountPosts]:
    sums = (
        select(
            posts.c.creator_id,
            posts.c.platform,
            func.count().label("n"),
            func.sum(posts.c.likes + posts.c.comments + posts.c.shares + posts.c.saves).label(
                "engagements"
            ),
            func.sum(posts.c.reach).label("reach"),
        )
        .where(posts.c.workspace_id == workspace_id)
        .group_by(posts.c.creator_id, posts.c.platform)
    )
    by_key = {
        (int(c), str(p)): (int(n), int(e or 0), int(r or 0)) for c, p, n, e, r in conn.execute(sums)
    }
    query = (
        select(
            social_accounts.c.id,
            social_accounts.c.creator_id,
            social_accounts.c.platform,
            social_accounts.c.followers,
            social_accounts.c.audience,
        )
        .where(social_accounts.c.workspace_id == workspace_id)
        .order_by(social_accounts.c.id)
    )
    out = []
    for account_id, creator_id, platform, followers, audience in conn.execute(query):
        n, engaged, reach = by_key.get((int(creator_id), str(platform)), (0, 0, 0))
        out.append(
            AccountPosts(
                int(account_id),
                int(creator_id),
                str(platform),
                int(followers),
                audience if isinstance(audience, dict) else None,
                n,
                engaged,
                reach,
            )
        )
    return out


def post_activity(conn: Connection, creator_id: int, platform: str) -> list[tuple[date, int]]:
    """``(published day, engagements)`` of the creator's posts on ``platform``."""
    query = select(
        posts.c.published_at,
        posts.c.likes + posts.c.comments + posts.c.shares + posts.c.saves,
    ).where(
        posts.c.creator_id == creator_id,
        posts.c.platform == platform,
        posts.c.published_at.is_not(None),
    )
    return [(at.date(), int(e)) for at, e in conn.execute(query)]


@dataclass(frozen=True, slots=True)
class ConversionSignals:
    conversions: int
    flagged: int
    seconds_from_click: tuple[int, ...]


def conversion_signals(
    conn: Connection, workspace_id: int, partnership_ids: Iterable[int], fraud_flags: frozenset[str]
) -> dict[int, ConversionSignals]:
    """Per partnership: leads and sales (test events left out), how many carry a fraud flag."""
    wanted = sorted(set(partnership_ids))
    found: dict[int, list[tuple[list[str], int | None]]] = {p: [] for p in wanted}
    if wanted:
        query = select(
            conversions.c.partnership_id, conversions.c.flags, conversions.c.seconds_from_click
        ).where(
            conversions.c.workspace_id == workspace_id,
            conversions.c.partnership_id.in_(wanted),
            conversions.c.kind != "refund",
        )
        for pid, flags, seconds in conn.execute(query):
            names = [str(f) for f in flags] if isinstance(flags, list) else []
            if "test" not in names:
                found[int(pid)].append((names, None if seconds is None else int(seconds)))
    return {
        pid: ConversionSignals(
            len(rows),
            sum(1 for names, _ in rows if fraud_flags & set(names)),
            tuple(s for _, s in rows if s is not None),
        )
        for pid, rows in found.items()
    }


def click_counts(
    conn: Connection, workspace_id: int, partnership_ids: Iterable[int]
) -> dict[int, tuple[int, int]]:
    """Per partnership: ``(clicks, bot clicks)`` on its tracking links."""
    wanted = sorted(set(partnership_ids))
    out = dict.fromkeys(wanted, (0, 0))
    if not wanted:
        return out
    query = (
        select(
            tracking_links.c.partnership_id,
            func.count(),
            func.sum(case((clicks.c.is_bot, 1), else_=0)),
        )
        .join(tracking_links, tracking_links.c.id == clicks.c.link_id)
        .where(clicks.c.workspace_id == workspace_id, tracking_links.c.partnership_id.in_(wanted))
        .group_by(tracking_links.c.partnership_id)
    )
    for pid, total, bots in conn.execute(query):
        out[int(pid)] = (int(total), int(bots or 0))
    return out


def partnership_rows(conn: Connection, workspace_id: int) -> list[tuple[int, int, int]]:
    """``(partnership id, campaign id, creator id)`` for the workspace."""
    query = select(partnerships.c.id, partnerships.c.campaign_id, partnerships.c.creator_id).where(
        partnerships.c.workspace_id == workspace_id
    )
    return [(int(p), int(c), int(k)) for p, c, k in conn.execute(query)]
