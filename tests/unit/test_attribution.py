"""Attribution: evidence order, window, conflict rules, reasons, and every worked
case in docs/attribution.md (same numbers)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest

from perfluence.core.attribution import (
    AttributionMethod,
    AttributionModel,
    AttributionRule,
    ConflictRule,
    ConversionFacts,
    Touch,
    attribute_conversion,
    eligible_touches,
    split_credit,
    time_decay_weight,
)
from perfluence.core.markov import PathCount, markov_shares
from perfluence.core.money import Money
from perfluence.errors import ErrorCode, PerfluenceError

# The conversion in every doc example happens at this moment.
SALE_AT = datetime(2026, 3, 31, 12, 0, tzinfo=UTC)
EUR_100 = Money("100.00", "EUR")
ANNA, EMMA, CARL = 1, 2, 3
LABELS = {ANNA: "@anna", EMMA: "@emma"}


def touch(
    click_id: str,
    partnership_id: int,
    before: timedelta,
    *,
    customer: str | None = "cust-1",
    bot: bool = False,
) -> Touch:
    return Touch(click_id, partnership_id, partnership_id * 10, SALE_AT - before, customer, bot)


def days(n: int) -> timedelta:
    return timedelta(days=n)


def facts(**kwargs: object) -> ConversionFacts:
    return ConversionFacts(SALE_AT, EUR_100, **kwargs)  # type: ignore[arg-type]


# --- evidence order ----------------------------------------------------------------


def test_carried_click_wins_when_valid() -> None:
    clicks = [touch("c-anna", ANNA, timedelta(hours=2, minutes=5)), touch("c-emma", EMMA, days(1))]
    result = attribute_conversion(facts(click_id="c-anna", customer_key="cust-1"), clicks)
    assert result.method is AttributionMethod.CLICK_ID
    assert (result.partnership_id, result.link_id, result.click_id) == (ANNA, 10, "c-anna")
    assert result.seconds_from_click == 2 * 3600 + 5 * 60
    assert not result.conflict
    assert result.reason == (
        "click pf_cid=c-anna (partnership 1) 2 h 5 min before the conversion, "
        "within the 30-day window"
    )
    assert result.credit(EUR_100) == {ANNA: EUR_100}


def test_code_used_when_no_click_id() -> None:
    result = attribute_conversion(
        facts(code="EMMA15", code_partnership_id=EMMA, customer_key="cust-1"),
        [touch("c-anna", ANNA, days(1))],
        labels=LABELS,
    )
    assert result.method is AttributionMethod.CODE
    assert (result.partnership_id, result.link_id, result.click_id) == (EMMA, None, None)
    assert result.seconds_from_click is None
    # The customer's click is weaker evidence than a code: no conflict is raised.
    assert not result.conflict
    assert result.reason == "code EMMA15 (@emma)"


def test_customer_last_click_when_no_click_id_or_code() -> None:
    clicks = [
        touch("old", ANNA, days(20)),
        touch("new", EMMA, days(2)),
        touch("bot", CARL, days(1), bot=True),
        touch("other", CARL, days(1), customer="cust-2"),
    ]
    result = attribute_conversion(facts(customer_key="cust-1"), clicks, labels=LABELS)
    assert result.method is AttributionMethod.CUSTOMER
    assert (result.partnership_id, result.click_id) == (EMMA, "new")
    assert result.seconds_from_click == 2 * 86400
    assert result.reason == (
        "customer's last click pf_cid=new (@emma) 2 d before the conversion, "
        "within the 30-day window"
    )


def test_customer_first_click_under_first_click_model() -> None:
    clicks = [touch("old", ANNA, days(20)), touch("new", EMMA, days(2))]
    rule = AttributionRule(model=AttributionModel.FIRST_CLICK)
    result = attribute_conversion(facts(customer_key="cust-1"), clicks, rule)
    assert (result.method, result.partnership_id) == (AttributionMethod.CUSTOMER, ANNA)
    assert result.reason.startswith("customer's first click pf_cid=old")


def test_nothing_matches_is_unattributed() -> None:
    result = attribute_conversion(facts(customer_key="cust-9"), [touch("c", ANNA, days(1))])
    assert result.method is AttributionMethod.NONE
    assert not result.attributed
    assert (result.partnership_id, result.link_id, result.click_id) == (None, None, None)
    assert result.credit(EUR_100) == {}
    assert result.reason == (
        "no valid click id, discount code or earlier click from this customer "
        "within the 30-day window"
    )


# --- the carried click: existence, bots, window -------------------------------------


@pytest.mark.parametrize(
    ("clicks", "note"),
    [
        ([], "click pf_cid=c not found"),
        ([touch("c", ANNA, days(1), bot=True)], "click pf_cid=c (@anna) ignored: flagged as a bot"),
        (
            [touch("c", ANNA, -timedelta(minutes=1))],
            "click pf_cid=c (@anna) ignored: it is later than the conversion",
        ),
        (
            [touch("c", ANNA, days(31) + timedelta(hours=2))],
            "click pf_cid=c (@anna) ignored: 31 d 2 h before the conversion, "
            "outside the 30-day window",
        ),
    ],
)
def test_invalid_carried_click_falls_through_to_code(clicks: list[Touch], note: str) -> None:
    result = attribute_conversion(
        facts(click_id="c", code="EMMA15", code_partnership_id=EMMA), clicks, labels=LABELS
    )
    assert result.method is AttributionMethod.CODE
    assert result.partnership_id == EMMA
    assert not result.conflict
    assert result.reason == f"{note}; code EMMA15 (@emma)"


def test_window_edge_is_inclusive() -> None:
    on_edge = [touch("c", ANNA, days(30))]
    assert attribute_conversion(facts(click_id="c"), on_edge).partnership_id == ANNA
    past_edge = [touch("c", ANNA, days(30) + timedelta(microseconds=1))]
    assert attribute_conversion(facts(click_id="c"), past_edge).method is AttributionMethod.NONE


def test_custom_window() -> None:
    rule = AttributionRule(window=timedelta(days=7))
    result = attribute_conversion(facts(click_id="c"), [touch("c", ANNA, days(8))], rule)
    assert result.method is AttributionMethod.NONE
    assert "outside the 7-day window" in result.reason
    hours = AttributionRule(window=timedelta(hours=36))
    result = attribute_conversion(facts(click_id="c"), [touch("c", ANNA, days(2))], hours)
    assert "outside the 1 d 12 h window" in result.reason


def test_code_agreeing_with_click_is_not_a_conflict() -> None:
    result = attribute_conversion(
        facts(click_id="c", code="ANNA10", code_partnership_id=ANNA),
        [touch("c", ANNA, timedelta(minutes=12, seconds=5))],
        labels=LABELS,
    )
    assert (result.method, result.partnership_id, result.conflict) == (
        AttributionMethod.CLICK_ID,
        ANNA,
        False,
    )
    assert result.reason == (
        "click pf_cid=c (@anna) 12 min 5 s before the conversion, within the 30-day window; "
        "code ANNA10 (@anna) agrees"
    )


def test_unknown_code_is_noted() -> None:
    result = attribute_conversion(facts(code="NOPE"), [])
    assert result.method is AttributionMethod.NONE
    assert result.reason.startswith("code NOPE belongs to no partnership; ")


def test_code_partnership_without_code_text() -> None:
    result = attribute_conversion(facts(code_partnership_id=EMMA), [], labels=LABELS)
    assert (result.method, result.partnership_id) == (AttributionMethod.CODE, EMMA)
    assert result.reason == "discount code (@emma)"


# --- link-vs-code conflicts (the doc's table) --------------------------------------

# @anna's link clicked 3 days before; @emma's link clicked 1 day before by the
# same customer; the order carries @anna's click id and @emma's code EMMA15.
CONFLICT_CLICKS = [touch("c-anna", ANNA, days(3)), touch("c-emma", EMMA, days(1))]
CONFLICT = facts(click_id="c-anna", code="EMMA15", code_partnership_id=EMMA, customer_key="cust-1")
HEAD = "click pf_cid=c-anna (@anna) and code EMMA15 (@emma) disagree"


@pytest.mark.parametrize(
    ("rule", "method", "winner", "credit", "tail"),
    [
        (ConflictRule.CODE_WINS, AttributionMethod.CODE, EMMA, {EMMA: "100.00"},
         "code wins under rule code_wins"),
        (ConflictRule.CLICK_WINS, AttributionMethod.CLICK_ID, ANNA, {ANNA: "100.00"},
         "click wins under rule click_wins"),
        (ConflictRule.MOST_RECENT, AttributionMethod.CODE, EMMA, {EMMA: "100.00"},
         "code wins under rule most_recent (@emma's click pf_cid=c-emma is later)"),
        (ConflictRule.SPLIT, AttributionMethod.CLICK_ID, ANNA, {ANNA: "50.00", EMMA: "50.00"},
         "credit split 50/50 under rule split"),
    ],
)  # fmt: skip
def test_conflict_rules(
    rule: ConflictRule,
    method: AttributionMethod,
    winner: int,
    credit: dict[int, str],
    tail: str,
) -> None:
    result = attribute_conversion(
        CONFLICT, CONFLICT_CLICKS, AttributionRule(conflict=rule), labels=LABELS
    )
    assert result.conflict
    assert (result.method, result.partnership_id) == (method, winner)
    assert result.reason == f"{HEAD}; {tail}"
    assert result.credit(EUR_100) == {p: Money(a, "EUR") for p, a in credit.items()}
    if method is AttributionMethod.CODE:
        assert (result.link_id, result.click_id, result.seconds_from_click) == (None, None, None)
    else:
        assert (result.link_id, result.click_id, result.seconds_from_click) == (
            10,
            "c-anna",
            3 * 86400,
        )


def test_default_rule_is_code_wins() -> None:
    assert AttributionRule().conflict is ConflictRule.CODE_WINS
    assert attribute_conversion(CONFLICT, CONFLICT_CLICKS).partnership_id == EMMA


def test_most_recent_click_wins_without_a_later_code_click() -> None:
    clicks = [touch("c-anna", ANNA, days(3)), touch("c-emma", EMMA, days(5))]
    result = attribute_conversion(
        CONFLICT, clicks, AttributionRule(conflict=ConflictRule.MOST_RECENT), labels=LABELS
    )
    assert (result.method, result.partnership_id) == (AttributionMethod.CLICK_ID, ANNA)
    assert result.reason == (
        f"{HEAD}; click wins under rule most_recent (@emma has no later click from this customer)"
    )


def test_split_odd_cent_goes_to_the_click() -> None:
    result = attribute_conversion(
        CONFLICT, CONFLICT_CLICKS, AttributionRule(conflict=ConflictRule.SPLIT)
    )
    assert result.credit(Money("0.01", "EUR")) == {
        ANNA: Money("0.01", "EUR"),
        EMMA: Money("0.00", "EUR"),
    }


# --- rule and value validation ------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"window": timedelta(0)}, "window"),
        ({"window": -days(1)}, "window"),
        ({"conflict": "loudest"}, "conflict"),
        ({"model": "linear"}, "model"),
        ({"model": "markov"}, "model"),
        ({"model": "nope"}, "model"),
    ],
)
def test_bad_rules_refused(kwargs: dict[str, object], field: str) -> None:
    with pytest.raises(PerfluenceError) as info:
        AttributionRule(**kwargs)  # type: ignore[arg-type]
    assert info.value.code is ErrorCode.INVALID
    assert info.value.field == field


def test_rule_accepts_strings() -> None:
    rule = AttributionRule(conflict="split", model="first_click")  # type: ignore[arg-type]
    assert rule.conflict is ConflictRule.SPLIT
    assert rule.model is AttributionModel.FIRST_CLICK


def test_naive_times_refused() -> None:
    with pytest.raises(PerfluenceError, match="timezone-aware"):
        Touch("c", 1, 1, datetime(2026, 1, 1))
    with pytest.raises(PerfluenceError, match="timezone-aware"):
        ConversionFacts(datetime(2026, 1, 1), EUR_100)
    with pytest.raises(PerfluenceError, match="timezone-aware"):
        split_credit(EUR_100, [], "linear", datetime(2026, 1, 1))


# --- multi-touch models: the doc's worked cases -----------------------------------

# @anna 14 days, @emma 7 days and @carl 0 days before a 100.00 EUR sale.
THREE = [touch("a", ANNA, days(14)), touch("b", EMMA, days(7)), touch("c", CARL, days(0))]


def eur(**parts: str) -> dict[int, Money]:
    ids = {"anna": ANNA, "emma": EMMA, "carl": CARL, "dina": 4}
    return {ids[name]: Money(amount, "EUR") for name, amount in parts.items()}


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("last_click", eur(carl="100.00")),
        ("first_click", eur(anna="100.00")),
        ("linear", eur(anna="33.34", emma="33.33", carl="33.33")),
        ("time_decay", eur(anna="14.29", emma="28.57", carl="57.14")),
        ("position_based", eur(anna="40.00", emma="20.00", carl="40.00")),
    ],
)
def test_worked_case_three_touches(model: str, expected: dict[int, Money]) -> None:
    assert split_credit(EUR_100, THREE, model, SALE_AT) == expected


def test_worked_case_linear_counts_touches() -> None:
    path = [touch("a", ANNA, days(20)), touch("b", EMMA, days(10)), touch("c", ANNA, days(5))]
    assert split_credit(EUR_100, path, "linear", SALE_AT) == eur(anna="66.67", emma="33.33")


def test_worked_case_time_decay_half_a_half_life() -> None:
    assert time_decay_weight(days(14)) == Decimal("0.25")
    assert time_decay_weight(days(7)) == Decimal("0.5")
    assert time_decay_weight(days(0)) == Decimal(1)
    assert time_decay_weight(timedelta(days=3, hours=12)) == Decimal(
        "0.7071067811865475244008443621"
    )
    path = [touch("a", ANNA, days(0)), touch("b", EMMA, timedelta(days=3, hours=12))]
    assert split_credit(EUR_100, path, "time_decay", SALE_AT) == eur(emma="41.42", anna="58.58")


def test_time_decay_half_life_parameter() -> None:
    assert time_decay_weight(days(2), half_life=days(1)) == Decimal("0.25")
    result = split_credit(EUR_100, THREE[1:], "time_decay", SALE_AT, half_life=timedelta(days=1))
    # weights 2^-7 = 0.0078125 and 1: 100 × 0.0078125 / 1.0078125 = 0.775…
    assert result == eur(emma="0.78", carl="99.22")


def test_worked_case_position_based() -> None:
    dkk = Money("200.00", "DKK")
    path = [
        touch("a", ANNA, days(20)),
        touch("b", EMMA, days(10)),
        touch("c", CARL, days(5)),
        touch("d", 4, days(1)),
    ]
    assert split_credit(dkk, path, "position_based", SALE_AT) == {
        ANNA: Money("80.00", "DKK"),
        EMMA: Money("20.00", "DKK"),
        CARL: Money("20.00", "DKK"),
        4: Money("80.00", "DKK"),
    }
    assert split_credit(EUR_100, THREE[:1], "position_based", SALE_AT) == eur(anna="100.00")
    assert split_credit(EUR_100, THREE[:2], "position_based", SALE_AT) == eur(
        anna="50.00", emma="50.00"
    )


def test_worked_case_markov() -> None:
    # The published four-journey example with @anna for Google Ads and @emma for
    # mailing: shares 0.6 / 0.4, applied once per partnership on the path.
    shares = markov_shares(
        [
            PathCount((ANNA,), conversions=2, non_conversions=1),
            PathCount((EMMA,), conversions=1),
            PathCount((ANNA, EMMA), conversions=1),
        ]
    )
    assert shares == {ANNA: Decimal("0.6"), EMMA: Decimal("0.4")}
    path = [touch("a", ANNA, days(3)), touch("b", EMMA, days(2)), touch("c", ANNA, days(1))]
    result = split_credit(EUR_100, path, "markov", SALE_AT, markov_shares=shares)
    assert result == eur(anna="60.00", emma="40.00")


def test_markov_needs_shares_for_every_partnership() -> None:
    with pytest.raises(PerfluenceError, match="needs markov_shares"):
        split_credit(EUR_100, THREE, "markov", SALE_AT)
    with pytest.raises(PerfluenceError, match="partnership 2 has no Markov share"):
        split_credit(EUR_100, THREE, "markov", SALE_AT, markov_shares={ANNA: Decimal(1)})
    zero = dict.fromkeys((ANNA, EMMA, CARL), Decimal(0))
    with pytest.raises(PerfluenceError, match="positive weight"):
        split_credit(EUR_100, THREE, "markov", SALE_AT, markov_shares=zero)


def test_split_credit_excludes_bots_and_out_of_window() -> None:
    path = [
        touch("old", ANNA, days(31)),
        touch("bot", EMMA, days(1), bot=True),
        touch("late", EMMA, -days(1)),
        touch("ok", CARL, days(2)),
    ]
    for model in ("last_click", "first_click", "linear", "time_decay", "position_based"):
        assert split_credit(EUR_100, path, model, SALE_AT) == eur(carl="100.00")
    assert split_credit(EUR_100, path[:3], "linear", SALE_AT) == {}
    assert split_credit(EUR_100, path, "linear", SALE_AT, window=days(40)) == eur(
        anna="50.00", carl="50.00"
    )
    assert [t.click_id for t in eligible_touches(path, SALE_AT)] == ["ok"]


def test_split_credit_refuses_unknown_model_and_bad_durations() -> None:
    with pytest.raises(PerfluenceError) as info:
        split_credit(EUR_100, THREE, "shapley", SALE_AT)
    assert info.value.field == "model"
    with pytest.raises(PerfluenceError) as info:
        split_credit(EUR_100, THREE, "time_decay", SALE_AT, half_life=timedelta(0))
    assert info.value.field == "half_life"
    with pytest.raises(PerfluenceError) as info:
        split_credit(EUR_100, THREE, "linear", SALE_AT, window=timedelta(0))
    assert info.value.field == "window"
