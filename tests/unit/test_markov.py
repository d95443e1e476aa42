"""Markov removal effects: hand-checked examples, a published example, and an
independent float implementation on the shipped 21-row path dataset.

The independent implementation below shares no code with ``core.markov``: it
counts transitions itself and finds absorption probabilities by iterating the
chain's state distribution in floats (power iteration) with the removed
channel redirected to (null), the definition of the removal effect, rather
than the exact fundamental-matrix shortcut the core uses.
``tests/data/markov/expected.csv`` holds its output to 12 decimals; rebuild
it with ``python tests/unit/test_markov.py``.
"""

from __future__ import annotations

import csv
import itertools
import re
from collections import defaultdict
from decimal import ROUND_HALF_EVEN, Context, Decimal, localcontext
from fractions import Fraction
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from perfluence.core.markov import (
    MarkovState,
    PathCount,
    conversion_probability,
    markov_removal_effects,
    markov_share_fractions,
    markov_shares,
    removal_effect_fractions,
    transition_probabilities,
)
from perfluence.errors import ErrorCode, PerfluenceError

DATA = Path(__file__).parent.parent / "data" / "markov"
TOLERANCE = 1e-9

# --- worked examples (the same numbers as docs/attribution.md) -------------------

ANDERL = [
    PathCount(("C1", "C2", "C3"), conversions=1),
    PathCount(("C1",), non_conversions=1),
    PathCount(("C2", "C3"), non_conversions=1),
]

PUZYROV = [
    PathCount(("google ads",), conversions=2),
    PathCount(("mailing",), conversions=1),
    PathCount(("google ads", "mailing"), conversions=1),
    PathCount(("google ads",), non_conversions=1),
]

PYCHATTR = [
    PathCount(tuple("ABABBA"), conversions=1),
    PathCount(tuple("ABBAA"), conversions=1),
    PathCount(tuple("AA"), conversions=1),
]


def test_three_path_example_by_hand() -> None:
    # start→C1 2/3, start→C2 1/3, C1→C2 1/2, C1→null 1/2, C2→C3 1, C3→conv 1/2, C3→null 1/2
    assert transition_probabilities(ANDERL) == {
        (MarkovState.START, "C1"): Fraction(2, 3),
        (MarkovState.START, "C2"): Fraction(1, 3),
        ("C1", "C2"): Fraction(1, 2),
        ("C1", MarkovState.NULL): Fraction(1, 2),
        ("C2", "C3"): Fraction(1),
        ("C3", MarkovState.CONVERSION): Fraction(1, 2),
        ("C3", MarkovState.NULL): Fraction(1, 2),
    }
    # P = 2/3·1/2·1·1/2 + 1/3·1·1/2 = 1/6 + 1/6
    assert conversion_probability(ANDERL) == Fraction(1, 3)
    # Without C1 only start→C2→C3→conv is left: 1/6, so 1 − (1/6)/(1/3) = 1/2.
    # Every converting journey passes C2 and C3: removing either leaves 0.
    assert removal_effect_fractions(ANDERL) == {
        "C1": Fraction(1, 2),
        "C2": Fraction(1),
        "C3": Fraction(1),
    }
    assert markov_shares(ANDERL) == {
        "C1": Decimal("0.2"),
        "C2": Decimal("0.4"),
        "C3": Decimal("0.4"),
    }


def test_published_transition_table_and_hand_removal_effects() -> None:
    # Transition table as published (Puzyrov 2019); removal effects worked by hand.
    probabilities = transition_probabilities(PUZYROV)
    assert probabilities[(MarkovState.START, "google ads")] == Fraction(4, 5)
    assert probabilities[(MarkovState.START, "mailing")] == Fraction(1, 5)
    assert probabilities[("google ads", MarkovState.CONVERSION)] == Fraction(2, 4)
    assert probabilities[("google ads", "mailing")] == Fraction(1, 4)
    assert probabilities[("google ads", MarkovState.NULL)] == Fraction(1, 4)
    assert probabilities[("mailing", MarkovState.CONVERSION)] == Fraction(1)
    assert conversion_probability(PUZYROV) == Fraction(4, 5)
    assert removal_effect_fractions(PUZYROV) == {
        "google ads": Fraction(3, 4),
        "mailing": Fraction(1, 2),
    }
    assert markov_shares(PUZYROV) == {"google ads": Decimal("0.6"), "mailing": Decimal("0.4")}
    conversions = sum(p.conversions for p in PUZYROV)
    assert {c: conversions * s for c, s in markov_share_fractions(PUZYROV).items()} == {
        "google ads": Fraction("2.4"),
        "mailing": Fraction("1.6"),
    }


