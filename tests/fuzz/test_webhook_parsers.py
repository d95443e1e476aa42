"""Every webhook parser, fed bad input: only clean refusals, and consistent events otherwise.

The invariants are the atheris harness's (``fuzz.webhooks``): amounts exact,
non-negative, in one currency and within an int64 minor-unit column; ids
that fit their columns; no float anywhere. Here Hypothesis drives them with
shapes it can shrink: mutated real payloads, any JSON object, any bytes.
"""

from __future__ import annotations

from decimal import Decimal

from fuzz.mutators import write_json
from fuzz.webhooks import NOW, SECRET, check_outcome, check_refusal, signed_headers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perfluence.conversions.outcomes import Accepted, WebhookOutcome
from perfluence.conversions.webhooks import receive_webhook
from perfluence.core.model import WebhookSource
from perfluence.errors import ErrorCode, PerfluenceError
from tests.fuzz.strategies import (
    Target,
    amounts,
    delivery_bodies,
    examples,
    json_objects,
    mutated,
    targets,
)
from tests.unit.webhook_fuzz import fixture_dict

FAST = settings(
    max_examples=examples(100), deadline=None, suppress_health_check=[HealthCheck.too_slow]
)
ORDER = fixture_dict("shopify", "orders_create")
WOO = fixture_dict("woocommerce", "order_updated")
SESSION = fixture_dict("stripe", "checkout_session_completed")


def deliver(target: Target, body: bytes) -> WebhookOutcome | PerfluenceError:
    headers = signed_headers(target.source, target.topic, body)
    try:
        return receive_webhook(target.source, body, headers, SECRET, NOW)
    except PerfluenceError as error:
        return error


def accepted(outcome: WebhookOutcome | PerfluenceError) -> Accepted:
    assert isinstance(outcome, Accepted), outcome
    return outcome


def check(outcome: WebhookOutcome | PerfluenceError) -> None:
    if isinstance(outcome, PerfluenceError):
        check_refusal(outcome)
        assert outcome.code is not ErrorCode.SIGNATURE_INVALID, "the harness signs correctly"
    else:
        check_outcome(outcome)


@FAST
@given(targets, st.data())
def test_any_signed_body_is_normalised_or_refused_cleanly(
    target: Target, data: st.DataObject
) -> None:
    check(deliver(target, data.draw(delivery_bodies(target))))


@FAST
@given(targets, json_objects)
def test_any_json_object_is_normalised_or_refused_cleanly(
    target: Target, document: dict[str, object]
) -> None:
    check(deliver(target, write_json(document)))


@FAST
@given(targets, st.binary(max_size=400))
def test_any_bytes_are_refused_cleanly(target: Target, body: bytes) -> None:
    check(deliver(target, body))


@FAST
@given(targets, st.data())
def test_a_refused_payload_names_the_field_at_fault(target: Target, data: st.DataObject) -> None:
    """A JSON object that is refused is refused for a field, never for "invalid input"."""
    outcome = deliver(target, write_json(data.draw(mutated(target.payload))))
    if isinstance(outcome, PerfluenceError):
        assert outcome.code in {ErrorCode.INVALID, ErrorCode.UNKNOWN_CURRENCY}, outcome
        assert outcome.field, f"no field named: {outcome.message}"


@settings(max_examples=examples(60), deadline=None)
@given(amounts, st.booleans())
def test_a_shopify_subtotal_arrives_exactly_as_sent(amount: Decimal, as_number: bool) -> None:
    value: object = amount if as_number else str(amount)
    body = write_json({**ORDER, "current_subtotal_price": value})
    (event,) = accepted(deliver(Target(WebhookSource.SHOPIFY, "orders/create", ORDER), body)).events
    assert type(event.amount.amount) is Decimal
    assert event.amount.amount == amount


@settings(max_examples=examples(60), deadline=None)
@given(st.lists(amounts, min_size=1, max_size=5), st.booleans())
def test_woocommerce_line_totals_add_up_exactly(totals: list[Decimal], as_number: bool) -> None:
    line = {**WOO["line_items"][0], "total_tax": "0.00"}
    lines = [{**line, "total": t if as_number else str(t)} for t in totals]
    body = write_json({**WOO, "line_items": lines, "refunds": []})
    sale = accepted(deliver(Target(WebhookSource.WOOCOMMERCE, "order.updated", WOO), body)).events[
        0
    ]
    assert sale.amount.amount == sum(totals)
    assert [ln.amount.amount for ln in sale.lines] == totals


@settings(max_examples=examples(60), deadline=None)
@given(st.integers(0, 10**15))
def test_stripe_minor_units_become_exact_major_units(minor: int) -> None:
    session = {**SESSION["data"]["object"], "amount_total": minor}
    body = write_json({**SESSION, "data": {"object": session}})
    (event,) = accepted(deliver(Target(WebhookSource.STRIPE, "", SESSION), body)).events
    assert event.gross_amount.amount == Decimal(minor).scaleb(-2)
    assert event.gross_amount.minor_units == minor
