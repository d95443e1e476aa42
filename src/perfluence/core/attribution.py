"""Attribution: which partnership earned a conversion, and how credit is split.

``attribute_conversion`` picks one winner for commissions, weighing evidence in
order: the click id the conversion carries, the discount code, the customer's
earlier clicks; all within the attribution window after the click. When the
carried click and the code name different partnerships the ``ConflictRule``
decides, and the result says why in a sentence stored with the conversion.

``split_credit`` shares a conversion's amount over the partnerships on a path
under a multi-touch model for reporting; parts come from ``allocate()``, so
they sum exactly to the amount. Formulas and worked cases:
``docs/attribution.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import ROUND_HALF_EVEN, Context, Decimal
from enum import StrEnum
from typing import Final, TypeVar

from perfluence.core.money import Money, allocate
from perfluence.errors import ErrorCode, PerfluenceError

DEFAULT_WINDOW: Final = timedelta(days=30)
DEFAULT_HALF_LIFE: Final = timedelta(days=7)
# Time-decay weights: 28 significant digits, half even (documented in the docs).
_DECAY = Context(prec=28, rounding=ROUND_HALF_EVEN)
_HALF: Final = Decimal("0.5")
_E = TypeVar("_E", bound=StrEnum)


class AttributionMethod(StrEnum):
    CLICK_ID = "click_id"
    CODE = "code"
    CUSTOMER = "customer"
    NONE = "none"


class ConflictRule(StrEnum):
    """Who wins when the carried click and the discount code name different partnerships."""

    CLICK_WINS = "click_wins"
    CODE_WINS = "code_wins"
    MOST_RECENT = "most_recent"
    SPLIT = "split"


class AttributionModel(StrEnum):
    LAST_CLICK = "last_click"
    FIRST_CLICK = "first_click"
    LINEAR = "linear"
    TIME_DECAY = "time_decay"
    POSITION_BASED = "position_based"
    MARKOV = "markov"


# Commissions need one explainable winner per conversion.
SINGLE_WINNER_MODELS: Final = frozenset({AttributionModel.LAST_CLICK, AttributionModel.FIRST_CLICK})


def _aware(value: datetime, what: str) -> None:
    if not isinstance(value, datetime) or value.utcoffset() is None:
        raise PerfluenceError(ErrorCode.INVALID, f"{what} must be a timezone-aware datetime")


def _positive(value: timedelta, what: str) -> None:
    if not isinstance(value, timedelta) or value <= timedelta(0):
        raise PerfluenceError(ErrorCode.INVALID, f"{what} must be a positive duration", field=what)


@dataclass(frozen=True, slots=True)
class Touch:
    """A click as evidence: who it credits, when, and whose it was."""

    click_id: str
    partnership_id: int
    link_id: int
    time: datetime
    # The visitor hash or customer reference that ties clicks to a buyer.
    customer_key: str | None = None
    is_bot: bool = False

    def __post_init__(self) -> None:
        _aware(self.time, "touch time")


@dataclass(frozen=True, slots=True)
class ConversionFacts:
    """What a conversion tells about its origin."""

    time: datetime
    amount: Money
    click_id: str | None = None
    code: str | None = None
    code_partnership_id: int | None = None
    customer_key: str | None = None

    def __post_init__(self) -> None:
        _aware(self.time, "conversion time")


def _member(kind: type[_E], value: _E | str, what: str) -> _E:
    try:
        return kind(value)
    except ValueError:
        raise PerfluenceError(ErrorCode.INVALID, f"unknown {what} {value!r}", field=what) from None


@dataclass(frozen=True, slots=True)
class AttributionRule:
    window: timedelta = DEFAULT_WINDOW
    # A typed code is a deliberate act at checkout, later than any click, and it
    # names one creator; a click may be a stale tab or a shared link.
    conflict: ConflictRule = ConflictRule.CODE_WINS
    model: AttributionModel = AttributionModel.LAST_CLICK

    def __post_init__(self) -> None:
        _positive(self.window, "window")
        object.__setattr__(self, "conflict", _member(ConflictRule, self.conflict, "conflict"))
        object.__setattr__(self, "model", _member(AttributionModel, self.model, "model"))
        if self.model not in SINGLE_WINNER_MODELS:
            raise PerfluenceError(
                ErrorCode.INVALID,
                f"model {self.model} splits credit and cannot pick a commission winner; "
                "use last_click or first_click (multi-touch models are for split_credit)",
                field="model",
            )


DEFAULT_RULE: Final = AttributionRule()


@dataclass(frozen=True, slots=True)
class AttributionResult:
    method: AttributionMethod
    partnership_id: int | None
    link_id: int | None
    click_id: str | None
    reason: str
    seconds_from_click: int | None
    conflict: bool = False
    # (partnership id, share) pairs summing to 1; two halves under ConflictRule.SPLIT.
    shares: tuple[tuple[int, Decimal], ...] = field(default=())

    @property
    def attributed(self) -> bool:
        return self.partnership_id is not None

    def credit(self, amount: Money) -> dict[int, Money]:
        """``amount`` per partnership by ``shares``; parts sum exactly (empty if unattributed)."""
        if not self.shares:
            return {}
        parts = allocate(amount, [share for _, share in self.shares])
        return {pid: part for (pid, _), part in zip(self.shares, parts, strict=True)}


# --- attribute_conversion -----------------------------------------------------


def _order(touch: Touch) -> tuple[datetime, str]:
    return (touch.time, touch.click_id)


def _duration(delta: timedelta) -> str:
    """Two most significant units, e.g. ``3 d 4 h`` or ``12 min 5 s``."""
    total = max(delta, timedelta(0)) // timedelta(seconds=1)
    units = (("d", 86400), ("h", 3600), ("min", 60), ("s", 1))
    parts: list[str] = []
    for name, size in units:
        count, total = divmod(total, size)
        if count or parts:
            parts.append(f"{count} {name}")
    shown = [p for p in parts[:2] if not p.startswith("0 ")]
    return " ".join(shown) or "0 s"


def _window_text(window: timedelta) -> str:
    if window % timedelta(days=1) == timedelta(0):
        return f"{window.days}-day window"
    return f"{_duration(window)} window"


def _in_window(touch: Touch, when: datetime, window: timedelta) -> bool:
    return timedelta(0) <= when - touch.time <= window


class _Story:
    """Collects the reason sentence and names partnerships."""

    def __init__(self, facts: ConversionFacts, rule: AttributionRule, labels: Mapping[int, str]):
        self.facts = facts
        self.rule = rule
        self.labels = labels
        self.notes: list[str] = []

    def name(self, partnership_id: int) -> str:
        return self.labels.get(partnership_id, f"partnership {partnership_id}")

    def click(self, touch: Touch) -> str:
        return f"click pf_cid={touch.click_id} ({self.name(touch.partnership_id)})"

    def ago(self, touch: Touch) -> str:
        return (
            f"{_duration(self.facts.time - touch.time)} before the conversion, "
            f"within the {_window_text(self.rule.window)}"
        )

    def code(self) -> str:
        code = "discount code" if self.facts.code is None else f"code {self.facts.code}"
        if self.facts.code_partnership_id is None:
            return code
        return f"{code} ({self.name(self.facts.code_partnership_id)})"

    def result(
        self,
        method: AttributionMethod,
        text: str,
        touch: Touch | None = None,
        *,
        conflict: bool = False,
        shares: tuple[tuple[int, Decimal], ...] | None = None,
    ) -> AttributionResult:
        """The result crediting ``touch``, or the code's partnership when there is no touch."""
        reason = "; ".join([*self.notes, text])
        pid = self.facts.code_partnership_id if touch is None else touch.partnership_id
        if method is AttributionMethod.NONE or pid is None:
            return AttributionResult(AttributionMethod.NONE, None, None, None, reason, None)
        if shares is None:
            shares = ((pid, Decimal(1)),)
        if touch is None:
            return AttributionResult(method, pid, None, None, reason, None, conflict, shares)
        seconds = (self.facts.time - touch.time) // timedelta(seconds=1)
        return AttributionResult(
            method, pid, touch.link_id, touch.click_id, reason, seconds, conflict, shares
        )


