"""Invariants of the ledger and of statements, for any terms and events."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from itertools import pairwise

from hypothesis import given, settings
from hypothesis import strategies as st

from perfluence.core.fx import RateTable
from perfluence.core.money import Money, sum_money
from perfluence.core.payouts import AccrualInput, accrue_conversion
from perfluence.core.statements import PartnershipPay, SourceLine, draw_up
from perfluence.core.terms import ContractTerms, terms_from_dict

CURRENCIES = ("EUR", "DKK", "SEK", "NOK")
END = date(2026, 3, 31)
RATES = RateTable(
    {
        "DKK": {date(2026, 3, 31): Decimal("7.4611")},
        "SEK": {date(2026, 3, 31): Decimal("10.9431")},
        "NOK": {date(2026, 3, 31): Decimal("11.6755")},
    }
)

rates = st.integers(min_value=1, max_value=40).map(lambda n: f"{n}%")
minor = st.integers(min_value=1, max_value=5_000_000)


@st.composite
def contract(draw: st.DrawFn, currency: str) -> ContractTerms:
    values: dict[str, object] = {"model": "hybrid", "commission_rate": draw(rates)}
    values["cpc_rate"] = "0.40"
    if draw(st.booleans()):
        values["commission_tiers"] = [{"rate": "45%", "from_orders": draw(st.integers(1, 6))}]
    if draw(st.booleans()):
        values["cap_total"] = str(draw(st.integers(1, 50_000)))
    if draw(st.booleans()):
        values["cap_per_period"] = str(draw(st.integers(1, 20_000)))
        values["cap_period"] = draw(st.sampled_from(["week", "month"]))
    if draw(st.booleans()):
        values["minimum_payout"] = str(draw(st.integers(1, 5_000)))
    return terms_from_dict(values, currency=currency)


@st.composite
def source_line(draw: st.DrawFn, pid: int, currency: str) -> SourceLine:
    kind = draw(st.sampled_from(["commission", "reversal", "click", "lead", "flat_fee"]))
    units = draw(minor)
    amount = Money.from_minor(-units if kind == "reversal" else units, currency)
    basis = amount * 8 if kind in ("commission", "reversal") else None
    day = END - timedelta(days=draw(st.integers(0, 60)))
    return SourceLine(pid, kind, amount, day, kind, basis=basis)


@st.composite
def statement_inputs(draw: st.DrawFn) -> tuple[str, list[PartnershipPay], list[SourceLine], Money]:
    creator_currency = draw(st.sampled_from(CURRENCIES))
    pays, lines = [], []
    for pid in range(1, draw(st.integers(1, 3)) + 1):
        cur = draw(st.sampled_from(CURRENCIES))
        t = draw(contract(cur))
        paid = Money.from_minor(draw(st.integers(0, 3_000_000)), cur)
        pays.append(PartnershipPay(pid, f"c{pid}", t, paid))
        lines.extend(draw(st.lists(source_line(pid, cur), max_size=12)))
    carried = Money.from_minor(draw(st.integers(-100_000, 100_000)), creator_currency)
    return creator_currency, pays, lines, carried


def _decimals_only(*values: Money) -> bool:
    return all(isinstance(v.amount, Decimal) for v in values)


@settings(max_examples=150, deadline=None)
@given(statement_inputs())
def test_statement_lines_and_carried_balance_sum_exactly_to_the_total(
    case: tuple[str, list[PartnershipPay], list[SourceLine], Money],
) -> None:
    currency, pays, lines, carried = case
    s = draw_up(
        creator_id=1,
        currency=currency,
        period_start=date(2026, 1, 1),
        period_end=END,
        pays=pays,
        lines=lines,
        carried_in=carried,
        rates=RATES,
    )
    converted = [ln.converted for ln in s.lines]
    assert s.total == sum_money(converted, currency) + carried
    assert all(c == c.quantize() for c in converted)
    assert _decimals_only(s.total, *converted, *(ln.source.amount for ln in s.lines))
    # Every stored line is on the statement unchanged; only adjustments are added.
    assert [ln.source for ln in s.lines[: len(lines)]] == lines
    assert all(ln.source.kind == "adjustment" for ln in s.lines[len(lines) :])


@st.composite
def sales_with_refunds(draw: st.DrawFn) -> list[tuple[int, list[int]]]:
    """Sales in minor units, each split into the refunds that return all of it."""
    out = []
    for units in draw(st.lists(st.integers(1, 2_000_000), min_size=1, max_size=8)):
        cuts = sorted(draw(st.lists(st.integers(1, units), max_size=4, unique=True)))
        bounds = [0, *[c for c in cuts if c < units], units]
        out.append((units, [b - a for a, b in pairwise(bounds) if b > a]))
    return out


@settings(max_examples=200, deadline=None)
@given(
    rate=rates,
    country_rate=st.one_of(st.none(), rates),
    currency=st.sampled_from(CURRENCIES),
    hold=st.integers(0, 60),
    sales=sales_with_refunds(),
    countries=st.lists(st.sampled_from(["DK", "SE", None]), min_size=8, max_size=8),
)
def test_refunding_every_sale_brings_commissions_to_zero(
    rate: str,
    country_rate: str | None,
    currency: str,
    hold: int,
    sales: list[tuple[int, list[int]]],
    countries: list[str | None],
) -> None:
    values: dict[str, object] = {"model": "cps", "commission_rate": rate, "hold_days": hold}
    if country_rate is not None:
        values["country_rates"] = {"SE": country_rate}
    t = terms_from_dict(values, currency=currency)
    when = datetime(2026, 3, 1, 12, tzinfo=UTC)
    total = Money.zero(currency)
    for (units, refunds), country in zip(sales, countries, strict=False):
        amount = Money.from_minor(units, currency)
        [commission] = accrue_conversion(t, AccrualInput("sale", amount, when, country))
        total = total + commission.amount
        before = Money.zero(currency)
        for part_units in refunds:
            part = Money.from_minor(part_units, currency)
            refund = AccrualInput(
                "refund",
                part,
                when + timedelta(days=3),
                country,
                reverses_commission=commission.amount,
                reverses_amount=amount,
                refunded_before=before,
            )
            for entry in accrue_conversion(t, refund):
                assert entry.amount.amount <= 0
                total = total + entry.amount
            before = before + part
    assert total == Money.zero(currency)
    assert isinstance(total.amount, Decimal)
