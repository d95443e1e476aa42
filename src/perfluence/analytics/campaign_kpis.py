"""The campaign KPI queries: one per metric family, per creator within a campaign.

Each family is a ``*_query(params)`` that builds a SQLAlchemy Core ``select()``
(snapshotted as compiled SQL for SQLite and PostgreSQL) and a ``fetch_*``
that runs it and returns typed rows. Queries only sum and count; every ratio
is computed later from the sums by ``core.kpis``. Rows are keyed by creator
(a creator has at most one partnership per campaign); ``creator_id`` is
``None`` for campaign-level costs. Money sums are grouped by currency so that
conversion happens, dated, in the service. The campaign row and its roster
come from ``analytics.campaign_roster``. See ``docs/analytics.md``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

from sqlalchemy import (
    ColumnElement,
    Connection,
    Select,
    and_,
    case,
    distinct,
    func,
    select,
    union,
    union_all,
)

from perfluence.store.tables import (
    click_rollups_hourly,
    conversions,
    costs,
    partnerships,
    payout_lines,
    posts,
    tracking_links,
)

# Payout lines that are cost on top of the ``costs`` table. Flat fees and gifts
# are booked as costs (kind ``fee``/``gifting``); their payout lines only settle
# them, so counting those lines too would count the same money twice.
PERFORMANCE_PAYOUT_KINDS: Final = ("click", "lead", "commission", "reversal", "adjustment")
# Conversions a reviewer turned down count nowhere.
EXCLUDED_STATUSES: Final = ("rejected",)


@dataclass(frozen=True, slots=True)
class CampaignKpiParams:
    workspace_id: int
    campaign_id: int


@dataclass(frozen=True, slots=True)
class PostsRow:
    creator_id: int
    platform: str
    posts: int
    impressions: int
    reach: int
    views: int
    likes: int
    comments: int
    shares: int
    saves: int


@dataclass(frozen=True, slots=True)
class TrafficRow:
    creator_id: int
    clicks: int
    unique_clicks: int
    bot_clicks: int


@dataclass(frozen=True, slots=True)
class ConversionsRow:
    creator_id: int
    currency: str
    sales: int
    leads: int
    sales_minor: int


@dataclass(frozen=True, slots=True)
class RefundsRow:
    creator_id: int
    currency: str
    refunds_minor: int
    refunded_orders: int


@dataclass(frozen=True, slots=True)
class CostRow:
    creator_id: int | None
    currency: str
    cost_minor: int


def _sum(column: ColumnElement[Any]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(column), 0)


def in_campaign(p: CampaignKpiParams) -> ColumnElement[bool]:
    return and_(
        partnerships.c.workspace_id == p.workspace_id,
        partnerships.c.campaign_id == p.campaign_id,
    )


# --- reach and engagement: posts -----------------------------------------------

_POST_METRICS: Final = ("impressions", "reach", "views", "likes", "comments", "shares", "saves")


def posts_query(p: CampaignKpiParams) -> Select[Any]:
    """Post metrics per creator and platform, from posts tied to the campaign's partnerships."""
    return (
        select(
            partnerships.c.creator_id,
            posts.c.platform,
            func.count(posts.c.id).label("posts"),
            *(_sum(posts.c[name]).label(name) for name in _POST_METRICS),
        )
        .select_from(posts.join(partnerships, partnerships.c.id == posts.c.partnership_id))
        .where(in_campaign(p))
        .group_by(partnerships.c.creator_id, posts.c.platform)
        .order_by(partnerships.c.creator_id, posts.c.platform)
    )


def fetch_posts(conn: Connection, p: CampaignKpiParams) -> list[PostsRow]:
    return [
        PostsRow(
            r.creator_id,
            r.platform,
            int(r.posts),
            *(int(getattr(r, name)) for name in _POST_METRICS),
        )
        for r in conn.execute(posts_query(p))
    ]


# --- traffic: hourly click rollups ---------------------------------------------


def traffic_query(p: CampaignKpiParams) -> Select[Any]:
    """Clicks per creator from the rollups of every link of their partnership."""
    return (
        select(
            partnerships.c.creator_id,
            _sum(click_rollups_hourly.c.clicks).label("clicks"),
            _sum(click_rollups_hourly.c.unique_clicks).label("unique_clicks"),
            _sum(click_rollups_hourly.c.bot_clicks).label("bot_clicks"),
        )
        .select_from(
            click_rollups_hourly.join(
                tracking_links, tracking_links.c.id == click_rollups_hourly.c.link_id
            ).join(partnerships, partnerships.c.id == tracking_links.c.partnership_id)
        )
        .where(in_campaign(p))
        .group_by(partnerships.c.creator_id)
        .order_by(partnerships.c.creator_id)
    )


def fetch_traffic(conn: Connection, p: CampaignKpiParams) -> list[TrafficRow]:
    return [
        TrafficRow(r.creator_id, int(r.clicks), int(r.unique_clicks), int(r.bot_clicks))
        for r in conn.execute(traffic_query(p))
    ]


# --- conversions and revenue ---------------------------------------------------


def _count_kind(kind: str) -> ColumnElement[Any]:
    return _sum(case((conversions.c.kind == kind, 1), else_=0))


