"""Tracking link rows, and the partnership look-up links and codes share.

Every query but the redirect's (``link_targets``, which serves all
workspaces) is filtered by workspace. The UTM merge is not stored: it is
computed when a row is loaded, from the destination and the ``utm`` JSON (the
effective parameters, in order).

On PostgreSQL every insert or update of a link also announces the change on
``LINK_CHANGES_CHANNEL`` (``NOTIFY``, delivered when the transaction commits,
never for one rolled back); ``listen_for_link_changes`` is the other end, which
the redirect's link cache uses to refresh within milliseconds.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

import psycopg
from sqlalchemy import Connection, Engine, Row, Select, desc, insert, select, text, update

from perfluence.core.links import DEFAULT_SOURCE, LinkTarget, append_params
from perfluence.core.model import LinkStatus, TrackingLink
from perfluence.store.tables import (
    campaigns,
    creators,
    partnerships,
    social_accounts,
    tracking_links,
)

log = logging.getLogger(__name__)

LINK_CHANGES_CHANNEL: Final = "perfluence_link_changes"
_LISTEN_RETRY_MIN = 0.1
_LISTEN_RETRY_MAX = 5.0


@dataclass(frozen=True, slots=True)
class PartnershipRef:
    """Just enough of a partnership to hang a link or a code on."""

    id: int
    workspace_id: int
    campaign_slug: str
    creator_id: int
    creator_handle: str


def find_partnership_ref(
    conn: Connection, workspace_id: int, campaign_slug: str, creator_handle: str
) -> PartnershipRef | None:
    row = conn.execute(
        select(partnerships.c.id, partnerships.c.creator_id)
        .join(campaigns, campaigns.c.id == partnerships.c.campaign_id)
        .join(creators, creators.c.id == partnerships.c.creator_id)
        .where(
            partnerships.c.workspace_id == workspace_id,
            campaigns.c.workspace_id == workspace_id,
            campaigns.c.slug == campaign_slug,
            creators.c.handle == creator_handle,
        )
    ).first()
    if row is None:
        return None
    return PartnershipRef(
        id=int(row.id),
        workspace_id=workspace_id,
        campaign_slug=campaign_slug,
        creator_id=int(row.creator_id),
        creator_handle=creator_handle,
    )


def partnership_refs(conn: Connection, workspace_id: int) -> dict[tuple[str, str], PartnershipRef]:
    """Every partnership of the workspace by (campaign slug, creator handle), for imports."""
    rows = conn.execute(
        select(
            partnerships.c.id,
            partnerships.c.creator_id,
            campaigns.c.slug.label("campaign_slug"),
            creators.c.handle.label("creator_handle"),
        )
        .join(campaigns, campaigns.c.id == partnerships.c.campaign_id)
        .join(creators, creators.c.id == partnerships.c.creator_id)
        .where(partnerships.c.workspace_id == workspace_id)
    )
    return {
        (r.campaign_slug, r.creator_handle): PartnershipRef(
            id=int(r.id),
            workspace_id=workspace_id,
            campaign_slug=r.campaign_slug,
            creator_id=int(r.creator_id),
            creator_handle=r.creator_handle,
        )
        for r in rows
    }


def campaign_slugs(conn: Connection, workspace_id: int) -> set[str]:
    query = select(campaigns.c.slug).where(campaigns.c.workspace_id == workspace_id)
    return {str(s) for s in conn.execute(query).scalars()}


def creator_handles(conn: Connection, workspace_id: int) -> set[str]:
    query = select(creators.c.handle).where(creators.c.workspace_id == workspace_id)
    return {str(h) for h in conn.execute(query).scalars()}


def campaign_exists(conn: Connection, workspace_id: int, slug: str) -> bool:
    query = select(campaigns.c.id).where(
        campaigns.c.workspace_id == workspace_id, campaigns.c.slug == slug
    )
    return conn.execute(query).first() is not None


def creator_exists(conn: Connection, workspace_id: int, handle: str) -> bool:
    query = select(creators.c.id).where(
        creators.c.workspace_id == workspace_id, creators.c.handle == handle
    )
    return conn.execute(query).first() is not None


def primary_platform(conn: Connection, workspace_id: int, creator_id: int) -> str:
    """The platform of the creator's largest audience (ties: the oldest account)."""
    row = conn.execute(
        select(social_accounts.c.platform)
        .where(
            social_accounts.c.workspace_id == workspace_id,
            social_accounts.c.creator_id == creator_id,
        )
        .order_by(desc(social_accounts.c.followers), social_accounts.c.id)
        .limit(1)
    ).first()
    return DEFAULT_SOURCE if row is None else str(row.platform)


