"""The payout-model simulator: the worked example of docs/payouts.md and its rules."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from perfluence.core.kpis import NA
from perfluence.core.money import Money, sum_money
from perfluence.core.payouts import AccrualInput, accrue_clicks, accrue_conversion
from perfluence.core.simulator import Replay, ReplayConversion, parse_model, replay_cost, simulate
from perfluence.core.terms import PaymentModel, terms_from_dict
from perfluence.errors import PerfluenceError

CURRENT = terms_from_dict({"model": "cps", "commission_rate": "10%"}, currency="EUR")


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def at(day: int) -> datetime:
    return datetime(2026, 3, day, 12, tzinfo=UTC)


# 2,000 unique clicks, 40 sales of 100.00 EUR, one refunded in full, one lead.
REPLAY = Replay(
    currency="EUR",
    starts_on=date(2026, 3, 1),
    through=date(2026, 3, 31),
    unique_clicks=2000,
    first_click_on=date(2026, 3, 2),
    conversions=(
        *(
            ReplayConversion(n, AccrualInput("sale", eur("100.00"), at(1 + n % 28), "DK"))
            for n in range(1, 41)
        ),
        ReplayConversion(41, AccrualInput("lead", eur("0"), at(5), None)),
        ReplayConversion(42, AccrualInput("refund", eur("100.00"), at(29), "DK"), reverses_key=1),
    ),
)


def test_flat_vs_cps_vs_cpc_per_conversion() -> None:
    models = [(m, parse_model(m, CURRENT)) for m in ("flat:500", "cps:12%", "cpc:0.40")]
    rows = simulate(CURRENT, models, REPLAY)
    got = {r.label: (r.total, r.per_conversion, r.per_click, r.vs_current) for r in rows}
    # 41 conversions (40 sales + 1 lead); the refunded sale's commission is reversed.
    assert got["current"] == (eur("390.00"), eur("390.00") / 41, eur("390.00") / 2000, eur("0"))
    assert got["flat:500"][0] == eur("500")
    assert got["cps:12%"][0] == eur("468.00")
    assert got["cpc:0.40"][0] == eur("800.00")
    assert got["cpc:0.40"][3] == eur("410.00")


def test_hybrid_models_add_up() -> None:
    hybrid = parse_model("flat:200+cps:5%", CURRENT)
    assert hybrid.model is PaymentModel.HYBRID
    assert replay_cost(hybrid, REPLAY) == eur("395.00")


def test_caps_and_tiers_apply_to_the_replay_as_one_period() -> None:
    tiered = terms_from_dict(
        {
            "model": "cps",
            "commission_rate": "10%",
            "commission_tiers": [{"rate": "20%", "from_orders": 30}],
            "cap_total": "700",
        },
        currency="EUR",
    )
    # 3,900 EUR net sales at 20 % = 780, capped at 700.
    assert replay_cost(tiered, REPLAY) == eur("700.00")


def test_current_terms_equal_the_sum_of_the_ledgers_accruals() -> None:
    cps_cpc = terms_from_dict(
        {"model": "hybrid", "commission_rate": "7%", "cpc_rate": "0.25"}, currency="EUR"
    )
    ledger = [e for c in REPLAY.conversions[:-1] for e in accrue_conversion(cps_cpc, c.event)]
    earned = ledger[0].amount
    refund = AccrualInput(
        "refund",
        eur("100.00"),
        at(29),
        "DK",
        reverses_commission=earned,
        reverses_amount=eur("100"),
    )
    ledger += accrue_conversion(cps_cpc, refund)
    ledger += accrue_clicks(cps_cpc, 2000, date(2026, 3, 2), date(2026, 3, 31))
    assert replay_cost(cps_cpc, REPLAY) == sum_money((e.amount for e in ledger), "EUR")


def test_no_clicks_and_no_conversions_is_not_available() -> None:
    empty = Replay("EUR", date(2026, 3, 1), date(2026, 3, 31), 0, None, ())
    [row] = simulate(CURRENT, [], empty)
    assert (row.total, row.per_conversion, row.per_click) == (eur("0"), NA, NA)


@pytest.mark.parametrize("text", ["cpm:3", "cps", "flat:", "", "cps:120"])
def test_bad_models_are_refused(text: str) -> None:
    with pytest.raises(PerfluenceError):
        parse_model(text, CURRENT)


def test_model_amounts_are_exact() -> None:
    assert parse_model("cpc:0.40", CURRENT).cpc_rate == Money(Decimal("0.40"), "EUR")
