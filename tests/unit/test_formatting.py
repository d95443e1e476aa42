"""Numbers, percentages and n/a per locale, asserted on Babel's real output."""

from __future__ import annotations

from decimal import Decimal

import pytest

from perfluence.core.formatting import (
    format_money_or_na,
    format_number,
    format_percent,
    format_ratio_percent,
    not_available_text,
)
from perfluence.core.kpis import NA, cpa, ctr, roi_percent
from perfluence.core.money import Money
from perfluence.errors import PerfluenceError

NBSP = "\xa0"


@pytest.mark.parametrize(
    ("locale", "text"), [("en", "n/a"), ("da", "i.t."), ("sv", "e.t."), ("nb", "i.t.")]
)
def test_not_available_per_locale(locale: str, text: str) -> None:
    assert not_available_text(locale) == text
    assert format_ratio_percent(NA, locale) == text
    assert format_percent(NA, locale) == text
    assert format_number(NA, locale) == text
    assert format_money_or_na(NA, locale) == text


def test_not_available_falls_back_to_english_and_knows_norwegian_aliases() -> None:
    assert not_available_text("de") == "n/a"
    assert not_available_text("en_GB") == "n/a"
    assert not_available_text("nn") == "i.t."
    assert not_available_text("da_DK") == "i.t."


@pytest.mark.parametrize(
    ("locale", "expected"),
    [("en", "3.5%"), ("da", f"3,5{NBSP}%"), ("sv", f"3,5{NBSP}%"), ("nb", f"3,5{NBSP}%")],
)
def test_ratio_as_percent(locale: str, expected: str) -> None:
    assert format_ratio_percent(Decimal("0.035"), locale) == expected


@pytest.mark.parametrize(
    ("value", "digits", "expected"),
    [
        (Decimal("0.0345"), 1, "3.5%"),  # half up, where Babel alone rounds half even to 3.4
        (Decimal("0.0344999"), 1, "3.4%"),
        (Decimal("0.07"), 0, "7%"),
        (Decimal("0.00125"), 2, "0.13%"),
        (Decimal("1"), 1, "100.0%"),
        (0, 1, "0.0%"),
        (Decimal("12.3456"), 1, "1,234.6%"),
    ],
)
def test_ratio_percent_digits_and_rounding(value: Decimal, digits: int, expected: str) -> None:
    assert format_ratio_percent(value, "en", digits) == expected


def test_kpi_values_straight_into_formatting() -> None:
    assert format_ratio_percent(ctr(1_500, 1_200_000), "da", 2) == f"0,13{NBSP}%"
    assert format_percent(roi_percent(Money(54_000, "EUR"), Money(7_500, "EUR")), "en") == (
        "620.0%"
    )
    assert format_percent(Decimal(350), "sv", 0) == f"350{NBSP}%"
    assert format_money_or_na(cpa(Money(7_500, "DKK"), 300), "da") == f"25,00{NBSP}kr."
    assert format_money_or_na(cpa(Money(7_500, "DKK"), 0), "da") == "i.t."


@pytest.mark.parametrize(
    ("locale", "expected", "fixed"),
    [
        ("en", "1,234,567.5", "1,234,567.50"),
        ("da", "1.234.567,5", "1.234.567,50"),
        ("sv", f"1{NBSP}234{NBSP}567,5", f"1{NBSP}234{NBSP}567,50"),
        ("nb", f"1{NBSP}234{NBSP}567,5", f"1{NBSP}234{NBSP}567,50"),
    ],
)
def test_format_number(locale: str, expected: str, fixed: str) -> None:
    assert format_number(Decimal("1234567.5"), locale) == expected
    assert format_number(Decimal("1234567.5"), locale, digits=2) == fixed


def test_format_number_rounds_half_up_and_takes_ints() -> None:
    assert format_number(Decimal("4.45"), "en", digits=1) == "4.5"
    assert format_number(Decimal("2.5"), "en", digits=0) == "3"
    assert format_number(1_200_000, "en") == "1,200,000"


@pytest.mark.parametrize("bad", [0.035, True, "0.035", None])
def test_refuses_floats_and_other_non_decimals(bad: object) -> None:
    with pytest.raises(TypeError):
        format_ratio_percent(bad, "en")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        format_number(bad, "en")  # type: ignore[arg-type]


def test_unknown_locale_and_negative_digits() -> None:
    with pytest.raises(PerfluenceError):
        format_number(Decimal(1), "xx_YY")
    with pytest.raises(ValueError, match="digits"):
        format_ratio_percent(Decimal(1), "en", -1)