def slug_taken(conn: Connection, slug: str) -> bool:
    """Whether any workspace uses ``slug`` (slugs are global: ``/l/{slug}`` names no workspace)."""
    query = select(tracking_links.c.id).where(tracking_links.c.slug == slug)
    return conn.execute(query).first() is not None


def insert_link(
    conn: Connection,
    *,
    workspace_id: int,
    partnership_id: int,
    slug: str,
    destination_url: str,
    utm: Mapping[str, str],
    click_cap: int | None,
    fallback_url: str | None,
    now: datetime,
) -> int:
    result = conn.execute(
        insert(tracking_links).values(
            workspace_id=workspace_id,
            partnership_id=partnership_id,
            slug=slug,
            destination_url=destination_url,
            utm=dict(utm),
            status=LinkStatus.ACTIVE.value,
            click_cap=click_cap,
            fallback_url=fallback_url,
            created_at=now,
            updated_at=now,
        )
    )
    pk = result.inserted_primary_key
    assert pk is not None
    announce_link_change(conn)
    return int(pk[0])


def update_link(
    conn: Connection, workspace_id: int, link_id: int, values: Mapping[str, Any], now: datetime
) -> None:
    """Set ``values`` (column -> value) and ``updated_at`` so the redirect cache picks it up."""
    conn.execute(
        update(tracking_links)
        .where(tracking_links.c.workspace_id == workspace_id, tracking_links.c.id == link_id)
        .values({**values, "updated_at": now})
    )
    announce_link_change(conn)


def _utm(raw: object) -> dict[str, str]:
    return {str(k): str(v) for k, v in raw.items()} if isinstance(raw, dict) else {}


def _select_links() -> Select[Any]:
    return (
        select(
            tracking_links,
            campaigns.c.slug.label("campaign_slug"),
            creators.c.handle.label("creator_handle"),
        )
        .join(partnerships, partnerships.c.id == tracking_links.c.partnership_id)
        .join(campaigns, campaigns.c.id == partnerships.c.campaign_id)
        .join(creators, creators.c.id == partnerships.c.creator_id)
    )


def _to_link(row: Row[Any]) -> TrackingLink:
    m = row._mapping
    utm = _utm(m["utm"])
    return TrackingLink(
        id=m["id"],
        workspace_id=m["workspace_id"],
        partnership_id=m["partnership_id"],
        campaign_slug=m["campaign_slug"],
        creator_handle=m["creator_handle"],
        slug=m["slug"],
        destination_url=m["destination_url"],
        utm=utm,
        tracking_destination=append_params(m["destination_url"], utm),
        status=LinkStatus(m["status"]),
        click_cap=m["click_cap"],
        fallback_url=m["fallback_url"],
        created_at=m["created_at"],
        updated_at=m["updated_at"],
    )


def find_link(conn: Connection, workspace_id: int, slug: str) -> TrackingLink | None:
    row = conn.execute(
        _select_links().where(
            tracking_links.c.workspace_id == workspace_id, tracking_links.c.slug == slug
        )
    ).first()
    return None if row is None else _to_link(row)