def _carried_click(touches: Sequence[Touch], story: _Story) -> Touch | None:
    facts, window = story.facts, story.rule.window
    if facts.click_id is None:
        return None
    touch = next((t for t in touches if t.click_id == facts.click_id), None)
    if touch is None:
        story.notes.append(f"click pf_cid={facts.click_id} not found")
        return None
    if touch.is_bot:
        story.notes.append(f"{story.click(touch)} ignored: flagged as a bot")
        return None
    if facts.time < touch.time:
        story.notes.append(f"{story.click(touch)} ignored: it is later than the conversion")
        return None
    if not _in_window(touch, facts.time, window):
        story.notes.append(
            f"{story.click(touch)} ignored: {_duration(facts.time - touch.time)} before the "
            f"conversion, outside the {_window_text(window)}"
        )
        return None
    return touch


def _customer_clicks(
    touches: Sequence[Touch], facts: ConversionFacts, window: timedelta
) -> list[Touch]:
    if facts.customer_key is None:
        return []
    mine = (t for t in touches if t.customer_key == facts.customer_key)
    return [t for t in mine if not t.is_bot and _in_window(t, facts.time, window)]


def _resolve_conflict(
    click: Touch, code_pid: int, touches: Sequence[Touch], story: _Story
) -> AttributionResult:
    rule = story.rule.conflict
    head = f"{story.click(click)} and {story.code()} disagree"
    if rule is ConflictRule.SPLIT:
        shares = ((click.partnership_id, _HALF), (code_pid, _HALF))
        text = f"{head}; credit split 50/50 under rule split"
        return story.result(AttributionMethod.CLICK_ID, text, click, conflict=True, shares=shares)
    code_wins = rule is ConflictRule.CODE_WINS
    why = ""
    if rule is ConflictRule.MOST_RECENT:
        # The code's moment is unknown; its partnership's latest click from this customer
        # stands in for it, and without one the click (a known moment) is the more recent.
        rivals = [
            t
            for t in _customer_clicks(touches, story.facts, story.rule.window)
            if t.partnership_id == code_pid
        ]
        latest = max(rivals, key=_order, default=None)
        code_wins = latest is not None and latest.time > click.time
        if latest is not None and code_wins:
            why = f" ({story.name(code_pid)}'s click pf_cid={latest.click_id} is later)"
        else:
            why = f" ({story.name(code_pid)} has no later click from this customer)"
    if code_wins:
        text = f"{head}; code wins under rule {rule}{why}"
        return story.result(AttributionMethod.CODE, text, conflict=True)
    text = f"{head}; click wins under rule {rule}{why}"
    return story.result(AttributionMethod.CLICK_ID, text, click, conflict=True)


