"""Lift over a weekday baseline: a hand-worked case, a known step, and honest refusals."""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal

from perfluence.core.lift import T975, LiftOutcome, estimate_lift, t_quantile

MONDAY = date(2026, 1, 5)
PATTERN = [Decimal(v) for v in (100, 110, 120, 130, 150, 220, 180)]  # Monday .. Sunday


def series(start: date, values: list[Decimal]) -> dict[date, Decimal]:
    return {start + timedelta(days=i): v for i, v in enumerate(values)}


def test_hand_worked_two_week_baseline() -> None:
    # Weekday means 11 13 15 17 19 31 25; every residual is ±1, so s² = 14 / (14 − 7) = 2.
    baseline = series(
        MONDAY,
        [Decimal(v) for v in (10, 12, 14, 16, 18, 30, 24, 12, 14, 16, 18, 20, 32, 26)],
    )
    actual = series(MONDAY + timedelta(days=14), [Decimal(v) for v in (16, 18, 20, 22, 24, 36, 30)])
    result = estimate_lift("sales", baseline, actual)
    assert result.counterfactual == 131
    assert result.lift == 35
    # Var = s² · (H + Σ h²/n) = 2 · (7 + 7 · 1/2) = 21; t(7) = 2.3646.
    half = T975[7] * Decimal(21).sqrt()
    assert result.interval is not None
    assert abs(result.interval.lower - (35 - half)) < Decimal("1e-25")
    assert result.interval.upper is not None
    assert abs(result.interval.upper - (35 + half)) < Decimal("1e-25")
    assert result.outcome is LiftOutcome.EFFECT
    assert result.verdict == "lift 35.00, 26.72 % (95 % CI 24.16..45.84)"
    assert [d.counterfactual for d in result.days] == [11, 13, 15, 17, 19, 31, 25]


def _noisy(days: int, start: date, rng: random.Random, step: int = 0) -> dict[date, Decimal]:
    out = {}
    for i in range(days):
        day = start + timedelta(days=i)
        out[day] = PATTERN[day.weekday()] + step + rng.randint(-8, 8)
    return out


def test_known_step_on_a_weekly_pattern_is_found_and_covered() -> None:
    rng = random.Random(11)
    baseline = _noisy(56, MONDAY, rng)
    actual = _noisy(28, MONDAY + timedelta(days=56), rng, step=25)
    result = estimate_lift("sales", baseline, actual)
    assert result.outcome is LiftOutcome.EFFECT
    assert result.interval is not None
    assert result.interval.contains(Decimal(25 * 28))
    assert result.verdict.startswith("lift ")


def test_the_interval_covers_the_true_step_in_most_seeds() -> None:
    covered = 0
    for seed in range(40):
        rng = random.Random(seed)
        baseline = _noisy(42, MONDAY, rng)
        actual = _noisy(21, MONDAY + timedelta(days=42), rng, step=10)
        interval = estimate_lift("s", baseline, actual).interval
        assert interval is not None
        covered += interval.contains(Decimal(10 * 21))
    # A 95 % interval: about 38 of 40; fewer than 33 would mean it is far too narrow.
    assert covered >= 33


def test_no_change_means_the_data_cannot_show_an_effect() -> None:
    rng = random.Random(3)
    baseline = _noisy(56, MONDAY, rng)
    actual = _noisy(28, MONDAY + timedelta(days=56), rng)
    result = estimate_lift("sales", baseline, actual)
    assert result.outcome is LiftOutcome.CI_INCLUDES_ZERO
    assert result.interval is not None
    assert result.interval.contains(Decimal(0))
    assert result.verdict.startswith("the data cannot show an effect: CI includes 0")


def test_flat_series_without_a_step_cannot_show_an_effect() -> None:
    baseline = series(MONDAY, [Decimal(7)] * 28)
    actual = series(MONDAY + timedelta(days=28), [Decimal(7)] * 14)
    result = estimate_lift("signups", baseline, actual)
    assert result.lift == 0
    assert not result.shows_effect
    assert "cannot show an effect" in result.verdict


def test_too_noisy_when_the_interval_is_wider_than_the_expected_total() -> None:
    values = [Decimal(v) for v in (0, 40, 0, 40, 0, 40, 0, 40, 0, 40, 0, 40, 0, 40)]
    baseline = series(MONDAY, values + values[::-1])
    actual = series(MONDAY + timedelta(days=28), [Decimal(25)] * 7)
    result = estimate_lift("sales", baseline, actual)
    assert result.outcome is LiftOutcome.TOO_NOISY
    assert "too noisy" in result.verdict


def test_short_baseline_and_missing_campaign_days() -> None:
    short = series(MONDAY, [Decimal(5)] * 13)
    later = series(MONDAY + timedelta(days=20), [Decimal(9)] * 5)
    result = estimate_lift("sales", short, later)
    assert result.outcome is LiftOutcome.BASELINE_TOO_SHORT
    assert result.verdict.startswith("the data cannot show an effect: baseline too short (13 days")
    # 19 days but Mondays seen once: still too short.
    three_weeks = series(MONDAY, [Decimal(5)] * 21)
    gappy = {d: v for d, v in three_weeks.items() if d.weekday() != 0 or d == MONDAY}
    assert len(gappy) == 19
    assert estimate_lift("s", gappy, later).outcome is LiftOutcome.BASELINE_TOO_SHORT
    none = estimate_lift("sales", series(MONDAY, [Decimal(5)] * 21), {})
    assert none.outcome is LiftOutcome.NO_CAMPAIGN_DAYS


def test_t_quantiles_fall_back_to_the_next_lower_table_entry() -> None:
    assert t_quantile(7) == T975[7]
    assert t_quantile(35) == T975[30]
    assert t_quantile(500) == Decimal("1.959963984540054")
