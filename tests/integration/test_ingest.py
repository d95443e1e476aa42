"""Ingest of leads and sales: idempotency, attribution evidence, conflict rules, flags, ledger."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from perfluence.conversions.shopify import normalise_shopify
from perfluence.core.money import Money
from perfluence.errors import PerfluenceError
from perfluence.services import conversions as svc
from perfluence.services.context import Context
from perfluence.store import conversion_views as views
from perfluence.store.fx import upsert_rates
from perfluence.store.tables import conversion_credits, conversions
from tests.conftest import DATA
from tests.integration.conversion_world import (
    NOW,
    build_world,
    click,
    commission_minor,
    conversion_count,
    ledger_kinds,
)


def _sale(
    external_id: str = "order-1",
    amount: str = "500.00",
    *,
    occurred_at: datetime | None = None,
    click_id: str | None = None,
    code: str | None = None,
    customer_ref: str | None = None,
) -> svc.TrackRequest:
    return svc.TrackRequest(
        kind="sale",
        external_id=external_id,
        amount=Money(Decimal(amount), "DKK"),
        occurred_at=occurred_at,
        click_id=click_id,
        code=code,
        customer_ref=customer_ref,
    )


def test_the_same_order_twice_is_one_conversion_and_one_commission(ctx: Context) -> None:
    w = build_world(ctx)
    cid = click(ctx, w.ws, w.emma_link, NOW - timedelta(hours=2))
    first = svc.track(ctx, w.ws, "api", _sale(click_id=cid))
    # A repeat with a different payload still returns the first result, unchanged.
    again = svc.track(ctx, w.ws, "api", _sale(amount="900.00", code="NOAH10"))
    assert first.created
    assert not again.created
    assert again == svc.IngestResult(**{**_fields(first), "created": False})
    assert conversion_count(ctx) == 1
    assert ledger_kinds(ctx, w.emma) == [("commission", 5000)]
    assert first.attribution_method == "click_id"
    assert first.creator_handle == "emma"
    assert first.campaign_slug == "spring"
    assert first.seconds_from_click == 7200


def _fields(result: svc.IngestResult) -> dict[str, object]:
    return {name: getattr(result, name) for name in svc.IngestResult.__dataclass_fields__}


def test_a_lost_race_returns_the_winners_result(
    ctx: Context, monkeypatch: pytest.MonkeyPatch
) -> None:
    w = build_world(ctx)
    winner = svc.track(ctx, w.ws, "api", _sale(code="EMMA15"))
    real = views.find_view
    calls = iter([None])

    def stale_then_real(*args: object) -> views.ConversionView | None:
        # The first read happens before the competing insert commits.
        return next(calls, real(*args))  # type: ignore[arg-type]

    monkeypatch.setattr(views, "find_view", stale_then_real)
    loser = svc.track(ctx, w.ws, "api", _sale(code="EMMA15"))
    assert not loser.created
    assert loser.conversion_id == winner.conversion_id
    assert conversion_count(ctx) == 1
    assert ledger_kinds(ctx, w.emma) == [("commission", 5000)]


@pytest.mark.parametrize(
    ("age", "attributed"),
    [
        (timedelta(days=30), True),
        (timedelta(days=30, seconds=1), False),
        (timedelta(seconds=0), True),
    ],
)
def test_click_id_counts_up_to_the_end_of_the_campaign_window(
    ctx: Context, age: timedelta, attributed: bool
) -> None:
    w = build_world(ctx)
    cid = click(ctx, w.ws, w.emma_link, NOW - age)
    result = svc.track(ctx, w.ws, "api", _sale(click_id=cid))
    if attributed:
        assert (result.attribution_method, result.partnership_id) == ("click_id", w.emma)
        assert result.seconds_from_click == int(age.total_seconds())
    else:
        assert (result.attribution_method, result.partnership_id) == ("none", None)
        assert "outside the 30-day window" in result.reason
        assert commission_minor(ctx, w.emma) == 0


def test_a_shorter_campaign_window_applies(ctx: Context) -> None:
    w = build_world(ctx, window_days=7)
    cid = click(ctx, w.ws, w.emma_link, NOW - timedelta(days=8))
    result = svc.track(ctx, w.ws, "api", _sale(click_id=cid))
    assert result.attribution_method == "none"
    assert "outside the 7-day window" in result.reason


def test_code_attribution_ignores_case(ctx: Context) -> None:
    w = build_world(ctx)
    result = svc.track(ctx, w.ws, "api", _sale(code=" emma15 "))
    assert (result.attribution_method, result.partnership_id) == ("code", w.emma)
    assert result.reason == "code EMMA15 (@emma)"
    assert commission_minor(ctx, w.emma) == 5000


def test_customer_history_links_later_orders_to_the_visitors_clicks(ctx: Context) -> None:
    w = build_world(ctx)
    first_click = click(ctx, w.ws, w.emma_link, NOW - timedelta(days=3), visitor="v-anna")
    svc.track(ctx, w.ws, "api", _sale("o-1", click_id=first_click, customer_ref="cust-anna"))
    # Anna later clicks Noah's link on the same device and buys without a click id.
    click(ctx, w.ws, w.noah_link, NOW - timedelta(days=1), visitor="v-anna")
    click(ctx, w.ws, w.noah_link, NOW - timedelta(hours=1), visitor="v-someone-else")
    later = svc.track(ctx, w.ws, "api", _sale("o-2", customer_ref="cust-anna"))
    assert (later.attribution_method, later.partnership_id) == ("customer", w.noah)
    assert later.reason.startswith("customer's last click")
    assert later.seconds_from_click == 86400
    unknown = svc.track(ctx, w.ws, "api", _sale("o-3", customer_ref="cust-bert"))
    assert unknown.attribution_method == "none"


def test_customer_history_respects_the_window(ctx: Context) -> None:
    w = build_world(ctx, window_days=7)
    old = click(ctx, w.ws, w.emma_link, NOW - timedelta(days=20), visitor="v-anna")
    svc.track(
        ctx,
        w.ws,
        "api",
        _sale("o-1", click_id=old, customer_ref="c-anna", occurred_at=NOW - timedelta(days=19)),
    )
    later = svc.track(ctx, w.ws, "api", _sale("o-2", customer_ref="c-anna"))
    assert later.attribution_method == "none"


@pytest.mark.parametrize(
    ("rule", "winner", "method", "text"),
    [
        ("code_wins", "noah", "code", "code wins under rule code_wins"),
        ("click_wins", "emma", "click_id", "click wins under rule click_wins"),
        ("most_recent", "emma", "click_id", "@noah has no later click from this customer"),
        ("split", "emma", "click_id", "credit split 50/50 under rule split"),
    ],
)
def test_conflict_rule_of_the_campaign_decides_and_is_explained(
    ctx: Context, rule: str, winner: str, method: str, text: str
) -> None:
    w = build_world(ctx, conflict_rule=rule)
    cid = click(ctx, w.ws, w.emma_link, NOW - timedelta(hours=1))
    result = svc.track(ctx, w.ws, "api", _sale(click_id=cid, code="NOAH10"))
    expected = w.emma if winner == "emma" else w.noah
    assert (result.partnership_id, result.attribution_method) == (expected, method)
    assert text in result.reason
    assert f"click pf_cid={cid} (@emma) and code NOAH10 (@noah) disagree" in result.reason
    with ctx.engine.connect() as conn:
        stored = conn.execute(select(conversions.c.attribution_reason)).scalar_one()
        credits = dict(
            conn.execute(
                select(conversion_credits.c.partnership_id, conversion_credits.c.amount_minor)
            ).all()
        )
    assert stored == result.reason
    if rule == "split":
        assert credits == {w.emma: 25000, w.noah: 25000}
        assert (commission_minor(ctx, w.emma), commission_minor(ctx, w.noah)) == (2500, 2500)
    else:
        assert credits == {expected: 50000}
        assert commission_minor(ctx, expected) == 5000


def test_most_recent_gives_the_code_to_a_later_click_of_its_creator(ctx: Context) -> None:
    w = build_world(ctx, conflict_rule="most_recent")
    carried = click(ctx, w.ws, w.emma_link, NOW - timedelta(days=2), visitor="v-1")
    click(ctx, w.ws, w.noah_link, NOW - timedelta(hours=3), visitor="v-1")
    result = svc.track(ctx, w.ws, "api", _sale(click_id=carried, code="NOAH10"))
    assert (result.partnership_id, result.attribution_method) == (w.noah, "code")
    assert "is later" in result.reason


def test_a_click_id_from_another_workspace_is_unknown(ctx: Context) -> None:
    w = build_world(ctx)
    other = build_world(ctx, slug="other")
    foreign = click(ctx, other.ws, other.emma_link, NOW - timedelta(hours=1))
    result = svc.track(ctx, w.ws, "api", _sale(click_id=foreign))
    assert (result.attribution_method, result.partnership_id) == ("none", None)
    assert f"click pf_cid={foreign} not found" in result.reason
    assert commission_minor(ctx, other.emma) == 0


def test_an_unattributed_conversion_is_stored_not_dropped(ctx: Context) -> None:
    w = build_world(ctx)
    result = svc.track(ctx, w.ws, "api", _sale(code="NOBODY"))
    assert result.created
    assert result.attribution_method == "none"
    assert "code NOBODY belongs to no partnership" in result.reason
    [view] = svc.list_conversions(ctx, "shop")
    assert view.code == "NOBODY"
    assert view.amount == Money(Decimal(500), "DKK")


def test_self_referral_flag_compares_the_hashed_email(ctx: Context) -> None:
    w = build_world(ctx)
    own = svc.track(ctx, w.ws, "api", _sale("o-1", code="EMMA15", customer_ref=" emma@EXAMPLE.com"))
    other = svc.track(ctx, w.ws, "api", _sale("o-2", code="EMMA15", customer_ref="bo@example.com"))
    assert own.flags == ("self_referral",)
    assert other.flags == ()
    [stored] = [v for v in svc.list_conversions(ctx, "shop") if v.external_id == "o-1"]
    assert "@" not in (stored.customer_ref or "")


def test_duplicate_and_fast_conversion_flags(ctx: Context) -> None:
    w = build_world(ctx)
    cid = click(ctx, w.ws, w.emma_link, NOW - timedelta(seconds=4))
    fast = svc.track(ctx, w.ws, "api", _sale("o-1", click_id=cid, customer_ref="c-1"))
    twin = svc.track(
        ctx,
        w.ws,
        "api",
        _sale("o-2", code="EMMA15", customer_ref="c-1", occurred_at=NOW + timedelta(minutes=9)),
    )
    later = svc.track(
        ctx,
        w.ws,
        "api",
        _sale("o-3", code="EMMA15", customer_ref="c-1", occurred_at=NOW + timedelta(minutes=25)),
    )
    assert fast.flags == ("fast_conversion",)
    assert twin.flags == ("duplicate",)
    assert later.flags == ()


def test_a_lead_without_value_earns_the_per_lead_rate(ctx: Context) -> None:
    terms = {"version": 1, "model": "cpl", "currency": "DKK", "cpl_rate": "25.00"}
    w = build_world(ctx, emma_terms=terms)
    lead = svc.track(
        ctx,
        w.ws,
        "api",
        svc.TrackRequest(
            kind="lead", external_id="signup-1", amount=None, occurred_at=None, code="EMMA15"
        ),
    )
    assert lead.kind == "lead"
    assert lead.partnership_id == w.emma
    assert ledger_kinds(ctx, w.emma) == [("lead", 2500)]


@pytest.mark.parametrize(
    ("request_kw", "field"),
    [
        ({"kind": "sale", "amount": None}, "amount"),
        ({"kind": "sale", "external_id": "  "}, "external_id"),
        ({"kind": "refund"}, "reverses_external_id"),
        ({"kind": "sale", "click_id": "not a click"}, "click_id"),
        ({"kind": "sale", "country": "Denmark"}, "country"),
        ({"kind": "sale", "code": "X" * 65}, "code"),
        ({"kind": "sale", "amount": Money(Decimal("-1"), "DKK")}, "amount"),
    ],
)
def test_bad_requests_are_refused_with_the_field(
    ctx: Context, request_kw: dict[str, object], field: str
) -> None:
    w = build_world(ctx)
    base: dict[str, object] = {
        "external_id": "x",
        "amount": Money(Decimal(10), "DKK"),
        "occurred_at": None,
    }
    with pytest.raises(PerfluenceError) as err:
        svc.track(ctx, w.ws, "api", svc.TrackRequest(**(base | request_kw)))  # type: ignore[arg-type]
    assert err.value.field == field
    assert conversion_count(ctx) == 0


def test_missing_fx_rate_stores_the_sale_and_reaccrue_writes_the_line_once(ctx: Context) -> None:
    w = build_world(ctx, emma_currency="EUR")
    sale = svc.track(ctx, w.ws, "api", _sale(code="EMMA15", amount="746.00"))
    assert sale.flags == ("fx_rate_missing",)
    assert ledger_kinds(ctx, w.emma) == []
    assert svc.reaccrue(ctx, "shop") == 0  # still no rate
    with ctx.engine.begin() as conn:
        # Friday's rate serves Monday 2026-03-02's conversion.
        upsert_rates(conn, [(date(2026, 2, 27), "DKK", Decimal("7.46"))])
    assert svc.reaccrue(ctx, "shop") == 1
    assert svc.reaccrue(ctx, "shop") == 0
    assert ledger_kinds(ctx, w.emma) == [("commission", 1000)]  # 10 % of 100.00 EUR


def test_shopify_order_webhook_is_stored_once_with_its_code(ctx: Context) -> None:
    w = build_world(ctx)
    body = json.loads((DATA / "webhooks/shopify/orders_create.json").read_text())
    outcome = normalise_shopify("orders/create", body)
    events = outcome.events  # type: ignore[union-attr]
    first = svc.record_events(ctx, w.ws, events)
    again = svc.record_events(ctx, w.ws, events)
    assert [r.created for r in first] == [True] * len(events)
    assert [r.created for r in again] == [False] * len(events)
    assert [r.conversion_id for r in again] == [r.conversion_id for r in first]
    assert conversion_count(ctx) == len(events)


def test_test_orders_are_rejected_and_earn_nothing(ctx: Context) -> None:
    w = build_world(ctx)
    body = json.loads((DATA / "webhooks/shopify/orders_create.json").read_text())
    body["test"] = True
    events = normalise_shopify("orders/create", body).events  # type: ignore[union-attr]
    [result] = svc.record_events(ctx, w.ws, events[:1])
    assert result.status == "rejected"
    assert "test" in result.flags
    assert commission_minor(ctx, w.emma) == commission_minor(ctx, w.noah) == 0


def test_list_filters_by_campaign_creator_and_kind(ctx: Context) -> None:
    w = build_world(ctx)
    svc.track(ctx, w.ws, "api", _sale("o-1", code="EMMA15"))
    svc.track(ctx, w.ws, "api", _sale("o-2", code="NOAH10"))
    svc.track(ctx, w.ws, "api", _sale("o-3"))
    assert [v.external_id for v in svc.list_conversions(ctx, "shop", creator="@emma")] == ["o-1"]
    assert len(svc.list_conversions(ctx, "shop", campaign="spring")) == 2
    assert len(svc.list_conversions(ctx, "shop", kind="sale")) == 3
    assert svc.list_conversions(ctx, "shop", kind="refund") == []
    with pytest.raises(PerfluenceError):
        svc.list_conversions(ctx, "shop", kind="sales")
