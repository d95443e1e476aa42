from __future__ import annotations

import contextlib
import hashlib
from datetime import UTC, datetime
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perfluence.conversions.outcomes import Accepted, Ignored, Ping
from perfluence.conversions.webhooks import receive_webhook
from perfluence.conversions.woocommerce import normalise_woocommerce
from perfluence.core.model import ConversionKind, NormalisedEvent, NormalisedLine, WebhookSource
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

NOW = 1_773_130_000
ORDER = fixture_dict("woocommerce", "order_updated")
EMAIL_HASH = hashlib.sha256(b"sven.svensson@example.se").hexdigest()


def deliver(body: bytes, topic: str = "order.updated") -> Accepted | Ignored | Ping:
    headers = {
        "X-WC-Webhook-Topic": topic,
        "X-WC-Webhook-Resource": topic.split(".", maxsplit=1)[0],
        "X-WC-Webhook-Event": topic.rsplit(".", maxsplit=1)[-1],
        "X-WC-Webhook-Signature": base64_signature(body),
        "X-WC-Webhook-Source": "https://butik.example.se/",
        "X-WC-Webhook-ID": "12",
        "X-WC-Webhook-Delivery-ID": "9f1d1c0c3c9b5e1b8a3d",
    }
    return receive_webhook(WebhookSource.WOOCOMMERCE, body, headers, SECRET, NOW)


def events(outcome: Accepted | Ignored | Ping) -> tuple[NormalisedEvent, ...]:
    assert isinstance(outcome, Accepted), outcome
    return outcome.events


def sek(amount: str) -> Money:
    return Money(amount, "SEK")


SALE = NormalisedEvent(
    source=WebhookSource.WOOCOMMERCE,
    kind=ConversionKind.SALE,
    external_id="4321",
    occurred_at=datetime(2026, 3, 3, 13, 20, 5, tzinfo=UTC),
    amount=sek("396.00"),
    gross_amount=sek("445.00"),
    discount_amount=sek("99.00"),
    tax_amount=sek("89.00"),
    taxes_included=True,
    order_ref="4321",
    click_id="0Pnorl00oyLRVQJ7Wad1eW",
    codes=("SVEN20",),
    customer_ref=EMAIL_HASH,
    customer_email_hash=EMAIL_HASH,
    country="SE",
    lines=(NormalisedLine("93", "HOOD-BLK-M", 2, sek("396.00")),),
)


def test_order_fixture_gives_the_sale_and_its_partial_refund() -> None:
    sale, refund = events(deliver(fixture_bytes("woocommerce", "order_updated")))
    assert sale == SALE
    assert refund == NormalisedEvent(
        source=WebhookSource.WOOCOMMERCE,
        kind=ConversionKind.REFUND,
        external_id="4330",
        reverses_external_id="4321",
        occurred_at=datetime(2026, 3, 10, 8, 0, tzinfo=UTC),
        # 99.00 of 445.00 paid goes back: the same share of the 396.00 revenue basis.
        amount=sek("88.10"),
        gross_amount=sek("99.00"),
        discount_amount=sek("0"),
        tax_amount=sek("0"),
        order_ref="4321",
    )


def test_prices_without_tax_give_the_net_line_totals() -> None:
    payload = {**ORDER, "prices_include_tax": False, "refunds": []}
    (sale,) = events(deliver(dump(payload)))
    assert sale.amount == sek("316.80")
    assert sale.discount_amount == sek("79.20")
    assert sale.taxes_included is False


def test_order_created_for_a_paid_order_is_the_same_sale() -> None:
    (sale,) = events(
        deliver(dump({**ORDER, "status": "processing", "refunds": []}), "order.created")
    )
    assert sale == SALE


@pytest.mark.parametrize("status", ["pending", "on-hold", "failed", "cancelled", "checkout-draft"])
def test_unpaid_orders_are_ignored(status: str) -> None:
    outcome = deliver(dump({**ORDER, "status": status}), "order.created")
    assert isinstance(outcome, Ignored)
    assert status in outcome.reason


def test_refunded_status_without_refund_entries_refunds_everything() -> None:
    sale, refund = events(deliver(dump({**ORDER, "status": "refunded", "refunds": []})))
    assert refund.kind is ConversionKind.REFUND
    assert refund.external_id == "4321-full-refund"
    assert refund.reverses_external_id == sale.external_id
    assert (refund.amount, refund.gross_amount) == (sale.amount, sale.gross_amount)


