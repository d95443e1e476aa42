from __future__ import annotations

import contextlib
import copy
import hashlib
from datetime import UTC, datetime
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perfluence.conversions.outcomes import Accepted, Ignored, Ping
from perfluence.conversions.stripe import normalise_stripe
from perfluence.conversions.webhooks import receive_webhook
from perfluence.core.model import ConversionKind, NormalisedEvent, WebhookSource
from perfluence.core.money import Money
from perfluence.errors import ErrorCode, PerfluenceError
from tests.unit.webhook_fuzz import (
    SECRET,
    dump,
    fixture_bytes,
    fixture_dict,
    json_values,
    leaf_paths,
    replaced,
    stripe_signature,
)

NOW = 1_773_048_610
SESSION = fixture_dict("stripe", "checkout_session_completed")
CHARGE = fixture_dict("stripe", "charge_refunded")
EMAIL_HASH = hashlib.sha256(b"nora@example.no").hexdigest()
PAYMENT_INTENT = "pi_3QxNora1Kaffe2Exempel3"


def deliver(body: bytes, signed_at: int = NOW) -> Accepted | Ignored | Ping:
    headers = {"Stripe-Signature": stripe_signature(body, signed_at)}
    return receive_webhook(WebhookSource.STRIPE, body, headers, SECRET, NOW)


def events(outcome: Accepted | Ignored | Ping) -> tuple[NormalisedEvent, ...]:
    assert isinstance(outcome, Accepted), outcome
    return outcome.events


def session_with(**changes: object) -> dict[str, Any]:
    payload = copy.deepcopy(SESSION)
    payload["data"]["object"].update(changes)
    return payload


def nok(amount: str) -> Money:
    return Money(amount, "NOK")


def test_checkout_session_fixture_normalises_exactly() -> None:
    (sale,) = events(deliver(fixture_bytes("stripe", "checkout_session_completed")))
    assert sale == NormalisedEvent(
        source=WebhookSource.STRIPE,
        kind=ConversionKind.SALE,
        external_id="cs_test_b1Nora2Kaffe3Exempel4Checkout5Session6",
        occurred_at=datetime(2026, 3, 3, 14, 0, tzinfo=UTC),
        amount=nok("1169.10"),
        gross_amount=nok("1169.10"),
        discount_amount=nok("129.90"),
        tax_amount=nok("233.82"),
        taxes_included=True,
        payment_ref=PAYMENT_INTENT,
        click_id="0Pnov_90h1uT9MGm497BC0",
        codes=("NORA10",),
        customer_ref=EMAIL_HASH,
        customer_email_hash=EMAIL_HASH,
        country="NO",
        test=True,
    )


def test_charge_refunded_fixture_normalises_exactly() -> None:
    (refund,) = events(deliver(fixture_bytes("stripe", "charge_refunded")))
    assert refund == NormalisedEvent(
        source=WebhookSource.STRIPE,
        kind=ConversionKind.REFUND,
        external_id="re_3QxNora1Kaffe2Exempel3Re",
        occurred_at=datetime(2026, 3, 9, 9, 30, tzinfo=UTC),
        amount=nok("500.00"),
        gross_amount=nok("500.00"),
        discount_amount=nok("0"),
        tax_amount=nok("0"),
        payment_ref=PAYMENT_INTENT,
        order_ref="ch_3QxNora1Kaffe2Exempel3Ch",
        amount_from_gross=True,
        test=True,
    )


def test_sale_and_refund_share_the_payment_intent() -> None:
    (sale,) = events(deliver(fixture_bytes("stripe", "checkout_session_completed")))
    (refund,) = events(deliver(fixture_bytes("stripe", "charge_refunded")))
    assert sale.payment_ref == refund.payment_ref == PAYMENT_INTENT


def test_zero_decimal_currency() -> None:
    totals = {"amount_discount": 0, "amount_shipping": 0, "amount_tax": 0}
    payload = session_with(
        currency="jpy", amount_subtotal=5000, amount_total=5000, total_details=totals
    )
    (sale,) = events(deliver(dump(payload)))
    assert sale.amount == Money("5000", "JPY")
    assert sale.taxes_included is None


def test_exclusive_tax_is_recognised() -> None:
    totals = {"amount_discount": 0, "amount_shipping": 4900, "amount_tax": 10000}
    payload = session_with(amount_subtotal=40000, amount_total=54900, total_details=totals)
    (sale,) = events(deliver(dump(payload)))
    assert (sale.amount, sale.gross_amount, sale.taxes_included) == (
        nok("400.00"),
        nok("549.00"),
        False,
    )


def test_async_payment_succeeded_names_the_same_sale() -> None:
    payload = {**SESSION, "type": "checkout.session.async_payment_succeeded"}
    (sale,) = events(deliver(dump(payload)))
    (original,) = events(deliver(fixture_bytes("stripe", "checkout_session_completed")))
    assert sale.external_id == original.external_id


