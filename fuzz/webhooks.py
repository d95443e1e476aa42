"""Fuzz the shop webhooks: signed bodies of any shape through verify → parse → normalise.

Input layout: byte 0 picks the shop and topic (``TARGETS``); byte 1 picks
whether the harness signs the body correctly (7 times in 8) or takes the
signature header from the input up to the first newline (to reach the header
parsers); the rest is the body. A finding is any exception but a
``PerfluenceError`` with a 4xx code, or an outcome that breaks an invariant
(``check_outcome``): amounts that are not exact, mixed currencies, ids that do
not fit their columns, values that would not fit an int64 minor-unit column.

    python fuzz/webhooks.py -max_total_time=120 fuzz/corpus/webhooks
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import sys
from dataclasses import fields, is_dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Final

from fuzz.mutators import json_mutator
from perfluence.conversions.incoming import conversion_row, from_normalised
from perfluence.conversions.outcomes import Accepted, Ignored, Ping, WebhookOutcome
from perfluence.conversions.webhooks import receive_webhook
from perfluence.core.clickid import is_click_id
from perfluence.core.model import ConversionKind, NormalisedEvent, WebhookSource
from perfluence.core.money import Money
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.store.conversions import lines_json

SECRET: Final = "fuzz-webhook-secret-0123456789"  # noqa: S105 - a test secret
NOW: Final = 1_772_546_400  # 2026-03-03T14:00:00Z
TARGETS: Final = (
    (WebhookSource.SHOPIFY, "orders/create"),
    (WebhookSource.SHOPIFY, "orders/paid"),
    (WebhookSource.SHOPIFY, "refunds/create"),
    (WebhookSource.WOOCOMMERCE, "order.updated"),
    (WebhookSource.WOOCOMMERCE, "order.created"),
    (WebhookSource.STRIPE, ""),
)
# Refusals a delivery may earn; anything else (or any other exception) is a bug.
CLEAN_CODES: Final = frozenset(
    {
        ErrorCode.INVALID,
        ErrorCode.PAYLOAD_TOO_LARGE,
        ErrorCode.SIGNATURE_INVALID,
        ErrorCode.UNKNOWN_CURRENCY,
        ErrorCode.CURRENCY_MISMATCH,
    }
)
INT64: Final = 2**63 - 1
_HEX64: Final = re.compile(r"[0-9a-f]{64}")
_COUNTRY: Final = re.compile(r"[A-Z]{2}")


def signed_headers(
    source: WebhookSource, topic: str, body: bytes, now: int = NOW
) -> dict[str, str]:
    """The headers a shop would send with ``body`` signed under ``SECRET`` at ``now``."""
    if source is WebhookSource.STRIPE:
        digest = hmac.new(SECRET.encode(), f"{now}.".encode() + body, hashlib.sha256)
        return {"Stripe-Signature": f"t={now},v1={digest.hexdigest()}"}
    mac = base64.b64encode(hmac.new(SECRET.encode(), body, hashlib.sha256).digest()).decode()
    if source is WebhookSource.SHOPIFY:
        return {"X-Shopify-Topic": topic, "X-Shopify-Hmac-Sha256": mac}
    return {"X-WC-Webhook-Topic": topic, "X-WC-Webhook-Signature": mac}


def split_input(data: bytes) -> tuple[WebhookSource, str, dict[str, str], bytes]:
    """The target, headers and body an input stands for (see the module docstring)."""
    source, topic = TARGETS[data[0] % len(TARGETS)] if data else TARGETS[0]
    mode = data[1] if len(data) > 1 else 1
    body = data[2:]
    headers = signed_headers(source, topic, body)
    if mode % 8 == 0:
        raw, _, body = body.partition(b"\n")
        name = next(n for n in headers if "Hmac" in n or "Signature" in n)
        headers[name] = raw.decode("latin-1")
    return source, topic, headers, body


def _walk(value: object, path: str) -> None:
    """No float anywhere inside an outcome."""
    assert not isinstance(value, float), f"a float at {path}: {value!r}"
    if is_dataclass(value) and not isinstance(value, type):
        for item in fields(value):
            _walk(getattr(value, item.name), f"{path}.{item.name}")
    elif isinstance(value, tuple | list):
        for index, item in enumerate(value):
            _walk(item, f"{path}[{index}]")


def _check_money(money: Money, currency: str, name: str) -> None:
    assert type(money.amount) is Decimal, (name, money)
    assert money.amount.is_finite(), (name, money)
    assert money.currency == currency, (name, money.currency, currency)
    assert money.amount >= 0, f"{name} is negative: {money}"
    assert money.minor_units <= INT64, f"{name} does not fit an int64 column: {money}"


def _check_id(value: str | None, name: str) -> None:
    if value is None:
        return
    assert isinstance(value, str), (name, value)
    assert 0 < len(value) <= 200, (name, value)
    assert value == value.strip(), (name, value)


def _check_ints(value: object, path: str) -> None:
    """Every integer a stored row would carry fits a BIGINT column."""
    if isinstance(value, bool):
        return
    if isinstance(value, int):
        assert -INT64 - 1 <= value <= INT64, f"{path} = {value} does not fit BIGINT"
    elif isinstance(value, dict):
        for key, item in value.items():
            _check_ints(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            _check_ints(item, f"{path}[{index}]")


def check_event(event: NormalisedEvent) -> None:
    """What every normalised event promises the ingest."""
    currency = event.currency
    for name in ("amount", "gross_amount", "discount_amount", "tax_amount"):
        _check_money(getattr(event, name), currency, name)
    for index, line in enumerate(event.lines):
        _check_money(line.amount, currency, f"lines[{index}].amount")
        assert isinstance(line.quantity, int), line
        assert 0 <= line.quantity <= 1_000_000, line
        _check_id(line.product_id, f"lines[{index}].product_id")
    _check_id(event.external_id, "external_id")
    assert event.external_id, "external_id is empty"
    for name in ("reverses_external_id", "payment_ref", "order_ref", "customer_ref"):
        _check_id(getattr(event, name), name)
    assert event.occurred_at.utcoffset() == timedelta(0), event.occurred_at
    assert event.click_id is None or is_click_id(event.click_id), event.click_id
    assert len(set(event.codes)) == len(event.codes), event.codes
    assert all(0 < len(c) <= 64 and c == c.upper() == c.strip() for c in event.codes), event.codes
    assert event.country is None or _COUNTRY.fullmatch(event.country), event.country
    digest = event.customer_email_hash
    assert digest is None or _HEX64.fullmatch(digest), digest
    if event.kind is ConversionKind.REFUND:
        assert event.amount_from_gross or event.reverses_external_id, event
    incoming = from_normalised(event)
    row = conversion_row(1, incoming, event.amount.quantize(), event.occurred_at)
    _check_ints(row, "row")
    _check_ints(lines_json(event.lines), "lines")


def check_outcome(outcome: WebhookOutcome) -> None:
    assert isinstance(outcome, Accepted | Ignored | Ping), outcome
    _walk(outcome, "outcome")
    if isinstance(outcome, Accepted):
        assert outcome.events, "accepted with no events"
        for event in outcome.events:
            assert event.source is outcome.source, event
            check_event(event)
    elif isinstance(outcome, Ignored):
        assert outcome.reason.strip(), outcome


def check_refusal(error: PerfluenceError) -> None:
    assert error.code in CLEAN_CODES, f"unexpected code {error.code}: {error}"
    assert error.http_status < 500, error
    assert error.message.strip(), "an empty message"
    assert error.field is None or isinstance(error.field, str), error.field


def check(data: bytes) -> None:
    """One input; raises on a finding."""
    source, _topic, headers, body = split_input(data)
    try:
        outcome = receive_webhook(source, body, headers, SECRET, NOW)
    except PerfluenceError as error:
        check_refusal(error)
        return
    check_outcome(outcome)


def main() -> None:
    import atheris  # type: ignore[import-untyped]  # noqa: PLC0415

    from fuzz.instrument import instrument_packages  # noqa: PLC0415

    instrument_packages()
    # Looked up at each call: atheris binds the real Mutate only once Setup has run.
    mutator = json_mutator(2, lambda data, size: atheris.Mutate(data, size))  # noqa: PLW0108
    atheris.Setup(sys.argv, check, custom_mutator=mutator)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