def test_several_refunds_each_become_an_event() -> None:
    refunds = [
        {"id": 4330, "reason": "", "total": "-99.00"},
        {"id": 4331, "reason": "", "total": "-346.00"},
    ]
    _, first, second = events(deliver(dump({**ORDER, "status": "refunded", "refunds": refunds})))
    assert [first.external_id, second.external_id] == ["4330", "4331"]
    assert first.gross_amount + second.gross_amount == SALE.gross_amount
    assert first.amount + second.amount == SALE.amount


@pytest.mark.parametrize("key", ["pf_cid", "_pf_cid"])
def test_click_id_from_either_meta_key(key: str) -> None:
    meta = [{"id": 1, "key": key, "value": "0Pnorl00oyLRVQJ7Wad1eW"}]
    (sale,) = events(deliver(dump({**ORDER, "meta_data": meta, "refunds": []})))
    assert sale.click_id == "0Pnorl00oyLRVQJ7Wad1eW"


def test_guest_without_email_has_no_customer_ref() -> None:
    billing = {**ORDER["billing"], "email": ""}
    (sale,) = events(deliver(dump({**ORDER, "billing": billing, "refunds": []})))
    assert sale.customer_ref is None


def test_registered_customer_without_email_is_keyed_by_customer_id() -> None:
    billing = {**ORDER["billing"], "email": ""}
    payload = {**ORDER, "billing": billing, "customer_id": 17, "refunds": []}
    (sale,) = events(deliver(dump(payload)))
    assert sale.customer_ref == "woocommerce:17"


def test_line_price_sent_as_a_json_number_never_becomes_a_float() -> None:
    line = ORDER["line_items"][0]
    assert isinstance(line["price"], Decimal)
    assert line["price"] == Decimal("158.4")


def test_ping_is_answered_without_a_signature() -> None:
    outcome = receive_webhook(
        WebhookSource.WOOCOMMERCE, b"webhook_id=12", {"User-Agent": "WooCommerce"}, SECRET, NOW
    )
    assert outcome == Ping(WebhookSource.WOOCOMMERCE)


def test_unsigned_order_is_refused() -> None:
    body = fixture_bytes("woocommerce", "order_updated")
    with pytest.raises(PerfluenceError) as info:
        receive_webhook(
            WebhookSource.WOOCOMMERCE, body, {"X-WC-Webhook-Topic": "order.updated"}, SECRET, NOW
        )
    assert info.value.code is ErrorCode.SIGNATURE_INVALID


def test_other_topics_are_ignored() -> None:
    outcome = deliver(dump({"id": 93, "name": "Hoodie"}), "product.updated")
    assert isinstance(outcome, Ignored)


@pytest.mark.parametrize(
    ("path", "value", "field", "message"),
    [
        (("refunds", 0, "total"), "-99,00", "refunds[0].total", "comma"),
        (("line_items", 0, "total"), None, "line_items[0].total", "missing"),
        (("date_created_gmt",), "3 March", "date_created_gmt", "ISO 8601"),
        (("line_items", 0, "quantity"), -1, "line_items[0].quantity", "negative"),
    ],
)
def test_bad_fields_are_named(
    path: tuple[str | int, ...], value: object, field: str, message: str
) -> None:
    with pytest.raises(PerfluenceError, match=message) as info:
        deliver(dump(replaced(ORDER, path, value)))
    assert info.value.field == field


@settings(max_examples=150, suppress_health_check=[HealthCheck.too_slow])
@given(st.data(), json_values)
def test_any_mutation_of_the_fixture_is_normalised_or_refused(
    data: st.DataObject, value: object
) -> None:
    path = data.draw(st.sampled_from(leaf_paths(ORDER)))
    with contextlib.suppress(PerfluenceError):
        normalise_woocommerce("order.updated", replaced(ORDER, path, value))


@given(st.binary(max_size=300))
def test_random_signed_bytes_only_raise_perfluence_errors(body: bytes) -> None:
    code = None
    try:
        deliver(body)
    except PerfluenceError as error:
        code = error.code
    assert code in {None, ErrorCode.INVALID, ErrorCode.PAYLOAD_TOO_LARGE}


def test_a_refund_larger_than_the_order_reverses_at_most_the_whole_sale() -> None:
    refunds = [{"id": 4330, "reason": "", "total": "-9999.00"}]
    _, refund = events(deliver(dump({**ORDER, "refunds": refunds})))
    assert refund.amount == SALE.amount
    assert refund.gross_amount == sek("9999.00")


def test_an_unknown_source_is_refused() -> None:
    with pytest.raises(PerfluenceError, match="no webhook source") as info:
        receive_webhook("magento", b"{}", {}, SECRET, NOW)  # type: ignore[arg-type]
    assert info.value.code is ErrorCode.NOT_FOUND
