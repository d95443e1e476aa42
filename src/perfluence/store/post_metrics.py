"""Posts with their current metrics, the append-only metric history, follower snapshots."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Row, and_, insert, or_, select, update

from perfluence.core.post_exports import METRICS
from perfluence.store.tables import (
    campaigns,
    creators,
    follower_snapshots,
    partnerships,
    post_metric_snapshots,
    posts,
)


@dataclass(frozen=True, slots=True)
class PostView:
    id: int
    creator_id: int
    creator_handle: str
    partnership_id: int | None
    campaign_slug: str | None
    platform: str
    external_id: str
    url: str | None
    published_at: datetime | None
    caption: str | None
    paid_partnership_label: bool | None
    metrics: Mapping[str, int]
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class PostWrite:
    """A post to insert or update; ``None`` fields (and absent metrics) keep what is stored."""

    creator_id: int
    partnership_id: int | None
    platform: str
    external_id: str
    url: str | None
    published_at: datetime | None
    caption: str | None
    paid_partnership_label: bool | None
    metrics: Mapping[str, int]


@dataclass(frozen=True, slots=True)
class MetricSnapshot:
    recorded_at: datetime
    source: str
    metrics: Mapping[str, int]


def _select() -> Any:
    return (
        select(posts, creators.c.handle.label("creator_handle"), campaigns.c.slug.label("campaign"))
        .join(creators, creators.c.id == posts.c.creator_id)
        .outerjoin(partnerships, partnerships.c.id == posts.c.partnership_id)
        .outerjoin(campaigns, campaigns.c.id == partnerships.c.campaign_id)
    )


def _view(row: Row[Any]) -> PostView:
    m = row._mapping
    return PostView(
        id=m["id"],
        creator_id=m["creator_id"],
        creator_handle=m["creator_handle"],
        partnership_id=m["partnership_id"],
        campaign_slug=m["campaign"],
        platform=m["platform"],
        external_id=m["external_id"],
        url=m["url"],
        published_at=m["published_at"],
        caption=m["caption"],
        paid_partnership_label=m["paid_partnership_label"],
        metrics={name: int(m[name]) for name in METRICS},
        updated_at=m["updated_at"],
    )


def find_posts(
    conn: Connection, workspace_id: int, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], PostView]:
    """Stored posts by ``(platform, external_id)``."""
    wanted = sorted(set(keys))
    found: dict[tuple[str, str], PostView] = {}
    for start in range(0, len(wanted), 300):
        chunk = wanted[start : start + 300]
        query = _select().where(
            posts.c.workspace_id == workspace_id,
            or_(*(and_(posts.c.platform == p, posts.c.external_id == e) for p, e in chunk)),
        )
        for row in conn.execute(query):
            view = _view(row)
            found[(view.platform, view.external_id)] = view
    return found


def list_posts(
    conn: Connection,
    workspace_id: int,
    *,
    creator_id: int | None = None,
    campaign_id: int | None = None,
    post_ids: Iterable[int] | None = None,
) -> list[PostView]:
    query = _select().where(posts.c.workspace_id == workspace_id)
    if creator_id is not None:
        query = query.where(posts.c.creator_id == creator_id)
    if campaign_id is not None:
        query = query.where(partnerships.c.campaign_id == campaign_id)
    if post_ids is not None:
        query = query.where(posts.c.id.in_(sorted(set(post_ids))))
    order = (posts.c.published_at.is_(None), posts.c.published_at, posts.c.id)
    return [_view(r) for r in conn.execute(query.order_by(*order))]


def record_metric_snapshot(
    conn: Connection, workspace_id: int, post_id: int, metrics: Mapping[str, int], source: str,
    at: datetime,
) -> None:  # fmt: skip
    conn.execute(
        insert(post_metric_snapshots).values(
            workspace_id=workspace_id,
            post_id=post_id,
            recorded_at=at,
            source=source,
            **{name: metrics[name] for name in METRICS},
        )
    )


def save_posts(
    conn: Connection,
    workspace_id: int,
    writes: Sequence[PostWrite],
    existing: Mapping[tuple[str, str], PostView],
    source: str,
    now: datetime,
) -> tuple[int, int, int]:
    """Insert new posts, update known ones; a snapshot whenever metrics change.

    Returns ``(created, updated, unchanged)``.
    """
    created = updated = unchanged = 0
    for w in writes:
        old = existing.get((w.platform, w.external_id))
        if old is None:
            metrics = {name: w.metrics.get(name, 0) for name in METRICS}
            result = conn.execute(
                insert(posts).values(
                    workspace_id=workspace_id,
                    partnership_id=w.partnership_id,
                    creator_id=w.creator_id,
                    platform=w.platform,
                    external_id=w.external_id,
                    url=w.url,
                    published_at=w.published_at,
                    caption=w.caption,
                    paid_partnership_label=w.paid_partnership_label,
                    updated_at=now,
                    **metrics,
                )
            )
            key = result.inserted_primary_key
            assert key is not None
            record_metric_snapshot(conn, workspace_id, int(key[0]), metrics, source, now)
            created += 1
            continue
        values: dict[str, object] = {
            name: w.metrics[name]
            for name in METRICS
            if name in w.metrics and w.metrics[name] != old.metrics[name]
        }
        metrics_changed = bool(values)
        for name, new, current in (
            ("url", w.url, old.url),
            ("published_at", w.published_at, old.published_at),
            ("caption", w.caption, old.caption),
            ("paid_partnership_label", w.paid_partnership_label, old.paid_partnership_label),
            ("partnership_id", w.partnership_id, old.partnership_id),
        ):
            if new is not None and new != current:
                values[name] = new
        if not values:
            unchanged += 1
            continue
        conn.execute(update(posts).where(posts.c.id == old.id).values(updated_at=now, **values))
        if metrics_changed:
            merged = {name: w.metrics.get(name, old.metrics[name]) for name in METRICS}
            record_metric_snapshot(conn, workspace_id, old.id, merged, source, now)
        updated += 1
    return created, updated, unchanged


def metric_history(conn: Connection, post_id: int) -> list[MetricSnapshot]:
    query = (
        select(post_metric_snapshots)
        .where(post_metric_snapshots.c.post_id == post_id)
        .order_by(post_metric_snapshots.c.recorded_at, post_metric_snapshots.c.id)
    )
    return [
        MetricSnapshot(
            r._mapping["recorded_at"],
            r._mapping["source"],
            {name: int(r._mapping[name]) for name in METRICS},
        )
        for r in conn.execute(query)
    ]


def save_follower_snapshot(
    conn: Connection, workspace_id: int, account_id: int, day: date, followers: int, now: datetime
) -> bool:
    """Record ``followers`` for the account and day; the day's earlier count is replaced.

    Returns True when a row was added or changed.
    """
    where = (follower_snapshots.c.social_account_id == account_id, follower_snapshots.c.day == day)
    current = conn.execute(select(follower_snapshots.c.followers).where(*where)).scalar()
    if current is None:
        conn.execute(
            insert(follower_snapshots).values(
                workspace_id=workspace_id,
                social_account_id=account_id,
                day=day,
                followers=followers,
                recorded_at=now,
            )
        )
        return True
    if int(current) == followers:
        return False
    conn.execute(
        update(follower_snapshots).where(*where).values(followers=followers, recorded_at=now)
    )
    return True


def follower_history(
    conn: Connection, account_ids: Iterable[int]
) -> dict[int, list[tuple[date, int]]]:
    """``account id -> [(day, followers), ...]`` oldest first."""
    wanted = sorted(set(account_ids))
    out: dict[int, list[tuple[date, int]]] = {a: [] for a in wanted}
    if not wanted:
        return out
    query = (
        select(
            follower_snapshots.c.social_account_id,
            follower_snapshots.c.day,
            follower_snapshots.c.followers,
        )
        .where(follower_snapshots.c.social_account_id.in_(wanted))
        .order_by(follower_snapshots.c.social_account_id, follower_snapshots.c.day)
    )
    for account, day, followers in conn.execute(query):
        out[int(account)].append((day, int(followers)))
    return out
