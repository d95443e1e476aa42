"""The attribution comparison's crediting against the plain reading of its rules (Hypothesis).

``credit_by_model`` reads only the buyers' clicks, takes the other visitors'
journeys as counts and skips the weighing of one-partnership paths; the
reference below replays every click through ``split_credit`` as the rules in
``docs/insights.md`` say. Both must credit the same amounts to the minor unit.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from perfluence.analytics.attribution_compare import (
    AS_CREDITED,
    MODELS,
    ClickRow,
    SaleRow,
    buyers_of,
    credit_by_model,
)
from perfluence.core.attribution import AttributionModel, Touch, eligible_touches, split_credit
from perfluence.core.markov import PathCount, markov_shares
from perfluence.core.money import Money

START = datetime(2026, 3, 1, tzinfo=UTC)
WINDOW = timedelta(days=7)
VISITORS = ("v1", "v2", "v3", "v4", "v5")


def _same(m: Money) -> Money:
    return m


def _steps(touches: list[Touch]) -> tuple[int, ...]:
    steps: list[int] = []
    for t in touches:
        if not steps or steps[-1] != t.partnership_id:
            steps.append(t.partnership_id)
    return tuple(steps)


def reference(sales: list[SaleRow], clicks: list[ClickRow]) -> dict[str, dict[int, Money]]:
    """Every click, every visitor, every model through ``split_credit``."""
    by_visitor: dict[str, list[Touch]] = defaultdict(list)
    for c in clicks:
        by_visitor[c.visitor_hash].append(
            Touch(c.click_id, c.partnership_id, c.link_id, c.occurred_at, is_bot=c.is_bot)
        )
    by_customer: dict[str, set[str]] = defaultdict(set)
    for s in sales:
        if s.customer_ref and s.visitor_hash:
            by_customer[s.customer_ref].add(s.visitor_hash)
    paths: dict[int, list[Touch]] = {}
    journeys: Counter[tuple[tuple[int, ...], bool]] = Counter()
    buyers: set[str] = set()
    for s in sales:
        visitors = {s.visitor_hash} - {None}
        visitors |= by_customer[s.customer_ref] if s.customer_ref else set()
        buyers |= {v for v in visitors if v is not None}
        found = eligible_touches(
            [t for v in visitors if v for t in by_visitor[v]], s.occurred_at, WINDOW
        )
        paths[s.conversion_id] = found
        if found:
            journeys[(_steps(found), True)] += 1
    for visitor, touches in by_visitor.items():
        human = [t for t in touches if not t.is_bot]
        if visitor not in buyers and human:
            journeys[(_steps(human), False)] += 1
    shares = markov_shares(
        PathCount(steps, int(c) * n, int(not c) * n) for (steps, c), n in journeys.items()
    )
    out: dict[str, dict[int, Money]] = {m: defaultdict(lambda: Money.zero("DKK")) for m in MODELS}
    for s in sales:
        amount = Money.from_minor(s.amount_minor, s.currency)
        out[AS_CREDITED][s.partnership_id] += amount
        for model in AttributionModel:
            parts = (
                split_credit(
                    amount,
                    paths[s.conversion_id],
                    model,
                    s.occurred_at,
                    window=WINDOW,
                    markov_shares=shares,
                )
                if paths[s.conversion_id]
                else {s.partnership_id: amount}
            )
            for pid, part in parts.items():
                out[model.value][pid] += part
    return {m: dict(v) for m, v in out.items()}


@st.composite
def worlds(draw: st.DrawFn) -> tuple[list[SaleRow], list[ClickRow]]:
    n = draw(st.integers(1, 14))
    clicks = sorted(
        (
            ClickRow(
                f"k{i:02d}",
                link_id=link,
                partnership_id=10 + link % 2,  # links 1 and 3 are one partnership's
                occurred_at=START + timedelta(hours=draw(st.integers(0, 24 * 10))),
                visitor_hash=draw(st.sampled_from(VISITORS)),
                is_bot=draw(st.booleans()),
            )
            for i, link in enumerate(draw(st.lists(st.integers(1, 3), min_size=n, max_size=n)))
        ),
        key=lambda c: (c.occurred_at, c.click_id),
    )
    sales = []
    for i in range(draw(st.integers(1, 4))):
        carried = draw(st.sampled_from([None, *clicks]))
        sales.append(
            SaleRow(
                conversion_id=i + 1,
                occurred_at=START + timedelta(hours=draw(st.integers(0, 24 * 12))),
                amount_minor=draw(st.integers(1, 100_000)),
                currency="DKK",
                partnership_id=carried.partnership_id if carried else 10,
                visitor_hash=carried.visitor_hash if carried else None,
                customer_ref=draw(st.sampled_from([None, "c1", "c2"])),
            )
        )
    return sales, clicks


def _journeys(clicks: list[ClickRow]) -> Counter[tuple[int, ...]]:
    """What ``fetch_journeys`` counts: every visitor's human steps."""
    steps: dict[str, list[int]] = defaultdict(list)
    for c in clicks:
        if not c.is_bot and (
            not steps[c.visitor_hash] or steps[c.visitor_hash][-1] != c.partnership_id
        ):
            steps[c.visitor_hash].append(c.partnership_id)
    return Counter(tuple(s) for s in steps.values() if s)


@settings(max_examples=150, deadline=None)
@given(worlds())
def test_crediting_equals_replaying_every_click(
    world: tuple[list[SaleRow], list[ClickRow]],
) -> None:
    sales, clicks = world
    buyers = buyers_of(sales)
    credited, counted = credit_by_model(
        sales,
        [c for c in clicks if c.visitor_hash in buyers],
        _journeys(clicks),
        WINDOW,
        _same,
    )
    assert counted == len(sales)
    assert credited == reference(sales, clicks)
