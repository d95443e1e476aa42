"""Post rows (deliverables) with their latest metrics; every query filtered by workspace."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, Select, and_, insert, select, update

from perfluence.core.post_exports import METRICS
from perfluence.store.post_metrics import record_metric_snapshot
from perfluence.store.tables import campaigns, creators, partnerships, posts


@dataclass(frozen=True, slots=True)
class Post:
    """A post as the services return it: ``metrics`` holds the latest counts."""

    id: int
    creator_handle: str
    campaign_slug: str | None
    partnership_id: int | None
    platform: str
    external_id: str
    url: str | None
    published_at: datetime | None
    caption: str | None
    metrics: Mapping[str, int]
    updated_at: datetime


def insert_post(
    conn: Connection,
    *,
    workspace_id: int,
    creator_id: int,
    partnership_id: int | None,
    platform: str,
    external_id: str,
    url: str | None,
    published_at: datetime | None,
    caption: str | None,
    metrics: Mapping[str, int],
    now: datetime,
) -> int:
    pk = conn.execute(
        insert(posts).values(
            workspace_id=workspace_id,
            creator_id=creator_id,
            partnership_id=partnership_id,
            platform=platform,
            external_id=external_id,
            url=url,
            published_at=published_at,
            caption=caption,
            updated_at=now,
            **{name: metrics.get(name, 0) for name in METRICS},
        )
    ).inserted_primary_key
    assert pk is not None
    # Metric history is append-only, whichever way a post's figures arrive.
    record_metric_snapshot(
        conn, workspace_id, int(pk[0]), {m: metrics.get(m, 0) for m in METRICS}, "api", now
    )
    return int(pk[0])


def update_post(
    conn: Connection, workspace_id: int, post_id: int, values: Mapping[str, object], now: datetime
) -> None:
    conn.execute(
        update(posts)
        .where(posts.c.workspace_id == workspace_id, posts.c.id == post_id)
        .values(**values, updated_at=now)
    )
    if any(name in values for name in METRICS):
        row = conn.execute(
            select(*(posts.c[m] for m in METRICS)).where(
                posts.c.workspace_id == workspace_id, posts.c.id == post_id
            )
        ).one()
        current = {m: int(row._mapping[m]) for m in METRICS}
        record_metric_snapshot(conn, workspace_id, post_id, current, "api", now)


def _select(workspace_id: int) -> Select[Any]:
    return (
        select(
            posts,
            creators.c.handle.label("creator_handle"),
            campaigns.c.slug.label("campaign_slug"),
        )
        .select_from(
            posts.join(creators, creators.c.id == posts.c.creator_id)
            .outerjoin(
                partnerships,
                and_(
                    partnerships.c.id == posts.c.partnership_id,
                    partnerships.c.workspace_id == workspace_id,
                ),
            )
            .outerjoin(campaigns, campaigns.c.id == partnerships.c.campaign_id)
        )
        .where(posts.c.workspace_id == workspace_id)
    )


def _to_post(row: Row[Any]) -> Post:
    m = row._mapping
    return Post(
        id=int(m["id"]),
        creator_handle=m["creator_handle"],
        campaign_slug=m["campaign_slug"],
        partnership_id=m["partnership_id"],
        platform=m["platform"],
        external_id=m["external_id"],
        url=m["url"],
        published_at=m["published_at"],
        caption=m["caption"],
        metrics={name: int(m[name]) for name in METRICS},
        updated_at=m["updated_at"],
    )


def find_post(conn: Connection, workspace_id: int, post_id: int) -> Post | None:
    row = conn.execute(_select(workspace_id).where(posts.c.id == post_id)).first()
    return None if row is None else _to_post(row)


def post_id_of(conn: Connection, workspace_id: int, platform: str, external_id: str) -> int | None:
    found = conn.execute(
        select(posts.c.id).where(
            posts.c.workspace_id == workspace_id,
            posts.c.platform == platform,
            posts.c.external_id == external_id,
        )
    ).scalar()
    return None if found is None else int(found)


def list_posts(
    conn: Connection,
    workspace_id: int,
    *,
    campaign_slug: str | None = None,
    creator_handle: str | None = None,
    platform: str | None = None,
) -> list[Post]:
    """Newest published first (unpublished last), then by id."""
    query = _select(workspace_id)
    if campaign_slug is not None:
        query = query.where(campaigns.c.slug == campaign_slug)
    if creator_handle is not None:
        query = query.where(creators.c.handle == creator_handle)
    if platform is not None:
        query = query.where(posts.c.platform == platform)
    query = query.order_by(
        posts.c.published_at.is_(None), posts.c.published_at.desc(), posts.c.id.desc()
    )
    return [_to_post(r) for r in conn.execute(query)]
