"""Lift over a pre-campaign baseline with weekly seasonality (pure; ``docs/insights.md``).

The counterfactual of a campaign day is the mean of the baseline days that
fall on the same weekday: the least-squares fit of a regression on seven
day-of-week dummies, solved exactly. Lift is actual − counterfactual summed
over the campaign days. With residual variance s² = Σ e² / (N − 7) of the
baseline fit, the variance of the summed lift is

    Var = s² · (H + Σ_d h_d² / n_d)

(H campaign days, h_d of them on weekday d, n_d baseline days on weekday d):
the campaign days' own noise plus the uncertainty of the weekday means. The
interval uses Student's t with N − 7 degrees of freedom. Days missing from a
series are left out, never read as zero.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, localcontext
from enum import StrEnum
from typing import Final

from perfluence.core.stats import CONTEXT, Interval

MIN_BASELINE_DAYS: Final = 14
MIN_PER_WEEKDAY: Final = 2
_WEEKDAYS: Final = 7
_TWO_PLACES: Final = Decimal("0.01")

# Student's t, 97.5 % quantile (two-sided 95 %), by degrees of freedom; between
# tabulated values the next lower one is used, which widens the interval a little.
T975: Final[dict[int, Decimal]] = {
    1: Decimal("12.706204736174698"), 2: Decimal("4.302652729749464"),
    3: Decimal("3.182446305284263"), 4: Decimal("2.776445105197793"),
    5: Decimal("2.570581835636314"), 6: Decimal("2.446911851144970"),
    7: Decimal("2.364624251592784"), 8: Decimal("2.306004135204166"),
    9: Decimal("2.262157162798205"), 10: Decimal("2.228138851964939"),
    11: Decimal("2.200985160082949"), 12: Decimal("2.178812829663418"),
    13: Decimal("2.160368656461013"), 14: Decimal("2.144786687916927"),
    15: Decimal("2.131449545559323"), 16: Decimal("2.119905299221011"),
    17: Decimal("2.109815577833181"), 18: Decimal("2.100922040240960"),
    19: Decimal("2.093024054408263"), 20: Decimal("2.085963447265836"),
    21: Decimal("2.079613844727663"), 22: Decimal("2.073873067904015"),
    23: Decimal("2.068657610419041"), 24: Decimal("2.063898561628021"),
    25: Decimal("2.059538552753294"), 26: Decimal("2.055529438642871"),
    27: Decimal("2.051830516480283"), 28: Decimal("2.048407141795244"),
    29: Decimal("2.045229642132703"), 30: Decimal("2.042272456301237"),
    40: Decimal("2.021075390306272"), 60: Decimal("2.000297822014258"),
    120: Decimal("1.979930405052777"),
}  # fmt: skip
Z975: Final = Decimal("1.959963984540054")


def t_quantile(degrees_of_freedom: int) -> Decimal:
    if degrees_of_freedom > 120:
        return Z975
    return T975[max(df for df in T975 if df <= degrees_of_freedom)]


class LiftOutcome(StrEnum):
    EFFECT = "effect"
    CI_INCLUDES_ZERO = "ci_includes_zero"
    TOO_NOISY = "too_noisy"
    BASELINE_TOO_SHORT = "baseline_too_short"
    NO_CAMPAIGN_DAYS = "no_campaign_days"


@dataclass(frozen=True, slots=True)
class LiftDay:
    day: date
    actual: Decimal
    counterfactual: Decimal


@dataclass(frozen=True, slots=True)
class LiftResult:
    series: str
    baseline_days: int
    campaign_days: int
    actual: Decimal  # summed over the campaign days
    counterfactual: Decimal | None
    lift: Decimal | None
    interval: Interval | None  # 95 %
    relative_lift: Decimal | None  # lift / counterfactual
    outcome: LiftOutcome
    verdict: str
    days: tuple[LiftDay, ...]

    @property
    def shows_effect(self) -> bool:
        return self.outcome is LiftOutcome.EFFECT


def _shown(value: Decimal) -> str:
    return f"{value.quantize(_TWO_PLACES):f}"


def _cannot(
    series: str,
    baseline: int,
    actual: Mapping[date, Decimal],
    outcome: LiftOutcome,
    why: str,
) -> LiftResult:
    total = sum(actual.values(), Decimal(0))
    return LiftResult(
        series,
        baseline,
        len(actual),
        total,
        None,
        None,
        None,
        None,
        outcome,
        f"the data cannot show an effect: {why}",
        (),
    )


def estimate_lift(
    series: str, baseline: Mapping[date, Decimal], actual: Mapping[date, Decimal]
) -> LiftResult:
    """Lift of ``actual`` (campaign days) over the weekday pattern of ``baseline`` (before)."""
    counts = [0] * _WEEKDAYS
    sums = [Decimal(0)] * _WEEKDAYS
    for day, value in baseline.items():
        counts[day.weekday()] += 1
        sums[day.weekday()] += value
    n = len(baseline)
    if not actual:
        return _cannot(series, n, actual, LiftOutcome.NO_CAMPAIGN_DAYS, "no campaign days yet")
    if n < MIN_BASELINE_DAYS or min(counts) < MIN_PER_WEEKDAY:
        return _cannot(
            series,
            n,
            actual,
            LiftOutcome.BASELINE_TOO_SHORT,
            f"baseline too short ({n} days; at least {MIN_BASELINE_DAYS}, "
            f"with every weekday at least {MIN_PER_WEEKDAY} times)",
        )
    with localcontext(CONTEXT):
        means = [s / c for s, c in zip(sums, counts, strict=True)]
        df = n - _WEEKDAYS
        residual = sum(((v - means[d.weekday()]) ** 2 for d, v in baseline.items()), Decimal(0))
        variance = residual / df
        days = tuple(LiftDay(d, actual[d], means[d.weekday()]) for d in sorted(actual))
        per_weekday = [0] * _WEEKDAYS
        for d in days:
            per_weekday[d.day.weekday()] += 1
        total = sum((d.actual for d in days), Decimal(0))
        expected = sum((d.counterfactual for d in days), Decimal(0))
        lift = total - expected
        spread = len(days) + sum(
            (Decimal(h * h) / c for h, c in zip(per_weekday, counts, strict=True)), Decimal(0)
        )
        half = t_quantile(df) * (variance * spread).sqrt()
        interval = Interval(lift - half, lift + half)
        relative = lift / expected if expected else None
    ci = f"95 % CI {_shown(interval.lower)}..{_shown(interval.upper or lift)}"
    if interval.excludes_zero():
        share = f", {_shown(relative * 100)} %" if relative is not None else ""
        outcome, verdict = LiftOutcome.EFFECT, f"lift {_shown(lift)}{share} ({ci})"
    elif half >= abs(expected):
        outcome = LiftOutcome.TOO_NOISY
        verdict = (
            f"the data cannot show an effect: too noisy, lift {_shown(lift)} ({ci}) is "
            f"less precise than the {_shown(expected)} expected without the campaign"
        )
    else:
        outcome = LiftOutcome.CI_INCLUDES_ZERO
        verdict = f"the data cannot show an effect: CI includes 0 (lift {_shown(lift)}, {ci})"
    return LiftResult(
        series, n, len(days), total, expected, lift, interval, relative, outcome, verdict, days
    )
