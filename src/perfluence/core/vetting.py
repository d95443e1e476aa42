"""Creator vetting figures (pure): engagement benchmarks, growth anomalies, audience fit, risk.

Every figure is exact (``Decimal``) and every formula is written out in
``docs/vetting.md``:

- engagement rate of an account = mean engagements per post / followers
  (by followers) and total engagements / total reach (by reach), through
  ``core.kpis``;
- benchmarks per tier × platform = median and interquartile range of the
  account rates in the workspace's own data (quartiles by linear
  interpolation between order statistics, ``statistics.quantiles``'
  "inclusive" method);
- a growth anomaly = a day-over-day follower gain whose robust z-score
  (median and MAD of the account's daily gains) exceeds ``k`` while no post
  around it earned unusual engagement;
- audience fit = 1 − total variation distance between the creator's
  audience shares and the campaign's target shares, per dimension, weighted;
- one risk score 0–100 from weighted components (``RISK_WEIGHTS``).
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from itertools import pairwise
from typing import Final

from perfluence.core.kpis import (
    DEFAULT_TIERS,
    NA,
    Ratio,
    Tier,
    TierThresholds,
    engagement_rate_by_followers,
    engagement_rate_by_reach,
    tier_for,
)

ZERO: Final = Decimal(0)
ONE: Final = Decimal(1)
# MAD × 1.4826 estimates the standard deviation of normally distributed gains.
MAD_SCALE: Final = Decimal("1.4826")
UNKNOWN_SHARE: Final = "(unknown)"


# --- engagement and benchmarks ---------------------------------------------------------


@dataclass(frozen=True, slots=True)
class AccountEngagement:
    """One social account's posts, summed: what its engagement rates are computed from."""

    platform: str
    followers: int
    posts: int
    engagements: int
    reach: int

    def rate_by_followers(self) -> Ratio:
        """Mean engagements per post / followers (NA without posts or followers)."""
        if self.posts == 0:
            return NA
        return engagement_rate_by_followers(Decimal(self.engagements) / self.posts, self.followers)

    def rate_by_reach(self) -> Ratio:
        """Engagements / reach over all posts (NA without reach)."""
        return engagement_rate_by_reach(self.engagements, self.reach)


@dataclass(frozen=True, slots=True)
class Spread:
    """Median and quartiles of a sample; ``n`` values."""

    n: int
    q1: Decimal
    median: Decimal
    q3: Decimal

    @property
    def iqr(self) -> Decimal:
        return self.q3 - self.q1


@dataclass(frozen=True, slots=True)
class Benchmark:
    tier: Tier
    platform: str
    by_followers: Spread | None
    by_reach: Spread | None


def quantile(values: Sequence[Decimal], p: Decimal) -> Decimal:
    """Linear interpolation between order statistics at position (n − 1) × p."""
    if not values:
        raise ValueError("quantile of no values")
    ordered = sorted(values)
    position = (len(ordered) - 1) * p
    low = int(position)
    fraction = position - low
    if low + 1 >= len(ordered):
        return ordered[-1]
    return ordered[low] + (ordered[low + 1] - ordered[low]) * fraction


def median(values: Sequence[Decimal]) -> Decimal:
    return quantile(values, Decimal("0.5"))


def spread(values: Sequence[Decimal]) -> Spread | None:
    if not values:
        return None
    return Spread(
        n=len(values),
        q1=quantile(values, Decimal("0.25")),
        median=median(values),
        q3=quantile(values, Decimal("0.75")),
    )


def benchmarks(
    accounts: Iterable[AccountEngagement], thresholds: TierThresholds = DEFAULT_TIERS
) -> dict[tuple[Tier, str], Benchmark]:
    """Per (tier, platform): the spread of account engagement rates; NA rates are left out."""
    by_followers: dict[tuple[Tier, str], list[Decimal]] = {}
    by_reach: dict[tuple[Tier, str], list[Decimal]] = {}
    for account in accounts:
        key = (tier_for(account.followers, thresholds), account.platform)
        by_followers.setdefault(key, [])
        by_reach.setdefault(key, [])
        rate = account.rate_by_followers()
        if isinstance(rate, Decimal):
            by_followers[key].append(rate)
        reach_rate = account.rate_by_reach()
        if isinstance(reach_rate, Decimal):
            by_reach[key].append(reach_rate)
    return {
        key: Benchmark(key[0], key[1], spread(by_followers[key]), spread(by_reach[key]))
        for key in sorted(by_followers)
    }


# --- growth anomalies ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FollowerPoint:
    day: date
    followers: int


@dataclass(frozen=True, slots=True)
class PostActivity:
    day: date
    engagements: int


@dataclass(frozen=True, slots=True)
class GrowthAnomaly:
    day: date
    gained: int  # followers gained since the previous snapshot
    gain_per_day: Decimal
    robust_z: Decimal
    best_post_engagements: int  # the best post within the window before the jump
    typical_post_engagements: Decimal


