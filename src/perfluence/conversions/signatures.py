"""Webhook signatures, checked over the raw body before a byte of it is parsed.

- Shopify: ``X-Shopify-Hmac-Sha256`` = base64(HMAC-SHA256(secret, body)).
- WooCommerce: ``X-WC-Webhook-Signature`` = base64(HMAC-SHA256(secret, body));
  the "ping" WooCommerce sends when a webhook is saved carries no signature.
- Stripe: ``Stripe-Signature: t=<unix>,v1=<hex>[,v1=<hex>…]`` over ``f"{t}.{body}"``,
  HMAC-SHA256 hex; any ``v1`` may match (Stripe signs with old and new secret
  while a secret is rolled); ``t`` must be within ``tolerance`` of ``now``.

Every failure is ``PerfluenceError(SIGNATURE_INVALID)``; messages say what was
wrong with what was received and never include the expected signature.
Comparison is constant-time (``hmac.compare_digest``).
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
from collections.abc import Mapping
from typing import Final

from perfluence.errors import ErrorCode, PerfluenceError

SHOPIFY_HEADER: Final = "X-Shopify-Hmac-Sha256"
WOOCOMMERCE_HEADER: Final = "X-WC-Webhook-Signature"
STRIPE_HEADER: Final = "Stripe-Signature"
STRIPE_TOLERANCE_SECONDS: Final = 300

_HEX_SHA256 = re.compile(r"[0-9a-fA-F]{64}", re.ASCII)
_WOO_PING = re.compile(rb"webhook_id=\d{1,20}", re.ASCII)
_DIGITS = re.compile(r"\d{1,12}", re.ASCII)


def _fail(message: str) -> PerfluenceError:
    return PerfluenceError(ErrorCode.SIGNATURE_INVALID, message)


def header(headers: Mapping[str, str], name: str) -> str | None:
    """Case-insensitive header lookup that works on plain dicts too."""
    value = headers.get(name)
    if value is None:
        wanted = name.lower()
        value = next((v for k, v in headers.items() if k.lower() == wanted), None)
    return value


def _secret_bytes(secret: str, platform: str) -> bytes:
    if not secret:
        raise _fail(f"no {platform} webhook secret is configured; every delivery is refused")
    return secret.encode("utf-8")


def _verify_base64_hmac(
    body: bytes, headers: Mapping[str, str], secret: str, name: str, platform: str
) -> None:
    key = _secret_bytes(secret, platform)
    received = header(headers, name)
    if received is None or not received.strip():
        raise _fail(f"{name} header is missing")
    received = received.strip()
    if _HEX_SHA256.fullmatch(received):
        raise _fail(f"{name} looks like a hex digest; {platform} sends base64")
    try:
        digest = base64.b64decode(received.encode("ascii"), validate=True)
    except (UnicodeEncodeError, binascii.Error):
        raise _fail(f"{name} is not base64") from None
    if len(digest) != hashlib.sha256().digest_size:
        raise _fail(f"{name} decodes to {len(digest)} bytes; an HMAC-SHA256 has 32")
    expected = hmac.new(key, body, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, digest):
        raise _fail(f"{name} does not match the body under the configured secret")


def verify_shopify(body: bytes, headers: Mapping[str, str], secret: str) -> None:
    """Raise unless ``X-Shopify-Hmac-Sha256`` signs ``body`` under ``secret``."""
    _verify_base64_hmac(body, headers, secret, SHOPIFY_HEADER, "Shopify")


def verify_woocommerce(body: bytes, headers: Mapping[str, str], secret: str) -> None:
    """Raise unless ``X-WC-Webhook-Signature`` signs ``body`` under ``secret``."""
    _verify_base64_hmac(body, headers, secret, WOOCOMMERCE_HEADER, "WooCommerce")


def is_woocommerce_ping(body: bytes, headers: Mapping[str, str]) -> bool:
    """WooCommerce's unsigned "ping" (``webhook_id=123``) sent when a webhook is saved.

    The route answers it 2xx and stores nothing, so accepting it unsigned gives
    nobody a way in; a body that carries a signature is never a ping.
    """
    return header(headers, WOOCOMMERCE_HEADER) is None and bool(_WOO_PING.fullmatch(body.strip()))


def _parse_stripe_header(value: str) -> tuple[str, list[str]]:
    timestamp: str | None = None
    v1: list[str] = []
    for item in value.split(","):
        key, sep, part = item.strip().partition("=")
        if not sep or not key:
            raise _fail(f"{STRIPE_HEADER} is malformed: expected key=value pairs")
        if key == "t":
            if timestamp is not None:
                raise _fail(f"{STRIPE_HEADER} is malformed: more than one timestamp")
            if not _DIGITS.fullmatch(part):
                raise _fail(f"{STRIPE_HEADER} is malformed: t is not a Unix time")
            timestamp = part
        elif key == "v1":
            v1.append(part)
        # v0 (test-mode legacy) and unknown schemes are ignored, as Stripe's libraries do.
    if timestamp is None:
        raise _fail(f"{STRIPE_HEADER} is malformed: no timestamp (t=)")
    if not v1:
        raise _fail(f"{STRIPE_HEADER} has no v1 signature")
    return timestamp, v1


def verify_stripe(
    body: bytes,
    headers: Mapping[str, str],
    secret: str,
    now: int,
    tolerance: int = STRIPE_TOLERANCE_SECONDS,
) -> int:
    """Raise unless a ``v1`` signature signs ``body`` and ``t`` is within ``tolerance``.

    ``now`` is the caller's Unix time (the core of this check has no clock).
    Returns the signed timestamp.
    """
    key = _secret_bytes(secret, "Stripe")
    received = header(headers, STRIPE_HEADER)
    if received is None or not received.strip():
        raise _fail(f"{STRIPE_HEADER} header is missing")
    timestamp, candidates = _parse_stripe_header(received)
    signed_at = int(timestamp)
    if signed_at < now - tolerance:
        raise _fail(
            f"{STRIPE_HEADER} timestamp is {now - signed_at} s old; "
            f"at most {tolerance} s is accepted (replayed or delayed delivery)"
        )
    if signed_at > now + tolerance:
        raise _fail(
            f"{STRIPE_HEADER} timestamp is {signed_at - now} s in the future; "
            f"at most {tolerance} s of clock skew is accepted"
        )
    expected = hmac.new(key, timestamp.encode("ascii") + b"." + body, hashlib.sha256)
    expected_hex = expected.hexdigest().encode("ascii")
    matched = False
    for candidate in candidates:
        # Compare every candidate so the time taken does not say which one matched.
        try:
            matched |= hmac.compare_digest(expected_hex, candidate.strip().lower().encode("ascii"))
        except UnicodeEncodeError:
            continue
    if not matched:
        raise _fail(f"no v1 signature in {STRIPE_HEADER} matches the body under the secret")
    return signed_at
