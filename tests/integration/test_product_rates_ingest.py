"""Per-product rates through ingest: lines stored, accrued per line, reversed in proportion."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import select

from perfluence.core.model import ConversionKind, NormalisedEvent, NormalisedLine, WebhookSource
from perfluence.core.money import Money
from perfluence.services import campaigns, simulator
from perfluence.services import conversions as svc
from perfluence.services.context import Context
from perfluence.store import conversions as conversion_store
from perfluence.store.fx import upsert_rates
from perfluence.store.tables import conversions, payout_lines
from tests.integration.conversion_world import NOW, build_world, click, ledger_kinds

TEE = "EMMA-TEE"


def _terms(currency: str = "DKK") -> dict[str, object]:
    return {
        "version": 1,
        "model": "cps",
        "currency": currency,
        "commission_rate": "0.1",
        "product_rates": {TEE: "0.15"},
    }


def dkk(amount: str) -> Money:
    return Money(amount, "DKK")


def _order(
    amount: str = "500.00", *, code: str = "EMMA15", click_id: str | None = None
) -> NormalisedEvent:
    zero = dkk("0")
    return NormalisedEvent(
        source=WebhookSource.SHOPIFY,
        kind=ConversionKind.SALE,
        external_id="1001",
        occurred_at=NOW - timedelta(minutes=5),
        amount=dkk(amount),
        gross_amount=dkk(amount),
        discount_amount=zero,
        tax_amount=zero,
        codes=(code,),
        click_id=click_id,
        lines=(
            NormalisedLine("p-1", TEE, 2, dkk("200.00")),
            NormalisedLine("p-2", "MUG", 1, dkk("300.00")),
        ),
    )


def _refund(amount: str) -> NormalisedEvent:
    zero = dkk("0")
    return NormalisedEvent(
        source=WebhookSource.SHOPIFY,
        kind=ConversionKind.REFUND,
        external_id="r-1",
        occurred_at=NOW,
        amount=dkk(amount),
        gross_amount=dkk(amount),
        discount_amount=zero,
        tax_amount=zero,
        reverses_external_id="1001",
    )


def test_lines_are_stored_and_earn_their_product_rate_then_refunds_reverse_in_proportion(
    ctx: Context,
) -> None:
    w = build_world(ctx, emma_terms=_terms())
    [sale] = svc.record_events(ctx, w.ws, [_order()])
    # 15 % of the tees (200.00) + 10 % of the mug (300.00) = 30.00 + 30.00
    assert ledger_kinds(ctx, w.emma) == [("commission", 6000)]
    with ctx.engine.connect() as conn:
        stored = conversion_store.conversion_by_id(conn, w.ws, sale.conversion_id)
        description = conn.execute(select(payout_lines.c.description)).scalar_one()
    assert stored is not None
    assert stored.lines == _order().lines
    assert description == f"15% ({TEE}) of 200.00 DKK + 10% of 300.00 DKK"
    svc.record_events(ctx, w.ws, [_refund("100.00")])
    # A fifth of the sale comes back: a fifth of the 60.00 it earned.
    assert ledger_kinds(ctx, w.emma) == [("commission", 6000), ("reversal", -1200)]


def test_a_split_sale_shares_its_lines_out_with_the_credit(ctx: Context) -> None:
    w = build_world(ctx, emma_terms=_terms())
    campaigns.update_campaign(ctx, "shop", "spring", conflict_rule="split")
    cid = click(ctx, w.ws, w.emma_link, NOW - timedelta(hours=1))
    svc.record_events(ctx, w.ws, [_order(code="NOAH10", click_id=cid)])
    # Emma's half, 250.00, is 100.00 of tees and 150.00 of mug: 15.00 + 15.00.
    assert ledger_kinds(ctx, w.emma) == [("commission", 3000)]
    assert ledger_kinds(ctx, w.noah) == [("commission", 2500)]  # no product rates: 10 %


def test_reaccrue_uses_the_stored_lines(ctx: Context) -> None:
    w = build_world(ctx, emma_currency="EUR", emma_terms=_terms("EUR"))
    [sale] = svc.record_events(ctx, w.ws, [_order("746.00")])
    assert sale.flags == ("fx_rate_missing",)
    with ctx.engine.begin() as conn:
        upsert_rates(conn, [(date(2026, 2, 27), "DKK", Decimal("7.46"))])
    assert svc.reaccrue(ctx, "shop") == 1
    # 746.00 DKK = 100.00 EUR, shared 200:300 over the lines (they sum to 500.00, not 746.00):
    # 40.00 EUR of tees at 15 % + 60.00 EUR of mug at 10 % = 6.00 + 6.00
    assert ledger_kinds(ctx, w.emma) == [("commission", 1200)]
    with ctx.engine.connect() as conn:
        lines = conn.execute(select(conversions.c.lines)).scalar_one()
    assert lines[0] == {
        "product_id": "p-1",
        "sku": TEE,
        "quantity": 2,
        "amount_minor": 20000,
        "currency": "DKK",
    }


def test_the_simulator_replays_product_rates_like_the_ledger(ctx: Context) -> None:
    w = build_world(ctx, emma_terms=_terms())
    svc.record_events(ctx, w.ws, [_order(), _refund("100.00")])
    sim = simulator.simulate(ctx, "shop", "spring", "emma", ["cps:10%"])
    current, flat_rate = sim.rows
    assert current.label == "current"
    assert current.total == sim.ledger_total == dkk("48.00")  # 60.00 less 12.00
    assert flat_rate.total == dkk("40.00")  # 10 % of the 400.00 kept
