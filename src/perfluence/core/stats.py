"""Statistics for per-creator KPIs (pure, ``Decimal`` only; see ``docs/insights.md``).

- ``wilson_interval``: the Wilson score interval of a rate ``k / n``.
- ``beta_prior`` and ``shrunk_rate``: empirical-Bayes beta-binomial
  shrinkage, the prior fitted by the method of moments to the campaign's
  creators, so that 1 sale from 1 click does not outrank 40 from 1,000.
- ``chi_square_independence``: Pearson's test of independence on a table of
  counts, the p-value from the regularised upper incomplete gamma function.

Everything runs in ``CONTEXT`` (40 significant digits, half even), and results
are rounded to ``PLACES`` only where they are shown. Normal quantiles are
constants (``Z``); nothing here samples, so nothing needs a seed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext
from typing import Final

from perfluence.errors import ErrorCode, PerfluenceError

CONTEXT: Final = Context(prec=40, rounding=ROUND_HALF_EVEN)
ZERO: Final = Decimal(0)
ONE: Final = Decimal(1)

# Two-sided standard normal quantiles z(1 − (1 − c)/2), 16 significant digits.
Z: Final[dict[str, Decimal]] = {
    "0.80": Decimal("1.281551565544601"),
    "0.90": Decimal("1.644853626951473"),
    "0.95": Decimal("1.959963984540054"),
    "0.99": Decimal("2.575829303548901"),
}
Z95: Final = Z["0.95"]
PI: Final = Decimal("3.141592653589793238462643383279502884197")

# A creator with fewer unique clicks than this is "not enough data".
MIN_UNIQUE_CLICKS: Final = 100


def _whole(value: int, name: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise PerfluenceError(ErrorCode.INVALID, f"{name} must be a whole number >= 0", field=name)
    return value


@dataclass(frozen=True, slots=True)
class Interval:
    """A confidence interval; ``upper`` is ``None`` when it is unbounded."""

    lower: Decimal
    upper: Decimal | None

    def contains(self, value: Decimal) -> bool:
        return self.lower <= value and (self.upper is None or value <= self.upper)

    def excludes_zero(self) -> bool:
        return self.lower > 0 or (self.upper is not None and self.upper < 0)


def wilson_interval(successes: int, trials: int, z: Decimal = Z95) -> Interval | None:
    """Wilson score interval of ``successes / trials`` (``None`` without trials).

    centre = (p + z²/2n) / (1 + z²/n),
    half   = z / (1 + z²/n) · √(p(1 − p)/n + z²/4n²).
    It stays inside [0, 1] and is not degenerate at p = 0 or p = 1.
    """
    k, n = _whole(successes, "successes"), _whole(trials, "trials")
    if k > n:
        raise PerfluenceError(
            ErrorCode.INVALID, f"{k} successes out of {n} trials", field="successes"
        )
    if n == 0:
        return None
    return _wilson(Decimal(k), Decimal(n), z)


def _wilson(k: Decimal, n: Decimal, z: Decimal) -> Interval:
    with localcontext(CONTEXT):
        p = k / n
        z2 = z * z
        denominator = 1 + z2 / n
        centre = (p + z2 / (2 * n)) / denominator
        half = z / denominator * (p * (1 - p) / n + z2 / (4 * n * n)).sqrt()
        # At p = 0 and p = 1 one end is exactly 0 or 1; rounding must not nudge it off.
        lower = ZERO if k == 0 else max(ZERO, centre - half)
        upper = ONE if k == n else min(ONE, centre + half)
        return Interval(lower, upper)


# --- empirical-Bayes shrinkage ---------------------------------------------------


@dataclass(frozen=True, slots=True)
class BetaPrior:
    """Beta(alpha, beta): mean ``alpha / (alpha + beta)``, worth ``alpha + beta`` trials."""

    alpha: Decimal
    beta: Decimal

    @property
    def mean(self) -> Decimal:
        with localcontext(CONTEXT):
            return self.alpha / (self.alpha + self.beta)

    @property
    def strength(self) -> Decimal:
        return self.alpha + self.beta


def beta_prior(counts: Sequence[tuple[int, int]]) -> BetaPrior | None:
    """A beta prior fitted by the method of moments to ``(successes, trials)`` pairs.

    Only pairs with trials count. The mean is the pooled rate m = Σk / Σn.
    The spread between creators comes from the trial-weighted squares
    S = Σ nᵢ(pᵢ − m)², whose expectation is (c − 1)·m(1 − m) from binomial
    noise alone (c creators) plus V·(N − Σnᵢ²/N) from real differences (N =
    Σn); so V = (S − (c − 1)m(1 − m)) / (N − Σnᵢ²/N), and then
    alpha + beta = m(1 − m)/V − 1. Weighting by trials keeps a creator with
    one click from dominating the spread. When V ≤ 0 (the rates differ no
    more than chance would make them), or fewer than two creators have
    trials, the prior is as strong as all the trials together (N): every
    creator is pulled at least half-way to the pooled rate. ``None`` without
    any trials or when the pooled rate is 0 or 1 (a beta prior cannot have
    that mean, and there is nothing to tell creators apart by).
    """
    used = [(_whole(k, "successes"), _whole(n, "trials")) for k, n in counts if n > 0]
    total_k, total_n = sum(k for k, _ in used), sum(n for _, n in used)
    if total_n == 0 or total_k in (0, total_n):
        return None
    with localcontext(CONTEXT):
        m = Decimal(total_k) / total_n
        strength = Decimal(total_n)
        if len(used) >= 2:
            squares = sum((n * (Decimal(k) / n - m) ** 2 for k, n in used), ZERO)
            effective = total_n - Decimal(sum(n * n for _, n in used)) / total_n
            between = (squares - (len(used) - 1) * m * (1 - m)) / effective
            if between > 0:
                fitted = m * (1 - m) / between - 1
                if fitted > 0:
                    strength = min(fitted, strength)
        return BetaPrior(m * strength, (1 - m) * strength)


def shrunk_rate(successes: int, trials: int, prior: BetaPrior | None) -> Decimal | None:
    """The posterior mean (k + alpha) / (n + alpha + beta); the raw rate without a prior.

    It is a weighted average of the raw rate (weight n) and the prior mean
    (weight alpha + beta), so it always lies between the two.
    """
    k, n = _whole(successes, "successes"), _whole(trials, "trials")
    with localcontext(CONTEXT):
        if prior is None:
            return None if n == 0 else Decimal(k) / n
        return (k + prior.alpha) / (n + prior.strength)


def shrunk_lower_bound(
    successes: int, trials: int, prior: BetaPrior | None, z: Decimal = Z95
) -> Decimal | None:
    """The low end of the Wilson interval on pseudo-counts (k + alpha, n + alpha + beta).

    What creators are ranked by: the shrunk rate, discounted by how little
    evidence (own trials plus the prior's) stands behind it, so 1 sale from
    1 click ranks below 40 from 1,000 even when its shrunk rate is higher.
    """
    k, n = _whole(successes, "successes"), _whole(trials, "trials")
    if prior is None:
        found = wilson_interval(k, n, z)
        return None if found is None else found.lower
    return _wilson(k + prior.alpha, n + prior.strength, z).lower


# --- chi-square test of independence --------------------------------------------


@dataclass(frozen=True, slots=True)
class ChiSquare:
    statistic: Decimal
    degrees_of_freedom: int
    p_value: Decimal
    # Cells whose expected count is below 5: the chi-square approximation is rough there.
    small_expected_cells: int


def chi_square_independence(table: Sequence[Sequence[int]]) -> ChiSquare | None:
    """Pearson's χ² = Σ (O − E)² / E with E = row total × column total / grand total.

    Rows and columns whose total is 0 are left out first; ``None`` when fewer
    than two rows or two columns remain (nothing to compare).
    """
    rows = [[_whole(c, "count") for c in row] for row in table]
    if not rows or len({len(r) for r in rows}) != 1:
        raise PerfluenceError(ErrorCode.INVALID, "the table needs rows of equal length")
    rows = [r for r in rows if sum(r)]
    if not rows:
        return None
    keep = [j for j in range(len(rows[0])) if sum(r[j] for r in rows)]
    rows = [[r[j] for j in keep] for r in rows]
    if len(rows) < 2 or len(keep) < 2:
        return None
    grand = sum(sum(r) for r in rows)
    row_totals = [sum(r) for r in rows]
    column_totals = [sum(r[j] for r in rows) for j in range(len(keep))]
    statistic, small = ZERO, 0
    with localcontext(CONTEXT):
        for i, row in enumerate(rows):
            for j, observed in enumerate(row):
                expected = Decimal(row_totals[i] * column_totals[j]) / grand
                small += expected < 5
                statistic += (observed - expected) ** 2 / expected
    df = (len(rows) - 1) * (len(keep) - 1)
    return ChiSquare(statistic, df, chi_square_p_value(statistic, df), small)


def chi_square_p_value(statistic: Decimal, degrees_of_freedom: int) -> Decimal:
    """P(χ²_df ≥ statistic) = Q(df/2, statistic/2), the regularised upper incomplete gamma."""
    df = _whole(degrees_of_freedom, "degrees_of_freedom")
    if df == 0:
        raise PerfluenceError(ErrorCode.INVALID, "degrees of freedom must be at least 1")
    if statistic <= 0:
        return ONE
    with localcontext(CONTEXT):
        q = _upper_gamma_q(Decimal(df) / 2, statistic / 2)
    # Far in the tail the value underflows to a zero with a huge exponent: say 0.
    return q if q > 0 else ZERO


def _gamma_half_integer(a: Decimal) -> Decimal:
    """Γ(a) for a = n or n + ½ exactly: (n − 1)! or (2n)! √π / (4ⁿ n!)."""
    twice = int(a * 2)
    if twice % 2 == 0:
        value = 1
        for i in range(2, twice // 2):
            value *= i
        return Decimal(value)
    n = twice // 2
    numerator, n_factorial = 1, 1
    for i in range(2, 2 * n + 1):
        numerator *= i
    for i in range(2, n + 1):
        n_factorial *= i
    return Decimal(numerator) * PI.sqrt() / (Decimal(4) ** n * n_factorial)


def _upper_gamma_q(a: Decimal, x: Decimal) -> Decimal:
    """Q(a, x) by the series for P below a + 1, by Lentz's continued fraction above.

    Both converge to far below 10⁻²⁰ within the iteration limit for the
    statistics a campaign produces (df up to a few dozen); see the docs.
    """
    prefactor = (a * x.ln() - x).exp() / _gamma_half_integer(a)
    tiny, epsilon = Decimal("1e-60"), Decimal("1e-30")
    if x < a + 1:
        term = total = ONE / a
        denominator = a
        for _ in range(10_000):
            denominator += 1
            term *= x / denominator
            total += term
            if abs(term) < abs(total) * epsilon:
                break
        return max(ZERO, 1 - total * prefactor)
    b = x + 1 - a
    c = ONE / tiny
    d = ONE / b
    h = d
    for i in range(1, 10_000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = tiny if abs(d) < tiny else d
        c = b + an / c
        c = tiny if abs(c) < tiny else c
        d = ONE / d
        step = d * c
        h *= step
        if abs(step - 1) < epsilon:
            break
    return min(ONE, h * prefactor)
