"""The campaign's sales credited under every attribution model, from the stored clicks.

A sale's path is the non-bot clicks on the campaign's links by the same
visitor (the visitor of the click the sale carried, and of the clicks other
sales of the same customer carried) within the campaign's attribution window
before it; ``core.attribution.split_credit`` shares it out. A sale without
any such click (a discount code alone) keeps its stored partnership under
every model, so each model credits the same total. Markov shares come from
every visitor's journey on the campaign's links: converting paths once per
sale with clicks, non-converting ones once per visitor who never bought
(consecutive clicks on the same partnership count as one step); sales
without a click do not enter the chain. See ``docs/insights.md``.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, Final

from sqlalchemy import Connection, Select, and_, select

from perfluence.analytics.campaign_kpis import EXCLUDED_STATUSES, CampaignKpiParams, in_campaign
from perfluence.core.attribution import AttributionModel, Touch, eligible_touches, split_credit
from perfluence.core.markov import PathCount, markov_shares
from perfluence.core.money import Money
from perfluence.core.terms import terms_from_dict
from perfluence.store.tables import campaigns, clicks, conversions, partnerships, tracking_links

AS_CREDITED: Final = "as_credited"
_IN_CHUNK: Final = 5_000  # visitors per IN list: well under every driver's parameter limit
MODELS: Final = (AS_CREDITED, *(m.value for m in AttributionModel))


@dataclass(frozen=True, slots=True)
class SaleRow:
    conversion_id: int
    occurred_at: datetime
    amount_minor: int
    currency: str
    partnership_id: int
    visitor_hash: str | None  # of the click the sale carried
    customer_ref: str | None


@dataclass(frozen=True, slots=True)
class ClickRow:
    click_id: str
    link_id: int
    partnership_id: int
    occurred_at: datetime
    visitor_hash: str
    is_bot: bool


def sales_query(p: CampaignKpiParams) -> Select[Any]:
    carried = clicks.alias("carried")
    return (
        select(
            conversions.c.id,
            conversions.c.occurred_at,
            conversions.c.amount_minor,
            conversions.c.currency,
            conversions.c.partnership_id,
            carried.c.visitor_hash,
            conversions.c.customer_ref,
        )
        .select_from(
            conversions.join(
                partnerships, partnerships.c.id == conversions.c.partnership_id
            ).outerjoin(
                carried,
                and_(
                    carried.c.click_id == conversions.c.click_id,
                    carried.c.workspace_id == p.workspace_id,
                ),
            )
        )
        .where(
            in_campaign(p),
            conversions.c.kind == "sale",
            conversions.c.status.not_in(EXCLUDED_STATUSES),
        )
        .order_by(conversions.c.occurred_at, conversions.c.id)
    )


def fetch_sales(conn: Connection, p: CampaignKpiParams) -> list[SaleRow]:
    return [
        SaleRow(
            int(r.id),
            r.occurred_at,
            int(r.amount_minor),
            r.currency,
            int(r.partnership_id),
            r.visitor_hash,
            r.customer_ref,
        )
        for r in conn.execute(sales_query(p))
    ]


def _campaign_clicks() -> Any:
    return clicks.join(tracking_links, tracking_links.c.id == clicks.c.link_id).join(
        partnerships, partnerships.c.id == tracking_links.c.partnership_id
    )


def clicks_query(p: CampaignKpiParams, visitors: Sequence[str]) -> Select[Any]:
    """The clicks of these visitors on the campaign's links (by the visitor index)."""
    return (
        select(
            clicks.c.click_id,
            clicks.c.link_id,
            tracking_links.c.partnership_id,
            clicks.c.occurred_at,
            clicks.c.visitor_hash,
            clicks.c.is_bot,
        )
        .select_from(_campaign_clicks())
        .where(
            in_campaign(p),
            clicks.c.workspace_id == p.workspace_id,
            clicks.c.visitor_hash.in_(visitors),
        )
        .order_by(clicks.c.occurred_at, clicks.c.click_id)
    )


def fetch_clicks(conn: Connection, p: CampaignKpiParams, visitors: set[str]) -> list[ClickRow]:
    """Every click of ``visitors`` (the buyers) on the campaign's links."""
    wanted = sorted(visitors)
    out: list[ClickRow] = []
    for start in range(0, len(wanted), _IN_CHUNK):
        out.extend(
            ClickRow(
                r.click_id,
                int(r.link_id),
                int(r.partnership_id),
                r.occurred_at,
                r.visitor_hash,
                bool(r.is_bot),
            )
            for r in conn.execute(clicks_query(p, wanted[start : start + _IN_CHUNK]))
        )
    return out


def journeys_query(p: CampaignKpiParams) -> Select[Any]:
    """Every human click on the campaign's links, oldest first: only whose and whom it credits."""
    return (
        select(clicks.c.visitor_hash, tracking_links.c.partnership_id)
        .select_from(_campaign_clicks())
        .where(
            in_campaign(p),
            clicks.c.is_bot.is_(False),
        )
        .order_by(clicks.c.occurred_at, clicks.c.click_id)
    )


def fetch_journeys(conn: Connection, p: CampaignKpiParams) -> Counter[tuple[int, ...]]:
    """The journey of every visitor with a human click on the campaign's links, counted.

    A journey is its steps: partnerships, consecutive clicks on the same one
    counting once. This is the one read of every click of the campaign, so it
    takes two plain columns per click and makes no object per row.
    """
    steps: dict[str, tuple[int, ...]] = {}
    get = steps.get
    for visitor, partnership_id in conn.execute(journeys_query(p)):
        known = get(visitor)
        if known is None:
            steps[visitor] = (partnership_id,)
        elif known[-1] != partnership_id:
            steps[visitor] = (*known, partnership_id)
    return Counter(steps.values())


