"""KPI sums of one campaign at the finest grain: partnership, link, day (and platform).

One typed query per metric family, each a ``*_grain_query(params)`` building a
SQLAlchemy Core ``select()`` and a ``fetch_*_grain`` returning typed rows.
They sum and count under exactly the rules of ``analytics.campaign_kpis``
(same statuses, refunds credited through the sale they reverse, cost =
``costs`` rows + performance payout lines), only grouped more finely, so any
grouping of their rows by creator, tier, platform, market, link or day adds
up to the campaign's totals. ``services.insights`` does that grouping.

Days are UTC dates: clicks by their rollup hour, sales and leads by when they
happened, refunds by the day **of the sale they reverse** (so a refunded order
is counted once, in one group), costs by ``incurred_on`` and payout lines by
``payable_on``, posts by ``published_at`` (``None`` when unknown).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from sqlalchemy import ColumnElement, Connection, Select, String, case, distinct, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.functions import FunctionElement

from perfluence.analytics.campaign_kpis import (
    EXCLUDED_STATUSES,
    PERFORMANCE_PAYOUT_KINDS,
    CampaignKpiParams,
    in_campaign,
)
from perfluence.analytics.credited import credited
from perfluence.core.kpis import Count
from perfluence.store.tables import (
    click_rollups_hourly,
    conversions,
    costs,
    creators,
    partnerships,
    payout_lines,
    posts,
    tracking_links,
)


class utc_day(FunctionElement[str]):  # noqa: N801 - reads like the SQL function it is
    """``YYYY-MM-DD`` of a ``UTCDateTime`` column, on SQLite (text) and PostgreSQL alike."""

    type = String()
    inherit_cache = True


@compiles(utc_day, "sqlite")
def _utc_day_sqlite(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    return f"substr({compiler.process(element.clauses, **kw)}, 1, 10)"


@compiles(utc_day, "postgresql")
def _utc_day_postgresql(element: utc_day, compiler: SQLCompiler, **kw: Any) -> str:
    return f"to_char({compiler.process(element.clauses, **kw)}, 'YYYY-MM-DD')"


def _day(text: object) -> date | None:
    if text is None:
        return None
    if isinstance(text, date):
        return text
    return date.fromisoformat(str(text))


def _sum(column: ColumnElement[Any]) -> ColumnElement[Any]:
    return func.coalesce(func.sum(column), 0)


# --- who: partnerships, creators and links --------------------------------------------


@dataclass(frozen=True, slots=True)
class PartnershipRow:
    partnership_id: int
    creator_id: int
    country: str | None  # the creator's country: the market a creator row belongs to


@dataclass(frozen=True, slots=True)
class LinkRow:
    link_id: int
    slug: str
    partnership_id: int


def partnerships_query(p: CampaignKpiParams) -> Select[Any]:
    return (
        select(partnerships.c.id, partnerships.c.creator_id, creators.c.country)
        .select_from(partnerships.join(creators, creators.c.id == partnerships.c.creator_id))
        .where(in_campaign(p))
        .order_by(partnerships.c.id)
    )


def fetch_partnerships(conn: Connection, p: CampaignKpiParams) -> list[PartnershipRow]:
    return [
        PartnershipRow(int(r.id), int(r.creator_id), r.country)
        for r in conn.execute(partnerships_query(p))
    ]


def links_query(p: CampaignKpiParams) -> Select[Any]:
    return (
        select(tracking_links.c.id, tracking_links.c.slug, tracking_links.c.partnership_id)
        .select_from(
            tracking_links.join(partnerships, partnerships.c.id == tracking_links.c.partnership_id)
        )
        .where(in_campaign(p))
        .order_by(tracking_links.c.id)
    )


def fetch_links(conn: Connection, p: CampaignKpiParams) -> list[LinkRow]:
    return [LinkRow(int(r.id), r.slug, int(r.partnership_id)) for r in conn.execute(links_query(p))]


# --- reach and engagement --------------------------------------------------------------

_POST_METRICS = ("impressions", "reach", "views", "likes", "comments", "shares", "saves")


@dataclass(frozen=True, slots=True)
class PostsGrainRow:
    partnership_id: int
    platform: str
    day: date | None
    posts: int
    impressions: int
    reach: int
    views: int
    likes: int
    comments: int
    shares: int
    saves: int


def posts_grain_query(p: CampaignKpiParams) -> Select[Any]:
    day = utc_day(posts.c.published_at).label("day")
    return (
        select(
            posts.c.partnership_id,
            posts.c.platform,
            day,
            func.count(posts.c.id).label("posts"),
            *(_sum(posts.c[name]).label(name) for name in _POST_METRICS),
        )
        .select_from(posts.join(partnerships, partnerships.c.id == posts.c.partnership_id))
        .where(in_campaign(p))
        .group_by(posts.c.partnership_id, posts.c.platform, day)
        .order_by(posts.c.partnership_id, posts.c.platform, day)
    )


def fetch_posts_grain(conn: Connection, p: CampaignKpiParams) -> list[PostsGrainRow]:
    return [
        PostsGrainRow(
            int(r.partnership_id),
            r.platform,
            _day(r.day),
            int(r.posts),
            *(int(getattr(r, name)) for name in _POST_METRICS),
        )
        for r in conn.execute(posts_grain_query(p))
    ]


# --- traffic --------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TrafficGrainRow:
    partnership_id: int
    link_id: int
    day: date
    clicks: int
    unique_clicks: int
    bot_clicks: int


def traffic_grain_query(p: CampaignKpiParams) -> Select[Any]:
    day = utc_day(click_rollups_hourly.c.hour).label("day")
    return (
        select(
            tracking_links.c.partnership_id,
            click_rollups_hourly.c.link_id,
            day,
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
        .group_by(tracking_links.c.partnership_id, click_rollups_hourly.c.link_id, day)
        .order_by(tracking_links.c.partnership_id, click_rollups_hourly.c.link_id, day)
    )


def fetch_traffic_grain(conn: Connection, p: CampaignKpiParams) -> list[TrafficGrainRow]:
    out: list[TrafficGrainRow] = []
    for r in conn.execute(traffic_grain_query(p)):
        day = _day(r.day)
        assert day is not None
        out.append(
            TrafficGrainRow(
                int(r.partnership_id),
                int(r.link_id),
                day,
                int(r.clicks),
                int(r.unique_clicks),
                int(r.bot_clicks),
            )
        )
    return out


# --- conversions and refunds ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ConversionsGrainRow:
    """Counts are credit shares: a sale split between two creators is 0.5 for each."""

    partnership_id: int
    link_id: int | None  # None: credited by code or customer history without a link
    day: date
    currency: str
    sales: Count
    leads: Count
    sales_minor: int


def _counted(value: Decimal) -> Count:
    return int(value) if value == value.to_integral_value() else value


def conversions_grain_query(p: CampaignKpiParams) -> Select[Any]:
    """Sales and leads per crediting partnership, link, day, currency and credit share."""
    credit = credited(p)
    day = utc_day(conversions.c.occurred_at).label("day")
    keys = (credit.c.partnership_id, conversions.c.link_id, day, conversions.c.currency)
    return (
        select(
            *keys,
            credit.c.share,
            _sum(case((conversions.c.kind == "sale", 1), else_=0)).label("sales"),
            _sum(case((conversions.c.kind == "lead", 1), else_=0)).label("leads"),
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
        .group_by(*keys, credit.c.share)
        .order_by(*keys, credit.c.share)
    )


def fetch_conversions_grain(conn: Connection, p: CampaignKpiParams) -> list[ConversionsGrainRow]:
    folded: dict[tuple[int, int | None, date, str], list[Decimal]] = {}
    for r in conn.execute(conversions_grain_query(p)):
        day = _day(r.day)
        assert day is not None
        key = (
            int(r.partnership_id),
            None if r.link_id is None else int(r.link_id),
            day,
            r.currency,
        )
        share = Decimal(r.share)
        into = folded.setdefault(key, [Decimal(0), Decimal(0), Decimal(0)])
        into[0] += int(r.sales) * share
        into[1] += int(r.leads) * share
        into[2] += int(r.sales_minor)
    return [
        ConversionsGrainRow(*key, _counted(v[0]), _counted(v[1]), int(v[2]))
        for key, v in folded.items()
    ]


@dataclass(frozen=True, slots=True)
class RefundsGrainRow:
    partnership_id: int
    link_id: int | None
    day: date  # the day of the sale refunded (the refund's own day without one)
    currency: str
    refunds_minor: int
    refunded_orders: Count


def refunds_grain_query(p: CampaignKpiParams) -> Select[Any]:
    """Refunds per crediting partnership, and the link and day of the sale they reverse."""
    credit = credited(p)
    refund = conversions.alias("refund")
    sale = conversions.alias("sale")
    link_id = func.coalesce(sale.c.link_id, refund.c.link_id).label("link_id")
    day = utc_day(func.coalesce(sale.c.occurred_at, refund.c.occurred_at)).label("day")
    keys = (credit.c.partnership_id, link_id, day, refund.c.currency)
    return (
        select(
            *keys,
            credit.c.share,
            _sum(credit.c.amount_minor).label("refunds_minor"),
            func.count(distinct(refund.c.reverses_id)).label("refunded_orders"),
        )
        .select_from(
            refund.join(credit, credit.c.conversion_id == refund.c.id)
            .join(partnerships, partnerships.c.id == credit.c.partnership_id)
            .outerjoin(sale, sale.c.id == refund.c.reverses_id)
        )
        .where(
            in_campaign(p),
            refund.c.kind == "refund",
            refund.c.status.not_in(EXCLUDED_STATUSES),
        )
        .group_by(*keys, credit.c.share)
        .order_by(*keys, credit.c.share)
    )


def fetch_refunds_grain(conn: Connection, p: CampaignKpiParams) -> list[RefundsGrainRow]:
    folded: dict[tuple[int, int | None, date, str], list[Decimal]] = {}
    for r in conn.execute(refunds_grain_query(p)):
        day = _day(r.day)
        assert day is not None
        key = (
            int(r.partnership_id),
            None if r.link_id is None else int(r.link_id),
            day,
            r.currency,
        )
        into = folded.setdefault(key, [Decimal(0), Decimal(0)])
        into[0] += int(r.refunds_minor)
        into[1] += int(r.refunded_orders) * Decimal(r.share)
    return [RefundsGrainRow(*key, int(v[0]), _counted(v[1])) for key, v in folded.items()]


# --- cost -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CostGrainRow:
    partnership_id: int | None  # None: campaign level
    day: date
    currency: str
    cost_minor: int


def cost_grain_query(p: CampaignKpiParams) -> Select[Any]:
    """``costs`` rows by ``incurred_on`` and performance payout lines by ``payable_on``."""
    booked = select(
        costs.c.partnership_id.label("partnership_id"),
        costs.c.incurred_on.label("day"),
        costs.c.currency.label("currency"),
        costs.c.amount_minor.label("amount_minor"),
    ).where(costs.c.workspace_id == p.workspace_id, costs.c.campaign_id == p.campaign_id)
    earned = (
        select(
            payout_lines.c.partnership_id.label("partnership_id"),
            payout_lines.c.payable_on.label("day"),
            payout_lines.c.currency.label("currency"),
            payout_lines.c.amount_minor.label("amount_minor"),
        )
        .select_from(
            payout_lines.join(partnerships, partnerships.c.id == payout_lines.c.partnership_id)
        )
        .where(in_campaign(p), payout_lines.c.kind.in_(PERFORMANCE_PAYOUT_KINDS))
    )
    lines = booked.union_all(earned).subquery("cost_lines")
    keys = (lines.c.partnership_id, lines.c.day, lines.c.currency)
    return (
        select(*keys, _sum(lines.c.amount_minor).label("cost_minor"))
        .group_by(*keys)
        .order_by(*keys)
    )


def fetch_cost_grain(conn: Connection, p: CampaignKpiParams) -> list[CostGrainRow]:
    out: list[CostGrainRow] = []
    for r in conn.execute(cost_grain_query(p)):
        day = _day(r.day)
        assert day is not None
        out.append(
            CostGrainRow(
                None if r.partnership_id is None else int(r.partnership_id),
                day,
                r.currency,
                int(r.cost_minor),
            )
        )
    return out