def conversions_query(p: CampaignKpiParams) -> Select[Any]:
    """Sales (count, gross amount) and leads per creator and currency."""
    return (
        select(
            partnerships.c.creator_id,
            conversions.c.currency,
            _count_kind("sale").label("sales"),
            _count_kind("lead").label("leads"),
            _sum(case((conversions.c.kind == "sale", conversions.c.amount_minor), else_=0)).label(
                "sales_minor"
            ),
        )
        .select_from(
            conversions.join(partnerships, partnerships.c.id == conversions.c.partnership_id)
        )
        .where(
            in_campaign(p),
            conversions.c.workspace_id == p.workspace_id,
            conversions.c.kind.in_(("sale", "lead")),
            conversions.c.status.not_in(EXCLUDED_STATUSES),
        )
        .group_by(partnerships.c.creator_id, conversions.c.currency)
        .order_by(partnerships.c.creator_id, conversions.c.currency)
    )


def fetch_conversions(conn: Connection, p: CampaignKpiParams) -> list[ConversionsRow]:
    return [
        ConversionsRow(r.creator_id, r.currency, int(r.sales), int(r.leads), int(r.sales_minor))
        for r in conn.execute(conversions_query(p))
    ]


def refunds_query(p: CampaignKpiParams) -> Select[Any]:
    """Refunds per creator and currency, credited to the creator of the sale they reverse.

    A refund row carries a positive amount and points at its sale through
    ``reverses_id``; a refund without one counts for its own partnership.
    """
    refund = conversions.alias("refund")
    sale = conversions.alias("sale")
    partnership_id = func.coalesce(sale.c.partnership_id, refund.c.partnership_id)
    return (
        select(
            partnerships.c.creator_id,
            refund.c.currency,
            _sum(refund.c.amount_minor).label("refunds_minor"),
            func.count(distinct(refund.c.reverses_id)).label("refunded_orders"),
        )
        .select_from(
            refund.outerjoin(sale, sale.c.id == refund.c.reverses_id).join(
                partnerships, partnerships.c.id == partnership_id
            )
        )
        .where(
            in_campaign(p),
            refund.c.workspace_id == p.workspace_id,
            refund.c.kind == "refund",
            refund.c.status.not_in(EXCLUDED_STATUSES),
        )
        .group_by(partnerships.c.creator_id, refund.c.currency)
        .order_by(partnerships.c.creator_id, refund.c.currency)
    )


def fetch_refunds(conn: Connection, p: CampaignKpiParams) -> list[RefundsRow]:
    return [
        RefundsRow(r.creator_id, r.currency, int(r.refunds_minor), int(r.refunded_orders))
        for r in conn.execute(refunds_query(p))
    ]


# --- cost --------------------------------------------------------------------


def cost_query(p: CampaignKpiParams) -> Select[Any]:
    """Cost per creator (``None``: campaign level) and currency.

    Cost = every ``costs`` row of the campaign + the performance payout lines
    (``PERFORMANCE_PAYOUT_KINDS``, reversals negative) of its partnerships.
    """
    booked = (
        select(
            partnerships.c.creator_id.label("creator_id"),
            costs.c.currency.label("currency"),
            costs.c.amount_minor.label("amount_minor"),
        )
        .select_from(costs.outerjoin(partnerships, partnerships.c.id == costs.c.partnership_id))
        .where(costs.c.workspace_id == p.workspace_id, costs.c.campaign_id == p.campaign_id)
    )
    earned = (
        select(
            partnerships.c.creator_id.label("creator_id"),
            payout_lines.c.currency.label("currency"),
            payout_lines.c.amount_minor.label("amount_minor"),
        )
        .select_from(
            payout_lines.join(partnerships, partnerships.c.id == payout_lines.c.partnership_id)
        )
        .where(in_campaign(p), payout_lines.c.kind.in_(PERFORMANCE_PAYOUT_KINDS))
    )
    lines = union_all(booked, earned).subquery("cost_lines")
    return (
        select(lines.c.creator_id, lines.c.currency, _sum(lines.c.amount_minor).label("cost_minor"))
        .group_by(lines.c.creator_id, lines.c.currency)
        .order_by(lines.c.creator_id, lines.c.currency)
    )


def fetch_costs(conn: Connection, p: CampaignKpiParams) -> list[CostRow]:
    return [
        CostRow(r.creator_id, r.currency, int(r.cost_minor)) for r in conn.execute(cost_query(p))
    ]


def money_currencies_query(p: CampaignKpiParams) -> Select[Any]:
    """Every currency the campaign's conversions, costs and payout lines are in."""
    in_conversions = (
        select(conversions.c.currency)
        .select_from(
            conversions.join(partnerships, partnerships.c.id == conversions.c.partnership_id)
        )
        .where(in_campaign(p))
    )
    in_costs = select(costs.c.currency).where(
        costs.c.workspace_id == p.workspace_id, costs.c.campaign_id == p.campaign_id
    )
    in_payouts = (
        select(payout_lines.c.currency)
        .select_from(
            payout_lines.join(partnerships, partnerships.c.id == payout_lines.c.partnership_id)
        )
        .where(in_campaign(p))
    )
    found = union(in_conversions, in_costs, in_payouts).subquery("currencies")
    return select(found.c.currency).order_by(found.c.currency)


def fetch_money_currencies(conn: Connection, p: CampaignKpiParams) -> list[str]:
    return [str(r.currency) for r in conn.execute(money_currencies_query(p))]
