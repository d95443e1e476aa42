"""Statements from the stored ledger: holds, clicks, fees, caps, carry-over, FX, exports."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest
from typer.testing import CliRunner

from perfluence import cli
from perfluence.config import Settings, get_settings
from perfluence.core.money import Money
from perfluence.core.statements import StatementStatus
from perfluence.errors import EXIT_CODE, ErrorCode, PerfluenceError
from perfluence.services import fx, payout_exports, payouts, simulator
from perfluence.services.context import Context
from tests.conftest import DATA, FrozenClock
from tests.integration.payout_world import (
    WS,
    add_clicks,
    d,
    ledger_amounts,
    make_world,
    partner,
    record,
    utc,
)


def dkk(amount: str) -> Money:
    return Money(amount, "DKK")


def eur(amount: str) -> Money:
    return Money(amount, "EUR")


@pytest.fixture
def world(ctx: Context) -> Context:
    make_world(ctx)
    return ctx


def test_preview_writes_nothing_and_held_commissions_wait(world: Context) -> None:
    pid = partner(world, "bo", {"model": "cps", "commission_rate": "12%"})
    record(world, pid, "sale", dkk("1249.00"), utc("2026-03-10"))
    march = payouts.preview_statement(world, WS, "bo", "2026-03-01", "2026-03-31")
    assert march.statement.lines == ()
    assert march.statement.total == dkk("0")
    april = payouts.preview_statement(world, WS, "bo", "2026-04-01", "2026-04-30")
    assert [ln.converted for ln in april.statement.lines] == [dkk("149.88")]
    assert ledger_amounts(world, pid) == [("commission", dkk("149.88"), None)]
    with pytest.raises(PerfluenceError) as err:
        payouts.create_statement(world, WS, "bo", "2026-03-01", "2026-03-31")
    assert err.value.code is ErrorCode.INVALID  # nothing to pay yet


def test_create_assigns_lines_without_changing_them(world: Context) -> None:
    pid = partner(world, "bo", {"model": "cps", "commission_rate": "10%", "hold_days": 0})
    record(world, pid, "sale", dkk("500.00"), utc("2026-03-10"))
    record(world, pid, "sale", dkk("250.00"), utc("2026-04-02"))
    made = payouts.create_statement(world, WS, "bo", "2026-03-01", "2026-03-31")
    assert made.id is not None
    assert made.statement.total == dkk("50.00")
    assert ledger_amounts(world, pid) == [
        ("commission", dkk("50.00"), made.id),
        ("commission", dkk("25.00"), None),
    ]
    with pytest.raises(PerfluenceError) as err:
        payouts.create_statement(world, WS, "bo", "2026-03-15", "2026-04-15")
    assert err.value.code is ErrorCode.DUPLICATE


def test_status_goes_pending_approved_paid_and_never_back(world: Context) -> None:
    pid = partner(world, "bo", {"model": "cpl", "cpl_rate": "25", "hold_days": 0})
    record(world, pid, "lead", dkk("0"), utc("2026-03-03"))
    made = payouts.create_statement(world, WS, "bo", "2026-03-01", "2026-03-31")
    assert made.id is not None
    with pytest.raises(PerfluenceError, match="only a approved statement can become paid"):
        payouts.mark_paid(world, WS, made.id)
    approved = payouts.approve_statement(world, WS, made.id)
    assert (approved.status, approved.approved_at) == (StatementStatus.APPROVED, world.now())
    paid = payouts.mark_paid(world, WS, made.id)
    assert paid.status is StatementStatus.PAID
    with pytest.raises(PerfluenceError):
        payouts.approve_statement(world, WS, made.id)


def test_partial_refund_after_payment_is_carried_into_the_next_statement(world: Context) -> None:
    pid = partner(world, "bo", {"model": "cps", "commission_rate": "10%", "hold_days": 30})
    sale = record(world, pid, "sale", dkk("1000.00"), utc("2026-03-05"))
    april = payouts.create_statement(world, WS, "bo", "2026-04-01", "2026-04-30")
    assert april.id is not None
    assert april.statement.total == dkk("100.00")
    payouts.approve_statement(world, WS, april.id)
    payouts.mark_paid(world, WS, april.id)
    # Returns after payment: two partial refunds, in May.
    record(world, pid, "refund", dkk("333.33"), utc("2026-05-02"), reverses=sale)
    may = payouts.create_statement(world, WS, "bo", "2026-05-01", "2026-05-31")
    assert may.statement.status is StatementStatus.CARRIED
    assert may.statement.total == dkk("-33.33")
    record(world, pid, "refund", dkk("666.67"), utc("2026-06-01"), reverses=sale)
    record(world, pid, "sale", dkk("2000.00"), utc("2026-05-20"))
    june = payouts.create_statement(world, WS, "bo", "2026-06-01", "2026-06-30")
    assert june.statement.carried_in == dkk("-33.33")
    assert june.statement.total == dkk("200.00") - dkk("66.67") - dkk("33.33")
    kinds = [k for k, _, _ in ledger_amounts(world, pid)]
    assert kinds == ["commission", "reversal", "reversal", "commission"]
    reversed_total = sum((a.amount for k, a, _ in ledger_amounts(world, pid)[:3]), Decimal(0))
    assert reversed_total == 0
    stored = {s.id: s for s in payouts.list_statements(world, WS, creator="bo")}
    assert stored[may.id].carried_into_id == june.id  # type: ignore[index]
    for sid in stored:
        row, lines = payouts.statement_lines(world, WS, sid)
        assert row.total == sum((ln.converted for ln in lines), row.carried_in)


def test_threshold_carries_small_statements_over(world: Context) -> None:
    terms = {"model": "cps", "commission_rate": "10%", "hold_days": 0, "minimum_payout": "500"}
    pid = partner(world, "bo", terms)
    record(world, pid, "sale", dkk("3000.00"), utc("2026-03-10"))
    march = payouts.create_statement(world, WS, "bo", "2026-03-01", "2026-03-31")
    assert (march.statement.status, march.statement.total) == (
        StatementStatus.CARRIED,
        dkk("300.00"),
    )
    with pytest.raises(PerfluenceError):
        payouts.approve_statement(world, WS, march.id or 0)
    record(world, pid, "sale", dkk("2500.00"), utc("2026-04-10"))
    april = payouts.create_statement(world, WS, "bo", "2026-04-01", "2026-04-30")
    assert (april.statement.status, april.statement.total) == (
        StatementStatus.PENDING,
        dkk("550.00"),
    )


def test_unique_human_clicks_are_paid_once(world: Context) -> None:
    pid = partner(world, "lea", {"model": "cpc", "cpc_rate": "0.40"}, campaign="spring")
    add_clicks(world, pid, utc("2026-03-02", 9), clicks=130, unique=100, bots=20)
    add_clicks(world, pid, utc("2026-03-31", 23), clicks=60, unique=50, bots=5)
    add_clicks(world, pid, utc("2026-04-01", 0), clicks=11, unique=10, bots=1)
    march = payouts.create_statement(world, WS, "lea", "2026-03-01", "2026-03-31")
    [click] = march.statement.lines
    assert click.source.amount == eur("60.00")  # 150 unique clicks × 0.40
    assert "150 unique clicks × 0.40 EUR, 2026-03-02 to 2026-03-31" in click.source.description
    april = payouts.preview_statement(world, WS, "lea", "2026-04-01", "2026-04-30")
    assert [ln.source.amount for ln in april.statement.lines] == [eur("4.00")]


def test_flat_fee_instalments_and_gifts(world: Context) -> None:
    terms = {
        "model": "flat_fee",
        "flat_fee": "5000",
        "fee_schedule": [
            {"due_on": "2026-03-01", "amount": "2000"},
            {"due_on": "2026-05-01", "amount": "3000"},
        ],
    }
    partner(world, "bo", terms)
    march = payouts.create_statement(world, WS, "bo", "2026-03-01", "2026-03-31")
    assert march.statement.total == dkk("2000")
    assert (
        payouts.preview_statement(world, WS, "bo", "2026-04-01", "2026-04-30").statement.lines == ()
    )
    may = payouts.create_statement(world, WS, "bo", "2026-04-01", "2026-05-31")
    assert may.statement.total == dkk("3000")
    # A gift is a cost, never cash: a gifting partnership puts nothing on a statement.
    partner(world, "lea", {"model": "gifting", "gifting_value": "150", "currency": "EUR"})
    gift = payouts.preview_statement(world, WS, "lea", "2026-03-01", "2026-05-31")
    assert gift.statement.lines == ()


def test_all_time_cap_counts_what_earlier_statements_paid(world: Context) -> None:
    terms = {"model": "cps", "commission_rate": "10%", "hold_days": 0, "cap_total": "300"}
    pid = partner(world, "bo", terms)
    record(world, pid, "sale", dkk("2500.00"), utc("2026-03-10"))
    payouts.create_statement(world, WS, "bo", "2026-03-01", "2026-03-31")
    record(world, pid, "sale", dkk("1000.00"), utc("2026-04-10"))
    april = payouts.create_statement(world, WS, "bo", "2026-04-01", "2026-04-30")
    assert april.statement.total == dkk("50.00")
    assert [k for k, _, _ in ledger_amounts(world, pid)] == [
        "commission",
        "commission",
        "adjustment",
    ]


def test_statements_in_the_creators_currency_at_ecb_rates(ctx: Context) -> None:
    make_world(ctx, starts_on="2025-12-01", ends_on="2026-01-31")
    fx.import_ecb_rates(ctx, DATA / "eurofxref-hist.csv")
    dk = partner(
        ctx, "emma", {"model": "cps", "commission_rate": "10%", "currency": "DKK", "hold_days": 0}
    )
    record(ctx, dk, "sale", dkk("10000.00"), utc("2025-12-10"))
    s = payouts.create_statement(ctx, WS, "emma", "2025-12-01", "2025-12-28")
    [line] = s.statement.lines
    assert line.source.amount == dkk("1000.00")
    assert line.converted == Money("1456.10", "SEK")
    assert s.statement.fx_rate_date == d("2025-12-24")
    assert [r.fx_rate_date for r in payouts.list_statements(ctx, WS, creator="emma")] == [
        d("2025-12-24")
    ]
    stored, lines = payouts.statement_lines(ctx, WS, s.id or 0)
    assert stored.total == Money("1456.10", "SEK") == lines[0].converted


def test_missing_rates_fail_without_writing(world: Context) -> None:
    pid = partner(
        world, "emma", {"model": "cps", "commission_rate": "10%", "currency": "EUR", "hold_days": 0}
    )
    record(world, pid, "sale", eur("100.00"), utc("2026-03-10"))
    with pytest.raises(PerfluenceError) as err:
        payouts.create_statement(world, WS, "emma", "2026-03-01", "2026-03-31")
    assert err.value.code is ErrorCode.FX_RATE_MISSING
    assert payouts.list_statements(world, WS) == []
    assert ledger_amounts(world, pid)[0][2] is None


def test_csv_export_is_byte_deterministic(world: Context) -> None:
    pid = partner(world, "bo", {"model": "cps", "commission_rate": "10%", "hold_days": 0})
    record(world, pid, "sale", dkk("1249.00"), utc("2026-03-10"))
    made = payouts.create_statement(world, WS, "bo", "2026-03-01", "2026-03-31")
    first = payout_exports.export_csv(world, WS, [made.id or 0])
    assert first == payout_exports.export_csv(world, WS, [made.id or 0])
    assert first.decode().splitlines()[1:] == [
        f"{made.id},bo,2026-03-01,2026-03-31,pending,DKK,,spring,commission,2026-03-10,"
        "10% of 1249.00 DKK,124.90,DKK,1,124.90",
        f"{made.id},bo,2026-03-01,2026-03-31,pending,DKK,,,total,,statement total,"
        "124.90,DKK,1,124.90",
    ]


def test_simulator_current_model_equals_the_real_ledger(world: Context, clock: FrozenClock) -> None:
    terms = {
        "model": "hybrid",
        "commission_rate": "8%",
        "cpc_rate": "0.50",
        "flat_fee": "1000",
        "commission_tiers": [{"rate": "10%", "from_orders": 3}],
        "hold_days": 14,
    }
    pid = partner(world, "bo", terms)
    add_clicks(world, pid, utc("2026-03-02", 10), clicks=400, unique=321, bots=40)
    sales = [
        record(world, pid, "sale", dkk(a), utc(day))
        for a, day in (
            ("999.95", "2026-03-03"),
            ("250.00", "2026-03-08"),
            ("1249.00", "2026-03-20"),
        )
    ]
    record(world, pid, "lead", dkk("0"), utc("2026-03-04"))
    record(world, pid, "refund", dkk("100.00"), utc("2026-03-25"), reverses=sales[0])
    record(world, pid, "refund", dkk("149.00"), utc("2026-03-26"), reverses=sales[2])
    clock.current = utc("2026-06-30")
    payouts.create_statement(world, WS, "bo", "2026-03-01", "2026-06-29")
    sim = simulator.simulate(world, WS, "spring", "bo", ["flat:500", "cps:12%", "cpc:0.40"])
    current = sim.rows[0]
    assert current.label == "current"
    assert current.total == sim.ledger_total
    assert sim.ledger_total == sum((a for _, a, _ in ledger_amounts(world, pid)), dkk("0"))
    assert [r.label for r in sim.rows] == ["current", "flat:500", "cps:12%", "cpc:0.40"]
    assert sim.rows[3].total == dkk("128.40")
    assert (sim.unique_clicks, sim.sales, sim.leads, sim.refunds) == (321, 3, 0 + 1, 2)


@pytest.fixture
def cli_env(
    world: Context, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Context]:
    assert settings.database_url is not None
    monkeypatch.setenv("PERFLUENCE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PERFLUENCE_WORKSPACE", WS)
    monkeypatch.setenv("PERFLUENCE_ENV", "test")
    monkeypatch.setenv("PERFLUENCE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield world
    get_settings.cache_clear()


def _run(*args: str) -> str:
    result = CliRunner().invoke(cli.app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_round_trip(cli_env: Context, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pid = partner(cli_env, "lea", {"model": "cps", "commission_rate": "10%", "hold_days": 0})
    record(cli_env, pid, "sale", eur("1234.50"), utc("2026-03-10"))
    period = ("--from", "2026-03-01", "--to", "2026-03-31")
    assert "123.45" in _run("payouts", "preview", "lea", *period)
    assert payouts.list_statements(cli_env, WS) == []
    out = _run("payouts", "create", "lea", *period)
    [made] = payouts.list_statements(cli_env, WS)
    sid = str(made.id)
    assert f"statement {sid}" in out
    assert "status: pending" in out
    _run("payouts", "approve", sid)
    _run("payouts", "bank", "lea", "--iban", "FR1420041010050500013M02606")
    xml = tmp_path / "march.xml"
    _run("payouts", "export", sid, "--format", "sepa", "--out", str(xml),
         "--debtor-name", "Shop", "--debtor-iban", "DK5000400440116243")  # fmt: skip
    assert b'<InstdAmt Ccy="EUR">123.45</InstdAmt>' in xml.read_bytes()
    assert "123.45" in _run("payouts", "show", sid)
    _run("payouts", "paid", sid)
    assert "paid" in _run("payouts", "list", "--status", "paid")
    csv_file = tmp_path / "march.csv"
    _run("payouts", "export", sid, "--out", str(csv_file))
    assert csv_file.read_bytes() == payout_exports.export_csv(cli_env, WS, [made.id])
    assert "cps:12%" in _run("payouts", "simulate", "spring", "lea", "--model", "cps:12%")
    monkeypatch.setattr(sys, "argv", ["perfluence", "payouts", "approve", sid])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    assert exit_info.value.code == EXIT_CODE[ErrorCode.INVALID]
