from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perfluence.core.amounts import (
    money_from_stripe_minor,
    money_to_stripe_minor,
    parse_decimal,
    parse_decimal_text,
    parse_money,
    stripe_exponent,
)
from perfluence.core.money import Money
from perfluence.errors import ErrorCode, PerfluenceError


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("129.95", Decimal("129.95")),
        ("1299", Decimal("1299")),
        ("-10.00", Decimal("-10.00")),
        ("0.00", Decimal("0.00")),
        (" 5.5 ", Decimal("5.5")),
        ("-0.00", Decimal("0.00")),
        ("0.000001", Decimal("0.000001")),
    ],
)
def test_dot_decimal_strings_parse_exactly(text: str, expected: Decimal) -> None:
    parsed = parse_decimal_text(text)
    assert parsed == expected
    assert parsed.as_tuple() == expected.as_tuple()


def test_a_comma_is_refused_with_a_hint() -> None:
    with pytest.raises(PerfluenceError, match="uses a comma") as info:
        parse_decimal_text("1.299,95", field="line_items[2].price")
    assert info.value.code is ErrorCode.INVALID
    assert info.value.field == "line_items[2].price"


@pytest.mark.parametrize(
    "text", ["", "  ", "1e3", "NaN", "Infinity", "12.", ".5", "+5", "1 000", "١٢", "0x10", "5kr"]
)
def test_anything_but_plain_dot_decimal_is_refused(text: str) -> None:
    with pytest.raises(PerfluenceError) as info:
        parse_decimal_text(text, field="total")
    assert info.value.code is ErrorCode.INVALID
    assert info.value.field == "total"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1000000000000000", "out of range"),
        (Decimal("1E+20"), "out of range"),
        ("0.0000001", "more than 6 decimals"),
        (Decimal("NaN"), "not a finite amount"),
        (Decimal("-Infinity"), "not a finite amount"),
    ],
)
def test_absurd_amounts_are_refused(value: object, message: str) -> None:
    with pytest.raises(PerfluenceError, match=message):
        parse_decimal(value)


def test_trailing_zeros_beyond_six_places_are_exact_and_accepted() -> None:
    assert parse_decimal(Decimal("1.500000000")) == Decimal("1.5")


@pytest.mark.parametrize("value", [1.5, True, None, [], {}, b"1"])
def test_non_amount_values_are_refused_by_type(value: object) -> None:
    with pytest.raises(PerfluenceError, match="expected an amount") as info:
        parse_decimal(value, field="price")
    assert info.value.field == "price"


def test_json_numbers_arrive_as_decimal_or_int() -> None:
    assert parse_money(Decimal("158.4"), "SEK") == Money("158.40", "SEK")
    assert parse_money(12, "SEK") == Money("12", "SEK")


@pytest.mark.parametrize(
    ("currency", "exponent"),
    [("usd", 2), ("DKK", 2), ("jpy", 0), ("KRW", 0), ("ugx", 0), ("kwd", 3), ("isk", 2)],
)
def test_stripe_exponents_follow_stripe_not_iso(currency: str, exponent: int) -> None:
    assert stripe_exponent(currency) == exponent


@pytest.mark.parametrize(
    ("minor", "currency", "amount"),
    [
        (1299, "usd", "12.99"),
        (116910, "nok", "1169.10"),
        (500, "jpy", "500"),
        (5120, "kwd", "5.120"),
        (50000, "isk", "500"),  # two-decimal in Stripe's API although ISO says zero
    ],
)
def test_stripe_minor_units(minor: int, currency: str, amount: str) -> None:
    money = money_from_stripe_minor(minor, currency)
    assert money == Money(amount, currency)
    assert money_to_stripe_minor(money) == minor


@pytest.mark.parametrize("value", ["1299", Decimal("12.99"), 12.99, None, True])
def test_stripe_minor_units_must_be_integers(value: object) -> None:
    with pytest.raises(PerfluenceError, match="integer minor units") as info:
        money_from_stripe_minor(value, "usd", field="data.object.amount_total")
    assert info.value.field == "data.object.amount_total"


def test_unknown_currency_is_refused() -> None:
    with pytest.raises(PerfluenceError) as info:
        money_from_stripe_minor(100, "xyz")
    assert info.value.code is ErrorCode.UNKNOWN_CURRENCY


CURRENCIES = st.sampled_from(["usd", "dkk", "sek", "nok", "eur", "jpy", "krw", "kwd", "bhd", "isk"])


@given(st.integers(-(10**14), 10**14), CURRENCIES)
def test_stripe_minor_units_round_trip(minor: int, currency: str) -> None:
    money = money_from_stripe_minor(minor, currency)
    assert money_to_stripe_minor(money) == minor


@given(st.integers(-(10**14), 10**14), st.integers(0, 6))
def test_decimal_text_round_trips(units: int, places: int) -> None:
    value = Decimal(units).scaleb(-places)
    text = f"{value:f}"
    assert parse_decimal_text(text) == value
    assert str(parse_decimal_text(text)) == str(value + 0)
