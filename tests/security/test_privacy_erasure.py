"""Erasure on request: after forgetting a customer or a creator, no column of any table holds
their identifiers, and every report and payout adds up to the same figures as before."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from perfluence.errors import PerfluenceError
from perfluence.services import audit, payouts, privacy, reporting
from perfluence.services.context import Context
from perfluence.store.tables import conversions, payout_lines
from tests.conftest import FrozenClock
from tests.security import scan, world
from tests.security.world import (
    CREATOR_HANDLE,
    CREATOR_IBAN,
    CREATOR_IDENTIFIERS,
    CREATOR_NAME,
    CUSTOMER_EMAIL,
    CUSTOMER_IDENTIFIERS,
    OTHER_ORDER,
    OTHER_VISITOR,
    SHOPIFY_ORDER_NAME,
    WS,
)


def figures(ctx: Context) -> dict[str, Any]:
    """Everything a report or a payout is made of, keyed so that renaming cannot matter."""
    report = reporting.campaign_kpis(ctx, WS, "autumn")
    with ctx.engine.connect() as conn:
        money = conn.execute(
            select(conversions.c.kind, func.sum(conversions.c.amount_minor), func.count())
            .group_by(conversions.c.kind)
            .order_by(conversions.c.kind)
        ).all()
        ledger = conn.execute(
            select(payout_lines.c.partnership_id, func.sum(payout_lines.c.amount_minor))
            .group_by(payout_lines.c.partnership_id)
            .order_by(payout_lines.c.partnership_id)
        ).all()
    return {
        "totals": report.totals,
        "ratios": report.total_ratios,
        "by_creator": {c.creator_id: (c.figures, c.ratios) for c in report.creators},
        "conversions": [tuple(r) for r in money],
        "ledger": [tuple(r) for r in ledger],
    }


@pytest.fixture
def shop(ctx: Context, clock: FrozenClock) -> Context:
    world.build(ctx, clock)
    return ctx


def test_the_raw_email_name_and_address_of_a_webhook_are_never_stored(shop: Context) -> None:
    stored = scan.find(shop.engine, [CUSTOMER_EMAIL, *world.CUSTOMER_NAME, world.CUSTOMER_STREET])
    assert stored == []
    # What is stored instead: the e-mail's hash, the order ids and the visitor hash.
    assert scan.find(shop.engine, [scan.sha256(CUSTOMER_EMAIL)])


def test_forgetting_a_customer_erases_every_identifier_and_keeps_every_figure(
    shop: Context,
) -> None:
    identifiers = [*CUSTOMER_IDENTIFIERS, scan.sha256(CUSTOMER_EMAIL)]
    before = figures(shop)
    assert scan.find(shop.engine, identifiers), "the world must hold the identifiers first"

    done = privacy.forget_customer(shop, WS, email=CUSTOMER_EMAIL.upper())

    assert (done.conversions, done.clicks, done.repeat_of) == (3, 2, None)
    assert scan.find(shop.engine, identifiers) == []
    assert figures(shop) == before
    # The other customer is untouched.
    assert {t for t, _, _ in scan.find(shop.engine, [OTHER_ORDER, OTHER_VISITOR])} == {
        "conversions",
        "clicks",
    }


def test_an_order_names_its_customer_and_all_their_orders_go(shop: Context) -> None:
    done = privacy.forget_customer(shop, WS, order=SHOPIFY_ORDER_NAME)
    assert done.conversions == 3
    assert scan.find(shop.engine, [*CUSTOMER_IDENTIFIERS, scan.sha256(CUSTOMER_EMAIL)]) == []


def test_a_repeated_request_is_recognised_without_keeping_the_identifier(
    shop: Context, clock: FrozenClock
) -> None:
    first_time = clock()
    privacy.forget_customer(shop, WS, email=CUSTOMER_EMAIL)
    clock.advance(days=3)
    again = privacy.forget_customer(shop, WS, customer_ref=CUSTOMER_EMAIL)
    assert (again.conversions, again.clicks, again.repeat_of) == (0, 0, first_time)
    entries = audit.list_entries(shop, action="privacy.customer_forgotten")
    assert len(entries) == 2
    assert entries[0].subject == entries[1].subject
    assert entries[0].details == {"by": "email", "conversions": 0, "clicks": 0}


def test_a_dry_run_counts_and_changes_nothing(shop: Context) -> None:
    before = scan.dump(shop.engine)
    counted = privacy.forget_customer(shop, WS, email=CUSTOMER_EMAIL, dry_run=True)
    assert scan.dump(shop.engine) == before
    assert (counted.conversions, counted.clicks) == (3, 2)


def test_a_customer_is_named_by_exactly_one_identifier(shop: Context) -> None:
    with pytest.raises(PerfluenceError, match="exactly one"):
        privacy.forget_customer(shop, WS, email=CUSTOMER_EMAIL, order=OTHER_ORDER)
    with pytest.raises(PerfluenceError, match="exactly one"):
        privacy.forget_customer(shop, WS)


def test_forgetting_a_creator_erases_every_identifier_and_keeps_every_figure(
    shop: Context,
) -> None:
    before = figures(shop)
    assert scan.find(shop.engine, CREATOR_IDENTIFIERS)

    done = privacy.forget_creator(shop, WS, CREATOR_HANDLE)

    assert done.kept_for_bookkeeping == ()
    assert (done.accounts, done.posts, done.codes, done.links, done.partnerships) == (
        1,
        1,
        1,
        1,
        1,
    )
    assert scan.find(shop.engine, CREATOR_IDENTIFIERS) == []
    after = figures(shop)
    # Comments on the creator's post are gone (they name her); nothing else moves.
    assert after["ledger"] == before["ledger"]
    assert after["conversions"] == before["conversions"]
    for key in ("gross_revenue", "refunds", "cost", "impressions", "clicks", "unique_clicks"):
        assert getattr(after["totals"], key) == getattr(before["totals"], key), key
    assert after["by_creator"] == before["by_creator"]
    again = privacy.forget_creator(shop, WS, CREATOR_HANDLE)
    assert again.tombstone is None
    assert again.repeat_of is not None


def test_a_creator_with_a_paid_statement_keeps_name_and_bank_details_only(
    shop: Context, clock: FrozenClock
) -> None:
    payouts.set_bank_details(shop, WS, CREATOR_HANDLE, CREATOR_IBAN, None, CREATOR_NAME)
    clock.advance(days=40)
    statement = payouts.create_statement(shop, WS, CREATOR_HANDLE, "2026-02-01", "2026-03-31")
    assert statement.id is not None
    payouts.approve_statement(shop, WS, statement.id)
    payouts.mark_paid(shop, WS, statement.id)
    total = statement.statement.total

    done = privacy.forget_creator(shop, WS, CREATOR_HANDLE)

    assert done.kept_for_bookkeeping == ("name", "iban", "bic", "account_holder")
    kept = scan.find(shop.engine, [*CREATOR_IDENTIFIERS, CREATOR_IBAN])
    assert {(t, c) for t, c, _ in kept} == {("creators", "name"), ("creators", "iban"),
                                           ("creators", "account_holder")}  # fmt: skip
    assert done.tombstone is not None
    listed = payouts.list_statements(shop, WS, creator=done.tombstone)
    assert [s.total for s in listed] == [total]


def test_an_unknown_creator_is_not_found(shop: Context) -> None:
    with pytest.raises(PerfluenceError, match="not found"):
        privacy.forget_creator(shop, WS, "nobody-here")
