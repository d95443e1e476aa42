from __future__ import annotations

import contextlib
import hashlib
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perfluence.conversions.outcomes import Accepted, Ignored
from perfluence.conversions.shopify import normalise_shopify
from perfluence.conversions.webhooks import receive_webhook
from perfluence.core.model import (
    ConversionKind,
    NormalisedEvent,
    NormalisedLine,
    WebhookSource,
)
from perfluence.core.money import Money
from perfluence.errors import ErrorCode, PerfluenceError
from tests.unit.webhook_fuzz import (
    SECRET,
    base64_signature,
    dump,
    fixture_bytes,
    fixture_dict,
    json_values,
    leaf_paths,
    replaced,
)

NOW = 1_772_546_400
ORDER = fixture_dict("shopify", "orders_create")
REFUND = fixture_dict("shopify", "refunds_create")
EMAIL_HASH = hashlib.sha256(b"emma.kunde@example.dk").hexdigest()


def deliver(body: bytes, topic: str = "orders/create") -> Accepted | Ignored:
    headers = {
        "X-Shopify-Topic": topic,
        "X-Shopify-Hmac-Sha256": base64_signature(body),
        "X-Shopify-Shop-Domain": "kaffe-eksempel.myshopify.com",
        "X-Shopify-Webhook-Id": "b54557e4-bdd9-4b37-8a5f-bf7d70bcd043",
    }
    outcome = receive_webhook(WebhookSource.SHOPIFY, body, headers, SECRET, NOW)
    assert isinstance(outcome, Accepted | Ignored)
    return outcome


def only_event(outcome: Accepted | Ignored) -> NormalisedEvent:
    assert isinstance(outcome, Accepted), outcome
    (event,) = outcome.events
    return event


def dkk(amount: str) -> Money:
    return Money(amount, "DKK")


def test_order_fixture_normalises_exactly() -> None:
    event = only_event(deliver(fixture_bytes("shopify", "orders_create")))
    assert event == NormalisedEvent(
        source=WebhookSource.SHOPIFY,
        kind=ConversionKind.SALE,
        external_id="5704381366491",
        occurred_at=datetime(2026, 3, 2, 12, 5, 12, tzinfo=UTC),
        amount=dkk("254.06"),
        gross_amount=dkk("293.06"),
        discount_amount=dkk("44.84"),
        tax_amount=dkk("58.61"),
        taxes_included=True,
        order_ref="#1001",
        click_id="0PnjEGiWL0i0cjr0lZmIfG",
        codes=("EMMA15",),
        customer_ref=EMAIL_HASH,
        customer_email_hash=EMAIL_HASH,
        country="DK",
        lines=(
            NormalisedLine("8012345678901", "KB-ESP-500", 2, dkk("220.91")),
            NormalisedLine("8012345678902", "KF-4", 1, dkk("33.15")),
        ),
    )
    assert event.amount.amount.as_tuple() == Decimal("254.06").as_tuple()
    assert event.occurred_at.utcoffset() is not None
    assert sum(line.amount.amount for line in event.lines) == event.amount.amount


def test_orders_paid_names_the_same_sale() -> None:
    body = fixture_bytes("shopify", "orders_create")
    assert only_event(deliver(body, "orders/paid")) == only_event(deliver(body))


def test_landing_site_click_id_when_there_is_no_cart_attribute() -> None:
    event = only_event(deliver(dump({**ORDER, "note_attributes": []})))
    assert event.click_id == "0PnjCMe0OJZf648QQDyDdG"


def test_absolute_landing_url_and_malformed_attribute() -> None:
    payload = {
        **ORDER,
        "note_attributes": [{"name": "pf_cid", "value": "not a click id"}],
        "landing_site": "https://kaffe.example.dk/?pf_cid=0PnjCMe0OJZf648QQDyDdG#top",
    }
    assert only_event(deliver(dump(payload))).click_id == "0PnjCMe0OJZf648QQDyDdG"


def test_no_click_id_anywhere() -> None:
    payload = {**ORDER, "note_attributes": None, "landing_site": None}
    assert only_event(deliver(dump(payload))).click_id is None


def test_customer_falls_back_to_shop_customer_id_without_email() -> None:
    customer = {"id": 7301234567890}
    payload = {**ORDER, "email": None, "contact_email": None, "customer": customer}
    event = only_event(deliver(dump(payload)))
    assert event.customer_email_hash is None
    assert event.customer_ref == "shopify:7301234567890"


def test_raw_email_never_appears_in_the_event() -> None:
    event = only_event(deliver(fixture_bytes("shopify", "orders_create")))
    assert "example.dk" not in repr(event).lower()


def test_subtotal_price_when_current_subtotal_is_absent() -> None:
    payload = {k: v for k, v in ORDER.items() if not k.startswith("current_")}
    payload["subtotal_price"] = "250.00"
    assert only_event(deliver(dump(payload))).amount == dkk("250.00")


