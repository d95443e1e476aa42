"""RateTable: dated ECB rates, weekend and holiday fallback, cross rates via EUR."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perfluence.core.ecb import parse_eurofxref
from perfluence.core.fx import MAX_LOOKBACK_DAYS, Converted, RateTable
from perfluence.core.money import Money
from perfluence.errors import ErrorCode, PerfluenceError
from tests.conftest import DATA

FRIDAY = date(2026, 1, 2)
SATURDAY = date(2026, 1, 3)
NEW_YEAR = date(2026, 1, 1)  # a Thursday, TARGET holiday
NEW_YEARS_EVE = date(2025, 12, 31)
CHRISTMAS_EVE = date(2025, 12, 24)  # last publication before Christmas
FIRST = date(2025, 12, 15)
LAST = date(2026, 1, 9)


def _table() -> RateTable:
    by_currency: dict[str, dict[date, Decimal]] = defaultdict(dict)
    for r in parse_eurofxref((DATA / "eurofxref-hist.csv").read_text(encoding="utf-8")).rates:
        by_currency[r.currency][r.rate_date] = r.rate
    return RateTable(by_currency)


TABLE = _table()


def test_rate_on_a_business_day() -> None:
    assert TABLE.rate("DKK", FRIDAY) == (Decimal("7.4676"), FRIDAY)
    assert TABLE.rate("eur", FRIDAY) == (Decimal(1), FRIDAY)


@pytest.mark.parametrize(
    ("on", "used"),
    [
        (SATURDAY, FRIDAY),
        (date(2026, 1, 4), FRIDAY),  # Sunday
        (NEW_YEAR, NEW_YEARS_EVE),
        (date(2025, 12, 25), CHRISTMAS_EVE),
        (date(2025, 12, 26), CHRISTMAS_EVE),
        (date(2025, 12, 28), CHRISTMAS_EVE),  # Sunday after two holidays
        (date(2025, 12, 29), date(2025, 12, 29)),
    ],
)
def test_weekends_and_holidays_use_the_previous_business_day(on: date, used: date) -> None:
    _, day = TABLE.rate("SEK", on)
    assert day == used
    converted = TABLE.convert(Money(1000, "DKK"), "SEK", on)
    assert converted.rate_date == used
    assert converted.describe() == f"ECB reference rate of {used.isoformat()}"


def test_cross_rate_goes_through_eur() -> None:
    converted = TABLE.convert(Money(1000, "DKK"), "SEK", SATURDAY)
    # 1000 / 7.4676 × 10.9322 = 1463.95...
    assert converted == Converted(
        Money("1463.95", "SEK"), Decimal("10.9322") / Decimal("7.4676"), FRIDAY
    )
    assert converted.money.amount == (
        Decimal(1000) * Decimal("10.9322") / Decimal("7.4676")
    ).quantize(Decimal("0.01"))


def test_to_and_from_eur() -> None:
    assert TABLE.convert(Money(100, "EUR"), "DKK", FRIDAY).money == Money("746.76", "DKK")
    back = TABLE.convert(Money("746.76", "DKK"), "EUR", FRIDAY)
    assert back.money == Money("100.00", "EUR")
    assert back.rate_date == FRIDAY
    assert TABLE.convert(Money(1000, "EUR"), "JPY", SATURDAY).money == Money(183710, "JPY")


def test_same_currency_is_no_conversion() -> None:
    result = TABLE.convert(Money("12.345", "SEK"), "sek", SATURDAY)
    assert result == Converted(Money("12.345", "SEK"), Decimal(1), None)
    assert result.describe() == "no conversion"


def test_before_the_first_rate_is_a_clear_error() -> None:
    with pytest.raises(PerfluenceError) as info:
        TABLE.convert(Money(1000, "DKK"), "SEK", FIRST - timedelta(days=1))
    assert info.value.code is ErrorCode.FX_RATE_MISSING
    assert "2025-12-14" in info.value.message
    assert "earliest rate loaded is from 2025-12-15" in info.value.message
    assert "perfluence fx import" in info.value.message


def test_long_after_the_last_rate_is_an_error_not_a_stale_rate() -> None:
    assert TABLE.rate("USD", LAST + timedelta(days=MAX_LOOKBACK_DAYS))[1] == LAST
    with pytest.raises(PerfluenceError) as info:
        TABLE.rate("USD", LAST + timedelta(days=MAX_LOOKBACK_DAYS + 1))
    assert info.value.code is ErrorCode.FX_RATE_MISSING
    assert "2026-01-09" in info.value.message


def test_currency_without_rates() -> None:
    with pytest.raises(PerfluenceError) as info:
        TABLE.convert(Money(1, "EUR"), "CHF", FRIDAY)
    assert info.value.code is ErrorCode.FX_RATE_MISSING
    assert "CHF" in info.value.message
    with pytest.raises(PerfluenceError) as unknown:
        TABLE.convert(Money(1, "EUR"), "XYZ", FRIDAY)
    assert unknown.value.code is ErrorCode.UNKNOWN_CURRENCY


def test_both_legs_come_from_one_publication() -> None:
    # NOK has no rate on the Friday (an N/A cell): both legs use Thursday's rates.
    table = RateTable(
        {
            "SEK": {date(2026, 1, 8): Decimal("10.9"), date(2026, 1, 9): Decimal("11.0")},
            "NOK": {date(2026, 1, 8): Decimal("11.8")},
        }
    )
    result = table.convert(Money(100, "SEK"), "NOK", date(2026, 1, 10))
    assert result.rate_date == date(2026, 1, 8)
    assert result.money == Money("108.26", "NOK")  # 100 / 10.9 × 11.8


def test_rates_must_be_positive_decimals() -> None:
    for bad in (Decimal(0), Decimal(-1), Decimal("NaN"), 7.46, 7):
        with pytest.raises(PerfluenceError):
            RateTable({"DKK": {FRIDAY: bad}})  # type: ignore[dict-item]


def test_currencies() -> None:
    assert TABLE.currencies == {"EUR", "USD", "JPY", "DKK", "GBP", "SEK", "NOK"}


@given(
    minor=st.integers(min_value=-(10**12), max_value=10**12),
    on=st.dates(min_value=FIRST, max_value=LAST),
    pair=st.lists(
        st.sampled_from(["EUR", "USD", "JPY", "DKK", "GBP", "SEK", "NOK"]),
        min_size=2,
        max_size=2,
        unique=True,
    ),
)
def test_conversion_is_rounded_to_the_target_and_dated(
    minor: int, on: date, pair: list[str]
) -> None:
    source, target = pair
    result = TABLE.convert(Money.from_minor(minor, source), target, on)
    assert result.money.currency == target
    assert result.money == result.money.quantize()
    assert result.rate_date is not None
    assert result.rate_date <= on
    assert result.rate_date.weekday() < 5
    assert on - result.rate_date <= timedelta(days=4)
    # Converting back lands within the two roundings of the start.
    start = Money.from_minor(minor, source)
    back = TABLE.convert(result.money, source, on)
    source_unit = Decimal(1).scaleb(-start.exponent)
    target_unit = Decimal(1).scaleb(-result.money.exponent)
    bound = source_unit / 2 + target_unit / 2 / result.rate
    assert abs(back.money - start).amount <= bound
