"""Keep / scale / renegotiate / drop against the interval, and reallocations that sum exactly."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from perfluence.core.insights_model import Action
from perfluence.core.kpis import Tier
from perfluence.core.money import Money, sum_money
from perfluence.core.recommend import Targets, reallocate, recommend
from perfluence.core.uncertainty import CreatorEvidence, compare_tiers, estimate_creators


def dkk(amount: int | str) -> Money:
    return Money(amount, "DKK")


def evidence(
    creator_id: int, handle: str, clicks: int, conversions: int, revenue: int, cost: int
) -> CreatorEvidence:
    return CreatorEvidence(
        creator_id, handle, Tier.MICRO, clicks, conversions, dkk(revenue), dkk(cost)
    )


CREATORS = [
    # ROAS 10; even the low end (≈ 7.8) beats 4.
    evidence(1, "good", 1000, 60, 30_000, 3_000),
    # ROAS 1; even the high end (≈ 1.8) misses 4.
    evidence(2, "bad", 1000, 10, 5_000, 5_000),
    # ROAS 3.75, interval ≈ 2.6..5.3: below target but could reach it.
    evidence(3, "middle", 1000, 30, 15_000, 4_000),
    # ROAS 4.25, interval ≈ 3.0..5.9: meets the target, not yet clear of it.
    evidence(4, "fine", 1000, 34, 17_000, 4_000),
    # 1 sale from 1 click, ROAS 5: not enough data.
    evidence(5, "lucky", 1, 1, 500, 100),
    evidence(6, "quiet", 50, 0, 0, 2_000),
]
ROAS4 = Targets(roas=Decimal(4), cpa=None)


def decided() -> dict[str, Action]:
    ranked, _, _ = estimate_creators(CREATORS)
    return {r.handle: r.action for r in recommend(ranked, ROAS4)}


def test_actions_follow_the_interval_not_the_point() -> None:
    assert decided() == {
        "good": Action.SCALE,
        "bad": Action.DROP,
        "middle": Action.RENEGOTIATE,
        "fine": Action.KEEP,
        "lucky": Action.KEEP,
        "quiet": Action.KEEP,
    }


def test_thin_creators_are_kept_and_watched_with_the_reason() -> None:
    ranked, _, _ = estimate_creators(CREATORS)
    reasons = {r.handle: r.reason for r in recommend(ranked, ROAS4)}
    assert reasons["lucky"] == ("keep and watch: not enough data: 1 unique clicks, fewer than 100")
    assert reasons["bad"].startswith("ROAS 1.00: even its high end")
    assert reasons["good"].startswith("ROAS 10.00: even its low end")


def test_ranking_puts_one_of_one_below_forty_of_a_thousand() -> None:
    ranked, mean, _ = estimate_creators(CREATORS)
    order = [e.handle for e in ranked]
    assert order.index("good") < order.index("lucky")
    assert ranked[-1].not_enough_data
    assert mean is not None


def test_reallocation_moves_below_target_budget_to_the_creator_above() -> None:
    ranked, _, _ = estimate_creators(CREATORS)
    decisions = recommend(ranked, ROAS4)
    costs = {c.creator_id: c.cost for c in CREATORS}
    moves, movable, note = reallocate(ranked, decisions, costs, ROAS4, "DKK")
    by_handle = {m.handle: m.amount for m in moves}
    # bad: all of 5,000 (dropped); middle and fine: half of 4,000 each; thin ones untouched.
    assert by_handle == {
        "bad": dkk("-5000.00"),
        "middle": dkk("-2000.00"),
        "fine": dkk("-2000.00"),
        "good": dkk("9000.00"),
    }
    assert movable == dkk("9000.00")
    assert sum_money((m.amount for m in moves), "DKK").is_zero()
    assert "moves 9000.00 DKK" in note


def test_cpa_target_when_there_is_no_roas_target() -> None:
    ranked, _, _ = estimate_creators(CREATORS[:2])
    # good: CPA 50 (≈ 39..64); bad: CPA 500 (≈ 273..917).
    actions = {r.handle: r.action for r in recommend(ranked, Targets(None, dkk(150)))}
    assert actions == {"good": Action.SCALE, "bad": Action.DROP}


def test_no_target_no_advice_and_no_moves() -> None:
    ranked, _, _ = estimate_creators(CREATORS)
    decisions = recommend(ranked, Targets(None, None))
    assert {r.action for r in decisions} == {Action.KEEP}
    moves, movable, note = reallocate(ranked, decisions, {}, Targets(None, None), "DKK")
    assert moves == []
    assert movable.is_zero()
    assert "no ROAS or CPA target" in note


def test_tier_comparison_verdicts() -> None:
    mixed = [
        CreatorEvidence(1, "a", Tier.NANO, 400, 40, dkk(0), dkk(0)),
        CreatorEvidence(2, "b", Tier.MACRO, 400, 12, dkk(0), dkk(0)),
    ]
    result = compare_tiers("spring", mixed)
    assert result.significant
    assert result.degrees_of_freedom == 1
    assert result.verdict.startswith("conversion rates differ between tiers")
    alike = [
        CreatorEvidence(1, "a", Tier.NANO, 400, 20, dkk(0), dkk(0)),
        CreatorEvidence(2, "b", Tier.MACRO, 400, 22, dkk(0), dkk(0)),
    ]
    assert "the data cannot show that tier matters" in compare_tiers("s", alike).verdict
    assert compare_tiers("s", alike[:1]).p_value is None


creator_strategy = st.builds(
    lambda clicks, conv, value, cost: (clicks, min(conv, clicks), value, cost),
    st.integers(0, 3_000),
    st.integers(0, 200),
    st.integers(0, 2_000),
    st.integers(1, 20_000),
)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(creator_strategy, min_size=1, max_size=8),
    st.sampled_from(["0.25", "0.5", "1"]),
)
def test_reallocation_always_sums_exactly_and_spares_thin_creators(
    rows: list[tuple[int, int, int, int]], shift: str
) -> None:
    found = [
        evidence(i, f"c{i}", clicks, conv, conv * value, cost)
        for i, (clicks, conv, value, cost) in enumerate(rows, start=1)
    ]
    ranked, _, _ = estimate_creators(found)
    for e in ranked:
        if e.roas_interval is not None and isinstance(e.roas, Decimal):
            assert e.roas_interval.contains(e.roas)
    decisions = recommend(ranked, ROAS4)
    for r in decisions:
        if r.not_enough_data:
            assert r.action is Action.KEEP
    costs = {c.creator_id: c.cost for c in found}
    moves, movable, _ = reallocate(ranked, decisions, costs, ROAS4, "DKK", Decimal(shift))
    assert sum_money((m.amount for m in moves), "DKK").is_zero()
    given_out = sum_money((m.amount for m in moves if m.amount.amount > 0), "DKK")
    assert given_out == movable
    thin = {e.creator_id for e in ranked if e.not_enough_data}
    assert not thin & {m.creator_id for m in moves}
