"""Which campaign, and who is in it: the campaign row, its creators and their accounts.

Companions of ``analytics.campaign_kpis``: the same parameters, typed rows
out; no figures here, so nothing to sum.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Connection, Select, select

from perfluence.analytics.campaign_kpis import CampaignKpiParams, in_campaign
from perfluence.store.tables import campaigns, creators, partnerships, social_accounts


@dataclass(frozen=True, slots=True)
class CampaignRow:
    id: int
    slug: str
    name: str
    goal: str
    status: str
    starts_on: date
    ends_on: date
    budget_minor: int
    currency: str
    kpi_targets: dict[str, Any]
    reference_cpm_minor: int | None


@dataclass(frozen=True, slots=True)
class RosterRow:
    creator_id: int
    handle: str
    name: str
    payment_model: str


@dataclass(frozen=True, slots=True)
class AccountRow:
    creator_id: int
    platform: str
    followers: int


# --- the campaign itself -----------------------------------------------------


def campaigns_query(workspace_id: int, slug: str | None = None) -> Select[Any]:
    query = select(
        campaigns.c.id,
        campaigns.c.slug,
        campaigns.c.name,
        campaigns.c.goal,
        campaigns.c.status,
        campaigns.c.starts_on,
        campaigns.c.ends_on,
        campaigns.c.budget_minor,
        campaigns.c.currency,
        campaigns.c.kpi_targets,
        campaigns.c.reference_cpm_minor,
    ).where(campaigns.c.workspace_id == workspace_id)
    if slug is not None:
        query = query.where(campaigns.c.slug == slug)
    return query.order_by(campaigns.c.starts_on, campaigns.c.slug)


def fetch_campaigns(
    conn: Connection, workspace_id: int, slug: str | None = None
) -> list[CampaignRow]:
    return [
        CampaignRow(
            id=r.id,
            slug=r.slug,
            name=r.name,
            goal=r.goal,
            status=r.status,
            starts_on=r.starts_on,
            ends_on=r.ends_on,
            budget_minor=int(r.budget_minor),
            currency=r.currency,
            kpi_targets=dict(r.kpi_targets or {}),
            reference_cpm_minor=None
            if r.reference_cpm_minor is None
            else int(r.reference_cpm_minor),
        )
        for r in conn.execute(campaigns_query(workspace_id, slug))
    ]


# --- who is in it ------------------------------------------------------------


def roster_query(p: CampaignKpiParams) -> Select[Any]:
    return (
        select(
            creators.c.id.label("creator_id"),
            creators.c.handle,
            creators.c.name,
            partnerships.c.payment_model,
        )
        .select_from(partnerships.join(creators, creators.c.id == partnerships.c.creator_id))
        .where(in_campaign(p))
        .order_by(creators.c.handle)
    )


def fetch_roster(conn: Connection, p: CampaignKpiParams) -> list[RosterRow]:
    return [
        RosterRow(r.creator_id, r.handle, r.name, r.payment_model)
        for r in conn.execute(roster_query(p))
    ]


def accounts_query(p: CampaignKpiParams) -> Select[Any]:
    """Every social account of the campaign's creators, with its follower count."""
    return (
        select(
            social_accounts.c.creator_id, social_accounts.c.platform, social_accounts.c.followers
        )
        .select_from(
            partnerships.join(
                social_accounts, social_accounts.c.creator_id == partnerships.c.creator_id
            )
        )
        .where(in_campaign(p))
        .order_by(social_accounts.c.creator_id, social_accounts.c.platform)
    )


def fetch_accounts(conn: Connection, p: CampaignKpiParams) -> list[AccountRow]:
    return [
        AccountRow(r.creator_id, r.platform, int(r.followers))
        for r in conn.execute(accounts_query(p))
    ]
