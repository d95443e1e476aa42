"""A conversion split between two partnerships counts as each one's share everywhere."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from sqlalchemy import func, select

from perfluence.core.money import Money, sum_money
from perfluence.services import campaigns, reporting, simulator
from perfluence.services import conversions as svc
from perfluence.services.context import Context
from perfluence.store.payouts import partnership_conversions
from perfluence.store.tables import conversions
from tests.integration.conversion_world import NOW, World, build_world, click


def dkk(amount: str) -> Money:
    return Money(amount, "DKK")


def _track(ctx: Context, w: World, **fields: object) -> svc.IngestResult:
    fields.setdefault("amount", None)
    request = svc.TrackRequest(occurred_at=None, **fields)  # type: ignore[arg-type]
    return svc.track(ctx, w.ws, "api", request)


def _split_world(ctx: Context) -> World:
    """Emma's click and Noah's code on one odd-amount order, split 50/50, partly refunded."""
    w = build_world(ctx)
    campaigns.update_campaign(ctx, "shop", "spring", conflict_rule="split")
    cid = click(ctx, w.ws, w.emma_link, NOW - timedelta(hours=1))
    _track(
        ctx, w, kind="sale", external_id="o-1", amount=dkk("500.01"), click_id=cid, code="NOAH10"
    )
    _track(ctx, w, kind="sale", external_id="o-2", amount=dkk("200.00"), code="EMMA15")
    _track(ctx, w, kind="lead", external_id="l-1", code="NOAH10")
    _track(
        ctx, w, kind="refund", external_id="r-1", amount=dkk("100.01"), reverses_external_id="o-1"
    )
    return w


def _stored_total(ctx: Context, kind: str) -> Money:
    with ctx.engine.connect() as conn:
        minor = conn.execute(
            select(func.sum(conversions.c.amount_minor)).where(conversions.c.kind == kind)
        ).scalar_one()
    return Money.from_minor(int(minor), "DKK")


def test_split_sale_counts_half_for_each_creator_and_sums_exactly(ctx: Context) -> None:
    _split_world(ctx)
    kpis = reporting.campaign_kpis(ctx, "shop", "spring")
    by = {c.handle: c.figures for c in kpis.creators}
    emma, noah = by["emma"], by["noah"]
    # 500.01 shared to the minor unit: 250.01 and 250.00; the refund 100.01 likewise.
    assert (emma.gross_revenue, noah.gross_revenue) == (dkk("450.01"), dkk("250.00"))
    assert (emma.refunds, noah.refunds) == (dkk("50.01"), dkk("50.00"))
    assert (emma.sales, noah.sales) == (Decimal("1.5"), Decimal("0.5"))
    assert (emma.leads, noah.leads) == (0, 1)
    assert isinstance(noah.leads, int)  # whole counts stay ints
    assert (emma.refunded_orders, noah.refunded_orders) == (Decimal("0.5"), Decimal("0.5"))
    t = kpis.totals
    assert t.gross_revenue == sum_money([emma.gross_revenue, noah.gross_revenue], "DKK")
    assert t.gross_revenue == _stored_total(ctx, "sale")  # 700.01, not a cent more or less
    assert t.refunds == _stored_total(ctx, "refund")
    assert t.revenue == dkk("600.00") == emma.revenue + noah.revenue
    assert (t.sales, t.leads, t.refunded_orders, t.conversions) == (2, 1, 1, 3)
    assert kpis.total_ratios.return_rate == Decimal("0.5")


def test_payout_events_are_each_partnerships_credited_part(ctx: Context) -> None:
    w = _split_world(ctx)
    with ctx.engine.connect() as conn:
        emma = partnership_conversions(conn, w.emma)
        noah = partnership_conversions(conn, w.noah)
    assert [(e.kind, e.amount) for e in emma] == [
        ("sale", dkk("250.01")),
        ("sale", dkk("200.00")),
        ("refund", dkk("50.01")),
    ]
    assert [(e.kind, e.amount) for e in noah] == [
        ("sale", dkk("250.00")),
        ("lead", dkk("0")),
        ("refund", dkk("50.00")),
    ]
    sim = simulator.simulate(ctx, "shop", "spring", "noah", ["cps:10%"])
    assert (sim.sales, sim.leads, sim.refunds) == (1, 1, 1)
    # 10 % of Noah's half (25.00) less 10 % of his half of the refund (5.00)
    assert sim.ledger_total == dkk("20.00")
