"""Refunds: linking to the sale, capping, scaling, late sales, and what they take back."""

from __future__ import annotations

import json
from datetime import date, timedelta
from decimal import Decimal
from itertools import count

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perfluence.conversions.woocommerce import normalise_woocommerce
from perfluence.core.model import ConversionKind, NormalisedEvent, WebhookSource
from perfluence.core.money import Money
from perfluence.errors import PerfluenceError
from perfluence.services import conversions as svc
from perfluence.services.context import Context
from perfluence.services.reporting import campaign_kpis
from perfluence.store.fx import upsert_rates
from tests.conftest import DATA
from tests.integration.conversion_world import (
    NOW,
    build_world,
    commission_minor,
    conversion_count,
    ledger_kinds,
)


def _dkk(amount: str) -> Money:
    return Money(Decimal(amount), "DKK")


def _sale(external_id: str, amount: str, code: str = "EMMA15") -> svc.TrackRequest:
    return svc.TrackRequest("sale", external_id, _dkk(amount), None, code=code)


def _refund(external_id: str, amount: str, sale: str) -> svc.TrackRequest:
    return svc.TrackRequest("refund", external_id, _dkk(amount), None, reverses_external_id=sale)


def test_a_refund_reduces_net_revenue_and_the_creators_commission(ctx: Context) -> None:
    w = build_world(ctx)
    svc.track(ctx, w.ws, "api", _sale("o-1", "800.00"))
    svc.track(ctx, w.ws, "api", _sale("o-2", "200.00"))
    before = campaign_kpis(ctx, "shop", "spring").totals
    refund = svc.track(ctx, w.ws, "api", _refund("r-1", "300.00", "o-1"))
    after = campaign_kpis(ctx, "shop", "spring").totals
    assert (refund.partnership_id, refund.attribution_method) == (w.emma, "code")
    assert refund.reason == "refund of sale o-1"
    assert before.revenue == _dkk("1000.00")
    assert after.revenue == _dkk("700.00")
    assert (after.refunds, after.refunded_orders, after.sales) == (_dkk("300.00"), 1, 2)
    assert ledger_kinds(ctx, w.emma) == [
        ("commission", 8000),
        ("commission", 2000),
        ("reversal", -3000),
    ]
    assert after.cost == before.cost - _dkk("30.00")


@pytest.mark.parametrize(
    ("sale", "parts"),
    [
        ("99.99", ["33.33", "33.33", "33.33"]),
        ("100.05", ["0.01", "50.02", "50.02"]),
        ("0.15", ["0.05", "0.05", "0.05"]),
        ("1234.56", ["1234.56"]),
    ],
)
def test_refunding_everything_brings_the_sales_commission_to_zero(
    ctx: Context, sale: str, parts: list[str]
) -> None:
    w = build_world(ctx)
    svc.track(ctx, w.ws, "api", _sale("o-1", sale))
    earned = commission_minor(ctx, w.emma)
    taken = []
    for i, part in enumerate(parts):
        svc.track(ctx, w.ws, "api", _refund(f"r-{i}", part, "o-1"))
        taken.append(commission_minor(ctx, w.emma))
    assert earned > 0
    assert taken[-1] == 0
    assert taken == sorted(taken, reverse=True)  # each partial refund takes some back, never gives
    assert campaign_kpis(ctx, "shop", "spring").totals.revenue == _dkk("0")


def test_a_refund_beyond_what_is_left_is_capped_and_flagged(ctx: Context) -> None:
    w = build_world(ctx)
    svc.track(ctx, w.ws, "api", _sale("o-1", "100.00"))
    svc.track(ctx, w.ws, "api", _refund("r-1", "80.00", "o-1"))
    capped = svc.track(ctx, w.ws, "api", _refund("r-2", "50.00", "o-1"))
    assert capped.flags == ("capped_refund",)
    assert "capped at 20.00 DKK" in capped.reason
    assert "asked 50.00 DKK" in capped.reason
    [stored] = [
        v for v in svc.list_conversions(ctx, "shop", kind="refund") if v.external_id == "r-2"
    ]
    assert stored.amount == _dkk("20.00")
    assert commission_minor(ctx, w.emma) == 0
    assert campaign_kpis(ctx, "shop", "spring").totals.refunds == _dkk("100.00")


def test_a_refund_for_an_unknown_sale_is_kept_and_linked_when_the_sale_arrives(
    ctx: Context,
) -> None:
    w = build_world(ctx)
    early = svc.track(ctx, w.ws, "api", _refund("r-1", "40.00", "o-late"))
    assert (early.attribution_method, early.partnership_id) == ("none", None)
    assert early.flags == ("unknown_sale",)
    svc.track(ctx, w.ws, "api", _sale("o-late", "100.00"))
    [refund] = svc.list_conversions(ctx, "shop", kind="refund")
    assert refund.partnership_id == w.emma
    assert refund.reverses_id is not None
    assert refund.flags == ("sale_arrived_later",)
    assert "linked when the sale arrived" in refund.reason
    assert ledger_kinds(ctx, w.emma) == [("commission", 1000), ("reversal", -400)]
    # The refund's repeat still answers with the stored (now linked) refund.
    again = svc.track(ctx, w.ws, "api", _refund("r-1", "40.00", "o-late"))
    assert not again.created
    assert again.partnership_id == w.emma


