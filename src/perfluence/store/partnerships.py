"""Partnership rows: a creator in a campaign under contract terms."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Connection, Row, Select, insert, select

from perfluence.core.model import Partnership, PartnershipStatus
from perfluence.core.terms import ContractTerms, terms_from_dict
from perfluence.store.tables import campaigns, creators, partnerships


def insert_partnership(
    conn: Connection,
    *,
    workspace_id: int,
    campaign_id: int,
    creator_id: int,
    terms: ContractTerms,
    status: PartnershipStatus,
    created_at: datetime,
) -> int:
    # The terms JSON is the source of truth; the plain columns repeat what queries filter on.
    result = conn.execute(
        insert(partnerships).values(
            workspace_id=workspace_id,
            campaign_id=campaign_id,
            creator_id=creator_id,
            payment_model=terms.model.value,
            terms=terms.to_dict(),
            currency=terms.currency,
            hold_days=terms.hold_days,
            exclusivity=terms.exclusivity,
            usage_rights=terms.usage_rights,
            status=status.value,
            created_at=created_at,
        )
    )
    pk = result.inserted_primary_key
    assert pk is not None
    return int(pk[0])


def _select(workspace_id: int) -> Select[tuple[object, ...]]:
    return (
        select(
            partnerships,
            campaigns.c.slug.label("campaign_slug"),
            creators.c.handle.label("creator_handle"),
        )
        .join(campaigns, campaigns.c.id == partnerships.c.campaign_id)
        .join(creators, creators.c.id == partnerships.c.creator_id)
        .where(partnerships.c.workspace_id == workspace_id)
    )


def _to_partnership(row: Row[tuple[object, ...]]) -> Partnership:
    m = row._mapping
    return Partnership(
        id=m["id"],
        workspace_id=m["workspace_id"],
        campaign_id=m["campaign_id"],
        campaign_slug=m["campaign_slug"],
        creator_id=m["creator_id"],
        creator_handle=m["creator_handle"],
        terms=terms_from_dict(m["terms"]),
        status=PartnershipStatus(m["status"]),
        created_at=m["created_at"],
    )


def find_partnership(
    conn: Connection, workspace_id: int, campaign_id: int, creator_id: int
) -> Partnership | None:
    row = conn.execute(
        _select(workspace_id).where(
            partnerships.c.campaign_id == campaign_id, partnerships.c.creator_id == creator_id
        )
    ).first()
    return None if row is None else _to_partnership(row)


def partnership_by_id(
    conn: Connection, workspace_id: int, partnership_id: int
) -> Partnership | None:
    row = conn.execute(_select(workspace_id).where(partnerships.c.id == partnership_id)).first()
    return None if row is None else _to_partnership(row)


def list_partnerships(
    conn: Connection,
    workspace_id: int,
    *,
    campaign_id: int | None = None,
    creator_id: int | None = None,
) -> list[Partnership]:
    query = _select(workspace_id)
    if campaign_id is not None:
        query = query.where(partnerships.c.campaign_id == campaign_id)
    if creator_id is not None:
        query = query.where(partnerships.c.creator_id == creator_id)
    rows = conn.execute(query.order_by(campaigns.c.slug, creators.c.handle))
    return [_to_partnership(r) for r in rows]
