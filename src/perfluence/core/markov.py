"""Markov removal effects: the data-driven multi-touch attribution model.

A first-order Markov chain over channel paths (a channel is a partnership id
or any hashable key). Every path is ``(start) → c1 → … → ck`` followed by
``(conversion)`` once per conversion and by ``(null)`` once per journey that
did not convert. Transition probabilities are the observed transition counts
divided by the counts out of each state.

``P`` is the probability of being absorbed in ``(conversion)`` from
``(start)``. The removal effect of a channel ``c`` is ``1 − P₋c / P`` where
``P₋c`` is the same probability once every transition into ``c`` goes to
``(null)`` instead. Shares are the removal effects normalised to sum to 1.

Everything is solved exactly (fraction-free integer elimination, then
``fractions.Fraction``); ``Decimal`` appears only at the end (28 significant
digits, half even). Instead of solving one system per channel, one
Gauss–Jordan inversion gives all effects: with ``x`` the absorption
probabilities, ``h_c`` the probability of ever visiting ``c`` and
``G = (I − Q)⁻¹`` the fundamental matrix, ``P − P₋c = h_c · x_c`` (split every
converting journey at its first visit to ``c``) and
``h_c = G[start, c] / G[c, c]``. See ``docs/attribution.md``.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Context, Decimal, Inexact
from enum import StrEnum
from fractions import Fraction
from typing import Generic, TypeVar

from perfluence.errors import ErrorCode, PerfluenceError

Channel = TypeVar("Channel", bound=Hashable)

# Shares and effects are reported to 28 significant digits (Python's default).
_OUTPUT = Context(prec=28, rounding=ROUND_HALF_EVEN)
_EXACT = Context(prec=1000, traps=[Inexact])


class MarkovState(StrEnum):
    """The three states that are not channels."""

    START = "(start)"
    CONVERSION = "(conversion)"
    NULL = "(null)"


@dataclass(frozen=True, slots=True)
class PathCount(Generic[Channel]):
    """A channel path and how many journeys along it converted or did not."""

    channels: tuple[Channel, ...]
    conversions: int = 0
    non_conversions: int = 0

    def __post_init__(self) -> None:
        object.__setattr__(self, "channels", tuple(self.channels))
        if not self.channels:
            raise PerfluenceError(ErrorCode.INVALID, "a path needs at least one channel")
        for name in ("conversions", "non_conversions"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise PerfluenceError(
                    ErrorCode.INVALID, f"{name} must be a whole number >= 0", field=name
                )


@dataclass(frozen=True, slots=True)
class _Chain(Generic[Channel]):
    """Transition counts; state 0 is (start), state i >= 1 is channels[i - 1]."""

    channels: tuple[Channel, ...]
    moves: tuple[dict[int, int], ...]  # transient → transient counts
    conversions: tuple[int, ...]  # transient → (conversion) counts
    nulls: tuple[int, ...]  # transient → (null) counts

    def total_out(self, state: int) -> int:
        return sum(self.moves[state].values()) + self.conversions[state] + self.nulls[state]


def _chain(paths: Iterable[PathCount[Channel]]) -> _Chain[Channel]:
    index: dict[Channel, int] = {}
    moves: list[dict[int, int]] = [{}]
    conversions = [0]
    nulls = [0]
    for path in paths:
        journeys = path.conversions + path.non_conversions
        if journeys == 0:
            continue
        previous = 0
        for channel in path.channels:
            if channel not in index:
                index[channel] = len(moves)
                moves.append({})
                conversions.append(0)
                nulls.append(0)
            state = index[channel]
            moves[previous][state] = moves[previous].get(state, 0) + journeys
            previous = state
        conversions[previous] += path.conversions
        nulls[previous] += path.non_conversions
    return _Chain(tuple(index), tuple(moves), tuple(conversions), tuple(nulls))


def transition_probabilities(
    paths: Iterable[PathCount[Channel]],
) -> dict[tuple[Channel | MarkovState, Channel | MarkovState], Fraction]:
    """Every observed transition with its exact probability (self-loops included)."""
    chain = _chain(paths)
    names: list[Channel | MarkovState] = [MarkovState.START, *chain.channels]
    result: dict[tuple[Channel | MarkovState, Channel | MarkovState], Fraction] = {}
    for state, name in enumerate(names):
        total = chain.total_out(state)
        if total == 0:
            continue
        for target, count in chain.moves[state].items():
            result[(name, names[target])] = Fraction(count, total)
        if chain.conversions[state]:
            result[(name, MarkovState.CONVERSION)] = Fraction(chain.conversions[state], total)
        if chain.nulls[state]:
            result[(name, MarkovState.NULL)] = Fraction(chain.nulls[state], total)
    return result


def _eliminate(row: list[int], pivot: list[int], p: int, factor: int, previous: int) -> list[int]:
    """One fraction-free step: every ``a`` becomes ``(p·a − factor·b) / previous``."""
    if factor:
        numerators = [p * a - factor * b for a, b in zip(row, pivot, strict=True)]
    else:
        numerators = [p * a for a in row]
    result = [n // previous for n in numerators]
    # Exact by Bareiss' theorem; one entry per step is spot-checked as a guard.
    if result[-1] * previous != numerators[-1]:
        raise ArithmeticError("fraction-free elimination lost exactness")
    return result


def _adjugate(matrix: list[list[int]]) -> tuple[list[list[int]], int]:
    """``(R, d)`` with ``A⁻¹ = R / d``: Gauss–Jordan in integers (Bareiss).

    After step k every entry is a minor of ``A``, so dividing by the previous
    pivot is exact and entries never outgrow a determinant; unlike elimination
    in ``Fraction`` no gcd is ever computed (about eight times faster at 80
    channels). The matrix is known to be non-singular.
    """
    size = len(matrix)
    rows = [[*row, *(int(i == j) for j in range(size))] for i, row in enumerate(matrix)]
    previous = 1
    for k in range(size):
        swap = next(r for r in range(k, size) if rows[r][k] != 0)
        rows[k], rows[swap] = rows[swap], rows[k]
        pivot = rows[k]
        p = pivot[k]
        for i in range(size):
            if i != k:
                rows[i] = _eliminate(rows[i], pivot, p, rows[i][k], previous)
        previous = p
    return [row[size:] for row in rows], previous


def _solve(chain: _Chain[Channel]) -> tuple[Fraction, list[Fraction]]:
    """P and the exact removal effect of every channel (in ``chain.channels`` order).

    ``I − Q`` is scaled row by row by the counts out of each state (``D``), so
    ``A = D(I − Q)`` is integral and ``A⁻¹ = G D⁻¹``. Then ``x = G b = A⁻¹ (D b)``
    where ``D b`` is the conversion count out of each state, and
    ``G[start, c] / G[c, c] = A⁻¹[start, c] / A⁻¹[c, c]``; the common factor
    ``1/d`` of ``A⁻¹ = R / d`` cancels in every effect. Every transient state
    reaches an absorbing one (each path ends in one), so ``A`` is non-singular.
    """
    size = len(chain.moves)
    matrix = [[0] * size for _ in range(size)]
    for state in range(size):
        matrix[state][state] = chain.total_out(state)
        for target, count in chain.moves[state].items():
            matrix[state][target] -= count
    adjugate, determinant = _adjugate(matrix)
    # d · x, one entry per transient state.
    scaled_x = [
        sum(adjugate[i][j] * chain.conversions[j] for j in range(size)) for i in range(size)
    ]
    if scaled_x[0] == 0:
        return Fraction(0), [Fraction(0)] * (size - 1)
    effects = [
        Fraction(adjugate[0][c] * scaled_x[c], adjugate[c][c] * scaled_x[0]) for c in range(1, size)
    ]
    return Fraction(scaled_x[0], determinant), effects


def _checked(paths: Iterable[PathCount[Channel]]) -> _Chain[Channel]:
    listed: Sequence[PathCount[Channel]] = list(paths)
    for row, path in enumerate(listed, start=1):
        if not isinstance(path, PathCount):
            raise PerfluenceError(ErrorCode.INVALID, "paths must be PathCount values", row=row)
    return _chain(listed)


def conversion_probability(paths: Iterable[PathCount[Channel]]) -> Fraction:
    """``P``: the probability that a journey from (start) ends in (conversion)."""
    chain = _checked(paths)
    if len(chain.channels) == 0:
        return Fraction(0)
    return _solve(chain)[0]


def removal_effect_fractions(paths: Iterable[PathCount[Channel]]) -> dict[Channel, Fraction]:
    """Exact removal effect ``1 − P₋c / P`` per channel; all 0 when nothing converted."""
    chain = _checked(paths)
    if len(chain.channels) == 0:
        return {}
    _, effects = _solve(chain)
    return dict(zip(chain.channels, effects, strict=True))


def _to_decimal(value: Fraction) -> Decimal:
    """``value`` correctly rounded to the output precision.

    Numerator and denominator can have thousands of digits, and turning those
    into ``Decimal`` costs far more than the solve, so the quotient is taken in
    integers first: at least ``prec + 2`` digits (31/100 over-estimates
    log10 2, so never fewer), plus a sticky last digit when inexact, which
    keeps half-even rounding exact.
    """
    numerator, denominator = value.numerator, value.denominator
    if numerator == 0:
        return Decimal(0)
    gap = max(0, denominator.bit_length() - abs(numerator).bit_length())
    shift = _OUTPUT.prec + 3 + gap * 31 // 100 + 1
    quotient, remainder = divmod(abs(numerator) * 10**shift, denominator)
    if remainder:
        quotient, shift = quotient * 10 + 1, shift + 1
    sign = -1 if numerator < 0 else 1
    return _OUTPUT.plus(Decimal(sign * quotient).scaleb(-shift, _EXACT))


def markov_removal_effects(paths: Iterable[PathCount[Channel]]) -> dict[Channel, Decimal]:
    """Removal effect per channel, in order of first appearance, as ``Decimal``."""
    return {c: _to_decimal(e) for c, e in removal_effect_fractions(paths).items()}


def markov_share_fractions(paths: Iterable[PathCount[Channel]]) -> dict[Channel, Fraction]:
    """Exact removal effects normalised to sum to 1 (all 0 when nothing converted)."""
    effects = removal_effect_fractions(paths)
    total = sum(effects.values(), Fraction(0))
    if total == 0:
        return dict.fromkeys(effects, Fraction(0))
    return {c: e / total for c, e in effects.items()}


def markov_shares(paths: Iterable[PathCount[Channel]]) -> dict[Channel, Decimal]:
    """Credit share per channel (removal effects normalised), as ``Decimal``.

    Each share is rounded on its own to 28 significant digits, so ``n`` shares
    sum to 1 within ``n · 10⁻²⁸``; money split by them goes through
    ``allocate()``, which makes the parts sum exactly whatever the rounding.
    """
    return {c: _to_decimal(s) for c, s in markov_share_fractions(paths).items()}