def list_links(
    conn: Connection,
    workspace_id: int,
    *,
    campaign_slug: str | None = None,
    creator_handle: str | None = None,
    status: LinkStatus | None = None,
) -> list[TrackingLink]:
    query = _select_links().where(tracking_links.c.workspace_id == workspace_id)
    if campaign_slug is not None:
        query = query.where(campaigns.c.slug == campaign_slug)
    if creator_handle is not None:
        query = query.where(creators.c.handle == creator_handle)
    if status is not None:
        query = query.where(tracking_links.c.status == status.value)
    query = query.order_by(campaigns.c.slug, creators.c.handle, tracking_links.c.id)
    return [_to_link(r) for r in conn.execute(query)]


def link_targets(conn: Connection, since: datetime | None = None) -> list[LinkTarget]:
    """What the redirect cache serves, for every workspace; changed at/after ``since`` if given."""
    t = tracking_links.c
    query = select(
        t.id, t.workspace_id, t.slug, t.destination_url, t.utm, t.status, t.click_cap,
        t.fallback_url, t.updated_at,
    )  # fmt: skip
    if since is not None:
        query = query.where(t.updated_at >= since)
    return [
        LinkTarget(
            slug=r.slug,
            link_id=int(r.id),
            workspace_id=int(r.workspace_id),
            destination=append_params(r.destination_url, _utm(r.utm)),
            # A status this version does not know is not served: treat it as paused.
            status=LinkStatus.ACTIVE if r.status == LinkStatus.ACTIVE else LinkStatus.PAUSED,
            click_cap=None if r.click_cap is None else int(r.click_cap),
            fallback_url=r.fallback_url,
            updated_at=r.updated_at,
        )
        for r in conn.execute(query.order_by(t.updated_at, t.id))
    ]


# -- change notifications (PostgreSQL) ----------------------------------------------


def announce_link_change(conn: Connection) -> None:
    """Tell listening processes that links changed, once this transaction commits.

    PostgreSQL folds identical notifications of one transaction into one; on
    other databases this does nothing and the cache's polling finds the change.
    """
    if conn.dialect.name == "postgresql":
        conn.execute(text("SELECT pg_notify(:channel, '')"), {"channel": LINK_CHANGES_CHANNEL})


def can_listen(engine: Engine) -> bool:
    """Whether ``listen_for_link_changes`` works on this engine (PostgreSQL through psycopg)."""
    return engine.dialect.name == "postgresql" and engine.dialect.driver == "psycopg"


def listen_for_link_changes(
    engine: Engine,
    on_change: Callable[[], None],
    stopping: threading.Event,
    *,
    wake_seconds: float = 0.5,
) -> None:
    """Call ``on_change`` for every announced link change until ``stopping`` is set.

    Blocks: run it on a thread of its own. It holds one connection of its own,
    outside the engine's pool (a ``LISTEN`` lasts as long as its connection).
    A lost connection is opened again with backoff, and ``on_change`` is called
    once it is back, since whatever was announced meanwhile went unheard.
    ``stopping`` is looked at every ``wake_seconds``.
    """
    retry = _LISTEN_RETRY_MIN
    missed = False
    while not stopping.is_set():
        try:
            with _listening_connection(engine) as listening:
                retry = _LISTEN_RETRY_MIN
                if missed:
                    on_change()
                while not stopping.is_set():
                    for _ in listening.notifies(timeout=wake_seconds):
                        on_change()
        except Exception as exc:  # never give up: polling covers the gap meanwhile
            if not missed:
                log.warning("listening for link changes failed (%s); retrying", exc)
            missed = True
            stopping.wait(retry)
            retry = min(retry * 2, _LISTEN_RETRY_MAX)


def _listening_connection(engine: Engine) -> psycopg.Connection[Any]:
    # The engine's own connection arguments, so the listener reaches the same database.
    cargs, cparams = engine.dialect.create_connect_args(engine.url)
    cparams.setdefault("connect_timeout", 5)
    connection: psycopg.Connection[Any] = psycopg.connect(*cargs, autocommit=True, **cparams)
    try:
        connection.execute(f"LISTEN {LINK_CHANGES_CHANNEL}")
    except BaseException:
        connection.close()
        raise
    return connection