def attribute_conversion(
    facts: ConversionFacts,
    touches: Iterable[Touch],
    rule: AttributionRule = DEFAULT_RULE,
    *,
    labels: Mapping[int, str] | None = None,
) -> AttributionResult:
    """The one partnership credited with ``facts`` (for commissions), and why.

    ``touches`` are the candidate clicks: the carried click (if any) and the
    customer's clicks; their order does not matter. ``labels`` names
    partnerships in the reason (e.g. ``{7: "@emma"}``); ids are used otherwise.
    """
    ordered = sorted(touches, key=_order)
    story = _Story(facts, rule, labels or {})
    click = _carried_click(ordered, story)
    if facts.code is not None and facts.code_partnership_id is None:
        story.notes.append(f"code {facts.code} belongs to no partnership")
    code_pid = facts.code_partnership_id
    if click is not None and code_pid is not None and code_pid != click.partnership_id:
        return _resolve_conflict(click, code_pid, ordered, story)
    if click is not None:
        agrees = f"; {story.code()} agrees" if code_pid is not None else ""
        text = f"{story.click(click)} {story.ago(click)}{agrees}"
        return story.result(AttributionMethod.CLICK_ID, text, click)
    if code_pid is not None:
        return story.result(AttributionMethod.CODE, story.code())
    candidates = _customer_clicks(ordered, facts, rule.window)
    if candidates:
        first = rule.model is AttributionModel.FIRST_CLICK
        chosen = candidates[0] if first else candidates[-1]
        order = "first" if first else "last"
        text = f"customer's {order} {story.click(chosen)} {story.ago(chosen)}"
        return story.result(AttributionMethod.CUSTOMER, text, chosen)
    return story.result(
        AttributionMethod.NONE,
        f"no valid click id, discount code or earlier click from this customer within the "
        f"{_window_text(rule.window)}",
    )


