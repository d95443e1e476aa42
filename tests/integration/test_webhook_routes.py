"""``POST /webhooks/{source}/{workspace}`` with the platforms' real payload shapes, over HTTP.

Every refusal is checked the same way: the status, the error code, and the
number of stored conversions before and after (nothing stored).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable

import httpx
import pytest

from perfluence.services import webhook_endpoints
from perfluence.services.context import Context
from tests.conftest import FrozenClock
from tests.integration.api_world import conversion_count, make_world, post, with_client
from tests.unit.webhook_fuzz import SECRET, base64_signature, fixture_bytes, stripe_signature

SHOPIFY_ORDER = fixture_bytes("shopify", "orders_create")
WOO_ORDER = fixture_bytes("woocommerce", "order_updated")
STRIPE_SESSION = fixture_bytes("stripe", "checkout_session_completed")
OTHER_SECRET = "a-different-secret-0000"


@pytest.fixture
def shop(ctx: Context) -> Context:
    """Workspace ``kaffe`` with all three shops set up under ``SECRET``."""
    make_world(ctx, "kaffe", "0PnjEGiWL0i0cjr0lZmIfG", "EMMA15")
    for source in ("shopify", "woocommerce", "stripe"):
        webhook_endpoints.set_webhook_secret(ctx, "kaffe", source, SECRET)
    return ctx


def shopify_headers(
    body: bytes, secret: str = SECRET, topic: str = "orders/create"
) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "x-shopify-topic": topic,
        "x-shopify-hmac-sha256": base64_signature(body, secret),
        "x-shopify-shop-domain": "kaffe-eksempel.myshopify.com",
    }


def woo_headers(body: bytes, secret: str = SECRET, topic: str = "order.updated") -> dict[str, str]:
    return {
        "content-type": "application/json",
        "x-wc-webhook-topic": topic,
        "x-wc-webhook-signature": base64_signature(body, secret),
    }


def stripe_headers(body: bytes, t: int, secret: str = SECRET) -> dict[str, str]:
    return {
        "content-type": "application/json",
        "stripe-signature": stripe_signature(body, t, secret),
    }


def now(clock: FrozenClock) -> int:
    return int(clock().timestamp())


def hex_signature(body: bytes) -> str:
    return hmac.new(SECRET.encode(), body, hashlib.sha256).hexdigest()


AMOUNTS = (b'"current_total_price": "293.06"', b'"total": "445.00"', b'"amount_total": 116910')


def altered(body: bytes) -> bytes:
    """The same order with its total raised after it was signed."""
    for amount in AMOUNTS:
        if amount in body:
            return body.replace(amount, amount.replace(b"9", b"8").replace(b"4", b"5"), 1)
    raise AssertionError("no known amount in the body")


def deliver(ctx: Context, source: str, body: bytes, headers: dict[str, str]) -> httpx.Response:
    return post(ctx, f"/webhooks/{source}/kaffe", content=body, headers=headers)


# --- accepted -------------------------------------------------------------------------


def test_a_signed_shopify_order_is_stored_once(shop: Context) -> None:
    headers = shopify_headers(SHOPIFY_ORDER)

    async def twice(client: httpx.AsyncClient) -> list[httpx.Response]:
        return [
            await client.post("/webhooks/shopify/kaffe", content=SHOPIFY_ORDER, headers=headers)
            for _ in range(2)
        ]

    first, second = with_client(shop, twice)
    assert first.status_code == 200, first.text
    assert first.json() == {"received": 1, "created": 1, "duplicates": 0}
    assert second.status_code == 200
    assert second.json() == {"received": 1, "created": 0, "duplicates": 1}
    assert conversion_count(shop) == 1


def test_a_signed_woocommerce_order_update_stores_the_sale_and_its_refund_once(
    shop: Context,
) -> None:
    headers = woo_headers(WOO_ORDER)
    first = deliver(shop, "woocommerce", WOO_ORDER, headers)
    assert first.status_code == 200, first.text
    assert first.json() == {"received": 2, "created": 2, "duplicates": 0}
    second = deliver(shop, "woocommerce", WOO_ORDER, headers)
    assert second.json() == {"received": 2, "created": 0, "duplicates": 2}
    assert conversion_count(shop) == 2


def test_a_signed_stripe_checkout_is_stored_once(shop: Context, clock: FrozenClock) -> None:
    first = deliver(shop, "stripe", STRIPE_SESSION, stripe_headers(STRIPE_SESSION, now(clock)))
    assert first.status_code == 200, first.text
    assert first.json() == {"received": 1, "created": 1, "duplicates": 0}
    clock.advance(seconds=200)  # Stripe retries with a fresh timestamp
    second = deliver(shop, "stripe", STRIPE_SESSION, stripe_headers(STRIPE_SESSION, now(clock)))
    assert second.json() == {"received": 1, "created": 0, "duplicates": 1}
    assert conversion_count(shop) == 1


def test_a_stripe_signature_a_little_in_the_past_is_accepted(
    shop: Context, clock: FrozenClock
) -> None:
    headers = stripe_headers(STRIPE_SESSION, now(clock) - 299)
    assert deliver(shop, "stripe", STRIPE_SESSION, headers).status_code == 200
    assert conversion_count(shop) == 1


def test_a_woocommerce_ping_is_answered_and_nothing_is_stored(shop: Context) -> None:
    headers = {"content-type": "application/x-www-form-urlencoded"}
    response = deliver(shop, "woocommerce", b"webhook_id=17", headers)
    assert response.status_code == 200
    assert response.json() == {"ping": True}
    assert conversion_count(shop) == 0


def test_a_topic_perfluence_does_not_use_is_ignored_with_200(shop: Context) -> None:
    body = b'{"id": 1, "title": "Kaffe"}'
    response = deliver(shop, "shopify", body, shopify_headers(body, topic="products/update"))
    assert response.status_code == 200
    assert "products/update" in response.json()["ignored"]
    assert conversion_count(shop) == 0


# --- refused: 401, nothing stored ------------------------------------------------------


def _refusals() -> dict[str, Callable[[int], tuple[str, bytes, dict[str, str]]]]:
    hex_shopify = {
        **shopify_headers(SHOPIFY_ORDER),
        "x-shopify-hmac-sha256": hex_signature(SHOPIFY_ORDER),
    }
    hex_woo = {**woo_headers(WOO_ORDER), "x-wc-webhook-signature": hex_signature(WOO_ORDER)}
    no_shopify = {k: v for k, v in shopify_headers(SHOPIFY_ORDER).items() if "hmac" not in k}
    no_woo = {k: v for k, v in woo_headers(WOO_ORDER).items() if "signature" not in k}
    return {
        "shopify wrong secret": lambda t: (
            "shopify",
            SHOPIFY_ORDER,
            shopify_headers(SHOPIFY_ORDER, OTHER_SECRET),
        ),
        "shopify hex instead of base64": lambda t: ("shopify", SHOPIFY_ORDER, hex_shopify),
        "shopify altered body": lambda t: (
            "shopify",
            altered(SHOPIFY_ORDER),
            shopify_headers(SHOPIFY_ORDER),
        ),
        "shopify missing header": lambda t: ("shopify", SHOPIFY_ORDER, no_shopify),
        "woocommerce wrong secret": lambda t: (
            "woocommerce",
            WOO_ORDER,
            woo_headers(WOO_ORDER, OTHER_SECRET),
        ),
        "woocommerce hex instead of base64": lambda t: ("woocommerce", WOO_ORDER, hex_woo),
        "woocommerce altered body": lambda t: (
            "woocommerce",
            altered(WOO_ORDER),
            woo_headers(WOO_ORDER),
        ),
        "woocommerce missing header": lambda t: ("woocommerce", WOO_ORDER, no_woo),
        "stripe wrong secret": lambda t: (
            "stripe",
            STRIPE_SESSION,
            stripe_headers(STRIPE_SESSION, t, OTHER_SECRET),
        ),
        "stripe altered body": lambda t: (
            "stripe",
            altered(STRIPE_SESSION),
            stripe_headers(STRIPE_SESSION, t),
        ),
        "stripe stale timestamp": lambda t: (
            "stripe",
            STRIPE_SESSION,
            stripe_headers(STRIPE_SESSION, t - 301),
        ),
        "stripe future timestamp": lambda t: (
            "stripe",
            STRIPE_SESSION,
            stripe_headers(STRIPE_SESSION, t + 301),
        ),
        "stripe missing header": lambda t: (
            "stripe",
            STRIPE_SESSION,
            {"content-type": "application/json"},
        ),
    }


REFUSALS = _refusals()


@pytest.mark.parametrize("case", sorted(REFUSALS))
def test_a_bad_signature_is_401_and_nothing_is_stored(
    shop: Context, clock: FrozenClock, case: str
) -> None:
    source, body, headers = REFUSALS[case](now(clock))
    before = conversion_count(shop)
    response = deliver(shop, source, body, headers)
    assert response.status_code == 401, response.text
    assert response.json()["error"]["code"] == "signature_invalid"
    assert SECRET not in response.text
    assert conversion_count(shop) == before == 0


def test_the_altered_bodies_really_differ() -> None:
    for body in (SHOPIFY_ORDER, WOO_ORDER, STRIPE_SESSION):
        assert altered(body) != body
        json.loads(altered(body))  # still valid JSON: only the signature can tell


def test_the_hex_signature_carries_the_right_digest() -> None:
    # The refusal is about the encoding alone: the same digest in base64 is accepted.
    digest = bytes.fromhex(hex_signature(SHOPIFY_ORDER))
    assert base64.b64encode(digest).decode() == base64_signature(SHOPIFY_ORDER)


# --- refused: other reasons -------------------------------------------------------------


def test_unknown_workspace_source_or_endpoint_is_404(shop: Context) -> None:
    headers = shopify_headers(SHOPIFY_ORDER)
    webhook_endpoints.remove_webhook_endpoint(shop, "kaffe", "woocommerce")

    async def scenario(client: httpx.AsyncClient) -> list[httpx.Response]:
        return [
            await client.post(path, content=SHOPIFY_ORDER, headers=headers)
            for path in (
                "/webhooks/shopify/nobody",
                "/webhooks/magento/kaffe",
                "/webhooks/woocommerce/kaffe",
            )
        ]

    for response in with_client(shop, scenario):
        assert response.status_code == 404, response.text
        assert response.json()["error"]["code"] == "not_found"
    assert conversion_count(shop) == 0


def test_unknown_workspace_and_missing_endpoint_read_the_same(shop: Context) -> None:
    make_world(shop, "other", "0PnjEGiWL0i0cjr0lZmIfX", "OTHER1", creator="ida")
    headers = shopify_headers(SHOPIFY_ORDER)
    nobody = post(shop, "/webhooks/shopify/nobody", content=SHOPIFY_ORDER, headers=headers)
    other = post(shop, "/webhooks/shopify/other", content=SHOPIFY_ORDER, headers=headers)
    assert nobody.json()["error"]["message"].replace("nobody", "X") == other.json()["error"][
        "message"
    ].replace("other", "X")


def test_a_signed_but_unusable_payload_is_422_and_nothing_is_stored(shop: Context) -> None:
    body = b'{"id": 5704381366491, "currency": "DKK", "created_at": "yesterday"}'
    response = deliver(shop, "shopify", body, shopify_headers(body))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["code"] == "invalid"
    assert response.json()["error"]["field"]
    not_json = b"order=1"
    response = deliver(shop, "shopify", not_json, shopify_headers(not_json))
    assert response.status_code == 422
    assert conversion_count(shop) == 0


def test_an_oversized_delivery_is_413_and_nothing_is_stored(shop: Context) -> None:
    body = b'{"padding": "' + b"x" * (1024 * 1024) + b'"}'
    response = deliver(shop, "shopify", body, shopify_headers(body))
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "payload_too_large"
    assert conversion_count(shop) == 0


# --- endpoints --------------------------------------------------------------------------


def test_endpoints_are_listed_masked_with_their_urls(shop: Context, clock: FrozenClock) -> None:
    clock.advance(hours=1)
    rotated = webhook_endpoints.set_webhook_secret(shop, "kaffe", "stripe", "whsec_" + "n" * 32)
    assert rotated.rotated_at == clock()
    listed = {e.source.value: e for e in webhook_endpoints.list_webhook_endpoints(shop, "kaffe")}
    assert sorted(listed) == ["shopify", "stripe", "woocommerce"]
    base = shop.settings.public_base_url
    assert listed["shopify"].url == f"{base}/webhooks/shopify/kaffe"
    assert listed["shopify"].masked_secret == "••••••••7d1f"
    assert listed["stripe"].masked_secret == "••••••••nnnn"
    assert SECRET not in repr(listed)
    # The old secret no longer verifies.
    t = now(clock)
    old = deliver(shop, "stripe", STRIPE_SESSION, stripe_headers(STRIPE_SESSION, t))
    assert old.status_code == 401


@pytest.mark.parametrize(
    ("secret", "message"),
    [("", "empty"), ("short", "characters"), ("has a space in it!!", "printable")],
)
def test_weak_or_malformed_secrets_are_refused(ctx: Context, secret: str, message: str) -> None:
    make_world(ctx, "kaffe", "0PnjEGiWL0i0cjr0lZmIfG", "EMMA15")
    with pytest.raises(Exception, match=message):
        webhook_endpoints.set_webhook_secret(ctx, "kaffe", "shopify", secret)
    assert webhook_endpoints.list_webhook_endpoints(ctx, "kaffe") == []
