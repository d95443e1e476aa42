from __future__ import annotations

import base64
import hashlib
import hmac
from collections.abc import Callable, Mapping
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perfluence.conversions.signatures import (
    is_woocommerce_ping,
    verify_shopify,
    verify_stripe,
    verify_woocommerce,
)
from perfluence.errors import ErrorCode, PerfluenceError

DATA = Path(__file__).parents[1] / "data" / "webhooks"
SECRET = "whsec_test_5f1c0ffee0ddba11"
NOW = 1_772_546_400
SHOPIFY_BODY = (DATA / "shopify" / "orders_create.json").read_bytes()
WOO_BODY = (DATA / "woocommerce" / "order_updated.json").read_bytes()
STRIPE_BODY = (DATA / "stripe" / "checkout_session_completed.json").read_bytes()


def b64_hmac(secret: str, body: bytes) -> str:
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def hex_hmac(secret: str, body: bytes) -> str:
    return hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


def stripe_header(secret: str, body: bytes, t: int) -> str:
    return f"t={t},v1={hex_hmac(secret, str(t).encode() + b'.' + body)}"


Verify = Callable[[bytes, Mapping[str, str], str], None]
BASE64_PLATFORMS = [
    pytest.param(verify_shopify, "X-Shopify-Hmac-Sha256", SHOPIFY_BODY, id="shopify"),
    pytest.param(verify_woocommerce, "X-WC-Webhook-Signature", WOO_BODY, id="woocommerce"),
]


def refused(call: Callable[[], object], message: str) -> PerfluenceError:
    with pytest.raises(PerfluenceError, match=message) as info:
        call()
    assert info.value.code is ErrorCode.SIGNATURE_INVALID
    return info.value


# Shopify and WooCommerce: base64 HMAC-SHA256 of the raw body --------------------------


@pytest.mark.parametrize(("verify", "name", "body"), BASE64_PLATFORMS)
def test_base64_signature_is_accepted(verify: Verify, name: str, body: bytes) -> None:
    verify(body, {name: b64_hmac(SECRET, body)}, SECRET)


@pytest.mark.parametrize(("verify", "name", "body"), BASE64_PLATFORMS)
def test_header_name_is_case_insensitive(verify: Verify, name: str, body: bytes) -> None:
    verify(body, {name.lower(): b64_hmac(SECRET, body)}, SECRET)


@pytest.mark.parametrize(("verify", "name", "body"), BASE64_PLATFORMS)
def test_wrong_secret_is_refused(verify: Verify, name: str, body: bytes) -> None:
    error = refused(
        lambda: verify(body, {name: b64_hmac("another-secret", body)}, SECRET), "does not match"
    )
    assert b64_hmac(SECRET, body) not in str(error)


@pytest.mark.parametrize(("verify", "name", "body"), BASE64_PLATFORMS)
def test_hex_digest_is_refused(verify: Verify, name: str, body: bytes) -> None:
    refused(lambda: verify(body, {name: hex_hmac(SECRET, body)}, SECRET), "hex digest")


