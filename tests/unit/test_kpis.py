"""KPIs: the worked examples, NA on every zero denominator, tiers, refusals."""

from __future__ import annotations

import csv
import inspect
import typing
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perfluence.core import kpis
from perfluence.core.kpis import (
    NA,
    Tier,
    TierThresholds,
    aov,
    conversion_rate,
    cpa,
    cpc,
    cpe,
    cpm,
    ctr,
    emv,
    engagement_rate_by_followers,
    engagement_rate_by_reach,
    engagements,
    is_available,
    return_rate,
    revenue_for_roas,
    roas,
    roi_percent,
    tier_for,
)
from perfluence.core.money import Money
from perfluence.errors import ErrorCode, PerfluenceError
from tests.conftest import DATA

EUR = "EUR"


def eur(amount: str | int) -> Money:
    return Money(amount, EUR)


# --- the worked examples ------------------------------------------------------------


def test_roi_invest_10000_revenue_40000_is_300_percent() -> None:
    assert roi_percent(eur(40_000), eur(10_000)) == 300


def test_roi_450_orders_of_120_on_7500_is_620_percent() -> None:
    revenue = eur(120) * 450
    assert revenue == eur(54_000)
    assert roi_percent(revenue, eur(7_500)) == 620
    assert aov(revenue, 450) == eur(120)


def test_roas_4_5_on_5000() -> None:
    revenue = revenue_for_roas(eur(5_000), Decimal("4.5"))
    assert revenue == eur(22_500)
    assert roas(revenue, eur(5_000)) == Decimal("4.5")
    assert roi_percent(revenue, eur(5_000)) == 350


def test_emv_of_1_2_million_impressions_at_cpm_8() -> None:
    assert emv(1_200_000, eur(8)) == eur(9_600)
    assert cpm(eur(9_600), 1_200_000) == eur(8)


def test_engagement_rate_by_followers_and_by_reach() -> None:
    total = engagements(likes=1_200, comments=150, shares=30, saves=20)
    assert total == 1_400
    assert engagement_rate_by_followers(total, 40_000) == Decimal("0.035")
    assert engagement_rate_by_reach(total, 20_000) == Decimal("0.07")


def test_cost_per_and_traffic_examples() -> None:
    assert cpe(Money(2_800, "DKK"), 1_400) == Money(2, "DKK")
    assert cpc(Money(3_000, "SEK"), 1_500) == Money(2, "SEK")
    assert cpa(eur(7_500), 300) == eur(25)
    assert ctr(1_500, 1_200_000) == Decimal("0.00125")
    assert conversion_rate(450, 1_500) == Decimal("0.3")
    assert return_rate(27, 450) == Decimal("0.06")
    # Money KPIs are exact; rounding is the caller's named boundary.
    assert cpa(eur(100), 3).quantize() == eur("33.33")  # type: ignore[union-attr]


def test_fractional_conversions_from_multi_touch_credit() -> None:
    assert cpa(eur(100), Decimal("2.5")) == eur(40)
    assert conversion_rate(Decimal("1.5"), 3) == Decimal("0.5")


# --- the same, fed from tests/data/kpi_examples.csv -------------------------------------


def _cell(text: str, *, result: bool = False) -> object:
    """``NA``, ``"120.00 EUR"`` -> Money, a count -> int (a result number is Decimal)."""
    text = text.strip()
    if text == "NA":
        return NA
    if " " in text:
        amount, currency = text.split(" ")
        return Money(amount, currency)
    if result or not text.isdigit():
        return Decimal(text)
    return int(text)


def _examples() -> list[Any]:
    with (DATA / "kpi_examples.csv").open(newline="", encoding="utf-8") as f:
        rows = list(csv.DictReader(f))
    assert len(rows) >= 15
    return [
        pytest.param(
            r["kpi"],
            _cell(r["first"]),
            _cell(r["second"]),
            _cell(r["expected"], result=True),
            id=f"{r['kpi']}: {r['example']}",
        )
        for r in rows
    ]


@pytest.mark.parametrize(("kpi", "first", "second", "expected"), _examples())
def test_kpi_examples_from_csv(kpi: str, first: object, second: object, expected: object) -> None:
    function: Callable[[object, object], object] = getattr(kpis, kpi)
    result = function(first, second)
    assert type(result) is type(expected)
    assert result == expected


# --- not available ----------------------------------------------------------------------