def test_published_simulation_agrees_with_exact_result() -> None:
    # pychattr's README (ChannelAttribution's method, 10,000 simulated journeys)
    # publishes removal effects A 1.0000, B 0.5067 and conversions A 1.991106,
    # B 1.008894; the exact values are 1, 1/2, 2 and 1.
    effects = removal_effect_fractions(PYCHATTR)
    assert effects == {"A": Fraction(1), "B": Fraction(1, 2)}
    shares = markov_share_fractions(PYCHATTR)
    conversions = {c: 3 * s for c, s in shares.items()}
    assert conversions == {"A": 2, "B": 1}
    assert abs(float(effects["B"]) - 0.5067) < 0.01
    assert abs(float(conversions["A"]) - 1.991106) < 0.01
    assert abs(float(conversions["B"]) - 1.008894) < 0.01


def test_self_loops_do_not_change_effects() -> None:
    # The published transition matrix drops self-loops (A→B 1/2, A→conv 1/2, B→A 1);
    # absorption probabilities, hence removal effects, are the same with or without.
    looped = transition_probabilities(PYCHATTR)
    for state in ("A", "B"):
        stay = looped.get((state, state), Fraction(0))
        renormalised = {
            to: p / (1 - stay) for (frm, to), p in looped.items() if frm == state and to != state
        }
        expected = {"A": {"B": Fraction(1, 2), MarkovState.CONVERSION: Fraction(1, 2)}}
        expected["B"] = {"A": Fraction(1)}
        assert renormalised == expected[state]
    collapsed = [
        PathCount(("A", "B", "A", "B", "A"), 1),
        PathCount(("A", "B", "A"), 1),
        PathCount(("A",), 1),
    ]
    assert removal_effect_fractions(collapsed) == removal_effect_fractions(PYCHATTR)


def test_decimal_output_and_order_of_first_appearance() -> None:
    paths = [
        PathCount(("x", "y"), conversions=1),
        PathCount(("y",), conversions=1, non_conversions=2),
    ]
    effects = markov_removal_effects(paths)
    assert list(effects) == ["x", "y"]
    assert all(isinstance(v, Decimal) for v in effects.values())
    exact = removal_effect_fractions(paths)
    for channel, value in effects.items():
        assert abs(Fraction(value) - exact[channel]) < Fraction(1, 10**27)


def test_no_conversions_gives_zero_effects_and_shares() -> None:
    paths = [PathCount(("a", "b"), non_conversions=3)]
    assert conversion_probability(paths) == 0
    assert markov_removal_effects(paths) == {"a": Decimal(0), "b": Decimal(0)}
    assert markov_shares(paths) == {"a": Decimal(0), "b": Decimal(0)}
    assert markov_shares([]) == {}
    assert conversion_probability([]) == 0


def test_zero_count_paths_are_ignored() -> None:
    assert markov_shares([*PUZYROV, PathCount(("tv",))]) == markov_shares(PUZYROV)


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"channels": ()}, None),
        ({"channels": ("a",), "conversions": -1}, "conversions"),
        ({"channels": ("a",), "non_conversions": True}, "non_conversions"),
        ({"channels": ("a",), "conversions": Decimal("1.5")}, "conversions"),
    ],
)
def test_bad_paths_refused(kwargs: dict[str, object], field: str | None) -> None:
    with pytest.raises(PerfluenceError) as info:
        PathCount(**kwargs)  # type: ignore[arg-type]
    assert info.value.code is ErrorCode.INVALID
    assert info.value.field == field


def test_non_path_rows_refused_with_row_number() -> None:
    with pytest.raises(PerfluenceError) as info:
        markov_shares([PUZYROV[0], ("a", 1)])  # type: ignore[arg-type]
    assert info.value.row == 2


# --- the independent implementation ---------------------------------------------

START, CONV, NULL = "(start)", "(conversion)", "(null)"


def load_paths() -> list[tuple[list[str], int, int]]:
    with (DATA / "paths.csv").open(newline="") as handle:
        return [
            (
                [c.strip() for c in row["path"].split(">")],
                int(row["conversions"]),
                int(row["non_conversions"]),
            )
            for row in csv.DictReader(handle)
        ]


def float_chain(rows: list[tuple[list[str], int, int]]) -> dict[str, dict[str, float]]:
    counts: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    for channels, conversions, nulls in rows:
        states = [START, *channels]
        for a, b in itertools.pairwise(states):
            counts[a][b] += conversions + nulls
        counts[channels[-1]][CONV] += conversions
        counts[channels[-1]][NULL] += nulls
    return {s: {t: n / sum(out.values()) for t, n in out.items()} for s, out in counts.items()}


def float_absorption(chain: dict[str, dict[str, float]], removed: str | None = None) -> float:
    """Push the start mass through the chain until under 1e-15 is still in transit."""
    mass = {START: 1.0}
    converted = 0.0
    for _ in range(100_000):
        moved: dict[str, float] = defaultdict(float)
        for state, m in mass.items():
            for target, p in chain[state].items():
                if target in (removed, NULL):
                    continue
                if target == CONV:
                    converted += m * p
                else:
                    moved[target] += m * p
        mass = moved
        if sum(mass.values()) < 1e-15:
            return converted
    raise AssertionError("power iteration did not converge")