def fetch_window_days(conn: Connection, p: CampaignKpiParams) -> int:
    query = select(campaigns.c.attribution_window_days).where(
        campaigns.c.workspace_id == p.workspace_id, campaigns.c.id == p.campaign_id
    )
    return int(conn.execute(query).scalar_one())


def fetch_commission_rates(
    conn: Connection, p: CampaignKpiParams
) -> dict[int, tuple[int, Decimal | None]]:
    """Per partnership: its creator and the base commission rate of its terms (if any)."""
    query = select(partnerships.c.id, partnerships.c.creator_id, partnerships.c.terms).where(
        in_campaign(p)
    )
    return {
        int(r.id): (int(r.creator_id), terms_from_dict(r.terms).commission_rate)
        for r in conn.execute(query)
    }


# --- crediting (pure from here on) ---------------------------------------------------------


def _touch(c: ClickRow) -> Touch:
    return Touch(c.click_id, c.partnership_id, c.link_id, c.occurred_at, is_bot=c.is_bot)


def _visitors(sales: list[SaleRow]) -> dict[int, set[str]]:
    by_customer: dict[str, set[str]] = defaultdict(set)
    for s in sales:
        if s.customer_ref is not None and s.visitor_hash is not None:
            by_customer[s.customer_ref].add(s.visitor_hash)
    out: dict[int, set[str]] = {}
    for s in sales:
        found = {s.visitor_hash} if s.visitor_hash is not None else set()
        if s.customer_ref is not None:
            found |= by_customer[s.customer_ref]
        out[s.conversion_id] = found
    return out


def _steps(touches: list[Touch]) -> tuple[int, ...]:
    steps: list[int] = []
    for t in touches:
        if not steps or steps[-1] != t.partnership_id:
            steps.append(t.partnership_id)
    return tuple(steps)


def buyers_of(sales: list[SaleRow]) -> set[str]:
    """Every visitor tied to a sale: the journeys that end in one."""
    visitors = _visitors(sales)
    return set().union(*visitors.values()) if visitors else set()


def credit_by_model(
    sales: list[SaleRow],
    buyer_clicks: list[ClickRow],
    journeys: Mapping[tuple[int, ...], int],
    window: timedelta,
    to_currency: Callable[[Money], Money],
) -> tuple[dict[str, dict[int, Money]], int]:
    """Credited revenue per model and partnership (campaign currency), and the sales counted.

    ``buyer_clicks``: the campaign's clicks of ``buyers_of(sales)``;
    ``journeys``: every visitor's journey, counted (``fetch_journeys``): the
    buyers' are taken out again, as their paths enter the chain per sale.
    Each sale's amount is converted first and then split, so every model's
    parts add up to the same converted total to the minor unit.
    """
    by_visitor: dict[str, list[Touch]] = defaultdict(list)
    for c in buyer_clicks:
        by_visitor[c.visitor_hash].append(_touch(c))
    visitors = _visitors(sales)
    paths: dict[int, list[Touch]] = {}
    counted: Counter[tuple[tuple[int, ...], bool]] = Counter()
    for s in sales:
        candidates = [t for v in visitors[s.conversion_id] for t in by_visitor.get(v, [])]
        found = eligible_touches(candidates, s.occurred_at, window)
        paths[s.conversion_id] = found
        if found:
            counted[(_steps(found), True)] += 1
    never_bought = Counter(journeys)
    never_bought.subtract(
        _steps(human)
        for human in ([t for t in ts if not t.is_bot] for ts in by_visitor.values())
        if human
    )
    for steps, n in never_bought.items():
        if n > 0:
            counted[(steps, False)] += n
    shares = markov_shares(
        PathCount(steps, int(converted) * n, int(not converted) * n)
        for (steps, converted), n in counted.items()
    )
    credited: dict[str, dict[int, Money]] = {m: {} for m in MODELS}
    for s in sales:
        amount = to_currency(Money.from_minor(s.amount_minor, s.currency)).quantize()
        for name, parts in _parts_by_model(s, amount, paths[s.conversion_id], window, shares):
            into = credited[name]
            for pid, part in parts.items():
                into[pid] = into[pid] + part if pid in into else part
    return credited, len(sales)


def _parts_by_model(
    s: SaleRow,
    amount: Money,
    path: list[Touch],
    window: timedelta,
    shares: Mapping[int, Decimal],
) -> list[tuple[str, Mapping[int, Money]]]:
    """One sale's credit under every model."""
    own = {s.partnership_id: amount}
    if not path:
        # No click to go by (a code alone): every model keeps the stored credit.
        return [(name, own) for name in MODELS]
    only = {t.partnership_id for t in path}
    if len(only) == 1 and shares.get(path[0].partnership_id, Decimal(0)) > 0:
        # One partnership on the path: every model gives it the whole amount (what
        # ``split_credit`` returns, without weighing each touch six times over).
        whole = {path[0].partnership_id: amount}
        return [(AS_CREDITED, own), *((m.value, whole) for m in AttributionModel)]
    return [
        (AS_CREDITED, own),
        *(
            (
                each.value,
                split_credit(
                    amount, path, each, s.occurred_at, window=window, markov_shares=shares
                ),
            )
            for each in AttributionModel
        ),
    ]


def commission(revenue: Money, rate: Decimal | None) -> Money:
    """What a commission at ``rate`` pays on ``revenue`` (zero without a rate)."""
    if rate is None:
        return Money.zero(revenue.currency)
    return (revenue * rate).quantize()