def _stripe(kind: ConversionKind, external_id: str, amount: str, gross: str) -> NormalisedEvent:
    return NormalisedEvent(
        source=WebhookSource.STRIPE,
        kind=kind,
        external_id=external_id,
        occurred_at=NOW,
        amount=_dkk(amount),
        gross_amount=_dkk(gross),
        discount_amount=_dkk("0"),
        tax_amount=_dkk("0"),
        payment_ref="pi_123",
        codes=("EMMA15",) if kind is ConversionKind.SALE else (),
        amount_from_gross=kind is ConversionKind.REFUND,
    )


def test_stripe_refunds_link_by_payment_intent_and_scale_from_gross(ctx: Context) -> None:
    w = build_world(ctx)
    sale = _stripe(ConversionKind.SALE, "cs_1", "400.00", "500.00")  # 100 shipping and tax
    half = _stripe(ConversionKind.REFUND, "re_1", "250.00", "250.00")
    rest = _stripe(ConversionKind.REFUND, "re_2", "250.00", "250.00")
    svc.record_events(ctx, w.ws, [sale])
    [first] = svc.record_events(ctx, w.ws, [half])
    assert first.partnership_id == w.emma
    assert "250.00 DKK returned of 500.00 DKK paid is 200.00 DKK of revenue" in first.reason
    assert commission_minor(ctx, w.emma) == 2000
    svc.record_events(ctx, w.ws, [rest])
    assert commission_minor(ctx, w.emma) == 0
    assert campaign_kpis(ctx, "shop", "spring").totals.revenue == _dkk("0")


def test_woocommerce_resending_refunds_stores_each_once(ctx: Context) -> None:
    w = build_world(ctx)
    body = json.loads((DATA / "webhooks/woocommerce/order_updated.json").read_text())
    outcome = normalise_woocommerce("order.updated", body)
    events = outcome.events  # type: ignore[union-attr]
    first = svc.record_events(ctx, w.ws, events)
    count = conversion_count(ctx)
    again = svc.record_events(ctx, w.ws, events)
    assert conversion_count(ctx) == count == len(events)
    assert not any(r.created for r in again)
    refunds = [r for r in first if r.kind == "refund"]
    assert refunds, "the fixture carries refunds"
    assert all(not r.flags or "unknown_sale" not in r.flags for r in refunds)


def test_a_refund_of_a_sale_waiting_for_a_rate_is_reversed_by_reaccrue(ctx: Context) -> None:
    w = build_world(ctx, emma_currency="EUR")
    svc.track(ctx, w.ws, "api", _sale("o-1", "746.00"))
    refund = svc.track(ctx, w.ws, "api", _refund("r-1", "373.00", "o-1"))
    assert refund.flags == ("fx_rate_missing",)
    with ctx.engine.begin() as conn:
        upsert_rates(conn, [(date(2026, 2, 27), "DKK", Decimal("7.46"))])
    assert svc.reaccrue(ctx, "shop") == 2
    assert svc.reaccrue(ctx, "shop") == 0
    assert ledger_kinds(ctx, w.emma) == [("commission", 1000), ("reversal", -500)]


def test_refund_in_another_currency_than_its_sale_is_refused(ctx: Context) -> None:
    w = build_world(ctx)
    svc.track(ctx, w.ws, "api", _sale("o-1", "100.00"))
    bad = svc.TrackRequest(
        "refund",
        "r-1",
        Money(Decimal(10), "EUR"),
        NOW + timedelta(hours=1),
        reverses_external_id="o-1",
    )
    with pytest.raises(PerfluenceError, match="refund is in EUR"):
        svc.track(ctx, w.ws, "api", bad)
    assert conversion_count(ctx) == 1


_worlds = count()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    sale_minor=st.integers(min_value=1, max_value=10_000_000),
    parts=st.lists(st.integers(min_value=1, max_value=10_000_000), min_size=1, max_size=5),
)
def test_reversals_never_exceed_the_commission_and_a_full_refund_zeroes_it(
    ctx: Context, sale_minor: int, parts: list[int]
) -> None:
    slug = f"p{next(_worlds)}"
    w = build_world(ctx, slug=slug)
    sale = Money.from_minor(sale_minor, "DKK")
    svc.track(ctx, w.ws, "api", svc.TrackRequest("sale", "o", sale, None, code="EMMA15"))
    earned = commission_minor(ctx, w.emma)
    refunded = 0
    for i, part in enumerate(parts):
        svc.track(
            ctx,
            w.ws,
            "api",
            svc.TrackRequest(
                "refund", f"r{i}", Money.from_minor(part, "DKK"), None, reverses_external_id="o"
            ),
        )
        refunded = min(sale_minor, refunded + part)
        left = commission_minor(ctx, w.emma)
        assert 0 <= left <= earned
    if refunded == sale_minor:
        assert commission_minor(ctx, w.emma) == 0
    totals = campaign_kpis(ctx, slug, "spring").totals
    assert totals.refunds == Money.from_minor(refunded, "DKK")
