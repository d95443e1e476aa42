from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perfluence.core.money import Money, allocate
from perfluence.core.terms import (
    CapPeriod,
    CommissionTier,
    ContractTerms,
    Instalment,
    PaymentModel,
    describe_terms,
    parse_rate,
    terms_from_dict,
)
from perfluence.errors import ErrorCode, PerfluenceError

CURRENCIES = ["DKK", "SEK", "NOK", "EUR", "JPY", "KWD"]
COMPONENTS = ["flat_fee", "cpc_rate", "cpl_rate", "commission_rate", "gifting_value"]
SINGLE = {
    PaymentModel.FLAT_FEE: "flat_fee",
    PaymentModel.CPC: "cpc_rate",
    PaymentModel.CPL: "cpl_rate",
    PaymentModel.CPS: "commission_rate",
    PaymentModel.GIFTING: "gifting_value",
}


def _money(cur: str) -> st.SearchStrategy[Money]:
    return st.integers(1, 10**10).map(lambda n: Money.from_minor(n, cur))


_rate = st.integers(1, 10_000).map(lambda n: Decimal(n) / 10_000)
_product_key = st.text(
    st.characters(codec="utf-8", categories=["L", "N", "P"]), min_size=1, max_size=20
)


@st.composite
def contract_terms(draw: st.DrawFn) -> ContractTerms:
    cur = draw(st.sampled_from(CURRENCIES))
    model = draw(st.sampled_from(list(PaymentModel)))
    if model is PaymentModel.HYBRID:
        chosen = draw(st.sets(st.sampled_from(COMPONENTS), min_size=1))
    else:
        chosen = {SINGLE[model]}
    values: dict[str, object] = {}
    for name in chosen:
        values[name] = draw(_rate) if name == "commission_rate" else draw(_money(cur))
    fee = values.get("flat_fee")
    if isinstance(fee, Money) and draw(st.booleans()):
        weights = draw(st.lists(st.integers(1, 100), min_size=1, max_size=4))
        parts = allocate(fee, weights)
        if all(p.amount > 0 for p in parts):
            start = draw(st.dates(date(2025, 1, 1), date(2027, 1, 1)))
            values["fee_schedule"] = tuple(
                Instalment(start + timedelta(days=30 * i), p) for i, p in enumerate(parts)
            )
    if "commission_rate" in values:
        if draw(st.booleans()):
            thresholds = sorted(draw(st.sets(st.integers(1, 10_000), min_size=1, max_size=3)))
            by_orders = draw(st.booleans())
            values["commission_tiers"] = tuple(
                CommissionTier(
                    rate=draw(_rate),
                    from_orders=t if by_orders else None,
                    from_revenue=None if by_orders else Money(t, cur),
                )
                for t in thresholds
            )
        countries = draw(st.sets(st.sampled_from(["DK", "SE", "NO", "FI", "DE"]), max_size=3))
        values["country_rates"] = tuple(sorted((c, draw(_rate)) for c in countries))
        products = draw(st.sets(_product_key, max_size=3))
        values["product_rates"] = tuple(sorted((k, draw(_rate)) for k in products))
    if model in {PaymentModel.CPC, PaymentModel.CPL, PaymentModel.CPS, PaymentModel.HYBRID}:
        values["cap_total"] = draw(st.none() | _money(cur))
        if draw(st.booleans()):
            values["cap_per_period"] = draw(_money(cur))
            values["cap_period"] = draw(st.sampled_from(list(CapPeriod)))
    if model is not PaymentModel.GIFTING:
        values["minimum_payout"] = draw(st.none() | _money(cur))
    text = st.none() | st.text(min_size=1, max_size=40).filter(lambda s: s.strip() != "")
    return ContractTerms(
        model=model,
        currency=cur,
        hold_days=draw(st.integers(0, 365)),
        exclusivity=draw(text),
        usage_rights=draw(text),
        **values,  # type: ignore[arg-type]
    )


def _no_floats(value: object) -> None:
    assert not isinstance(value, float)
    if isinstance(value, dict):
        for v in value.values():
            _no_floats(v)
    if isinstance(value, list):
        for v in value:
            _no_floats(v)


@given(contract_terms())
def test_terms_round_trip_through_json_is_identity(terms: ContractTerms) -> None:
    data = terms.to_dict()
    _no_floats(data)

    def refuse_float(text: str) -> object:
        raise AssertionError(f"float {text} in terms JSON")

    reloaded = json.loads(json.dumps(data), parse_float=refuse_float)
    assert terms_from_dict(reloaded) == terms


@pytest.mark.parametrize(
    ("text", "expected"),
    [("12%", "0.12"), ("0.12", "0.12"), (" 7.5 % ", "0.075"), ("100%", "1"), ("1", "1")],
)
def test_parse_rate_accepts_percent_and_fraction(text: str, expected: str) -> None:
    assert parse_rate(text) == Decimal(expected)


@pytest.mark.parametrize("text", ["12", "0", "-5%", "abc", "101%", "NaN"])
def test_parse_rate_refuses_out_of_range_or_garbage(text: str) -> None:
    with pytest.raises(PerfluenceError) as err:
        parse_rate(text)
    assert err.value.field == "commission_rate"


def test_rate_above_one_suggests_percent() -> None:
    with pytest.raises(PerfluenceError, match=r"write 12% or 0\.12"):
        parse_rate("12")


def _error(data: dict[str, object], currency: str | None = "DKK") -> PerfluenceError:
    with pytest.raises(PerfluenceError) as err:
        terms_from_dict(data, currency=currency)
    return err.value


