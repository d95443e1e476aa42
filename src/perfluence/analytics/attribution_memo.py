"""The attribution comparison, kept between reports while the data under it is unchanged.

Crediting a campaign's sales under every model reads every click of the
campaign (the Markov chain needs the journeys of visitors who never bought),
which takes seconds on millions of clicks. A report is built again and again
from the same data (each language, format and currency), so the results are
kept per database, keyed on the data's high-water marks:

- clicks: the lowest and highest click id (a click written anywhere raises the
  highest; retention deletes from the lowest) and the campaign's links;
- sales: count, id sum, highest id and amount sum of the campaign's counted
  sales (a new sale, a rejected one or a changed amount moves them).

Every visitor's journeys depend on the clicks alone; the credited amounts
also on the sales, and are kept only when every sale is in the campaign
currency (otherwise they depend on the exchange rates too, and are computed
each time from the kept journeys).
"""

from __future__ import annotations

import threading
from collections import Counter, OrderedDict
from collections.abc import Callable, Hashable
from datetime import timedelta
from typing import Any, Final, TypeVar
from weakref import WeakKeyDictionary

from sqlalchemy import Connection, Engine, Select, func, select

from perfluence.analytics import attribution_compare as aq
from perfluence.analytics.campaign_kpis import EXCLUDED_STATUSES, CampaignKpiParams, in_campaign
from perfluence.core.money import Money
from perfluence.store.tables import clicks, conversions, partnerships, tracking_links

KEPT: Final = 32  # results per database; a few campaigns' journeys, small next to their clicks
_T = TypeVar("_T")
_kept: WeakKeyDictionary[Engine, OrderedDict[Hashable, Any]] = WeakKeyDictionary()
_lock = threading.Lock()


def _remember(engine: Engine, key: Hashable, compute: Callable[[], _T]) -> _T:
    with _lock:
        kept = _kept.get(engine)
        if kept is not None and key in kept:
            kept.move_to_end(key)
            return kept[key]  # type: ignore[no-any-return]
    value = compute()
    with _lock:
        kept = _kept.setdefault(engine, OrderedDict())
        kept[key] = value
        while len(kept) > KEPT:
            kept.popitem(last=False)
    return value


def forget(engine: Engine) -> None:
    """Drop what is kept for ``engine`` (a restored backup can lower the marks)."""
    with _lock:
        _kept.pop(engine, None)


def sales_marks_query(p: CampaignKpiParams) -> Select[Any]:
    """What moves when the campaign's counted sales change: the rows ``fetch_sales`` reads."""
    return (
        select(
            func.count(),
            func.coalesce(func.sum(conversions.c.id), 0),
            func.coalesce(func.max(conversions.c.id), 0),
            func.coalesce(func.sum(conversions.c.amount_minor), 0),
            func.count(func.distinct(conversions.c.currency)),
            func.min(conversions.c.currency),
        )
        .select_from(
            conversions.join(partnerships, partnerships.c.id == conversions.c.partnership_id)
        )
        .where(
            in_campaign(p),
            conversions.c.kind == "sale",
            conversions.c.status.not_in(EXCLUDED_STATUSES),
        )
    )


def links_marks_query(p: CampaignKpiParams) -> Select[Any]:
    return (
        select(func.count(), func.coalesce(func.sum(tracking_links.c.id), 0))
        .select_from(
            tracking_links.join(partnerships, partnerships.c.id == tracking_links.c.partnership_id)
        )
        .where(in_campaign(p))
    )


def credit_by_model(
    conn: Connection,
    p: CampaignKpiParams,
    window: timedelta,
    currency: str,
    to_currency: Callable[[Money], Money],
) -> tuple[dict[str, dict[int, Money]], int]:
    """``attribution_compare.credit_by_model`` on the campaign's data, kept while unchanged."""
    engine = conn.engine
    # Apart, each is one step down the primary key; together SQLite scans the table.
    low = conn.execute(select(func.min(clicks.c.id))).scalar()
    high = conn.execute(select(func.max(clicks.c.id))).scalar()
    click_marks = (p, low, high, *conn.execute(links_marks_query(p)).one())
    count, id_sum, last, amount_sum, currencies, first_currency = conn.execute(
        sales_marks_query(p)
    ).one()
    sale_marks = (int(count), int(id_sum), int(last), int(amount_sum))

    def compute() -> tuple[dict[str, dict[int, Money]], int]:
        sales = aq.fetch_sales(conn, p)
        journeys: Counter[tuple[int, ...]] = _remember(
            engine, ("journeys", *click_marks), lambda: aq.fetch_journeys(conn, p)
        )
        buyer_clicks = aq.fetch_clicks(conn, p, aq.buyers_of(sales))
        return aq.credit_by_model(sales, buyer_clicks, journeys, window, to_currency)

    if currencies > 1 or (currencies == 1 and first_currency != currency):
        return compute()  # amounts converted at exchange rates the marks do not cover
    key = ("credited", *click_marks, *sale_marks, window, currency)
    return _remember(engine, key, compute)