# --- split_credit (multi-touch reporting) ----------------------------------------


def eligible_touches(
    path: Iterable[Touch], conversion_time: datetime, window: timedelta = DEFAULT_WINDOW
) -> list[Touch]:
    """Non-bot touches at most ``window`` before the conversion, oldest first."""
    _aware(conversion_time, "conversion time")
    _positive(window, "window")
    return sorted(
        (t for t in path if not t.is_bot and _in_window(t, conversion_time, window)), key=_order
    )


def _exact_seconds(delta: timedelta) -> Decimal:
    return Decimal(delta // timedelta(microseconds=1)).scaleb(-6)


def time_decay_weight(age: timedelta, half_life: timedelta = DEFAULT_HALF_LIFE) -> Decimal:
    """``2 ** (−age / half_life)`` to 28 significant digits (half even)."""
    _positive(half_life, "half_life")
    exponent = _DECAY.divide(_exact_seconds(age), _exact_seconds(half_life))
    return _DECAY.power(Decimal(2), -exponent)


def _touch_weights(
    model: AttributionModel, touches: Sequence[Touch], when: datetime, half_life: timedelta
) -> list[Decimal]:
    n = len(touches)
    if model is AttributionModel.LAST_CLICK:
        return [Decimal(int(i == n - 1)) for i in range(n)]
    if model is AttributionModel.FIRST_CLICK:
        return [Decimal(int(i == 0)) for i in range(n)]
    if model is AttributionModel.LINEAR:
        return [Decimal(1)] * n
    if model is AttributionModel.TIME_DECAY:
        return [time_decay_weight(when - t.time, half_life) for t in touches]
    # Position-based 40/20/40 in integer weights: ends 2(n−2) each, middles 1 each.
    if n <= 2:
        return [Decimal(1)] * n
    ends = Decimal(2 * (n - 2))
    return [ends if i in (0, n - 1) else Decimal(1) for i in range(n)]


def _markov_weights(
    touches: Sequence[Touch], shares: Mapping[int, Decimal] | None
) -> dict[int, Decimal]:
    if shares is None:
        raise PerfluenceError(
            ErrorCode.INVALID, "the markov model needs markov_shares", field="markov_shares"
        )
    weights: dict[int, Decimal] = {}
    for touch in touches:
        if touch.partnership_id not in shares:
            raise PerfluenceError(
                ErrorCode.INVALID,
                f"partnership {touch.partnership_id} has no Markov share; compute the shares "
                "from paths that include this conversion",
                field="markov_shares",
            )
        weights[touch.partnership_id] = shares[touch.partnership_id]
    return weights


def split_credit(
    amount: Money,
    path: Iterable[Touch],
    model: AttributionModel | str,
    conversion_time: datetime,
    *,
    window: timedelta = DEFAULT_WINDOW,
    half_life: timedelta = DEFAULT_HALF_LIFE,
    markov_shares: Mapping[int, Decimal] | None = None,
) -> dict[int, Money]:
    """Credit per partnership under ``model``; parts sum exactly to ``amount.quantize()``.

    Bots and touches outside the window are left out; no touch left means
    unattributed (an empty dict). Partnerships appear in order of their first
    touch, and a leftover minor unit on a tie goes to the earlier one. Under
    ``markov`` each partnership on the path weighs its global share
    (``markov_shares``, from ``core.markov.markov_shares``), once however often
    it appears.
    """
    chosen = _member(AttributionModel, model, "model")
    touches = eligible_touches(path, conversion_time, window)
    if not touches:
        return {}
    if chosen is AttributionModel.MARKOV:
        weights = _markov_weights(touches, markov_shares)
    else:
        weights = {}
        per_touch = _touch_weights(chosen, touches, conversion_time, half_life)
        for touch, weight in zip(touches, per_touch, strict=True):
            weights[touch.partnership_id] = weights.get(touch.partnership_id, Decimal(0)) + weight
    credited = {pid: w for pid, w in weights.items() if w > 0}
    if not credited:
        raise PerfluenceError(
            ErrorCode.INVALID, "no partnership on the path has a positive weight", field="model"
        )
    parts = allocate(amount, list(credited.values()))
    return dict(zip(credited, parts, strict=True))