ZERO_DENOMINATOR: dict[str, tuple[object, object]] = {
    "engagement_rate_by_followers": (10, 0),
    "engagement_rate_by_reach": (10, 0),
    "cpm": (eur(100), 0),
    "cpe": (eur(100), 0),
    "cpc": (eur(100), 0),
    "cpa": (eur(100), 0),
    "ctr": (10, 0),
    "conversion_rate": (10, 0),
    "aov": (eur(100), 0),
    "return_rate": (10, 0),
    "roas": (eur(100), eur(0)),
    "roi_percent": (eur(100), eur(0)),
    "roi_margin_percent": (eur(100), eur(0)),
}


def _returns_na(function: Callable[..., object]) -> bool:
    returned = typing.get_type_hints(function)["return"]
    return kpis.NotAvailable in typing.get_args(returned)


def test_zero_denominator_table_covers_every_ratio_kpi() -> None:
    ratio_kpis = {
        name
        for name, f in inspect.getmembers(kpis, inspect.isfunction)
        if f.__module__ == kpis.__name__ and not name.startswith("_") and _returns_na(f)
    }
    assert ratio_kpis == set(ZERO_DENOMINATOR)


@pytest.mark.parametrize("kpi", sorted(ZERO_DENOMINATOR))
def test_zero_denominator_is_not_available(kpi: str) -> None:
    numerator, zero = ZERO_DENOMINATOR[kpi]
    assert getattr(kpis, kpi)(numerator, zero) is NA
    # Zero over zero too: "not available", never 0 and never an exception.
    zero_numerator = Money(0, EUR) if isinstance(numerator, Money) else 0
    assert getattr(kpis, kpi)(zero_numerator, zero) is NA


def test_na_is_a_falsy_singleton_that_prints_n_a() -> None:
    assert kpis.NotAvailable() is NA
    assert not NA
    assert str(NA) == "n/a"
    assert repr(NA) == "NA"
    assert not is_available(NA)
    assert is_available(Decimal(0))
    assert is_available(eur(0))


@given(
    num=st.integers(min_value=0, max_value=10**12), den=st.integers(min_value=1, max_value=10**12)
)
def test_ratios_are_exact_decimals(num: int, den: int) -> None:
    result = ctr(num, den)
    assert isinstance(result, Decimal)
    assert result == Decimal(num) / Decimal(den)


# --- refusals -------------------------------------------------------------------------------


def test_mixed_currencies_refused_even_with_zero_cost() -> None:
    for f in (roas, roi_percent):
        with pytest.raises(PerfluenceError) as info:
            f(eur(100), Money(0, "DKK"))
        assert info.value.code is ErrorCode.CURRENCY_MISMATCH


# Typed Any: what the type checker rejects, tried at run time.
ONE_POINT_FIVE: Any = 1.5
BARE_NUMBER: Any = Decimal(100)


@pytest.mark.parametrize(
    "call",
    [
        lambda: ctr(ONE_POINT_FIVE, 10),
        lambda: cpa(eur(1), ONE_POINT_FIVE),
        lambda: emv(ONE_POINT_FIVE, eur(8)),
        lambda: revenue_for_roas(eur(1), ONE_POINT_FIVE),
        lambda: engagements(ONE_POINT_FIVE, 0, 0, 0),
        lambda: roas(eur(1), ONE_POINT_FIVE),
        lambda: ctr(True, 10),
        lambda: cpa(BARE_NUMBER, 4),  # cost must be Money, not a bare number
        lambda: roi_percent(BARE_NUMBER, eur(4)),
    ],
)
def test_floats_and_bare_numbers_refused(call: Callable[[], object]) -> None:
    with pytest.raises(TypeError):
        call()


def test_negative_counts_refused() -> None:
    with pytest.raises(PerfluenceError) as info:
        ctr(-1, 10)
    assert info.value.code is ErrorCode.INVALID
    assert info.value.field == "clicks"
    with pytest.raises(PerfluenceError):
        engagements(1, -1, 0, 0)


# --- tiers ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("followers", "tier"),
    [
        (0, Tier.NANO),
        (999, Tier.NANO),
        (1_000, Tier.MICRO),
        (99_999, Tier.MICRO),
        (100_000, Tier.MACRO),
        (999_999, Tier.MACRO),
        (1_000_000, Tier.MEGA),
        (40_000_000, Tier.MEGA),
    ],
)
def test_tier_boundaries(followers: int, tier: Tier) -> None:
    assert tier_for(followers) is tier


def test_tier_thresholds_configurable_and_checked() -> None:
    small = TierThresholds(micro_from=500, macro_from=50_000, mega_from=500_000)
    assert tier_for(600, small) is Tier.MICRO
    assert tier_for(600) is Tier.NANO
    with pytest.raises(PerfluenceError):
        TierThresholds(micro_from=100_000, macro_from=1_000, mega_from=1_000_000)
    with pytest.raises(PerfluenceError):
        tier_for(-1)