def float_removal_effects(rows: list[tuple[list[str], int, int]]) -> dict[str, float]:
    chain = float_chain(rows)
    total = float_absorption(chain)
    channels = sorted({c for path, _, _ in rows for c in path})
    return {c: 1 - float_absorption(chain, removed=c) / total for c in channels}


def load_expected() -> dict[str, tuple[float, float]]:
    with (DATA / "expected.csv").open(newline="") as handle:
        return {
            row["channel"]: (float(row["removal_effect"]), float(row["share"]))
            for row in csv.DictReader(handle)
        }


def core_paths(rows: list[tuple[list[str], int, int]]) -> list[PathCount[str]]:
    return [PathCount(tuple(channels), c, n) for channels, c, n in rows]


def test_independent_float_implementation_agrees_on_shipped_dataset() -> None:
    rows = load_paths()
    assert len(rows) == 21
    reference = float_removal_effects(rows)
    exact = removal_effect_fractions(core_paths(rows))
    assert set(exact) == set(reference) == {"@anna", "@bo", "@cara", "@dina", "@emil", "@fia"}
    for channel, value in reference.items():
        assert abs(float(exact[channel]) - value) < TOLERANCE, channel
    # Not a dataset where every channel is indispensable: the effects differ.
    assert len({round(v, 6) for v in reference.values()}) == len(reference)


def test_shipped_expected_values_match_exact_effects_and_shares() -> None:
    paths = core_paths(load_paths())
    expected = load_expected()
    effects = markov_removal_effects(paths)
    shares = markov_shares(paths)
    assert set(expected) == set(effects)
    for channel, (effect, share) in expected.items():
        assert abs(float(effects[channel]) - effect) < TOLERANCE, channel
        assert abs(float(shares[channel]) - share) < TOLERANCE, channel
    assert abs(sum(shares.values(), Decimal(0)) - 1) < Decimal("1e-26")


def test_docs_table_matches_exact_values() -> None:
    doc = (Path(__file__).parents[2] / "docs" / "attribution.md").read_text(encoding="utf-8")
    table = {
        m[1]: (Decimal(m[2]), Decimal(m[3]))
        for m in re.finditer(r"^\| (@\w+) \| ([0-9.]+) \| ([0-9.]+) \|$", doc, re.MULTILINE)
    }
    paths = core_paths(load_paths())
    effects, shares = markov_removal_effects(paths), markov_shares(paths)
    assert set(table) == set(effects)
    for channel, (effect, share) in table.items():
        assert effects[channel].quantize(Decimal("0.000001")) == effect, channel
        assert shares[channel].quantize(Decimal("0.000001")) == share, channel
    assert conversion_probability(paths) == Fraction(41, 433)
    assert "`P` = 41/433" in doc


def test_conversion_probability_matches_independent_implementation() -> None:
    rows = load_paths()
    assert (
        abs(float(conversion_probability(core_paths(rows))) - float_absorption(float_chain(rows)))
        < TOLERANCE
    )


channels = st.sampled_from(["a", "b", "c", "d", "e"])
random_paths = st.lists(
    st.builds(
        PathCount,
        st.lists(channels, min_size=1, max_size=5).map(tuple),
        st.integers(0, 20),
        st.integers(0, 20),
    ),
    min_size=1,
    max_size=8,
)


@settings(max_examples=60, deadline=None)
@given(paths=random_paths)
def test_exact_effects_agree_with_power_iteration_on_random_data(
    paths: list[PathCount[str]],
) -> None:
    rows = [
        (list(p.channels), p.conversions, p.non_conversions)
        for p in paths
        if p.conversions + p.non_conversions
    ]
    exact = removal_effect_fractions(paths)
    if not rows or sum(c for _, c, _ in rows) == 0:
        assert all(v == 0 for v in exact.values())
        return
    reference = float_removal_effects(rows)
    assert set(exact) == set(reference)
    for channel, value in reference.items():
        assert 0 <= exact[channel] <= 1
        assert abs(float(exact[channel]) - value) < 1e-7, channel
    shares = markov_share_fractions(paths)
    assert sum(shares.values()) == 1
    # Decimal output is the exact value correctly rounded to 28 digits, half even.
    pairs = [
        (markov_removal_effects(paths), exact),
        (markov_shares(paths), shares),
    ]
    with localcontext(Context(prec=28, rounding=ROUND_HALF_EVEN)):
        for decimals, fractions in pairs:
            for key, fraction in fractions.items():
                assert decimals[key] == Decimal(fraction.numerator) / Decimal(fraction.denominator)


if __name__ == "__main__":
    data = load_paths()
    effects_by_iteration = float_removal_effects(data)
    total_effect = sum(effects_by_iteration.values())
    with (DATA / "expected.csv").open("w", newline="") as out:
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["channel", "removal_effect", "share"])
        for name, effect in effects_by_iteration.items():
            writer.writerow([name, f"{effect:.12f}", f"{effect / total_effect:.12f}"])