@pytest.mark.parametrize(("verify", "name", "body"), BASE64_PLATFORMS)
def test_one_altered_byte_is_refused(verify: Verify, name: str, body: bytes) -> None:
    headers = {name: b64_hmac(SECRET, body)}
    for position in (0, len(body) // 2, len(body) - 1):
        altered = bytearray(body)
        altered[position] ^= 0x01
        with pytest.raises(PerfluenceError, match="does not match"):
            verify(bytes(altered), headers, SECRET)


@pytest.mark.parametrize(("verify", "name", "body"), BASE64_PLATFORMS)
def test_reserialised_json_is_refused(verify: Verify, name: str, body: bytes) -> None:
    # The signature covers the raw bytes: the same JSON written differently fails.
    signature = b64_hmac(SECRET, body)
    refused(lambda: verify(body.replace(b": ", b":"), {name: signature}, SECRET), "does not match")


@pytest.mark.parametrize(("verify", "name", "body"), BASE64_PLATFORMS)
@pytest.mark.parametrize(
    ("header_value", "message"),
    [
        (None, "header is missing"),
        ("", "header is missing"),
        ("not base64!", "not base64"),
        ("aGVsbG8=", "decodes to 5 bytes"),
        ("ünïcode", "not base64"),
    ],
)
def test_missing_or_malformed_header_is_refused(
    verify: Verify, name: str, body: bytes, header_value: str | None, message: str
) -> None:
    headers = {} if header_value is None else {name: header_value}
    refused(lambda: verify(body, headers, SECRET), message)


@pytest.mark.parametrize(("verify", "name", "body"), BASE64_PLATFORMS)
def test_empty_secret_refuses_everything(verify: Verify, name: str, body: bytes) -> None:
    refused(lambda: verify(body, {name: b64_hmac("", body)}, ""), "no .* secret is configured")


# WooCommerce ping ------------------------------------------------------------------


def test_woocommerce_ping_is_recognised() -> None:
    assert is_woocommerce_ping(
        b"webhook_id=123", {"Content-Type": "application/x-www-form-urlencoded"}
    )


@pytest.mark.parametrize(
    ("body", "headers"),
    [
        (b"webhook_id=123", {"X-WC-Webhook-Signature": "abc"}),
        (b"webhook_id=abc", {}),
        (b"webhook_id=1&x=2", {}),
        (b'{"webhook_id": 1}', {}),
        (WOO_BODY, {}),
    ],
)
def test_anything_else_is_not_a_ping(body: bytes, headers: dict[str, str]) -> None:
    assert not is_woocommerce_ping(body, headers)


# Stripe -----------------------------------------------------------------------------


def test_stripe_signature_is_accepted() -> None:
    t = NOW - 10
    headers = {"Stripe-Signature": stripe_header(SECRET, STRIPE_BODY, t)}
    assert verify_stripe(STRIPE_BODY, headers, SECRET, now=NOW) == t


def test_any_v1_may_match_during_secret_rotation() -> None:
    good = stripe_header(SECRET, STRIPE_BODY, NOW)
    old = stripe_header("whsec_old", STRIPE_BODY, NOW).split(",")[1]
    header = f"{good.split(',')[0]},{old},{good.split(',')[1]},v0=deadbeef"
    verify_stripe(STRIPE_BODY, {"stripe-signature": header}, SECRET, now=NOW)


def test_stripe_wrong_secret_is_refused() -> None:
    headers = {"Stripe-Signature": stripe_header("whsec_other", STRIPE_BODY, NOW)}
    error = refused(lambda: verify_stripe(STRIPE_BODY, headers, SECRET, now=NOW), "no v1")
    assert stripe_header(SECRET, STRIPE_BODY, NOW).split("v1=")[1] not in str(error)


def test_stripe_altered_body_is_refused() -> None:
    headers = {"Stripe-Signature": stripe_header(SECRET, STRIPE_BODY, NOW)}
    altered = STRIPE_BODY.replace(b"116910", b"116911", 1)
    refused(lambda: verify_stripe(altered, headers, SECRET, now=NOW), "matches the body")


def test_stripe_signature_over_another_timestamp_is_refused() -> None:
    signed = stripe_header(SECRET, STRIPE_BODY, NOW - 1)
    forged = signed.replace(f"t={NOW - 1}", f"t={NOW}")
    refused(
        lambda: verify_stripe(STRIPE_BODY, {"Stripe-Signature": forged}, SECRET, now=NOW),
        "matches the body",
    )


@pytest.mark.parametrize(
    ("t", "message"), [(NOW - 301, "301 s old"), (NOW + 301, "301 s in the future")]
)
def test_stripe_timestamp_outside_tolerance_is_refused(t: int, message: str) -> None:
    headers = {"Stripe-Signature": stripe_header(SECRET, STRIPE_BODY, t)}
    refused(lambda: verify_stripe(STRIPE_BODY, headers, SECRET, now=NOW), message)


@pytest.mark.parametrize("t", [NOW - 300, NOW + 300])
def test_stripe_timestamp_at_the_tolerance_is_accepted(t: int) -> None:
    headers = {"Stripe-Signature": stripe_header(SECRET, STRIPE_BODY, t)}
    verify_stripe(STRIPE_BODY, headers, SECRET, now=NOW)


@pytest.mark.parametrize(
    ("header_value", "message"),
    [
        (None, "header is missing"),
        ("", "header is missing"),
        ("garbage", "malformed: expected key=value"),
        (f"v1={'0' * 64}", "no timestamp"),
        (f"t=abc,v1={'0' * 64}", "t is not a Unix time"),
        (f"t=-5,v1={'0' * 64}", "t is not a Unix time"),
        (f"t={NOW},t={NOW},v1={'0' * 64}", "more than one timestamp"),
        (f"t={NOW}", "no v1 signature"),
        (f"t={NOW},v0={'0' * 64}", "no v1 signature"),
        (f"t={NOW},,v1={'0' * 64}", "malformed"),
        (f"t={NOW},v1=ü", "no v1 signature .* matches"),
    ],
)
def test_stripe_malformed_header_is_refused(header_value: str | None, message: str) -> None:
    headers = {} if header_value is None else {"Stripe-Signature": header_value}
    refused(lambda: verify_stripe(STRIPE_BODY, headers, SECRET, now=NOW), message)


def test_stripe_empty_secret_refuses_everything() -> None:
    headers = {"Stripe-Signature": stripe_header("", STRIPE_BODY, NOW)}
    refused(lambda: verify_stripe(STRIPE_BODY, headers, "", now=NOW), "no Stripe webhook secret")


# Whatever arrives, the only failure is a PerfluenceError ----------------------------


@given(st.binary(max_size=512), st.text(max_size=200), st.text(max_size=40))
def test_random_input_only_ever_raises_signature_invalid(
    body: bytes, header_value: str, secret: str
) -> None:
    for verify, name in (
        (verify_shopify, "X-Shopify-Hmac-Sha256"),
        (verify_woocommerce, "X-WC-Webhook-Signature"),
    ):
        with pytest.raises(PerfluenceError) as info:
            verify(body, {name: header_value}, secret)
        assert info.value.code is ErrorCode.SIGNATURE_INVALID
    with pytest.raises(PerfluenceError) as info:
        verify_stripe(body, {"Stripe-Signature": header_value}, secret, now=NOW)
    assert info.value.code is ErrorCode.SIGNATURE_INVALID
