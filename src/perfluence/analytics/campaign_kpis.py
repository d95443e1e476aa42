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

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
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

from perfluence.analytics.credited import credited
from perfluence.core.kpis import Count
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
    """Counts are shares: a conversion split between two creators is 0.5 for each."""

    creator_id: int
    currency: str
    sales: Count
    leads: Count
    sales_minor: int


@dataclass(frozen=True, slots=True)
class RefundsRow:
    creator_id: int
    currency: str
    refunds_minor: int
    refunded_orders: Count


@dataclass(frozen=True, slots=True)
class CostRow:
    creator_id: int | None
    currency: str
    cost_minor: int


def _sum(column: ColumnElement[Any]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(column), 0)


def in_campaign(p: CampaignKpiParams) -> ColumnElement[bool]:
    """The campaign's partnerships: the filter every query of the campaign goes through.

    Rows reached from these partnerships (links, rollups, conversions, credit
    rows) carry no workspace filter of their own: the partnerships hold it, and
    a second one on an event table lets a planner without statistics scan the
    whole workspace by its ``workspace_id`` index instead of the campaign's rows.
    """
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


def _count_kind(kind: str, kind_column: ColumnElement[Any]) -> ColumnElement[Any]:
    return _sum(case((kind_column == kind, 1), else_=0))


def _counted(value: Decimal) -> Count:
    """A whole count as an int (what most campaigns have), a fractional one as a Decimal."""
    return int(value) if value == value.to_integral_value() else value


def conversions_query(p: CampaignKpiParams) -> Select[Any]:
    """Sales (count, credited amount) and leads per creator, currency and credit share.

    Counts are per share (``fetch_conversions`` weighs them); amounts are the
    credited parts, so a split sale adds exactly its amount to the campaign.
    """
    credit = credited(p)
    return (
        select(
            partnerships.c.creator_id,
            conversions.c.currency,
            credit.c.share,
            _count_kind("sale", conversions.c.kind).label("sales"),
            _count_kind("lead", conversions.c.kind).label("leads"),
            _sum(case((conversions.c.kind == "sale", credit.c.amount_minor), else_=0)).label(
                "sales_minor"
            ),
        )
        .select_from(
            conversions.join(credit, credit.c.conversion_id == conversions.c.id).join(
                partnerships, partnerships.c.id == credit.c.partnership_id
            )
        )
        .where(
            in_campaign(p),
            conversions.c.kind.in_(("sale", "lead")),
            conversions.c.status.not_in(EXCLUDED_STATUSES),
        )
        .group_by(partnerships.c.creator_id, conversions.c.currency, credit.c.share)
        .order_by(partnerships.c.creator_id, conversions.c.currency, credit.c.share)
    )


def _weighed(rows: Iterable[Any], counts: tuple[str, ...], sums: tuple[str, ...]) -> list[Any]:
    """Fold rows per (creator, currency, share) into per (creator, currency): count × share."""
    counted: dict[tuple[int, str], dict[str, Decimal]] = defaultdict(
        lambda: dict.fromkeys(counts, Decimal(0))
    )
    summed: dict[tuple[int, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(sums, 0))
    for r in rows:
        key = (r.creator_id, r.currency)
        for name in counts:
            counted[key][name] += int(getattr(r, name)) * Decimal(r.share)
        for name in sums:
            summed[key][name] += int(getattr(r, name))
    return [
        (key, {n: _counted(v) for n, v in counted[key].items()}, summed[key])
        for key in sorted(counted)
    ]


def fetch_conversions(conn: Connection, p: CampaignKpiParams) -> list[ConversionsRow]:
    folded = _weighed(conn.execute(conversions_query(p)), ("sales", "leads"), ("sales_minor",))
    return [
        ConversionsRow(key[0], key[1], c["sales"], c["leads"], m["sales_minor"])
        for key, c, m in folded
    ]


def refunds_query(p: CampaignKpiParams) -> Select[Any]:
    """Refunds per creator, currency and credit share, credited like the sale they reverse.

    A refund row carries a positive amount and points at its sale through
    ``reverses_id``; its credit rows share it like the sale's (see ``credited``).
    """
    credit = credited(p)
    return (
        select(
            partnerships.c.creator_id,
            conversions.c.currency,
            credit.c.share,
            _sum(credit.c.amount_minor).label("refunds_minor"),
            func.count(distinct(conversions.c.reverses_id)).label("refunded_orders"),
        )
        .select_from(
            conversions.join(credit, credit.c.conversion_id == conversions.c.id).join(
                partnerships, partnerships.c.id == credit.c.partnership_id
            )
        )
        .where(
            in_campaign(p),
            conversions.c.kind == "refund",
            conversions.c.status.not_in(EXCLUDED_STATUSES),
        )
        .group_by(partnerships.c.creator_id, conversions.c.currency, credit.c.share)
        .order_by(partnerships.c.creator_id, conversions.c.currency, credit.c.share)
    )


def fetch_refunds(conn: Connection, p: CampaignKpiParams) -> list[RefundsRow]:
    folded = _weighed(conn.execute(refunds_query(p)), ("refunded_orders",), ("refunds_minor",))
    return [
        RefundsRow(key[0], key[1], m["refunds_minor"], c["refunded_orders"]) for key, c, m in folded
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
    credit = credited(p)
    in_conversions = (
        select(conversions.c.currency)
        .select_from(
            conversions.join(credit, credit.c.conversion_id == conversions.c.id).join(
                partnerships, partnerships.c.id == credit.c.partnership_id
            )
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