def test_unpaid_session_is_ignored() -> None:
    outcome = deliver(dump(session_with(payment_status="unpaid")))
    assert isinstance(outcome, Ignored)
    assert "unpaid" in outcome.reason


def test_metadata_click_id_wins_over_client_reference_id() -> None:
    payload = session_with(metadata={"pf_cid": "0PnjCMe0OJZf648QQDyDdG"})
    assert events(deliver(dump(payload)))[0].click_id == "0PnjCMe0OJZf648QQDyDdG"


def test_a_shop_cart_id_in_client_reference_id_is_not_a_click_id() -> None:
    payload = session_with(client_reference_id="cart-8812", metadata={})
    assert events(deliver(dump(payload)))[0].click_id is None


def test_expanded_promotion_code_gives_the_typed_code() -> None:
    details = {
        "amount_discount": 12990,
        "amount_shipping": 0,
        "amount_tax": 23382,
        "breakdown": {
            "discounts": [
                {
                    "amount": 12990,
                    "discount": {"promotion_code": {"id": "promo_1", "code": "nora10"}},
                },
                {"amount": 0, "discount": {"promotion_code": "promo_2"}},
            ],
            "taxes": [],
        },
    }
    payload = session_with(total_details=details, metadata={"pf_code": "Sommer, nora10"})
    assert events(deliver(dump(payload)))[0].codes == ("SOMMER", "NORA10")


def test_refund_created_event() -> None:
    refund = CHARGE["data"]["object"]["refunds"]["data"][0]
    payload = {**CHARGE, "type": "refund.created", "data": {"object": refund}}
    (event,) = events(deliver(dump(payload)))
    assert event.external_id == "re_3QxNora1Kaffe2Exempel3Re"
    assert event.payment_ref == PAYMENT_INTENT
    assert event.order_ref == "ch_3QxNora1Kaffe2Exempel3Ch"


def test_failed_refunds_are_not_counted() -> None:
    payload = copy.deepcopy(CHARGE)
    payload["data"]["object"]["refunds"]["data"][0]["status"] = "failed"
    assert isinstance(deliver(dump(payload)), Ignored)


def test_charge_without_refunds_list_points_to_refund_created() -> None:
    payload = copy.deepcopy(CHARGE)
    del payload["data"]["object"]["refunds"]
    outcome = deliver(dump(payload))
    assert isinstance(outcome, Ignored)
    assert "refund.created" in outcome.reason


def test_other_event_types_are_ignored() -> None:
    outcome = deliver(dump({**SESSION, "type": "customer.created"}))
    assert isinstance(outcome, Ignored)
    assert outcome == Ignored(WebhookSource.STRIPE, "customer.created", outcome.reason)


def test_not_an_event_is_invalid() -> None:
    with pytest.raises(PerfluenceError, match="not a Stripe event") as info:
        deliver(dump({**SESSION, "object": "checkout.session"}))
    assert info.value.field == "object"


def test_stale_delivery_is_refused_before_parsing() -> None:
    with pytest.raises(PerfluenceError, match="old") as info:
        deliver(fixture_bytes("stripe", "checkout_session_completed"), signed_at=NOW - 301)
    assert info.value.code is ErrorCode.SIGNATURE_INVALID


@pytest.mark.parametrize(
    ("path", "value", "field", "message"),
    [
        (
            ("data", "object", "amount_total"),
            1169.1,
            "data.object.amount_total",
            "integer minor units",
        ),
        (
            ("data", "object", "amount_subtotal"),
            "129900",
            "data.object.amount_subtotal",
            "integer minor units",
        ),
        (("data", "object", "currency"), "kr", "data.object.currency", "unknown currency"),
        (("created",), "yesterday", "created", "integer"),
    ],
)
def test_bad_fields_are_named(
    path: tuple[str | int, ...], value: object, field: str, message: str
) -> None:
    with pytest.raises(PerfluenceError, match=message) as info:
        deliver(dump(replaced(SESSION, path, value)))
    assert info.value.field == field


def test_a_json_float_amount_arrives_as_decimal_and_is_refused_as_minor_units() -> None:
    body = fixture_bytes("stripe", "checkout_session_completed").replace(
        b'"amount_total": 116910', b'"amount_total": 116910.0'
    )
    with pytest.raises(PerfluenceError, match="got a number") as info:
        deliver(body)
    assert info.value.field == "data.object.amount_total"


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), json_values)
def test_any_mutation_of_a_fixture_is_normalised_or_refused(
    data: st.DataObject, value: object
) -> None:
    payload = data.draw(st.sampled_from([SESSION, CHARGE]))
    path = data.draw(st.sampled_from(leaf_paths(payload)))
    with contextlib.suppress(PerfluenceError):
        normalise_stripe(replaced(payload, path, value))


@given(st.binary(max_size=300))
def test_random_signed_bytes_only_raise_perfluence_errors(body: bytes) -> None:
    code = None
    try:
        deliver(body)
    except PerfluenceError as error:
        code = error.code
    assert code in {None, ErrorCode.INVALID, ErrorCode.PAYLOAD_TOO_LARGE}
