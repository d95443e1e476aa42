"""Costs of campaigns (``costs``): fees, gifts, products, discounts, agency and other spend."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import Connection, func, insert, select

from perfluence.core.money import Money
from perfluence.core.payouts import VARIABLE_KINDS
from perfluence.store.tables import campaigns, costs, creators, partnerships, payout_lines


@dataclass(frozen=True, slots=True)
class StoredCost:
    id: int
    campaign_slug: str
    creator_handle: str | None
    kind: str
    amount: Money
    incurred_on: date
    description: str | None


def insert_cost(
    conn: Connection,
    *,
    workspace_id: int,
    campaign_id: int,
    partnership_id: int | None,
    kind: str,
    amount: Money,
    incurred_on: date,
    description: str | None,
    created_at: datetime,
) -> int:
    result = conn.execute(
        insert(costs).values(
            workspace_id=workspace_id,
            campaign_id=campaign_id,
            partnership_id=partnership_id,
            kind=kind,
            amount_minor=amount.minor_units,
            currency=amount.currency,
            incurred_on=incurred_on,
            description=description,
            created_at=created_at,
        )
    )
    pk = result.inserted_primary_key
    assert pk is not None
    return int(pk[0])


def list_costs(
    conn: Connection, workspace_id: int, campaign_id: int | None = None
) -> list[StoredCost]:
    query = (
        select(costs, campaigns.c.slug, creators.c.handle)
        .join(campaigns, campaigns.c.id == costs.c.campaign_id)
        .outerjoin(partnerships, partnerships.c.id == costs.c.partnership_id)
        .outerjoin(creators, creators.c.id == partnerships.c.creator_id)
        .where(costs.c.workspace_id == workspace_id)
    )
    if campaign_id is not None:
        query = query.where(costs.c.campaign_id == campaign_id)
    rows = conn.execute(query.order_by(costs.c.incurred_on, costs.c.id))
    return [
        StoredCost(
            id=int(r.id),
            campaign_slug=r.slug,
            creator_handle=r.handle,
            kind=r.kind,
            amount=Money.from_minor(int(r.amount_minor), r.currency),
            incurred_on=r.incurred_on,
            description=r.description,
        )
        for r in rows
    ]


def creator_pay(conn: Connection, campaign_id: int) -> list[Money]:
    """Variable pay in the ledger for the campaign's partnerships, one sum per currency."""
    query = (
        select(payout_lines.c.currency, func.sum(payout_lines.c.amount_minor))
        .join(partnerships, partnerships.c.id == payout_lines.c.partnership_id)
        .where(
            partnerships.c.campaign_id == campaign_id,
            payout_lines.c.kind.in_(sorted(k.value for k in VARIABLE_KINDS)),
        )
        .group_by(payout_lines.c.currency)
        .order_by(payout_lines.c.currency)
    )
    return [Money.from_minor(int(total), cur) for cur, total in conn.execute(query)]
