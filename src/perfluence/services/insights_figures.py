"""Campaign KPI figures grouped by creator, tier, platform, market, link or day.

The finest-grain sums of ``analytics.dimensions`` are placed in groups and
added up there: counts as they are, money as integer minor units per
currency, converted to the campaign currency once per group, field and
currency (the same ECB rate and date as ``services.reporting``). So the
totals are the sum of the rows by construction and, grouped by creator, the
rows are the KPI report's rows. Where each fact goes: ``docs/insights.md``.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import Connection

from perfluence.analytics import campaign_kpis as q
from perfluence.analytics import campaign_roster as roster_q
from perfluence.analytics import dimensions as dq
from perfluence.analytics.timeseries import fetch_daily_traffic
from perfluence.core.campaign_report import (
    CampaignKpis,
    CreatorKpis,
    KpiFigures,
    ratios_for,
    sum_figures,
)
from perfluence.core.fx import MAX_LOOKBACK_DAYS, RateTable
from perfluence.core.insights_model import Dimension, DimensionBreakdown, DimensionRow
from perfluence.core.kpis import Count
from perfluence.core.money import Money
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.store.fx import rates_between

_MONEY = ("gross_revenue", "refunds", "cost")


class Converter:
    """Minor units in any currency → Money in the campaign currency, at one dated rate."""

    def __init__(self, conn: Connection, c: roster_q.CampaignRow, on: date, p: q.CampaignKpiParams):
        self.slug, self.currency, self.on = c.slug, c.currency, on
        self._conn, self._params = conn, p
        self._rates: RateTable | None = None

    @property
    def rates(self) -> RateTable:
        """Read at the first amount in another currency (on the caller's open connection)."""
        if self._rates is None:
            seen = set(q.fetch_money_currencies(self._conn, self._params))
            wanted = seen | {self.currency} if seen - {self.currency} else set()
            by_currency: dict[str, dict[date, Decimal]] = {code: {} for code in wanted}
            if wanted:
                since = self.on - timedelta(days=MAX_LOOKBACK_DAYS)
                for (day, code), rate in rates_between(self._conn, wanted, since, self.on).items():
                    by_currency[code][day] = rate
            self._rates = RateTable(by_currency)
        return self._rates

    def money(self, amount: Money) -> Money:
        if amount.currency == self.currency:
            return amount
        try:
            return self.rates.convert(amount, self.currency, self.on).money
        except PerfluenceError as exc:
            raise PerfluenceError(
                exc.code,
                f"campaign {self.slug!r} reports in {self.currency} but has amounts in "
                f"{amount.currency}: {exc.message}",
            ) from None

    def __call__(self, minor: int, currency: str) -> Money:
        return self.money(Money.from_minor(minor, currency))


@dataclass(frozen=True, slots=True)
class Place:
    """Where a fact happened: any part may be unknown for the family it comes from."""

    partnership_id: int | None = None
    link_id: int | None = None
    day: date | None = None
    platform: str | None = None
    creator_id: int | None = None  # for facts known by creator rather than partnership


@dataclass
class _Group:
    counts: dict[str, Count] = field(default_factory=lambda: defaultdict(int))
    minor: dict[tuple[str, str], int] = field(default_factory=lambda: defaultdict(int))

    def figures(self, money: Converter) -> KpiFigures:
        amounts = {name: Money.zero(money.currency) for name in _MONEY}
        for (name, currency), minor in sorted(self.minor.items()):
            amounts[name] = amounts[name] + money(minor, currency)
        return KpiFigures(**amounts, **self.counts)  # type: ignore[arg-type]


@dataclass(frozen=True, slots=True)
class Fact:
    place: Place
    counts: Mapping[str, Count]
    minor: tuple[tuple[str, str, int], ...] = ()  # (field, currency, minor units)


def facts(
    conn: Connection, p: q.CampaignKpiParams, report: CampaignKpis, dimension: Dimension
) -> list[Fact]:
    """Every family's finest-grain sums as facts, plus each creator's followers.

    By day, clicks come summed per day (a day is all their place says then).
    """
    out: list[Fact] = []
    for r in dq.fetch_posts_grain(conn, p):
        counts = {"posts": r.posts, "impressions": r.impressions, "reach": r.reach}
        counts |= {"views": r.views, "likes": r.likes, "comments": r.comments}
        counts |= {"shares": r.shares, "saves": r.saves}
        out.append(Fact(Place(r.partnership_id, None, r.day, r.platform), counts))
    traffic = (
        [(Place(day=d.day), d) for d in fetch_daily_traffic(conn, p)]
        if dimension is Dimension.DAY
        else [
            (Place(t.partnership_id, t.link_id, t.day), t) for t in dq.fetch_traffic_grain(conn, p)
        ]
    )
    for place, t in traffic:
        counts = {"clicks": t.clicks, "unique_clicks": t.unique_clicks, "bot_clicks": t.bot_clicks}
        out.append(Fact(place, counts))
    for s in dq.fetch_conversions_grain(conn, p):
        minor = (("gross_revenue", s.currency, s.sales_minor),)
        out.append(
            Fact(
                Place(s.partnership_id, s.link_id, s.day),
                {"sales": s.sales, "leads": s.leads},
                minor,
            )
        )
    for f in dq.fetch_refunds_grain(conn, p):
        minor = (("refunds", f.currency, f.refunds_minor),)
        refunded: dict[str, Count] = {"refunded_orders": f.refunded_orders}
        out.append(Fact(Place(f.partnership_id, f.link_id, f.day), refunded, minor))
    for k in dq.fetch_cost_grain(conn, p):
        minor = (("cost", k.currency, k.cost_minor),)
        out.append(Fact(Place(k.partnership_id, None, k.day), {}, minor))
    for row in report.creators:
        if row.figures.followers:
            out.append(Fact(Place(creator_id=row.creator_id), {"followers": row.figures.followers}))
    return out


KeyFn = Callable[[Place], tuple[str | None, str]]


def key_function(
    dimension: Dimension, conn: Connection, p: q.CampaignKpiParams, report: CampaignKpis
) -> KeyFn:
    """How a fact's place becomes a group ``(key, label)`` under ``dimension``."""
    ships = {r.partnership_id: r for r in dq.fetch_partnerships(conn, p)}
    links = {r.link_id: r.slug for r in dq.fetch_links(conn, p)}
    creators = {c.creator_id: c for c in report.creators}
    country = {r.creator_id: r.country for r in ships.values()}

    def creator_of(place: Place) -> int | None:
        if place.creator_id is not None:
            return place.creator_id
        ship = ships.get(place.partnership_id) if place.partnership_id is not None else None
        return None if ship is None else ship.creator_id

    def creator_key(row: CreatorKpis, place: Place) -> str | None:
        if dimension is Dimension.CREATOR:
            return str(row.creator_id)
        if dimension is Dimension.TIER:
            return row.tier.value
        if dimension is Dimension.PLATFORM:
            return place.platform or row.platform
        return country.get(row.creator_id)

    def key(place: Place) -> tuple[str | None, str]:
        if dimension is Dimension.LINK:
            slug = links.get(place.link_id) if place.link_id is not None else None
            return (slug, slug or "not tied to a link")
        if dimension is Dimension.DAY:
            day = place.day.isoformat() if place.day is not None else None
            return (day, day or "undated")
        cid = creator_of(place)
        row = creators.get(cid) if cid is not None else None
        if row is None:
            return (None, "campaign level")
        found = creator_key(row, place)
        if dimension is Dimension.CREATOR:
            return (found, f"@{row.handle}")
        return (found, found or f"no {dimension.value}")

    return key


def breakdown(
    conn: Connection,
    p: q.CampaignKpiParams,
    report: CampaignKpis,
    money: Converter,
    dimension: Dimension,
) -> DimensionBreakdown:
    key = key_function(dimension, conn, p, report)
    groups: dict[str | None, _Group] = defaultdict(_Group)
    labels: dict[str | None, str] = {}
    for fact in facts(conn, p, report, dimension):
        k, label = key(fact.place)
        labels[k] = label
        group = groups[k]
        for name, value in fact.counts.items():
            group.counts[name] += value
        for name, currency, minor in fact.minor:
            group.minor[(name, currency)] += minor
    ordered = sorted(groups, key=lambda k: (k is None, labels[k] if k else ""))
    rows = []
    for k in ordered:
        figures = groups[k].figures(money)
        rows.append(DimensionRow(k, labels[k], figures, ratios_for(figures, report.reference_cpm)))
    totals = sum_figures((r.figures for r in rows), report.currency)
    return DimensionBreakdown(
        report.slug,
        report.currency,
        dimension,
        tuple(rows),
        totals,
        ratios_for(totals, report.reference_cpm),
    )


def parse_dimension(text: str) -> Dimension:
    try:
        return Dimension(text.strip().lower())
    except ValueError:
        choices = ", ".join(d.value for d in Dimension)
        raise PerfluenceError(
            ErrorCode.INVALID,
            f"unknown dimension {text!r}; use one of {choices}",
            field="dimension",
        ) from None
