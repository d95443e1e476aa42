"""Costs, investment, plain ROI and margin-true ROI of a campaign."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from perfluence.cli import costs as costs_cli
from perfluence.config import Settings, get_settings
from perfluence.core.kpis import NA, roi_margin_percent
from perfluence.core.money import Money
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services import costs
from perfluence.services.context import Context
from tests.integration.payout_world import WS, make_world, partner, record, utc


def dkk(amount: str) -> Money:
    return Money(amount, "DKK")


def test_roi_margin_percent_worked_example() -> None:
    eur = lambda a: Money(a, "EUR")  # noqa: E731
    margin = roi_margin_percent(
        eur("40000"), eur("10000"), cogs=eur("16000"), discounts=eur("2000")
    )
    assert margin == Decimal("120")
    assert roi_margin_percent(eur("40000"), eur("10000")) == Decimal("300")
    assert roi_margin_percent(eur("1"), eur("0"), cogs=eur("1")) is NA


def test_add_and_list_costs(ctx: Context) -> None:
    make_world(ctx)
    partner(ctx, "bo", {"model": "flat_fee", "flat_fee": "4000"})
    fee = costs.add_cost(
        ctx, WS, "spring", kind="fee", amount="4000", creator="bo", on="2026-03-05"
    )
    assert (fee.kind, fee.amount, fee.creator_handle) == ("fee", dkk("4000"), "bo")
    costs.add_cost(ctx, WS, "spring", kind="Agency", amount="1500.50", on=date(2026, 3, 1))
    listed = costs.list_costs(ctx, WS, "spring")
    assert [(c.kind, c.amount, c.creator_handle) for c in listed] == [
        ("agency", dkk("1500.50"), None),
        ("fee", dkk("4000"), "bo"),
    ]


@pytest.mark.parametrize(
    ("kwargs", "code"),
    [
        ({"kind": "bribe", "amount": "1"}, ErrorCode.INVALID),
        ({"kind": "fee", "amount": "-5"}, ErrorCode.INVALID),
        ({"kind": "fee", "amount": "1.005"}, ErrorCode.INVALID),
        ({"kind": "fee", "amount": "1", "creator": "lea"}, ErrorCode.NOT_FOUND),
        ({"kind": "fee", "amount": "1", "currency": "XYZ"}, ErrorCode.UNKNOWN_CURRENCY),
    ],
)
def test_bad_costs_are_refused_and_nothing_is_stored(
    ctx: Context, kwargs: dict[str, str], code: ErrorCode
) -> None:
    make_world(ctx)
    with pytest.raises(PerfluenceError) as err:
        costs.add_cost(ctx, WS, "spring", **kwargs)  # type: ignore[arg-type]
    assert err.value.code is code
    assert costs.list_costs(ctx, WS) == []


def test_investment_and_margin_true_roi(ctx: Context) -> None:
    make_world(ctx)
    pid = partner(ctx, "bo", {"model": "cps", "commission_rate": "10%", "hold_days": 0})
    record(ctx, pid, "sale", dkk("10000.00"), utc("2026-03-10"))
    sale = record(ctx, pid, "sale", dkk("2000.00"), utc("2026-03-11"))
    record(ctx, pid, "refund", dkk("2000.00"), utc("2026-03-12"), reverses=sale)
    for kind, amount in (
        ("fee", "1000"),
        ("gifting", "500"),
        ("product", "3000"),
        ("discount", "700"),
    ):
        costs.add_cost(ctx, WS, "spring", kind=kind, amount=amount, on="2026-03-01")
    summary = costs.campaign_investment(ctx, WS, "spring")
    assert summary.net_revenue == dkk("10000.00")
    assert summary.creator_pay == dkk("1000.00")  # 1,200 commission − 200 reversed
    assert summary.investment == dkk("2500.00")  # pay + fee + gift
    assert (summary.cogs, summary.discounts) == (dkk("3000"), dkk("700"))
    assert summary.roi == Decimal(300)  # (10,000 − 2,500) / 2,500
    assert summary.roi_margin == Decimal(152)  # (10,000 − 3,000 − 700 − 2,500) / 2,500


def test_costs_cli(ctx: Context, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    make_world(ctx)
    assert settings.database_url is not None
    monkeypatch.setenv("PERFLUENCE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PERFLUENCE_WORKSPACE", WS)
    monkeypatch.setenv("PERFLUENCE_ENV", "test")
    monkeypatch.setenv("PERFLUENCE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        added = runner.invoke(
            costs_cli.app,
            ["add", "spring", "--kind", "agency", "--amount", "1500", "--on", "2026-03-01"],
            catch_exceptions=False,
        )
        assert added.exit_code == 0, added.output
        assert "booked agency" in added.output
        listed = runner.invoke(costs_cli.app, ["list", "--campaign", "spring"])
        assert listed.exit_code == 0, listed.output
        assert "margin-true ROI" in listed.output
    finally:
        get_settings.cache_clear()
