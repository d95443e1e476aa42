"""Keep, scale, renegotiate or drop, and where budget should move (pure; ``docs/insights.md``).

Decisions compare the campaign's target with the creator's *interval*, not
the point estimate: scale only when even the low end beats the target, drop
only when even the high end misses it. A creator flagged "not enough data" is
never scaled or dropped: keep and watch. The ROAS target decides when the
campaign has one, else the CPA target.

Reallocation assumes a constant return per unit of cost (the average return
stands in for the marginal one; there is no response curve to go by): budget
moves away from creators whose interval does not clear the target and goes to
those whose interval does, in proportion to their shrunk estimate. The parts
come from ``allocate()``, so what is given sums exactly to what is taken.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from perfluence.core import kpis
from perfluence.core.insights_model import Action, BudgetMove, CreatorEstimate, Recommendation
from perfluence.core.money import Money, allocate

# Share of a donor's cost that moves; a dropped creator's whole cost moves.
DEFAULT_SHIFT: Final = Decimal("0.5")
_PLACES: Final = Decimal("0.01")


def _n(value: Decimal) -> str:
    return f"{value.quantize(_PLACES):f}"


@dataclass(frozen=True, slots=True)
class Targets:
    roas: Decimal | None
    cpa: Money | None


def _by_roas(e: CreatorEstimate, target: Decimal) -> tuple[Action, str]:
    interval = e.roas_interval
    if interval is None or not isinstance(e.roas, Decimal):
        return Action.KEEP, "no cost recorded: nothing to judge ROAS by"
    low, high = interval.lower, interval.upper or interval.lower
    span = f"95 % interval {_n(low)}..{_n(high)}"
    roas = f"ROAS {_n(e.roas)}"
    if low >= target:
        return Action.SCALE, f"{roas}: even its low end {_n(low)} beats target {target}"
    if high < target:
        return Action.DROP, f"{roas}: even its high end {_n(high)} misses target {target}"
    if e.roas >= target:
        return Action.KEEP, f"{roas} meets target {target}; {span} is not yet clear of it"
    return (
        Action.RENEGOTIATE,
        f"{roas} is below target {target} ({span} still reaches it); "
        f"renegotiate towards a cost the revenue carries at ROAS {target}",
    )


def _by_cpa(e: CreatorEstimate, target: Money) -> tuple[Action, str]:
    if e.cpa_interval is None or not isinstance(e.cpa, Money):
        return Action.KEEP, "no cost or no conversions recorded: nothing to judge CPA by"
    low, high = e.cpa_interval
    high_text = "unbounded" if high is None else str(high.quantize())
    span = f"95 % interval {low.quantize()}..{high_text}"
    cpa = f"CPA {e.cpa.quantize()}"
    if high is not None and high <= target:
        return Action.SCALE, f"{cpa}: even its high end {high_text} beats target {target}"
    if low > target:
        return Action.DROP, f"{cpa}: even its low end {low.quantize()} misses target {target}"
    if e.cpa <= target:
        return Action.KEEP, f"{cpa} meets target {target}; {span} is not yet clear of it"
    return (
        Action.RENEGOTIATE,
        f"{cpa} is above target {target} ({span} still reaches it); "
        "renegotiate the fee or the rate",
    )


def recommend(estimates: Sequence[CreatorEstimate], targets: Targets) -> list[Recommendation]:
    out: list[Recommendation] = []
    for e in estimates:
        if e.not_enough_data:
            action, reason = Action.KEEP, f"keep and watch: {e.note}"
        elif targets.roas is not None:
            action, reason = _by_roas(e, targets.roas)
        elif targets.cpa is not None:
            action, reason = _by_cpa(e, targets.cpa)
        else:
            action, reason = Action.KEEP, "the campaign sets no ROAS or CPA target"
        out.append(Recommendation(e.creator_id, e.handle, action, reason, e.not_enough_data))
    return out


def _return_per_cost(e: CreatorEstimate, cost: Money) -> Decimal:
    """The shrunk estimate recipients are weighed by: shrunk ROAS, else shrunk conversions/cost."""
    if e.shrunk_roas is not None and e.shrunk_roas > 0:
        return e.shrunk_roas
    if e.shrunk_conversion_rate is None or cost.is_zero():
        return Decimal(0)
    per = kpis.cpa(cost, e.shrunk_conversion_rate * e.unique_clicks)
    return Decimal(0) if isinstance(per, kpis.NotAvailable) else 1 / per.amount


def _clears(e: CreatorEstimate, targets: Targets) -> bool | None:
    """True above target at the low end, False not, None: cannot say (no interval)."""
    if targets.roas is not None:
        return None if e.roas_interval is None else e.roas_interval.lower >= targets.roas
    if targets.cpa is not None and e.cpa_interval is not None:
        high = e.cpa_interval[1]
        return high is not None and high <= targets.cpa
    return None


def reallocate(
    estimates: Sequence[CreatorEstimate],
    recommendations: Sequence[Recommendation],
    costs: Mapping[int, Money],
    targets: Targets,
    currency: str,
    shift: Decimal = DEFAULT_SHIFT,
) -> tuple[list[BudgetMove], Money, str]:
    """Moves (taken negative, given positive), the amount moved, and a note."""
    nothing = Money.zero(currency)
    if targets.roas is None and targets.cpa is None:
        return [], nothing, "no reallocation: the campaign sets no ROAS or CPA target"
    actions = {r.creator_id: r.action for r in recommendations}
    taken: list[BudgetMove] = []
    receivers: list[tuple[CreatorEstimate, Decimal]] = []
    for e in estimates:
        cost = costs.get(e.creator_id, nothing)
        clears = None if e.not_enough_data else _clears(e, targets)
        if clears is True:
            receivers.append((e, _return_per_cost(e, cost)))
        elif clears is False and cost > nothing:
            whole = actions.get(e.creator_id) is Action.DROP
            amount = cost.quantize() if whole else (cost * shift).quantize()
            share = "all" if whole else f"{_n(shift * 100)} %"
            taken.append(
                BudgetMove(e.creator_id, e.handle, -amount, f"{share} of cost: below target")
            )
    movable = sum((-m.amount for m in taken), nothing)
    if not receivers:
        return [], nothing, "no reallocation: no creator clears the target at the low end"
    if movable.is_zero():
        return [], nothing, "no reallocation: every creator with enough data clears the target"
    weights = [w for _, w in receivers]
    if not any(w > 0 for w in weights):
        weights = [Decimal(1)] * len(receivers)
    given = allocate(movable, weights)
    moves = taken + [
        BudgetMove(e.creator_id, e.handle, part, f"clears the target; weight {_n(w)}")
        for (e, w), part in zip(receivers, given, strict=True)
    ]
    note = (
        f"moves {movable.quantize()} from {len(taken)} creator(s) below target to "
        f"{len(receivers)} above it, in proportion to shrunk return per cost; assumes the "
        "return per unit of cost stays as observed"
    )
    return moves, movable, note