MIN_SNAPSHOTS: Final = 5


def growth_anomalies(
    snapshots: Iterable[FollowerPoint],
    posts: Iterable[PostActivity] = (),
    *,
    k: Decimal = Decimal(5),
    min_gain_share: Decimal = Decimal("0.02"),
    window_days: int = 3,
    viral_factor: Decimal = Decimal(3),
) -> list[GrowthAnomaly]:
    """Follower jumps that engagement does not explain (a fake-follower signal).

    A gain (per day, between consecutive snapshots) is a jump when its robust
    z-score ``(gain − median) / (1.4826 × MAD)`` exceeds ``k`` (the scale is
    at least one follower a day) and it adds at least ``min_gain_share`` of
    the followers before it. The jump is explained, and not reported, when a
    post published in the ``window_days`` before it (or on the day) earned
    more than ``viral_factor`` times the account's median post engagements.
    Fewer than ``MIN_SNAPSHOTS`` snapshots give no verdict (an empty list).
    """
    points = sorted(snapshots, key=lambda p: p.day)
    if len(points) < MIN_SNAPSHOTS:
        return []
    gains: list[tuple[FollowerPoint, FollowerPoint, Decimal]] = []
    for before, after in pairwise(points):
        days = (after.day - before.day).days
        if days > 0:
            gains.append((before, after, Decimal(after.followers - before.followers) / days))
    per_day = [g for _, _, g in gains]
    centre = median(per_day)
    scale = max(MAD_SCALE * median([abs(g - centre) for g in per_day]), ONE)
    activity = list(posts)
    typical = median([Decimal(p.engagements) for p in activity]) if activity else ZERO
    found = []
    for before, after, gain in gains:
        z = (gain - centre) / scale
        gained = after.followers - before.followers
        if z <= k or gained < min_gain_share * before.followers:
            continue
        since = before.day - timedelta(days=window_days)
        near = [p.engagements for p in activity if since <= p.day <= after.day]
        best = max(near, default=0)
        if best > 0 and best > viral_factor * typical:
            continue
        found.append(GrowthAnomaly(after.day, gained, gain, z, best, typical))
    return found


# --- audience fit --------------------------------------------------------------------

DEFAULT_FIT_WEIGHTS: Final[Mapping[str, Decimal]] = {
    "country": Decimal("0.5"),
    "age": Decimal("0.3"),
    "gender": Decimal("0.2"),
}


@dataclass(frozen=True, slots=True)
class AudienceFit:
    score: Ratio  # 0..1, NA when no dimension can be compared
    by_dimension: Mapping[str, Decimal]


def _completed(shares: Mapping[str, Decimal]) -> dict[str, Decimal]:
    """Shares with what they leave out (1 − their sum) as an explicit unknown group."""
    out = dict(shares)
    rest = ONE - sum(shares.values(), ZERO)
    if rest > 0:
        out[UNKNOWN_SHARE] = out.get(UNKNOWN_SHARE, ZERO) + rest
    return out


def dimension_fit(audience: Mapping[str, Decimal], target: Mapping[str, Decimal]) -> Decimal:
    """1 − total variation distance = 1 − ½ Σ |audience share − target share|."""
    a, t = _completed(audience), _completed(target)
    # Sorted: Decimal sums round, and the same order makes the fit symmetric exactly.
    keys = sorted(set(a) | set(t))
    distance = sum((abs(a.get(key, ZERO) - t.get(key, ZERO)) for key in keys), ZERO) / 2
    # Shares like 1/3 are rounded, so the sum can overshoot 1 by a unit in the 28th
    # digit; the distance itself never exceeds 1.
    return ONE - min(distance, ONE)


def audience_fit(
    audience: Mapping[str, Mapping[str, Decimal]],
    target: Mapping[str, Mapping[str, Decimal]],
    weights: Mapping[str, Decimal] = DEFAULT_FIT_WEIGHTS,
) -> AudienceFit:
    """Weighted mean of ``dimension_fit`` over the dimensions both sides describe.

    Weights of dimensions that cannot be compared are left out (the rest are
    renormalised); a dimension without a weight counts with weight 0.
    """
    fits: dict[str, Decimal] = {}
    for dimension, wanted in target.items():
        if wanted and audience.get(dimension):
            fits[dimension] = dimension_fit(audience[dimension], wanted)
    total = sum((weights.get(d, ZERO) for d in fits), ZERO)
    if total == 0:
        return AudienceFit(NA, fits)
    score = sum((weights.get(d, ZERO) * fit for d, fit in fits.items()), ZERO) / total
    return AudienceFit(score, fits)


# --- competitor conflicts ------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PastPartnership:
    campaign: str
    brand: str | None
    starts_on: date
    ends_on: date


@dataclass(frozen=True, slots=True)
class Conflict:
    brand: str
    campaign: str
    ends_on: date