def test_cps_needs_commission_rate() -> None:
    err = _error({"model": "cps"})
    assert err.field == "commission_rate"
    assert "needs commission_rate" in err.message


def test_single_model_refuses_a_field_of_another_model() -> None:
    err = _error({"model": "cps", "commission_rate": "0.1", "flat_fee": "100"})
    assert err.field == "flat_fee"
    assert "hybrid" in err.message


def test_hybrid_combines_fee_and_commission() -> None:
    terms = terms_from_dict(
        {"model": "hybrid", "flat_fee": "5000", "commission_rate": "8%"}, currency="dkk"
    )
    assert terms.flat_fee == Money("5000", "DKK")
    assert terms.commission_rate == Decimal("0.08")
    assert terms.currency == "DKK"
    assert terms.hold_days == 30
    assert describe_terms(terms) == "hybrid · fee 5000.00 DKK · 8% commission · hold 30d"


def test_hybrid_needs_at_least_one_component() -> None:
    assert _error({"model": "hybrid"}).field == "model"


def test_unknown_model_lists_choices() -> None:
    err = _error({"model": "barter"})
    assert err.field == "model"
    assert "flat_fee, cpc, cpl, cps, gifting, hybrid" in err.message


def test_float_amount_is_refused_naming_the_field() -> None:
    err = _error({"model": "cpc", "cpc_rate": 0.4})
    assert err.field == "cpc_rate"
    assert "float" in err.message


def test_schedule_must_sum_exactly_to_the_fee() -> None:
    err = _error(
        {
            "model": "flat_fee",
            "flat_fee": "5000",
            "fee_schedule": [
                {"due_on": "2026-03-01", "amount": "2500"},
                {"due_on": "2026-04-01", "amount": "2499.99"},
            ],
        }
    )
    assert err.field == "fee_schedule"
    assert "4999.99" in err.message


def test_schedule_that_sums_exactly_is_kept_in_order() -> None:
    terms = terms_from_dict(
        {
            "model": "flat_fee",
            "flat_fee": "1000.01",
            "fee_schedule": [
                {"due_on": "2026-03-01", "amount": "500"},
                {"due_on": "2026-04-01", "amount": "500.01"},
            ],
        },
        currency="SEK",
    )
    assert [i.due_on for i in terms.fee_schedule] == [date(2026, 3, 1), date(2026, 4, 1)]


def test_schedule_without_fee_is_refused() -> None:
    err = _error(
        {
            "model": "cps",
            "commission_rate": "0.1",
            "fee_schedule": [{"due_on": "2026-03-01", "amount": "1"}],
        }
    )
    assert err.field == "fee_schedule"


def test_money_in_another_currency_is_a_currency_mismatch() -> None:
    with pytest.raises(PerfluenceError) as err:
        ContractTerms(model=PaymentModel.CPL, currency="DKK", cpl_rate=Money("25", "EUR"))
    assert err.value.code is ErrorCode.CURRENCY_MISMATCH
    assert err.value.field == "cpl_rate"


def test_amount_finer_than_the_currency_allows_is_refused() -> None:
    err = _error({"model": "cpc", "cpc_rate": "0.405"})
    assert err.field == "cpc_rate"
    assert "decimals" in err.message
    assert _error({"model": "gifting", "gifting_value": "0"}).field == "gifting_value"


def test_gifting_has_nothing_to_cap_or_pay_out() -> None:
    assert _error({"model": "gifting", "gifting_value": "1200", "cap_total": "10"}).field == (
        "cap_total"
    )
    assert _error({"model": "gifting", "gifting_value": "1200", "minimum_payout": "10"}).field == (
        "minimum_payout"
    )


def test_per_period_cap_needs_its_period() -> None:
    err = _error({"model": "cpc", "cpc_rate": "0.40", "cap_per_period": "1000"})
    assert err.field == "cap_period"


def test_volume_tiers_must_increase_and_share_a_basis() -> None:
    base = {"model": "cps", "commission_rate": "0.10"}
    err = _error(
        {
            **base,
            "commission_tiers": [
                {"from_orders": 50, "rate": "0.12"},
                {"from_orders": 20, "rate": "0.15"},
            ],
        }
    )
    assert err.field == "commission_tiers[2]"
    err = _error(
        {
            **base,
            "commission_tiers": [
                {"from_orders": 50, "rate": "0.12"},
                {"from_revenue": "100000", "rate": "0.15"},
            ],
        }
    )
    assert "all count" in err.message


def test_country_rates_override_the_base_rate() -> None:
    terms = terms_from_dict(
        {"model": "cps", "commission_rate": "10%", "country_rates": {"se": "12%", "NO": "0.08"}},
        currency="DKK",
    )
    assert terms.country_rates == (("NO", Decimal("0.08")), ("SE", Decimal("0.12")))
    assert terms.commission_rate_for("SE") == Decimal("0.12")
    assert terms.commission_rate_for("DK") == Decimal("0.10")
    assert terms.commission_rate_for(None) == Decimal("0.10")


def test_unknown_key_and_bad_hold_days_are_named() -> None:
    assert _error({"model": "cpl", "cpl_rate": "25", "bonus": "1"}).field == "bonus"
    assert _error({"model": "cpl", "cpl_rate": "25", "hold_days": 400}).field == "hold_days"
    assert _error({"model": "cpl", "cpl_rate": "25", "hold_days": "soon"}).field == "hold_days"


def test_missing_currency_is_refused() -> None:
    assert _error({"model": "cpl", "cpl_rate": "25"}, currency=None).field == "currency"
