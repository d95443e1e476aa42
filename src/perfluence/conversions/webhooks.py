"""Webhook deliveries: verify the signature, then parse, then normalise.

``receive_webhook`` is what the route calls with the raw body, the request
headers, the workspace's secret for that shop and the current Unix time. The
order is fixed: size, signature over the raw bytes, JSON (floats impossible),
then the platform's normaliser. A ``PerfluenceError`` means refuse the
delivery (``SIGNATURE_INVALID`` → 401, ``INVALID`` → 422, ``PAYLOAD_TOO_LARGE``
→ 413); any outcome means answer 200, storing ``Accepted.events`` only.
"""

from __future__ import annotations

from collections.abc import Mapping

from perfluence.conversions.outcomes import Accepted, Ping, WebhookOutcome
from perfluence.conversions.payload import MAX_BODY_BYTES, bounded_total, parse_json
from perfluence.conversions.shopify import TOPIC_HEADER as SHOPIFY_TOPIC_HEADER
from perfluence.conversions.shopify import normalise_shopify
from perfluence.conversions.signatures import (
    header,
    is_woocommerce_ping,
    verify_shopify,
    verify_stripe,
    verify_woocommerce,
)
from perfluence.conversions.stripe import normalise_stripe
from perfluence.conversions.woocommerce import TOPIC_HEADER as WOOCOMMERCE_TOPIC_HEADER
from perfluence.conversions.woocommerce import normalise_woocommerce
from perfluence.core.model import NormalisedEvent, WebhookSource
from perfluence.errors import ErrorCode, PerfluenceError


def receive_webhook(
    source: WebhookSource,
    body: bytes,
    headers: Mapping[str, str],
    secret: str,
    now: int,
) -> WebhookOutcome:
    """Verify and normalise one delivery; raises ``PerfluenceError`` to refuse it."""
    outcome = _normalised(source, body, headers, secret, now)
    if isinstance(outcome, Accepted):
        for event in outcome.events:
            _check_amounts(event)
    return outcome


def _normalised(
    source: WebhookSource,
    body: bytes,
    headers: Mapping[str, str],
    secret: str,
    now: int,
) -> WebhookOutcome:
    if len(body) > MAX_BODY_BYTES:
        raise PerfluenceError(
            ErrorCode.PAYLOAD_TOO_LARGE,
            f"body is {len(body)} bytes; webhooks are limited to {MAX_BODY_BYTES} bytes",
        )
    if source == WebhookSource.SHOPIFY:
        verify_shopify(body, headers, secret)
        topic = _topic(headers, SHOPIFY_TOPIC_HEADER)
        return normalise_shopify(topic, parse_json(body))
    if source == WebhookSource.WOOCOMMERCE:
        if is_woocommerce_ping(body, headers):
            return Ping(WebhookSource.WOOCOMMERCE)
        verify_woocommerce(body, headers, secret)
        topic = _topic(headers, WOOCOMMERCE_TOPIC_HEADER)
        return normalise_woocommerce(topic, parse_json(body))
    if source == WebhookSource.STRIPE:
        verify_stripe(body, headers, secret, now)
        return normalise_stripe(parse_json(body))
    raise PerfluenceError(ErrorCode.NOT_FOUND, f"no webhook source {source!r}", field="source")


def _check_amounts(event: NormalisedEvent) -> None:
    """Every amount an event carries is a positive magnitude that fits the ledger.

    The normalisers bound what they add up; this is the last word, whatever a
    platform's payload found to combine.
    """
    for name in ("amount", "gross_amount", "discount_amount", "tax_amount"):
        bounded_total(getattr(event, name), name, f"the {name.replace('_', ' ')}")
    for index, line in enumerate(event.lines):
        bounded_total(line.amount, f"lines[{index}]", f"order line {index + 1}")


def _topic(headers: Mapping[str, str], name: str) -> str:
    topic = (header(headers, name) or "").strip()
    if not topic:
        raise PerfluenceError(ErrorCode.INVALID, f"{name} header is missing", field=name)
    return topic
