"""Per-product commission rates: the terms, line bases and the worked example in docs/payouts.md."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perfluence.core.money import Money, sum_money
from perfluence.core.payouts import (
    AccrualInput,
    AccrualLine,
    LineKind,
    accrue_conversion,
    line_bases,
    reversal_amount,
)
from perfluence.core.terms import ContractTerms, describe_terms, terms_from_dict
from perfluence.errors import ErrorCode, PerfluenceError

WHEN = datetime(2026, 3, 10, 14, 0, tzinfo=UTC)


def dkk(amount: str) -> Money:
    return Money(amount, "DKK")


def cps(**extra: object) -> ContractTerms:
    return terms_from_dict(
        {"model": "cps", "commission_rate": "10%", "hold_days": 14, **extra}, currency="DKK"
    )


def sale(amount: Money, *lines: AccrualLine, country: str | None = "DK") -> AccrualInput:
    return AccrualInput("sale", amount, WHEN, country, lines=lines)


def test_product_rates_round_trip_and_are_described() -> None:
    terms = cps(product_rates={"EMMA-TEE": "15%", " 8123 ": "0.2"})
    assert terms.product_rates == (("8123", Decimal("0.2")), ("EMMA-TEE", Decimal("0.15")))
    stored = json.loads(json.dumps(terms.to_dict()))
    assert stored["product_rates"] == {"8123": "0.2", "EMMA-TEE": "0.15"}
    assert terms_from_dict(stored) == terms
    assert describe_terms(terms) == "cps · 10% commission · 2 product rates · hold 14d"


@pytest.mark.parametrize(
    ("extra", "field", "text"),
    [
        ({"product_rates": {"TEE": "150"}}, "product_rates[TEE]", "at most 100%"),
        ({"product_rates": {"TEE": 0.15}}, "product_rates[TEE]", "not float"),
        ({"product_rates": ["TEE"]}, "product_rates", "must map product ids"),
        ({"product_rates": {"TEE": "5%", " TEE": "6%"}}, "product_rates", "two rates"),
        ({"product_rates": {"": "5%"}}, "product_rates", "not a product id"),
        ({"product_rates": {"X" * 101: "5%"}}, "product_rates", "over 100 characters"),
    ],
)
def test_bad_product_rates_are_refused_naming_the_field(
    extra: dict[str, object], field: str, text: str
) -> None:
    with pytest.raises(PerfluenceError) as err:
        cps(**extra)
    assert err.value.field == field
    assert text in err.value.message


def test_product_rates_need_a_commission_rate() -> None:
    with pytest.raises(PerfluenceError) as err:
        terms_from_dict(
            {"model": "cpl", "cpl_rate": "25", "product_rates": {"TEE": "5%"}}, currency="DKK"
        )
    assert (err.value.code, err.value.field) == (ErrorCode.INVALID, "product_rates")


def test_sku_rate_comes_before_the_product_ids() -> None:
    terms = cps(product_rates={"p-1": "12%", "SKU-1": "15%"})
    assert terms.product_rate_for("p-1", "SKU-1") == Decimal("0.15")
    assert terms.product_rate_for("p-1", "SKU-2") == Decimal("0.12")
    assert terms.product_rate_for("p-2", None) is None


def test_worked_example_one_commission_line_per_sale() -> None:
    """docs/payouts.md, "Per-product rates": 10 % base, the tee at 15 %, Sweden at 8 %."""
    terms = cps(product_rates={"EMMA-TEE": "15%"}, country_rates={"SE": "8%"})
    lines = (
        AccrualLine("p-1", dkk("200.00"), sku="EMMA-TEE"),
        AccrualLine("p-2", dkk("300.00"), sku="MUG"),
    )
    [entry] = accrue_conversion(terms, sale(dkk("500.00"), *lines))
    # 15 % of 200.00 + 10 % of 300.00 = 30.00 + 30.00
    assert entry.kind == LineKind.COMMISSION
    assert entry.amount == dkk("60.00")
    assert entry.basis == dkk("500.00")
    assert entry.rate is None  # two rates: the description says which
    assert entry.description == "15% (EMMA-TEE) of 200.00 DKK + 10% (DK) of 300.00 DKK"
    assert entry.payable_on == date(2026, 3, 24)
    # A 10 % order discount not spread over the lines: 180.00 of tees, 270.00 of mug.
    [discounted] = accrue_conversion(terms, sale(dkk("450.00"), *lines))
    assert discounted.amount == dkk("54.00")
    # In Sweden the other lines earn the Swedish rate; the tee keeps its own.
    [swedish] = accrue_conversion(terms, sale(dkk("500.00"), *lines, country="SE"))
    assert swedish.amount == dkk("54.00")  # 30.00 + 8 % of 300.00
    assert swedish.description == "15% (EMMA-TEE) of 200.00 DKK + 8% (SE) of 300.00 DKK"


def test_lines_that_do_not_add_up_are_scaled_to_the_amount() -> None:
    """An order-level discount (or half a split sale) shares the amount out by line value."""
    terms = cps(product_rates={"EMMA-TEE": "20%"})
    lines = (AccrualLine(None, dkk("100.00"), "EMMA-TEE"), AccrualLine(None, dkk("300.00")))
    # 360.00 after a 10 % order discount: 90.00 of it is the tee's, 270.00 the rest.
    [entry] = accrue_conversion(terms, sale(dkk("360.00"), *lines))
    assert entry.amount == dkk("45.00")  # 20 % of 90.00 + 10 % of 270.00
    # Lines in another currency (the order's, before conversion) only weigh.
    eur_lines = tuple(
        AccrualLine(ln.product_id, Money(ln.amount.amount, "EUR"), ln.sku) for ln in lines
    )
    assert accrue_conversion(terms, sale(dkk("360.00"), *eur_lines)) == [entry]


@pytest.mark.parametrize(
    "lines",
    [
        (),
        (AccrualLine("p", dkk("0")),),
        (AccrualLine("p", dkk("10")), AccrualLine("q", Money("10", "EUR"))),
        (AccrualLine("p", dkk("10")), AccrualLine("q", dkk("-1"))),
    ],
)
def test_unusable_lines_fall_back_to_the_base_rate(lines: tuple[AccrualLine, ...]) -> None:
    terms = cps(product_rates={"p": "50%"})
    [entry] = accrue_conversion(terms, sale(dkk("500.00"), *lines))
    assert (entry.amount, entry.rate) == (dkk("50.00"), Decimal("0.1"))
    assert entry.description == "10% of 500.00 DKK"


def test_no_line_with_its_own_rate_is_the_ordinary_commission() -> None:
    terms = cps(product_rates={"other": "50%"})
    plain = accrue_conversion(terms, sale(dkk("500.00")))
    assert accrue_conversion(terms, sale(dkk("500.00"), AccrualLine("p", dkk("500.00")))) == plain


def test_refunds_take_back_a_proportional_share_of_a_mixed_commission() -> None:
    terms = cps(product_rates={"EMMA-TEE": "15%"})
    [entry] = accrue_conversion(
        terms,
        sale(
            dkk("500.00"),
            AccrualLine(None, dkk("200.00"), "EMMA-TEE"),
            AccrualLine(None, dkk("300.00")),
        ),
    )
    first = reversal_amount(entry.amount, dkk("100.00"), dkk("500.00"))
    second = reversal_amount(entry.amount, dkk("400.00"), dkk("500.00"), dkk("100.00"))
    assert (first, second) == (dkk("12.00"), dkk("48.00"))
    assert first + second == entry.amount


line_amounts = st.lists(st.integers(0, 1_000_000), min_size=1, max_size=6).filter(any)


@given(line_amounts, st.integers(0, 10_000_000), st.sampled_from(["DKK", "EUR", "JPY"]))
def test_line_bases_always_sum_to_the_amount(minors: list[int], total: int, cur: str) -> None:
    amount = Money.from_minor(total, "DKK")
    lines = tuple(AccrualLine(str(i), Money.from_minor(m, cur)) for i, m in enumerate(minors))
    bases = line_bases(amount, lines)
    assert bases is not None
    assert sum_money(bases, "DKK") == amount
    if cur == "DKK" and sum(minors) == total:
        assert bases == [ln.amount for ln in lines]
