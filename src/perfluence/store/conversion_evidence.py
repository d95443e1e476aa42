"""What attribution reads about a conversion's origin: clicks, customers, partnerships.

Every query is filtered by workspace: a click minted for another workspace is unknown here.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, Row, Select, func, select

from perfluence.core.terms import ContractTerms, terms_from_dict
from perfluence.store.tables import (
    campaigns,
    clicks,
    conversions,
    creators,
    partnerships,
    tracking_links,
)

_IN_CHUNK = 1_000


@dataclass(frozen=True, slots=True)
class ClickEvidence:
    click_id: str
    link_id: int
    partnership_id: int
    occurred_at: datetime
    visitor_hash: str
    is_bot: bool


def _click_select(workspace_id: int) -> Select[Any]:
    return (
        select(
            clicks.c.click_id,
            clicks.c.link_id,
            tracking_links.c.partnership_id,
            clicks.c.occurred_at,
            clicks.c.visitor_hash,
            clicks.c.is_bot,
        )
        .join(tracking_links, tracking_links.c.id == clicks.c.link_id)
        .where(clicks.c.workspace_id == workspace_id, tracking_links.c.workspace_id == workspace_id)
    )


def _evidence(row: Row[Any]) -> ClickEvidence:
    return ClickEvidence(
        click_id=row.click_id,
        link_id=int(row.link_id),
        partnership_id=int(row.partnership_id),
        occurred_at=row.occurred_at,
        visitor_hash=row.visitor_hash,
        is_bot=bool(row.is_bot),
    )


def longest_window_days(conn: Connection, workspace_id: int) -> int:
    """The longest attribution window of any campaign of the workspace (0 without campaigns)."""
    query = select(func.max(campaigns.c.attribution_window_days)).where(
        campaigns.c.workspace_id == workspace_id
    )
    return int(conn.execute(query).scalar_one() or 0)


def find_click(conn: Connection, workspace_id: int, click_id: str) -> ClickEvidence | None:
    """The click with this id in this workspace (another workspace's click is unknown here)."""
    row = conn.execute(_click_select(workspace_id).where(clicks.c.click_id == click_id)).first()
    return None if row is None else _evidence(row)


def customer_visitors(conn: Connection, workspace_id: int, customer_ref: str) -> set[str]:
    """Visitor hashes of the clicks that earlier conversions of this customer carried."""
    query = (
        select(clicks.c.visitor_hash)
        .join(conversions, conversions.c.click_id == clicks.c.click_id)
        .where(
            conversions.c.workspace_id == workspace_id,
            conversions.c.customer_ref == customer_ref,
            clicks.c.workspace_id == workspace_id,
        )
        .distinct()
    )
    return {str(h) for h in conn.execute(query).scalars()}


def visitor_clicks(
    conn: Connection,
    workspace_id: int,
    visitor_hashes: Collection[str],
    since: datetime,
    until: datetime,
) -> list[ClickEvidence]:
    """Clicks of these visitors from ``since`` to ``until`` (inclusive), oldest first."""
    hashes = sorted(visitor_hashes)
    found: list[ClickEvidence] = []
    for start in range(0, len(hashes), _IN_CHUNK):
        query = _click_select(workspace_id).where(
            clicks.c.visitor_hash.in_(hashes[start : start + _IN_CHUNK]),
            clicks.c.occurred_at >= since,
            clicks.c.occurred_at <= until,
        )
        found.extend(_evidence(r) for r in conn.execute(query))
    return sorted(found, key=lambda c: (c.occurred_at, c.click_id))


@dataclass(frozen=True, slots=True)
class PartnershipFacts:
    """What ingest needs to know about a partnership that may be credited."""

    id: int
    creator_handle: str
    creator_email: str | None
    campaign_slug: str
    window_days: int
    conflict_rule: str
    terms: ContractTerms


def partnership_facts(
    conn: Connection, workspace_id: int, partnership_ids: Collection[int]
) -> dict[int, PartnershipFacts]:
    if not partnership_ids:
        return {}
    query = (
        select(
            partnerships.c.id,
            partnerships.c.terms,
            creators.c.handle,
            creators.c.email,
            campaigns.c.slug,
            campaigns.c.attribution_window_days,
            campaigns.c.conflict_rule,
        )
        .join(campaigns, campaigns.c.id == partnerships.c.campaign_id)
        .join(creators, creators.c.id == partnerships.c.creator_id)
        .where(
            partnerships.c.workspace_id == workspace_id,
            partnerships.c.id.in_(sorted(partnership_ids)),
        )
    )
    return {
        int(r.id): PartnershipFacts(
            id=int(r.id),
            creator_handle=r.handle,
            creator_email=r.email,
            campaign_slug=r.slug,
            window_days=int(r.attribution_window_days),
            conflict_rule=r.conflict_rule,
            terms=terms_from_dict(r.terms),
        )
        for r in conn.execute(query)
    }


def duplicate_exists(
    conn: Connection,
    workspace_id: int,
    *,
    kind: str,
    external_id: str,
    customer_ref: str,
    amount_minor: int,
    currency: str,
    partnership_id: int,
    since: datetime,
    until: datetime,
) -> bool:
    """Whether the same customer paid the same amount to the same partnership in the span."""
    query = select(conversions.c.id).where(
        conversions.c.workspace_id == workspace_id,
        conversions.c.kind == kind,
        conversions.c.external_id != external_id,
        conversions.c.customer_ref == customer_ref,
        conversions.c.amount_minor == amount_minor,
        conversions.c.currency == currency,
        conversions.c.partnership_id == partnership_id,
        conversions.c.occurred_at >= since,
        conversions.c.occurred_at <= until,
    )
    return conn.execute(query.limit(1)).first() is not None
