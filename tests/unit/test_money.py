"""Money: exact amounts, currency exponents, refusals, allocation and formatting."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from babel.numbers import list_currencies
from hypothesis import given
from hypothesis import strategies as st

from perfluence.core.money import (
    Money,
    allocate,
    currency_exponent,
    format_money,
    normalise_currency,
    sum_money,
)
from perfluence.errors import ErrorCode, PerfluenceError

ALL_CURRENCIES = sorted(list_currencies())
currencies = st.sampled_from(ALL_CURRENCIES)
amounts = st.decimals(
    min_value=Decimal("-1e12"), max_value=Decimal("1e12"), places=4, allow_nan=False
)
weights = st.lists(
    st.decimals(min_value=0, max_value=Decimal("1e6"), places=3, allow_nan=False)
    | st.integers(min_value=0, max_value=10**9),
    min_size=1,
    max_size=12,
).filter(lambda ws: any(w != 0 for w in ws))


# --- construction and exponents ---------------------------------------------


@pytest.mark.parametrize(
    ("currency", "exponent"),
    [("EUR", 2), ("DKK", 2), ("SEK", 2), ("NOK", 2), ("JPY", 0), ("ISK", 0), ("KWD", 3)],
)
def test_exponent_comes_from_babel(currency: str, exponent: int) -> None:
    assert currency_exponent(currency) == exponent
    assert Money(1, currency).exponent == exponent


def test_currency_is_normalised_and_unknown_refused() -> None:
    assert Money("1", " dkk ").currency == "DKK"
    assert normalise_currency("sek") == "SEK"
    with pytest.raises(PerfluenceError) as info:
        Money(1, "XYZ")
    assert info.value.code is ErrorCode.UNKNOWN_CURRENCY
    with pytest.raises(TypeError):
        normalise_currency(978)  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", [1.5, 0.1, True, None, [1], Decimal("1")])
def test_float_and_other_non_numbers_refused(bad: object) -> None:
    if isinstance(bad, Decimal):  # the control: Decimal is accepted
        assert Money(bad, "EUR").amount == 1
        return
    with pytest.raises(TypeError):
        Money(bad, "EUR")  # type: ignore[arg-type]


@pytest.mark.parametrize("bad", ["abc", "NaN", "Infinity", "-inf", ""])
def test_non_finite_or_garbage_strings_refused(bad: str) -> None:
    with pytest.raises(PerfluenceError) as info:
        Money(bad, "EUR")
    assert info.value.code is ErrorCode.INVALID


def test_float_refused_in_every_operation() -> None:
    # Typed Any: these calls are what the type checker would reject, made at run time.
    m: Any = Money("10.00", "EUR")
    half: Any = 0.5
    for op in (
        lambda: m * half,
        lambda: half * m,
        lambda: m / half,
        lambda: m + half,
        lambda: m - half,
        lambda: m < half,
        lambda: Money.from_minor(half, "EUR"),
        lambda: allocate(m, [half, 2]),
        lambda: format_money(half, "en"),
    ):
        with pytest.raises(TypeError):
            op()


@given(amount=amounts, currency=currencies, factor=st.floats(allow_nan=False))
def test_no_float_accepted_anywhere(amount: Decimal, currency: str, factor: Any) -> None:
    m = Money(amount, currency)
    with pytest.raises(TypeError):
        m * factor
    with pytest.raises(TypeError):
        factor * m
    with pytest.raises(TypeError):
        Money(factor, currency)


# --- minor units and rounding ---------------------------------------------------


@given(minor=st.integers(min_value=-(10**18), max_value=10**18), currency=currencies)
def test_from_minor_and_minor_units_round_trip(minor: int, currency: str) -> None:
    m = Money.from_minor(minor, currency)
    assert m.minor_units == minor
    assert m.quantize() == m


@pytest.mark.parametrize(
    ("amount", "currency", "minor"),
    [
        ("1234.50", "DKK", 123450),
        ("0.005", "EUR", 1),  # half up
        ("0.004999", "EUR", 0),
        ("-0.005", "EUR", -1),  # half away from zero for negatives
        ("1234.5", "JPY", 1235),
        ("1.2345", "KWD", 1235),
        ("1e30", "EUR", 10**32),  # wider than Decimal's default 28 digits, still exact
    ],
)
def test_minor_units_round_half_up(amount: str, currency: str, minor: int) -> None:
    assert Money(amount, currency).minor_units == minor


def test_from_minor_refuses_bool_and_str() -> None:
    with pytest.raises(TypeError):
        Money.from_minor(True, "EUR")
    with pytest.raises(TypeError):
        Money.from_minor("100", "EUR")  # type: ignore[arg-type]


# --- arithmetic --------------------------------------------------------------------


def test_arithmetic_is_exact() -> None:
    a, b = Money("0.10", "EUR"), Money("0.20", "EUR")
    assert a + b == Money("0.30", "EUR")
    assert b - a == Money("0.1", "EUR")
    assert -a == Money("-0.10", "EUR")
    assert abs(-a) == a
    assert a * 3 == Money("0.30", "EUR")
    assert 3 * a == Money("0.30", "EUR")
    assert Money("10", "EUR") / 4 == Money("2.5", "EUR")
    assert Money("10", "EUR").ratio_to(Money("4", "EUR")) == Decimal("2.5")
    assert Money("0", "EUR").is_zero()
    assert not Money("0.00", "EUR")
    assert str(Money("1234.5", "DKK")) == "1234.50 DKK"


def test_division_by_zero_is_an_error() -> None:
    with pytest.raises(ZeroDivisionError):
        Money("1", "EUR") / 0
    with pytest.raises(ZeroDivisionError):
        Money("1", "EUR").ratio_to(Money.zero("EUR"))


@given(
    a=amounts,
    b=amounts,
    pair=st.lists(currencies, min_size=2, max_size=2, unique=True),
)
def test_mixed_currencies_always_refused(a: Decimal, b: Decimal, pair: list[str]) -> None:
    x, y = Money(a, pair[0]), Money(b, pair[1])
    for op in (
        lambda: x + y,
        lambda: x - y,
        lambda: x < y,
        lambda: x <= y,
        lambda: x > y,
        lambda: x >= y,
        lambda: x.ratio_to(y),
        lambda: sum_money([x, y], pair[0]),
    ):
        with pytest.raises(PerfluenceError) as info:
            op()
        assert info.value.code is ErrorCode.CURRENCY_MISMATCH
    # Equality is not refused: different currencies are simply different values.
    assert x != y


@given(a=amounts, b=amounts, currency=currencies)
def test_same_currency_ordering_follows_amounts(a: Decimal, b: Decimal, currency: str) -> None:
    x, y = Money(a, currency), Money(b, currency)
    assert (x < y) == (a < b)
    assert (x >= y) == (a >= b)
    assert (x == y) == (a == b)
    assert (x + y) - y == x


def test_equal_values_hash_alike() -> None:
    assert {Money("1.0", "EUR"), Money("1.00", "EUR")} == {Money(1, "EUR")}


def test_sum_money() -> None:
    assert sum_money([], "SEK") == Money.zero("SEK")
    parts = [Money("1.10", "SEK"), Money("2.20", "SEK"), Money("-0.30", "SEK")]
    assert sum_money(parts, "SEK") == Money("3.00", "SEK")
    assert sum_money(iter(parts), "sek") == Money("3.00", "SEK")


# --- allocate ------------------------------------------------------------------------


def test_allocate_examples() -> None:
    assert allocate(Money("100.00", "EUR"), [1, 1, 1]) == [
        Money("33.34", "EUR"),
        Money("33.33", "EUR"),
        Money("33.33", "EUR"),
    ]
    assert allocate(Money("-100.00", "EUR"), [1, 1, 1]) == [
        Money("-33.34", "EUR"),
        Money("-33.33", "EUR"),
        Money("-33.33", "EUR"),
    ]
    # The leftover yen goes to the largest remainder, not blindly to the last part.
    assert allocate(Money(10, "JPY"), [Decimal("0.34"), Decimal("0.66")]) == [
        Money(3, "JPY"),
        Money(7, "JPY"),
    ]
    assert allocate(Money(10, "JPY"), ["0.66", "0.34"]) == [Money(7, "JPY"), Money(3, "JPY")]
    assert allocate(Money("1.000", "KWD"), [0, 1, 0]) == [
        Money(0, "KWD"),
        Money(1, "KWD"),
        Money(0, "KWD"),
    ]
    # The total is quantized first: 0.005 EUR is one cent.
    assert allocate(Money("0.005", "EUR"), [1, 1]) == [Money("0.01", "EUR"), Money(0, "EUR")]


@pytest.mark.parametrize(
    ("bad", "message"),
    [([], "at least one"), ([1, -1], "negative"), ([0, 0], "all be zero"), (["x"], "number")],
)
def test_allocate_refuses_bad_weights(bad: list[object], message: str) -> None:
    with pytest.raises(PerfluenceError, match=message):
        allocate(Money(1, "EUR"), bad)  # type: ignore[arg-type]


@given(amount=amounts, currency=currencies, ws=weights)
def test_allocate_parts_sum_exactly(amount: Decimal, currency: str, ws: list[Decimal]) -> None:
    total = Money(amount, currency)
    parts = allocate(total, ws)
    assert len(parts) == len(ws)
    assert all(p.currency == total.currency for p in parts)
    assert sum_money(parts, currency) == total.quantize()
    assert sum(p.minor_units for p in parts) == total.minor_units


@given(amount=amounts, currency=currencies, ws=weights)
def test_allocate_parts_are_proportional_within_one_minor_unit(
    amount: Decimal, currency: str, ws: list[Decimal]
) -> None:
    total = Money(amount, currency)
    parts = allocate(total, ws)
    weight_sum = sum(Decimal(w) for w in ws)
    for part, w in zip(parts, ws, strict=True):
        exact_share = Decimal(total.minor_units) * Decimal(w) / weight_sum
        assert abs(Decimal(part.minor_units) - exact_share) < 1
        # Each part keeps the sign of the total (or is zero).
        assert part.minor_units * total.minor_units >= 0


@given(amount=amounts, currency=currencies, ws=weights)
def test_allocate_is_deterministic(amount: Decimal, currency: str, ws: list[Decimal]) -> None:
    total = Money(amount, currency)
    assert allocate(total, ws) == allocate(total, list(ws))
    # A negative total splits like its absolute value, mirrored.
    assert allocate(-total, ws) == [-p for p in allocate(total, ws)]


# --- formatting --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "currency", "locale", "expected"),
    [
        ("1234.5", "EUR", "en", "€1,234.50"),
        ("1234.5", "DKK", "en", "DKK1,234.50"),
        ("1234.5", "DKK", "da", "1.234,50\xa0kr."),
        ("1234.5", "SEK", "sv", "1\xa0234,50\xa0kr"),
        ("1234.5", "NOK", "nb", "1\xa0234,50\xa0kr"),
        ("1234.5", "EUR", "da", "1.234,50\xa0€"),
        ("1234.5", "EUR", "sv", "1\xa0234,50\xa0€"),
        ("-1234.5", "DKK", "da", "-1.234,50\xa0kr."),
        ("1234.5", "JPY", "en", "¥1,235"),  # half up, where Babel alone rounds half even
        ("0.125", "EUR", "en", "€0.13"),
        ("1234.5", "KWD", "en", "KWD1,234.500"),
    ],
)
def test_format_money_per_locale(amount: str, currency: str, locale: str, expected: str) -> None:
    assert format_money(Money(amount, currency), locale) == expected


def test_format_money_refuses_bare_numbers_and_unknown_locales() -> None:
    with pytest.raises(TypeError):
        format_money(Decimal("1.00"), "en")  # type: ignore[arg-type]
    with pytest.raises(PerfluenceError) as info:
        format_money(Money(1, "EUR"), "xx_YY")
    assert info.value.code is ErrorCode.INVALID
