"""Fuzzed bodies, correctly signed, through the whole application to the database.

Whatever the body, the answer is 200 or a 4xx JSON error, never a 5xx; a 4xx
leaves every table exactly as it was; a 200 stores exactly what it says.
Runs on each dialect (``ctx``).
"""

from __future__ import annotations

import pytest
from fuzz.webhooks import SECRET, signed_headers
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from perfluence.services import webhook_endpoints
from perfluence.services.context import Context
from tests.conftest import FrozenClock
from tests.fuzz.db_state import changed_tables, fingerprint
from tests.fuzz.served import Send, served
from tests.fuzz.strategies import Target, delivery_bodies, examples, targets
from tests.integration.api_world import conversion_count, make_world

WORKSPACE = "kaffe"
REFUSALS = {
    401: {"signature_invalid"},
    404: {"not_found"},
    413: {"payload_too_large"},
    422: {"invalid", "unknown_currency", "currency_mismatch"},
}


@pytest.fixture
def shop(ctx: Context) -> Context:
    """A workspace with a click and a code the fixtures' orders point at, and all three shops."""
    make_world(ctx, WORKSPACE, "0PnjEGiWL0i0cjr0lZmIfG", "EMMA15")
    for source in ("shopify", "woocommerce", "stripe"):
        webhook_endpoints.set_webhook_secret(ctx, WORKSPACE, source, SECRET)
    return ctx


def check_delivery(shop: Context, send: Send, target: Target, body: bytes, now: int) -> None:
    headers = {
        "content-type": "application/json",
        **signed_headers(target.source, target.topic, body, now),
    }
    before = fingerprint(shop.engine)
    stored_before = conversion_count(shop)
    response = send(
        "POST", f"/webhooks/{target.source.value}/{WORKSPACE}", content=body, headers=headers
    )
    assert response.status_code < 500, response.text
    assert "Traceback" not in response.text
    answer = response.json()
    if response.status_code != 200:
        assert set(answer) == {"error"}, answer
        assert answer["error"]["code"] in REFUSALS[response.status_code], answer
        assert answer["error"]["message"].strip(), answer
        assert changed_tables(before, fingerprint(shop.engine)) == set()
        return
    created = answer.get("created", 0)
    assert conversion_count(shop) == stored_before + created, answer
    if created == 0:
        # An ignored delivery, a ping, or a redelivery: nothing at all changed.
        assert changed_tables(before, fingerprint(shop.engine)) == set(), answer


@pytest.mark.slow
def test_signed_fuzzed_deliveries_get_200_or_a_clean_4xx(shop: Context, clock: FrozenClock) -> None:
    now = int(clock().timestamp())
    with served(shop) as send:

        @settings(
            max_examples=examples(60),
            deadline=None,
            database=None,
            suppress_health_check=list(HealthCheck),
        )
        @given(targets, st.data())
        def deliver(target: Target, data: st.DataObject) -> None:
            check_delivery(shop, send, target, data.draw(delivery_bodies(target)), now)

        deliver()
