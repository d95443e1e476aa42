"""Invariants of attribution over generated paths and conversions (Hypothesis)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from perfluence.core.attribution import (
    AttributionMethod,
    AttributionModel,
    AttributionRule,
    ConflictRule,
    ConversionFacts,
    Touch,
    attribute_conversion,
    split_credit,
)
from perfluence.core.markov import PathCount, markov_shares
from perfluence.core.money import Money

SALE_AT = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
WINDOW = timedelta(days=30)
PARTNERSHIPS = (1, 2, 3, 4, 5)
CUSTOMERS = ("cust-1", "cust-2", None)


@st.composite
def touches(draw: st.DrawFn, *, max_before: timedelta = timedelta(days=45)) -> list[Touch]:
    """Up to 8 clicks with distinct ids and, so order is meaningful, distinct times."""
    seconds = draw(
        st.lists(
            st.integers(-86_400, max_before // timedelta(seconds=1)),
            max_size=8,
            unique=True,
        )
    )
    return [
        Touch(
            click_id=f"c{i:02d}",
            partnership_id=draw(st.sampled_from(PARTNERSHIPS)),
            link_id=draw(st.integers(1, 50)),
            time=SALE_AT - timedelta(seconds=s),
            customer_key=draw(st.sampled_from(CUSTOMERS)),
            is_bot=draw(st.booleans()),
        )
        for i, s in enumerate(seconds)
    ]


currencies = st.sampled_from(["EUR", "DKK", "SEK", "NOK", "JPY", "KWD"])


@st.composite
def amounts(draw: st.DrawFn, *, positive: bool = True) -> Money:
    currency = draw(currencies)
    minor = draw(st.integers(1 if positive else -(10**9), 10**9))
    return Money.from_minor(minor, currency)


models = st.sampled_from(list(AttributionModel))


def shares_for(path: list[Touch]) -> dict[int, Decimal]:
    """Markov shares from the path itself plus one non-converting journey per partnership."""
    channels = tuple(t.partnership_id for t in sorted(path, key=lambda t: t.time)) or (1,)
    rows = [PathCount(channels, conversions=1)]
    rows += [PathCount((p,), non_conversions=1) for p in PARTNERSHIPS]
    return markov_shares(rows)


def eligible(path: list[Touch]) -> list[Touch]:
    return [t for t in path if not t.is_bot and timedelta(0) <= SALE_AT - t.time <= WINDOW]


@settings(max_examples=150, deadline=None)
@given(path=touches(), amount=amounts(), model=models)
def test_parts_sum_exactly_and_are_never_negative(
    path: list[Touch], amount: Money, model: AttributionModel
) -> None:
    credit = split_credit(amount, path, model, SALE_AT, markov_shares=shares_for(path))
    if not eligible(path):
        assert credit == {}
        return
    assert sum(credit.values(), Money.zero(amount.currency)) == amount
    assert all(part.amount >= 0 for part in credit.values())
    assert all(part.currency == amount.currency for part in credit.values())
    assert all(part == part.quantize() for part in credit.values())


@settings(max_examples=100, deadline=None)
@given(path=touches(), amount=amounts(positive=False), model=models)
def test_refunds_split_exactly_too(
    path: list[Touch], amount: Money, model: AttributionModel
) -> None:
    credit = split_credit(amount, path, model, SALE_AT, markov_shares=shares_for(path))
    if credit:
        assert sum(credit.values(), Money.zero(amount.currency)) == amount
        assert all(part.amount * amount.amount >= 0 for part in credit.values())


@settings(max_examples=150, deadline=None)
@given(path=touches(), amount=amounts(), model=models)
def test_bots_and_out_of_window_touches_never_get_credit(
    path: list[Touch], amount: Money, model: AttributionModel
) -> None:
    credit = split_credit(amount, path, model, SALE_AT, markov_shares=shares_for(path))
    assert set(credit) <= {t.partnership_id for t in eligible(path)}


@settings(max_examples=100, deadline=None)
@given(path=touches(), amount=amounts(), model=models, data=st.data())
def test_split_credit_is_independent_of_input_order(
    path: list[Touch], amount: Money, model: AttributionModel, data: st.DataObject
) -> None:
    shares = shares_for(path)
    shuffled = data.draw(st.permutations(path))
    first = split_credit(amount, path, model, SALE_AT, markov_shares=shares)
    again = split_credit(amount, shuffled, model, SALE_AT, markov_shares=shares)
    assert first == again
    assert list(first) == list(again)


@settings(max_examples=100, deadline=None)
@given(path=touches(max_before=timedelta(days=400)), amount=amounts(), model=models)
def test_conversion_outside_every_window_is_unattributed(
    path: list[Touch], amount: Money, model: AttributionModel
) -> None:
    old = [
        Touch(
            t.click_id,
            t.partnership_id,
            t.link_id,
            SALE_AT - WINDOW - (SALE_AT - t.time) - timedelta(seconds=1),
            t.customer_key,
            t.is_bot,
        )
        for t in path
        if t.time <= SALE_AT
    ]
    assert split_credit(amount, old, model, SALE_AT, markov_shares=shares_for(old)) == {}
    for t in old:
        result = attribute_conversion(
            ConversionFacts(SALE_AT, amount, click_id=t.click_id, customer_key=t.customer_key), old
        )
        assert result.method is AttributionMethod.NONE
        assert result.partnership_id is None


facts_strategy = st.builds(
    lambda click, code_pid, customer, amount: ConversionFacts(
        SALE_AT,
        amount,
        click_id=click,
        code="CODE" if code_pid is not None else None,
        code_partnership_id=code_pid,
        customer_key=customer,
    ),
    st.sampled_from([None, "c00", "c01", "c02", "c99"]),
    st.sampled_from([None, *PARTNERSHIPS]),
    st.sampled_from(CUSTOMERS),
    amounts(),
)
rules = st.builds(
    AttributionRule,
    window=st.sampled_from([timedelta(days=1), timedelta(days=7), WINDOW]),
    conflict=st.sampled_from(list(ConflictRule)),
    model=st.sampled_from([AttributionModel.LAST_CLICK, AttributionModel.FIRST_CLICK]),
)


@settings(max_examples=200, deadline=None)
@given(path=touches(), conversion=facts_strategy, rule=rules, data=st.data())
def test_attribution_is_deterministic_and_consistent(
    path: list[Touch], conversion: ConversionFacts, rule: AttributionRule, data: st.DataObject
) -> None:
    result = attribute_conversion(conversion, path, rule)
    shuffled = data.draw(st.permutations(path))
    assert attribute_conversion(conversion, shuffled, rule) == result
    assert result.reason
    credit = result.credit(conversion.amount)
    if result.method is AttributionMethod.NONE:
        assert credit == {}
        assert result.partnership_id is None
        return
    assert sum(credit.values(), Money.zero(conversion.amount.currency)) == conversion.amount
    assert all(part.amount >= 0 for part in credit.values())
    assert result.partnership_id in credit
    if result.click_id is not None:
        # The credited click is a real, non-bot click inside the window, before the sale.
        clicked = next(t for t in path if t.click_id == result.click_id)
        assert not clicked.is_bot
        assert clicked.partnership_id == result.partnership_id
        assert result.link_id == clicked.link_id
        assert timedelta(0) <= conversion.time - clicked.time <= rule.window
        assert result.seconds_from_click == (conversion.time - clicked.time) // timedelta(seconds=1)
    if result.method is AttributionMethod.CODE:
        assert result.partnership_id == conversion.code_partnership_id
    if result.method is AttributionMethod.CUSTOMER:
        assert conversion.code_partnership_id is None


@settings(max_examples=200, deadline=None)
@given(path=touches(), conversion=facts_strategy, rule=rules)
def test_bots_never_win(
    path: list[Touch], conversion: ConversionFacts, rule: AttributionRule
) -> None:
    bots_only = [
        Touch(t.click_id, t.partnership_id, t.link_id, t.time, t.customer_key, is_bot=True)
        for t in path
    ]
    result = attribute_conversion(conversion, bots_only, rule)
    assert result.click_id is None
    if conversion.code_partnership_id is None:
        assert result.method is AttributionMethod.NONE
    else:
        assert (result.method, result.partnership_id) == (
            AttributionMethod.CODE,
            conversion.code_partnership_id,
        )