def brand_key(name: str) -> str:
    """What brand comparisons use: case-folded, accents dropped, letters and digits only."""
    decomposed = unicodedata.normalize("NFKD", name.casefold())
    return "".join(ch for ch in decomposed if ch.isalnum())


def competitor_conflicts(
    competitors: Iterable[str], past: Iterable[PastPartnership]
) -> list[Conflict]:
    """The creator's partnerships with campaigns for a competing brand, latest first."""
    wanted = {brand_key(c) for c in competitors} - {""}
    hits = [
        Conflict(p.brand, p.campaign, p.ends_on)
        for p in past
        if p.brand is not None and brand_key(p.brand) in wanted
    ]
    return sorted(hits, key=lambda c: (c.ends_on, c.campaign), reverse=True)


# --- risk ----------------------------------------------------------------------------

# Points each component can add; they sum to 100. Conversion fraud weighs most because
# it is money already claimed; the audience signals are about value, not fraud.
RISK_WEIGHTS: Final[Mapping[str, Decimal]] = {
    "fake_followers": Decimal(20),
    "low_engagement": Decimal(10),
    "audience_mismatch": Decimal(10),
    "flagged_conversions": Decimal(30),
    "bot_clicks": Decimal(15),
    "fast_conversions": Decimal(15),
}
HOLD_THRESHOLD: Final = Decimal(40)
# Small samples: shares are taken over at least this many events, so one odd conversion
# or a handful of preview fetches cannot hold a payout on their own.
MIN_CONVERSIONS: Final = 5
MIN_CLICKS: Final = 20
# A share at or above the saturation point counts fully.
FLAGGED_SATURATION: Final = Decimal("0.5")
BOT_SATURATION: Final = Decimal("0.5")
# Median click-to-conversion time: at or below FAST_FULL seconds counts fully, at or
# above FAST_NONE not at all, linear in between.
FAST_FULL: Final = Decimal(10)
FAST_NONE: Final = Decimal(60)
FRAUD_FLAGS: Final = frozenset({"fast_conversion", "self_referral", "duplicate"})


@dataclass(frozen=True, slots=True)
class RiskInputs:
    anomalies: int = 0
    engagement_rate: Ratio = NA
    benchmark_q1: Ratio = NA
    audience_fit: Ratio = NA
    conversions: int = 0
    flagged_conversions: int = 0
    clicks: int = 0
    bot_clicks: int = 0
    median_seconds_to_convert: Decimal | None = None


@dataclass(frozen=True, slots=True)
class RiskComponent:
    name: str
    value: Decimal  # 0..1
    points: Decimal  # value × weight


@dataclass(frozen=True, slots=True)
class RiskScore:
    score: Decimal  # 0..100, one decimal
    components: tuple[RiskComponent, ...]
    threshold: Decimal

    @property
    def hold(self) -> bool:
        return self.score >= self.threshold


def _clip(value: Decimal) -> Decimal:
    return min(ONE, max(ZERO, value))


def risk_components(inputs: RiskInputs) -> dict[str, Decimal]:
    """Each component's value from 0 (no sign) to 1 (full sign); see ``docs/vetting.md``."""
    low = ZERO
    rate, q1 = inputs.engagement_rate, inputs.benchmark_q1
    if isinstance(rate, Decimal) and isinstance(q1, Decimal) and q1 > 0:
        low = _clip((q1 - rate) / q1)
    fit = inputs.audience_fit
    mismatch = ONE - fit if isinstance(fit, Decimal) else ZERO
    flagged = Decimal(inputs.flagged_conversions) / max(inputs.conversions, MIN_CONVERSIONS)
    bots = Decimal(inputs.bot_clicks) / max(inputs.clicks, MIN_CLICKS)
    fast = ZERO
    if inputs.median_seconds_to_convert is not None:
        fast = _clip((FAST_NONE - inputs.median_seconds_to_convert) / (FAST_NONE - FAST_FULL))
    return {
        "fake_followers": _clip(Decimal(inputs.anomalies) / 2),
        "low_engagement": low,
        "audience_mismatch": _clip(mismatch),
        "flagged_conversions": _clip(flagged / FLAGGED_SATURATION),
        "bot_clicks": _clip(bots / BOT_SATURATION),
        "fast_conversions": fast,
    }


def risk_score(inputs: RiskInputs, threshold: Decimal = HOLD_THRESHOLD) -> RiskScore:
    """Σ weight × component, rounded half up to one decimal; ``hold`` at ``threshold``."""
    values = risk_components(inputs)
    parts = tuple(
        RiskComponent(name, values[name], RISK_WEIGHTS[name] * values[name])
        for name in RISK_WEIGHTS
    )
    total = sum((p.points for p in parts), ZERO)
    return RiskScore(total.quantize(Decimal("0.1"), rounding=ROUND_HALF_UP), parts, threshold)