@pytest.mark.parametrize("status", ["pending", "voided", "expired"])
def test_unpaid_orders_are_ignored(status: str) -> None:
    outcome = deliver(dump({**ORDER, "financial_status": status}))
    assert isinstance(outcome, Ignored)
    assert status in outcome.reason


def test_other_topics_are_ignored() -> None:
    outcome = deliver(dump({"id": 1, "title": "Kaffe"}), "products/update")
    assert isinstance(outcome, Ignored)
    assert outcome == Ignored(WebhookSource.SHOPIFY, "products/update", outcome.reason)


def test_missing_topic_header_is_invalid() -> None:
    body = fixture_bytes("shopify", "orders_create")
    headers = {"X-Shopify-Hmac-Sha256": base64_signature(body)}
    with pytest.raises(PerfluenceError, match="X-Shopify-Topic") as info:
        receive_webhook(WebhookSource.SHOPIFY, body, headers, SECRET, NOW)
    assert info.value.code is ErrorCode.INVALID


def test_signature_is_checked_before_the_body_is_parsed() -> None:
    headers = {"X-Shopify-Topic": "orders/create", "X-Shopify-Hmac-Sha256": "x" * 44}
    with pytest.raises(PerfluenceError) as info:
        receive_webhook(WebhookSource.SHOPIFY, b"not json at all", headers, SECRET, NOW)
    assert info.value.code is ErrorCode.SIGNATURE_INVALID


@pytest.mark.parametrize(
    ("path", "value", "field", "message"),
    [
        (("line_items", 1, "price"), "39,00", "line_items[1].price", "comma"),
        (("line_items", 0, "quantity"), "2", "line_items[0].quantity", "integer"),
        (("created_at",), "2026-03-02T13:05:12", "created_at", "no UTC offset"),
        (("currency",), "KRONER", "currency", "unknown currency"),
        (("id",), None, "id", "missing"),
        (("line_items",), {"a": 1}, "line_items", "array"),
    ],
)
def test_bad_fields_are_named(
    path: tuple[str | int, ...], value: object, field: str, message: str
) -> None:
    with pytest.raises(PerfluenceError, match=message) as info:
        deliver(dump(replaced(ORDER, path, value)))
    assert info.value.field == field


def test_refund_fixture_normalises_exactly() -> None:
    event = only_event(deliver(fixture_bytes("shopify", "refunds_create"), "refunds/create"))
    assert event == NormalisedEvent(
        source=WebhookSource.SHOPIFY,
        kind=ConversionKind.REFUND,
        external_id="1073741825001",
        reverses_external_id="5704381366491",
        occurred_at=datetime(2026, 3, 9, 9, 15, tzinfo=UTC),
        amount=dkk("110.46"),
        gross_amount=dkk("110.46"),
        discount_amount=dkk("0"),
        tax_amount=dkk("22.09"),
        lines=(NormalisedLine("8012345678901", "KB-ESP-500", 1, dkk("110.46")),),
    )


def test_refund_subtotal_sent_as_a_json_number_stays_exact() -> None:
    lines = [
        {k: v for k, v in line.items() if not k.endswith("_set")}
        for line in REFUND["refund_line_items"]
    ]
    event = only_event(deliver(dump({**REFUND, "refund_line_items": lines}), "refunds/create"))
    assert event.amount.amount == Decimal("110.46")
    assert event.tax_amount.amount == Decimal("22.09")


def test_amount_only_refund_takes_the_transactions() -> None:
    transactions = REFUND["transactions"]
    payload = {
        **REFUND,
        "refund_line_items": [],
        "transactions": [{**transactions[0], "amount": "39.00"}],
    }
    event = only_event(deliver(dump(payload), "refunds/create"))
    assert event.amount == event.gross_amount == dkk("39.00")
    assert event.lines == ()


def test_failed_refund_transactions_move_no_money() -> None:
    transactions = REFUND["transactions"]
    failed = [{**transactions[0], "status": "failure"}]
    outcome = deliver(dump({**REFUND, "transactions": failed}), "refunds/create")
    assert isinstance(outcome, Ignored)


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), json_values)
def test_any_mutation_of_a_fixture_is_normalised_or_refused(
    data: st.DataObject, value: object
) -> None:
    topic, payload = data.draw(
        st.sampled_from([("orders/create", ORDER), ("refunds/create", REFUND)])
    )
    path = data.draw(st.sampled_from(leaf_paths(payload)))
    with contextlib.suppress(PerfluenceError):
        normalise_shopify(topic, replaced(payload, path, value))


@given(st.binary(max_size=300))
def test_random_signed_bytes_only_raise_perfluence_errors(body: bytes) -> None:
    code = None
    try:
        deliver(body)
    except PerfluenceError as error:
        code = error.code
    assert code in {None, ErrorCode.INVALID, ErrorCode.PAYLOAD_TOO_LARGE}


def test_an_absurd_quantity_is_refused() -> None:
    with pytest.raises(PerfluenceError, match="more than 1000000") as info:
        deliver(dump(replaced(ORDER, ("line_items", 0, "quantity"), 10**9)))
    assert info.value.field == "line_items[0].quantity"
