"""Wilson intervals, beta-binomial shrinkage and the chi-square test, against hand-worked values.

The worked numbers are the ones in ``docs/insights.md``.
"""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perfluence.core.stats import (
    Z95,
    beta_prior,
    chi_square_independence,
    chi_square_p_value,
    shrunk_lower_bound,
    shrunk_rate,
    wilson_interval,
)
from perfluence.errors import PerfluenceError

TIGHT = Decimal("1e-15")


def close(actual: Decimal | None, expected: str, tolerance: Decimal = TIGHT) -> bool:
    assert actual is not None
    return abs(actual - Decimal(expected)) <= tolerance


# --- Wilson ---------------------------------------------------------------------------


def test_wilson_40_of_1000_matches_the_roots_of_the_quadratic() -> None:
    # (n + z²)p² − (2k + z²)p + k²/n = 0 with k = 40, n = 1000, z = 1.959963984540054.
    interval = wilson_interval(40, 1000)
    assert interval is not None
    assert close(interval.lower, "0.0295109736854527594")
    assert interval.upper is not None
    assert close(interval.upper, "0.0540096441212579539")
    assert interval.contains(Decimal("0.04"))


def test_wilson_1_of_1_is_wide_and_ends_at_one() -> None:
    # centre (1 + z²/2) / (1 + z²), half z/(1 + z²) · z/2: the low end is 1/(1 + z²).
    interval = wilson_interval(1, 1)
    assert interval is not None
    assert close(interval.lower, str(1 / (1 + Z95 * Z95)))
    assert close(interval.lower, "0.2065493143772374", Decimal("1e-15"))
    assert interval.upper == 1


def test_wilson_zero_successes_starts_at_zero_and_no_trials_has_none() -> None:
    interval = wilson_interval(0, 500)
    assert interval is not None
    assert interval.lower == 0
    assert close(interval.upper, "0.00762434046155224", Decimal("1e-15"))
    assert wilson_interval(0, 0) is None


def test_wilson_refuses_more_successes_than_trials() -> None:
    with pytest.raises(PerfluenceError):
        wilson_interval(3, 2)


@given(st.integers(0, 5_000), st.integers(1, 5_000))
def test_wilson_contains_the_rate_and_stays_in_zero_one(k: int, n: int) -> None:
    k = min(k, n)
    interval = wilson_interval(k, n)
    assert interval is not None
    assert interval.contains(Decimal(k) / n)
    assert interval.lower >= 0
    assert interval.upper is not None
    assert interval.upper <= 1


# --- shrinkage ------------------------------------------------------------------------

CAMPAIGN = [(40, 1000), (1, 1), (25, 1000), (30, 1000), (35, 1000)]


def test_prior_is_the_pooled_rate_with_a_moment_fitted_strength() -> None:
    prior = beta_prior(CAMPAIGN)
    assert prior is not None
    assert close(prior.mean, str(Decimal(131) / Decimal(4001)), Decimal("1e-25"))
    # S = Σ n(p − m)², V = (S − 4·m(1 − m)) / (N − Σn²/N), strength = m(1 − m)/V − 1.
    m = Decimal(131) / Decimal(4001)
    squares = sum(n * (Decimal(k) / n - m) ** 2 for k, n in CAMPAIGN)
    effective = 4001 - Decimal(4_000_001) / 4001
    v = (squares - 4 * m * (1 - m)) / effective
    assert abs(prior.strength - (m * (1 - m) / v - 1)) < Decimal("1e-20")
    assert close(prior.strength, "100.7498683608", Decimal("1e-9"))


def test_shrinkage_ranks_40_of_1000_above_1_of_1() -> None:
    prior = beta_prior(CAMPAIGN)
    strong, lucky = shrunk_lower_bound(40, 1000, prior), shrunk_lower_bound(1, 1, prior)
    assert strong is not None
    assert lucky is not None
    assert strong > lucky
    # The raw rate says otherwise: 100 % against 4 %.
    assert shrunk_rate(1, 1, None) == 1


def test_homogeneous_creators_get_a_prior_as_strong_as_all_their_clicks() -> None:
    # 40/1000 and 41/1000 differ less than chance would make them: V <= 0.
    prior = beta_prior([(40, 1000), (41, 1000)])
    assert prior is not None
    assert prior.strength == 2000


def test_no_prior_without_clicks_or_with_a_pooled_rate_of_zero() -> None:
    assert beta_prior([]) is None
    assert beta_prior([(0, 0)]) is None
    assert beta_prior([(0, 10), (0, 30)]) is None
    assert shrunk_rate(0, 0, None) is None


@given(
    st.lists(st.tuples(st.integers(0, 300), st.integers(1, 300)), min_size=1, max_size=8),
    st.integers(0),
)
def test_shrunk_rate_lies_between_the_raw_rate_and_the_prior_mean(
    counts: list[tuple[int, int]], pick: int
) -> None:
    counts = [(min(k, n), n) for k, n in counts]
    prior = beta_prior(counts)
    k, n = counts[pick % len(counts)]
    shrunk = shrunk_rate(k, n, prior)
    assert shrunk is not None
    raw = Decimal(k) / n
    if prior is None:
        assert shrunk == raw
        return
    low, high = sorted((raw, prior.mean))
    # 40 significant digits: the ends may be off by rounding in the last one.
    slack = Decimal("1e-35")
    assert shrunk >= low or low - shrunk < slack
    assert shrunk <= high or shrunk - high < slack


# --- chi-square -----------------------------------------------------------------------


def test_chi_square_of_a_two_by_two_table_by_hand() -> None:
    # Expected counts 20, 80 / 20, 80: (10−20)²/20 + (90−80)²/80 + (30−20)²/20 + (70−80)²/80.
    test = chi_square_independence([[10, 90], [30, 70]])
    assert test is not None
    assert test.statistic == Decimal("12.5")
    assert test.degrees_of_freedom == 1
    # df 1: p = erfc(√(x/2)) = erfc(2.5) = 0.000406952017444959.
    assert close(test.p_value, "0.000406952017444959", Decimal("1e-15"))
    assert test.small_expected_cells == 0


@pytest.mark.parametrize(
    ("statistic", "df", "p"),
    [
        # Table values: the 95 % and 99 % critical values of chi-square.
        ("3.841458820694124", 1, "0.05"),
        ("5.991464547107979", 2, "0.05"),
        ("7.814727903251178", 3, "0.05"),
        ("9.487729036781154", 4, "0.05"),
        ("18.30703805327515", 10, "0.05"),
        ("6.634896601021214", 1, "0.01"),
        ("13.27670413598762", 4, "0.01"),
        # Closed forms: df 2 is e^(−x/2); df 1 at x = 1 is erfc(1/√2).
        ("1", 1, "0.3173105078629141"),
        ("4", 2, "0.1353352832366127"),
    ],
)
def test_p_value_matches_table_values_within_1e_12(statistic: str, df: int, p: str) -> None:
    assert close(chi_square_p_value(Decimal(statistic), df), p, Decimal("1e-12"))


def test_p_value_edges() -> None:
    assert chi_square_p_value(Decimal(0), 3) == 1
    assert chi_square_p_value(Decimal(400), 2) < Decimal("1e-80")
    with pytest.raises(PerfluenceError):
        chi_square_p_value(Decimal(1), 0)


def test_nothing_to_compare_and_small_cells_are_reported() -> None:
    assert chi_square_independence([[3, 7]]) is None
    assert chi_square_independence([[0, 10], [0, 20]]) is None
    test = chi_square_independence([[1, 3], [2, 2]])
    assert test is not None
    assert test.small_expected_cells == 4
