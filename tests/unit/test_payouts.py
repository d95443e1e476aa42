"""Worked examples of docs/payouts.md: every payment model, holds, refunds, tiers, caps,
threshold carry-over and statements in DKK, SEK, NOK and EUR at ECB rates."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from perfluence.core.fx import RateTable
from perfluence.core.money import Money, sum_money
from perfluence.core.payouts import (
    AccrualInput,
    LedgerEntry,
    accrue_clicks,
    accrue_conversion,
    flat_fee_due,
    reversal_amount,
)
from perfluence.core.statements import (
    PartnershipPay,
    SourceLine,
    StatementStatus,
    cap_window,
    draw_up,
)
from perfluence.core.terms import CapPeriod, ContractTerms, terms_from_dict
from perfluence.errors import ErrorCode, PerfluenceError

# ECB reference rates (1 EUR = x), from tests/data/eurofxref-hist.csv.
ECB = RateTable(
    {
        "DKK": {date(2025, 12, 24): Decimal("7.4681"), date(2026, 1, 2): Decimal("7.4676")},
        "SEK": {date(2025, 12, 24): Decimal("10.8743"), date(2026, 1, 2): Decimal("10.9322")},
        "NOK": {date(2025, 12, 24): Decimal("11.8481"), date(2026, 1, 2): Decimal("11.8067")},
    }
)


def terms(currency: str = "DKK", **values: object) -> ContractTerms:
    return terms_from_dict(values, currency=currency)


def at(day: str) -> datetime:
    return datetime.fromisoformat(day).replace(hour=14, tzinfo=UTC)


def dkk(amount: str) -> Money:
    return Money(amount, "DKK")


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


def sale(amount: Money, day: str = "2026-03-10", country: str | None = "DK") -> AccrualInput:
    return AccrualInput("sale", amount, at(day), country)


# --- accrual: one event at a time ------------------------------------------------


def test_cps_commission_is_held_for_thirty_days() -> None:
    cps = terms(model="cps", commission_rate="12%")
    [line] = accrue_conversion(cps, sale(dkk("1249.00")))
    assert line == LedgerEntry(
        kind="commission",
        amount=dkk("149.88"),
        payable_on=date(2026, 4, 9),
        description="12% of 1249.00 DKK",
        basis=dkk("1249.00"),
        rate=Decimal("0.12"),
    )


def test_commission_rounds_half_up_to_the_minor_unit() -> None:
    cps = terms(model="cps", commission_rate="12.5%", hold_days=0)
    [line] = accrue_conversion(cps, sale(dkk("0.60")))
    assert line.amount == dkk("0.08")  # 0.075 -> 0.08
    assert line.payable_on == date(2026, 3, 10)


def test_country_rate_applies_to_buyers_in_that_market() -> None:
    cps = terms(model="cps", commission_rate="10%", country_rates={"SE": "15%"})
    [swede] = accrue_conversion(cps, sale(dkk("800.00"), country="se"))
    [dane] = accrue_conversion(cps, sale(dkk("800.00"), country="DK"))
    [unknown] = accrue_conversion(cps, sale(dkk("800.00"), country=None))
    assert (swede.amount, dane.amount, unknown.amount) == (
        dkk("120.00"),
        dkk("80.00"),
        dkk("80.00"),
    )
    assert swede.description == "15% (SE) of 800.00 DKK"


def test_cpl_pays_the_lead_rate_after_the_hold() -> None:
    cpl = terms(model="cpl", cpl_rate="25", hold_days=14)
    [line] = accrue_conversion(cpl, AccrualInput("lead", dkk("0"), at("2026-03-10"), None))
    assert (line.kind, line.amount, line.payable_on) == ("lead", dkk("25.00"), date(2026, 3, 24))


def test_models_without_the_component_accrue_nothing() -> None:
    flat = terms(model="flat_fee", flat_fee="5000")
    gift = terms(model="gifting", gifting_value="1200")
    for t in (flat, gift):
        assert accrue_conversion(t, sale(dkk("999.00"))) == []
        assert accrue_conversion(t, AccrualInput("lead", dkk("0"), at("2026-03-10"), None)) == []


def test_hybrid_earns_both_lead_and_commission() -> None:
    hybrid = terms(model="hybrid", flat_fee="2000", cpl_rate="10", commission_rate="5%")
    [c] = accrue_conversion(hybrid, sale(dkk("400.00")))
    [lead] = accrue_conversion(hybrid, AccrualInput("lead", dkk("0"), at("2026-03-10"), None))
    assert (c.amount, lead.amount) == (dkk("20.00"), dkk("10.00"))


def test_refund_reverses_proportionally_on_the_day_it_happens() -> None:
    cps = terms("EUR", model="cps", commission_rate="10%")
    refund = AccrualInput(
        "refund",
        eur("333.33"),
        at("2026-05-02"),
        "DE",
        reverses_commission=eur("100.00"),
        reverses_amount=eur("1000.00"),
    )
    [line] = accrue_conversion(cps, refund)
    assert (line.kind, line.amount, line.payable_on) == (
        "reversal",
        eur("-33.33"),
        date(2026, 5, 2),
    )
    assert line.basis == eur("-333.33")


def test_partial_refunds_add_up_to_exactly_the_commission() -> None:
    earned, whole = eur("100.00"), eur("1000.00")
    parts = [eur("333.33"), eur("333.33"), eur("333.34")]
    before = eur("0")
    taken = []
    for part in parts:
        taken.append(reversal_amount(earned, part, whole, before))
        before = before + part
    assert taken == [eur("33.33"), eur("33.34"), eur("33.33")]
    assert sum_money(taken, "EUR") == earned


def test_a_refund_never_takes_back_more_than_the_sale_earned() -> None:
    assert reversal_amount(eur("100.00"), eur("1500.00"), eur("1000.00")) == eur("100.00")
    assert reversal_amount(eur("100.00"), eur("1.00"), eur("1000.00"), eur("1000.00")) == eur("0")


def test_refund_of_a_sale_that_earned_nothing_is_no_line() -> None:
    cps = terms("EUR", model="cps", commission_rate="10%")
    refund = AccrualInput("refund", eur("10"), at("2026-05-02"), None, reverses_commission=eur("0"))
    assert accrue_conversion(cps, refund) == []


def test_refund_without_its_sale_reverses_at_the_current_rate() -> None:
    cps = terms("EUR", model="cps", commission_rate="10%")
    [line] = accrue_conversion(cps, AccrualInput("refund", eur("55.55"), at("2026-05-02"), None))
    assert line.amount == eur("-5.56")


def test_events_in_another_currency_are_refused() -> None:
    cps = terms("EUR", model="cps", commission_rate="10%")
    with pytest.raises(PerfluenceError) as err:
        accrue_conversion(cps, sale(dkk("100.00")))
    assert err.value.code is ErrorCode.CURRENCY_MISMATCH


def test_cpc_pays_unique_clicks_on_the_last_day_covered() -> None:
    cpc = terms("EUR", model="cpc", cpc_rate="0.40")
    [line] = accrue_clicks(cpc, 1234, date(2026, 3, 1), date(2026, 3, 31))
    assert (line.kind, line.amount, line.payable_on) == ("click", eur("493.60"), date(2026, 3, 31))
    assert accrue_clicks(cpc, 0, date(2026, 3, 1), date(2026, 3, 31)) == []


def test_flat_fee_instalments_fall_due_once_each() -> None:
    flat = terms(
        model="flat_fee",
        flat_fee="5000",
        fee_schedule=[
            {"due_on": "2026-03-01", "amount": "2500"},
            {"due_on": "2026-04-01", "amount": "2500"},
        ],
    )
    march = flat_fee_due(flat, date(2026, 3, 1), date(2026, 3, 31), frozenset())
    assert [(e.payable_on, e.amount) for e in march] == [(date(2026, 3, 1), dkk("2500"))]
    april = flat_fee_due(flat, date(2026, 3, 1), date(2026, 4, 30), frozenset({date(2026, 3, 1)}))
    assert [(e.description, e.payable_on) for e in april] == [
        ("flat fee instalment 2 of 2", date(2026, 4, 1))
    ]
    unscheduled = terms(model="flat_fee", flat_fee="5000")
    [whole] = flat_fee_due(unscheduled, date(2026, 3, 15), date(2026, 3, 31), frozenset())
    assert (whole.payable_on, whole.amount) == (date(2026, 3, 15), dkk("5000"))


# --- statements --------------------------------------------------------------------


def line(
    amount: Money, kind: str = "commission", day: date = date(2026, 3, 20), **kw: object
) -> SourceLine:
    basis = kw.pop("basis", amount * 10 if kind in ("commission", "reversal") else None)
    return SourceLine(1, kind, amount, day, "line", basis=basis, **kw)  # type: ignore[arg-type]


def pay(
    t: ContractTerms, paid: Money | None = None, by_window: Mapping[date, Money] | None = None
) -> PartnershipPay:
    return PartnershipPay(1, "spring", t, paid or Money.zero(t.currency), by_window or {})


def statement(
    t: ContractTerms,
    lines: list[SourceLine],
    *,
    currency: str | None = None,
    end: date = date(2026, 3, 31),
    carried: Money | None = None,
    p: PartnershipPay | None = None,
):  # type: ignore[no-untyped-def]
    cur = currency or t.currency
    return draw_up(
        creator_id=7,
        currency=cur,
        period_start=end.replace(day=1),
        period_end=end,
        pays=[p or pay(t)],
        lines=lines,
        carried_in=carried or Money.zero(cur),
        rates=ECB,
    )


def test_volume_tier_uplifts_the_statements_commissions() -> None:
    tiered = terms(
        model="cps", commission_rate="10%", commission_tiers=[{"rate": "12%", "from_orders": 10}]
    )
    ten = [line(dkk("50.00")) for _ in range(10)]
    s = statement(tiered, ten)
    adjustment = s.lines[-1].source
    assert (adjustment.kind, adjustment.amount) == ("adjustment", dkk("100.00"))
    assert "volume tier 12% reached (10 orders)" in adjustment.description
    assert s.total == dkk("600.00")
    assert statement(tiered, ten[:9]).total == dkk("450.00")


def test_revenue_tier_counts_net_sales() -> None:
    tiered = terms(
        model="cps",
        commission_rate="10%",
        commission_tiers=[{"rate": "15%", "from_revenue": "4000"}],
    )
    sales = [line(dkk("250.00")), line(dkk("250.00"))]  # 5,000 DKK of sales
    assert statement(tiered, sales).total == dkk("750.00")
    refunded = [*sales, line(dkk("-150.00"), "reversal")]  # 1,500 back: 3,500 net
    assert statement(tiered, refunded).total == dkk("350.00")


def test_all_time_cap_records_a_negative_adjustment() -> None:
    capped = terms("EUR", model="cps", commission_rate="10%", cap_total="300")
    lines = [line(eur("200.00")), line(eur("150.00"))]
    s = statement(capped, lines)
    assert [ln.source.amount for ln in s.lines] == [eur("200.00"), eur("150.00"), eur("-50.00")]
    assert s.lines[-1].source.description == "spring: all-time cap 300.00 EUR reached"
    assert s.total == eur("300.00")
    later = statement(capped, [line(eur("40.00"))], p=pay(capped, paid=eur("280.00")))
    assert later.total == eur("20.00")


def test_monthly_cap_bounds_each_calendar_month() -> None:
    capped = terms("EUR", model="cpc", cpc_rate="0.40", cap_per_period="200", cap_period="month")
    march = [
        line(eur("150.00"), "click", date(2026, 3, 15)),
        line(eur("100.00"), "click", date(2026, 3, 31)),
    ]
    april = [line(eur("120.00"), "click", date(2026, 4, 30))]
    s = statement(capped, march + april, end=date(2026, 4, 30))
    cut = [ln.source for ln in s.lines if ln.source.kind == "adjustment"]
    assert [(c.amount, c.payable_on) for c in cut] == [(eur("-50.00"), date(2026, 3, 31))]
    assert s.total == eur("320.00")
    already = pay(capped, by_window={date(2026, 4, 1): eur("150.00")})
    assert statement(capped, april, end=date(2026, 4, 30), p=already).total == eur("50.00")


def test_cap_window_is_the_calendar_month_or_iso_week() -> None:
    assert cap_window(CapPeriod.MONTH, date(2026, 3, 31)) == date(2026, 3, 1)
    assert cap_window(CapPeriod.WEEK, date(2026, 3, 22)) == date(2026, 3, 16)


def test_statement_below_the_minimum_is_carried_into_the_next() -> None:
    t = terms(model="cps", commission_rate="10%", minimum_payout="500")
    march = statement(t, [line(dkk("300.00"))])
    assert march.status is StatementStatus.CARRIED
    assert march.note == "below the minimum payout of 500.00 DKK; carried"
    april = statement(
        t, [line(dkk("400.00"), day=date(2026, 4, 9))], end=date(2026, 4, 30), carried=march.total
    )
    assert (april.status, april.total) == (StatementStatus.PENDING, dkk("700.00"))


def test_reversal_after_payment_is_a_negative_line_on_the_next_statement() -> None:
    t = terms(model="cps", commission_rate="10%")
    may = statement(t, [line(dkk("-33.33"), "reversal", date(2026, 5, 2))], end=date(2026, 5, 31))
    assert (may.status, may.total) == (StatementStatus.CARRIED, dkk("-33.33"))
    assert may.note == "negative balance carried into the next statement"
    june = statement(
        t, [line(dkk("80.00"), day=date(2026, 6, 9))], end=date(2026, 6, 30), carried=may.total
    )
    assert june.total == dkk("46.67")


def test_lines_that_are_still_held_are_refused() -> None:
    t = terms(model="cps", commission_rate="10%")
    with pytest.raises(PerfluenceError, match="payable only on 2026-04-09"):
        statement(t, [line(dkk("1.00"), day=date(2026, 4, 9))])


@pytest.mark.parametrize(
    ("line_currency", "creator_currency", "amount", "expected", "rate"),
    [
        ("DKK", "SEK", "1000.00", "1456.10", "1.456099945099824587244412903"),
        ("EUR", "NOK", "100.00", "1184.81", "11.8481"),
        ("DKK", "EUR", "1000.00", "133.90", None),
        ("EUR", "EUR", "100.00", "100.00", "1"),
    ],
)
def test_statement_converts_at_the_ecb_rate_of_the_periods_last_business_day(
    line_currency: str, creator_currency: str, amount: str, expected: str, rate: str | None
) -> None:
    t = terms(line_currency, model="cps", commission_rate="10%")
    # 2025-12-28 is a Sunday after Christmas: the last ECB publication is 2025-12-24.
    lines = [line(Money(amount, line_currency), day=date(2025, 12, 20))]
    s = statement(t, lines, currency=creator_currency, end=date(2025, 12, 28))
    [converted] = s.lines
    assert converted.converted == Money(expected, creator_currency)
    if rate is not None:
        assert converted.fx_rate == Decimal(rate)
    assert s.fx_rate_date == (None if line_currency == creator_currency else date(2025, 12, 24))
    assert s.total == converted.converted


def test_mixed_currencies_sum_line_by_line() -> None:
    t = terms(model="cps", commission_rate="10%")
    lines = [
        line(dkk("149.88"), day=date(2025, 12, 1)),
        line(dkk("1000.00"), day=date(2025, 12, 1)),
    ]
    s = statement(t, lines, currency="SEK", end=date(2025, 12, 28))
    assert [ln.converted for ln in s.lines] == [Money("218.24", "SEK"), Money("1456.10", "SEK")]
    assert s.total == Money("1674.34", "SEK") == s.lines_total
