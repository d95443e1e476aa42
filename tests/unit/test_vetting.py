"""Vetting figures equal hand computations; anomalies, audience fit and the risk score."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from perfluence.core.kpis import NA, Tier
from perfluence.core.vetting import (
    HOLD_THRESHOLD,
    AccountEngagement,
    FollowerPoint,
    PastPartnership,
    PostActivity,
    RiskInputs,
    audience_fit,
    benchmarks,
    competitor_conflicts,
    dimension_fit,
    growth_anomalies,
    quantile,
    risk_components,
    risk_score,
)

D = Decimal


def test_engagement_rates_by_followers_and_by_reach() -> None:
    # 3 posts, 1,500 engagements in all, 10,000 followers, 30,000 reach:
    # by followers (1500 / 3) / 10000 = 0.05; by reach 1500 / 30000 = 0.05.
    account = AccountEngagement("instagram", 10_000, 3, 1_500, 30_000)
    assert account.rate_by_followers() == D("0.05")
    assert account.rate_by_reach() == D("0.05")
    assert AccountEngagement("instagram", 10_000, 0, 0, 0).rate_by_followers() is NA
    assert AccountEngagement("instagram", 0, 2, 10, 0).rate_by_followers() is NA
    assert AccountEngagement("instagram", 500, 2, 10, 0).rate_by_reach() is NA


def test_quantiles_interpolate_between_order_statistics() -> None:
    values = [D(1), D(2), D(3), D(4)]
    # (n - 1) × p: q1 at 0.75 -> 1 + 0.75 × 1 = 1.75; median at 1.5 -> 2.5; q3 at 2.25 -> 3.25.
    assert quantile(values, D("0.25")) == D("1.75")
    assert quantile(values, D("0.5")) == D("2.5")
    assert quantile(values, D("0.75")) == D("3.25")
    assert quantile([D(7)], D("0.25")) == D(7)


def test_benchmarks_per_tier_and_platform_equal_hand_computation() -> None:
    accounts = [
        # micro instagram: rates by followers 0.02, 0.04, 0.06, 0.10
        AccountEngagement("instagram", 10_000, 2, 400, 8_000),  # 200/10000 = 0.02; reach 0.05
        AccountEngagement("instagram", 20_000, 1, 800, 10_000),  # 0.04; reach 0.08
        AccountEngagement("instagram", 5_000, 4, 1_200, 6_000),  # 300/5000 = 0.06; reach 0.2
        AccountEngagement("instagram", 50_000, 1, 5_000, 50_000),  # 0.10; reach 0.1
        # nano tiktok: one account
        AccountEngagement("tiktok", 800, 2, 64, 0),  # 32/800 = 0.04; reach NA
        # micro tiktok without posts: in the group, no rate
        AccountEngagement("tiktok", 3_000, 0, 0, 0),
    ]
    found = benchmarks(accounts)
    micro_ig = found[(Tier.MICRO, "instagram")]
    assert micro_ig.by_followers is not None
    # sorted 0.02 0.04 0.06 0.10: q1 = 0.02 + 0.75 × 0.02 = 0.035; median 0.05;
    # q3 = 0.06 + 0.25 × 0.04 = 0.07; IQR 0.035.
    assert micro_ig.by_followers.n == 4
    assert micro_ig.by_followers.q1 == D("0.035")
    assert micro_ig.by_followers.median == D("0.05")
    assert micro_ig.by_followers.q3 == D("0.07")
    assert micro_ig.by_followers.iqr == D("0.035")
    assert micro_ig.by_reach is not None
    # by reach sorted 0.05 0.08 0.1 0.2: median (0.08 + 0.1) / 2 = 0.09
    assert micro_ig.by_reach.median == D("0.09")
    nano_tt = found[(Tier.NANO, "tiktok")]
    assert nano_tt.by_followers is not None
    assert nano_tt.by_followers.median == D("0.04")
    assert nano_tt.by_reach is None
    assert found[(Tier.MICRO, "tiktok")].by_followers is None


def _series(gains: list[int], start: int = 10_000) -> list[FollowerPoint]:
    day = date(2026, 1, 1)
    points = [FollowerPoint(day, start)]
    for n, gain in enumerate(gains, start=1):
        points.append(FollowerPoint(day + timedelta(days=n), points[-1].followers + gain))
    return points


def test_a_jump_without_engagement_is_an_anomaly() -> None:
    points = _series([20, 25, 18, 22, 5_000, 21, 19])
    found = growth_anomalies(points, [PostActivity(date(2026, 1, 2), 300)])
    assert [a.day for a in found] == [date(2026, 1, 6)]
    jump = found[0]
    assert jump.gained == 5_000
    # gains 20 25 18 22 5000 21 19: median 21; |d - 21| = 1 4 3 1 4979 0 2 -> MAD 2;
    # z = (5000 - 21) / (1.4826 × 2)
    assert jump.robust_z == (D(5_000) - 21) / (D("1.4826") * 2)


def test_a_jump_after_a_viral_post_is_explained() -> None:
    points = _series([20, 25, 18, 22, 5_000, 21, 19])
    posts = [
        PostActivity(date(2026, 1, 2), 300),
        PostActivity(date(2026, 1, 3), 280),
        PostActivity(date(2026, 1, 5), 9_000),
    ]
    assert growth_anomalies(points, posts) == []


def test_steady_growth_and_short_series_give_no_anomaly() -> None:
    assert growth_anomalies(_series([100] * 10)) == []
    assert growth_anomalies(_series([20, 5_000, 20])) == []
    # A small absolute jump (below 2 % of followers) is no anomaly however odd it is.
    assert growth_anomalies(_series([0, 0, 0, 0, 150, 0], start=10_000)) == []


def test_audience_fit_is_one_minus_total_variation_distance() -> None:
    # country: creator DK .7 SE .2 (unknown .1) vs target DK .8 SE .2:
    # ½ (|.7-.8| + 0 + |.1-0|) = 0.1 -> fit 0.9
    assert dimension_fit({"DK": D("0.7"), "SE": D("0.2")}, {"DK": D("0.8"), "SE": D("0.2")}) == D(
        "0.9"
    )
    audience = {
        "country": {"DK": D("0.7"), "SE": D("0.2")},
        "gender": {"female": D("0.6"), "male": D("0.4")},
        "age": {"18-24": D("0.5"), "25-34": D("0.5")},
    }
    target = {
        "country": {"DK": D("0.8"), "SE": D("0.2")},
        "gender": {"female": D("1")},  # fit 1 - ½(0.4 + 0.4) = 0.6
        "interests": {"coffee": D("1")},  # not described by the creator: left out
    }
    fit = audience_fit(audience, target)
    # weights country 0.5, gender 0.2 -> (0.5 × 0.9 + 0.2 × 0.6) / 0.7 = 0.57 / 0.7
    assert fit.score == (D("0.5") * D("0.9") + D("0.2") * D("0.6")) / D("0.7")
    assert fit.by_dimension == {"country": D("0.9"), "gender": D("0.6")}
    assert audience_fit({}, target).score is NA


@given(
    st.dictionaries(st.sampled_from("ABCDE"), st.integers(0, 20), max_size=5),
    st.dictionaries(st.sampled_from("ABCDE"), st.integers(0, 20), max_size=5),
)
# Shares of 35 round so that their distance from nothing overshoots 1 by 1E-27.
@example({}, {"A": 2, "B": 3, "C": 20, "D": 9, "E": 1})
def test_fit_is_symmetric_and_between_zero_and_one(a: dict[str, int], b: dict[str, int]) -> None:
    def shares(counts: dict[str, int]) -> dict[str, Decimal]:
        total = max(sum(counts.values()), 1)
        return {k: D(v) / total for k, v in counts.items()}

    fit = dimension_fit(shares(a), shares(b))
    assert D(0) <= fit <= D(1)
    assert fit == dimension_fit(shares(b), shares(a))
    assert dimension_fit(shares(a), shares(a)) == D(1)


def test_competitor_conflicts_match_brands_loosely() -> None:
    past = [
        PastPartnership("summer", "Café Noir", date(2025, 6, 1), date(2025, 8, 31)),
        PastPartnership("winter", "Brew & Co", date(2025, 11, 1), date(2026, 1, 31)),
        PastPartnership("spring", None, date(2026, 3, 1), date(2026, 5, 31)),
    ]
    found = competitor_conflicts(["@cafenoir", "#brewco", "Other"], past)
    assert [(c.campaign, c.brand) for c in found] == [
        ("winter", "Brew & Co"),
        ("summer", "Café Noir"),
    ]
    assert competitor_conflicts([], past) == []


def test_risk_of_a_clean_creator_is_zero() -> None:
    score = risk_score(RiskInputs(conversions=40, clicks=1_000, median_seconds_to_convert=D(3600)))
    assert score.score == D(0)
    assert not score.hold


def test_risk_components_equal_hand_computation() -> None:
    inputs = RiskInputs(
        anomalies=1,  # 0.5 × 20 = 10
        engagement_rate=D("0.01"),
        benchmark_q1=D("0.02"),  # (0.02 - 0.01) / 0.02 = 0.5 × 10 = 5
        audience_fit=D("0.7"),  # 0.3 × 10 = 3
        conversions=10,
        flagged_conversions=2,  # 0.2 / 0.5 = 0.4 × 30 = 12
        clicks=100,
        bot_clicks=10,  # 0.1 / 0.5 = 0.2 × 15 = 3
        median_seconds_to_convert=D(35),  # (60 - 35) / 50 = 0.5 × 15 = 7.5
    )
    values = risk_components(inputs)
    assert values == {
        "fake_followers": D("0.5"),
        "low_engagement": D("0.5"),
        "audience_mismatch": D("0.3"),
        "flagged_conversions": D("0.4"),
        "bot_clicks": D("0.2"),
        "fast_conversions": D("0.5"),
    }
    score = risk_score(inputs)
    assert score.score == D("40.5")
    assert score.hold
    assert score.threshold == HOLD_THRESHOLD


def test_one_odd_conversion_cannot_hold_a_payout() -> None:
    score = risk_score(RiskInputs(conversions=1, flagged_conversions=1))
    # 1 / max(1, 5) = 0.2 -> 0.4 × 30 = 12
    assert score.score == D(12)
    assert not score.hold


def test_conversion_fraud_alone_holds_payouts() -> None:
    score = risk_score(
        RiskInputs(conversions=10, flagged_conversions=6, median_seconds_to_convert=D(4))
    )
    assert score.score == D(45)
    assert score.hold


@given(
    st.integers(0, 5),
    st.integers(0, 50),
    st.integers(0, 50),
    st.integers(0, 500),
    st.integers(0, 500),
    st.one_of(st.none(), st.integers(0, 10_000)),
)
def test_risk_stays_between_0_and_100(
    anomalies: int, conversions: int, flagged: int, clicks: int, bots: int, seconds: int | None
) -> None:
    inputs = RiskInputs(
        anomalies=anomalies,
        conversions=conversions,
        flagged_conversions=min(flagged, conversions),
        clicks=clicks,
        bot_clicks=min(bots, clicks),
        median_seconds_to_convert=None if seconds is None else D(seconds),
    )
    assert D(0) <= risk_score(inputs).score <= D(100)


@pytest.mark.parametrize("rate", [D("0.02"), D("0.05")])
def test_engagement_at_or_above_the_lower_quartile_adds_nothing(rate: Decimal) -> None:
    assert risk_components(RiskInputs(engagement_rate=rate, benchmark_q1=D("0.02")))[
        "low_engagement"
    ] == D(0)
