from __future__ import annotations

from decimal import Decimal

import pytest
from sqlalchemy import select

from perfluence.core.model import PartnershipStatus
from perfluence.core.money import Money
from perfluence.core.terms import ContractTerms, PaymentModel
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services import campaigns, creators, partnerships, workspaces
from perfluence.services.context import Context
from perfluence.store.tables import partnerships as partnerships_table


@pytest.fixture
def ws(ctx: Context) -> str:
    workspaces.create_workspace(ctx, "shop", "Shop", currency="DKK")
    creators.add_creator(ctx, "shop", "emma", name="Emma", currency="SEK")
    creators.add_creator(ctx, "shop", "bo", name="Bo")
    campaigns.create_campaign(
        ctx,
        "shop",
        "spring",
        name="Spring",
        goal="sales",
        starts_on="2026-03-01",
        ends_on="2026-04-30",
    )
    return "shop"


def test_cps_partnership_in_the_creators_currency(ctx: Context, ws: str) -> None:
    p = partnerships.create_partnership(
        ctx, ws, "spring", "@Emma", {"model": "cps", "commission_rate": "12%", "hold_days": 14}
    )
    assert (p.campaign_slug, p.creator_handle) == ("spring", "emma")
    assert p.payment_model is PaymentModel.CPS
    assert p.currency == "SEK"
    assert p.terms.commission_rate == Decimal("0.12")
    assert p.hold_days == 14
    assert p.status is PartnershipStatus.ACTIVE
    assert partnerships.get_partnership(ctx, ws, "spring", "emma") == p
    assert partnerships.get_partnership_by_id(ctx, ws, p.id) == p
    with ctx.engine.connect() as conn:
        row = conn.execute(select(partnerships_table)).one()._mapping
    assert (row["payment_model"], row["currency"], row["hold_days"]) == ("cps", "SEK", 14)
    assert row["terms"]["commission_rate"] == "0.12"


def test_hybrid_with_schedule_caps_and_explicit_currency(ctx: Context, ws: str) -> None:
    p = partnerships.create_partnership(
        ctx,
        ws,
        "spring",
        "bo",
        {
            "model": "hybrid",
            "currency": "EUR",
            "flat_fee": "5000",
            "fee_schedule": [
                {"due_on": "2026-03-01", "amount": "2500"},
                {"due_on": "2026-04-01", "amount": "2500"},
            ],
            "commission_rate": "0.08",
            "cap_total": "10000",
            "minimum_payout": "50",
            "exclusivity": "No other coffee brands until 2026-06-30",
        },
    )
    assert p.currency == "EUR"
    assert p.terms.flat_fee == Money("5000", "EUR")
    assert len(p.terms.fee_schedule) == 2
    assert p.terms.exclusivity == "No other coffee brands until 2026-06-30"


def test_terms_object_is_stored_as_given(ctx: Context, ws: str) -> None:
    terms = ContractTerms(
        model=PaymentModel.GIFTING, currency="DKK", gifting_value=Money("1200", "DKK")
    )
    p = partnerships.create_partnership(ctx, ws, "spring", "bo", terms)
    assert p.terms == terms


def test_invalid_terms_store_nothing(ctx: Context, ws: str) -> None:
    with pytest.raises(PerfluenceError) as err:
        partnerships.create_partnership(ctx, ws, "spring", "bo", {"model": "cpc"})
    assert err.value.field == "cpc_rate"
    assert partnerships.list_partnerships(ctx, ws) == []


def test_one_partnership_per_creator_and_campaign(ctx: Context, ws: str) -> None:
    first = partnerships.create_partnership(
        ctx, ws, "spring", "bo", {"model": "cpl", "cpl_rate": "25"}
    )
    with pytest.raises(PerfluenceError) as err:
        partnerships.create_partnership(
            ctx, ws, "spring", "bo", {"model": "cpc", "cpc_rate": "0.40"}
        )
    assert err.value.code is ErrorCode.DUPLICATE
    assert partnerships.list_partnerships(ctx, ws) == [first]


def test_unknown_campaign_or_creator_is_named(ctx: Context, ws: str) -> None:
    terms = {"model": "cpl", "cpl_rate": "25"}
    with pytest.raises(PerfluenceError) as err:
        partnerships.create_partnership(ctx, ws, "autumn", "bo", terms)
    assert (err.value.code, err.value.field) == (ErrorCode.NOT_FOUND, "campaign")
    assert "'autumn'" in err.value.message
    with pytest.raises(PerfluenceError) as err:
        partnerships.create_partnership(ctx, ws, "spring", "nobody", terms)
    assert (err.value.code, err.value.field) == (ErrorCode.NOT_FOUND, "creator")
    assert "'nobody'" in err.value.message
    with pytest.raises(PerfluenceError) as err:
        partnerships.get_partnership(ctx, ws, "spring", "emma")
    assert err.value.code is ErrorCode.NOT_FOUND


def test_list_filters_and_workspace_scope(ctx: Context, ws: str) -> None:
    campaigns.create_campaign(
        ctx,
        ws,
        "summer",
        name="Summer",
        goal="traffic",
        starts_on="2026-06-01",
        ends_on="2026-08-31",
    )
    partnerships.create_partnership(ctx, ws, "spring", "bo", {"model": "cpc", "cpc_rate": "0.40"})
    partnerships.create_partnership(ctx, ws, "summer", "bo", {"model": "cpc", "cpc_rate": "0.50"})
    partnerships.create_partnership(
        ctx, ws, "summer", "emma", {"model": "flat_fee", "flat_fee": "3000"}
    )
    pairs = [(p.campaign_slug, p.creator_handle) for p in partnerships.list_partnerships(ctx, ws)]
    assert pairs == [("spring", "bo"), ("summer", "bo"), ("summer", "emma")]
    assert [
        p.creator_handle for p in partnerships.list_partnerships(ctx, ws, campaign="summer")
    ] == [
        "bo",
        "emma",
    ]
    assert [p.campaign_slug for p in partnerships.list_partnerships(ctx, ws, creator="bo")] == [
        "spring",
        "summer",
    ]
    workspaces.create_workspace(ctx, "other", "Other")
    assert partnerships.list_partnerships(ctx, "other") == []
    with pytest.raises(PerfluenceError):
        partnerships.list_partnerships(ctx, "other", campaign="spring")
