"""Secrets never reach a log record or an error response: API keys (right and wrong), passwords
(right and wrong), session ids, webhook secrets, portal links, and the client's IP address;
and none but the webhook secret (which an HMAC check needs as it is) is stored.

Every flow that handles one is driven over HTTP with every logger at DEBUG: key creation,
use and revocation, failed and successful logins, logout, webhook secrets set and rotated,
deliveries with bad and good signatures, portal links real and forged, and rate limiting.
"""

from __future__ import annotations

import json
import logging
import traceback
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from sqlalchemy import insert
from sqlalchemy.exc import DBAPIError

from perfluence.services import api_keys, creators, users, webhook_endpoints, workspaces
from perfluence.services.context import Context
from perfluence.store.tables import webhook_endpoints as webhook_table
from perfluence.web.app import create_app
from perfluence.web.dashboard.access import SESSION_COOKIE
from tests.conftest import FrozenClock
from tests.security import scan
from tests.security.clients import Client
from tests.unit.webhook_fuzz import base64_signature

CLIENT_IP = "203.0.113.99"
PASSWORD = "correct horse battery staple"
WRONG_PASSWORD = "incorrect pony battery staple"
SECRET = "whsec-kaffe-very-secret-0123456789"
ROTATED = "whsec-kaffe-rotated-secret-9876543210"
ORDER = json.dumps({"id": 1, "email": "a@b.dk", "line_items": []}).encode()


def _text_of(record: logging.LogRecord) -> str:
    parts = [record.getMessage(), repr(record.args)]
    if record.exc_info:
        parts.append("".join(traceback.format_exception(*record.exc_info)))
    if record.exc_text:
        parts.append(record.exc_text)
    return "\n".join(parts)


@pytest.fixture
def world(ctx: Context, clock: FrozenClock) -> Iterator[tuple[Context, Client]]:
    limited = Context(
        settings=ctx.settings.model_copy(update={"credential_failures_per_ip": 2}),
        engine=ctx.engine,
        clock=clock,
    )
    workspaces.create_workspace(limited, "kaffe", "Kaffe", currency="DKK", language="en")
    creators.add_creator(limited, "kaffe", "emma", name="Emma")
    client = Client(create_app(limited).app, CLIENT_IP)
    yield limited, client
    client.close()


def test_no_secret_reaches_a_log_record_or_an_error_response(
    world: tuple[Context, Client], caplog: pytest.LogCaptureFixture
) -> None:
    ctx, client = world
    caplog.set_level(logging.DEBUG)
    secrets: list[str] = [PASSWORD, WRONG_PASSWORD, SECRET, ROTATED, CLIENT_IP]
    errors: list[httpx.Response] = []

    def call(response: httpx.Response) -> httpx.Response:
        if response.status_code >= 400:
            errors.append(response)
        return response

    users.create_user(ctx, "ana@kaffe.dk", PASSWORD, workspace="kaffe", role="owner")
    portal = users.portal_token(ctx, "kaffe", "emma")
    secrets.append(portal)
    assert call(client.get(f"/portal/{portal}")).status_code == 200
    assert call(client.get(f"/portal/{portal[:-4]}AAAA")).status_code == 404
    key = api_keys.create_api_key(ctx, "kaffe", "reports", ["read"]).token
    wrong_key = key[:-6] + "ZZZZZZ"
    secrets += [key, wrong_key, key.rsplit("_", 1)[1]]
    assert call(client.get("/api/v1/workspace", headers={"x-api-key": key})).status_code == 200
    for _ in range(2):
        call(client.get("/api/v1/workspace", headers={"authorization": f"Bearer {wrong_key}"}))
    assert errors[-1].status_code == 429
    call(client.get("/api/v1/workspace", headers={"authorization": f"Basic {wrong_key}"}))

    call(client.log_in("ana@kaffe.dk", WRONG_PASSWORD))
    call(client.log_in("ana@kaffe.dk", PASSWORD))
    session = client.cookies[SESSION_COOKIE]
    secrets += [session, client.csrf]
    call(client.post("/logout", data={"csrf": client.csrf}))

    webhook_endpoints.set_webhook_secret(ctx, "kaffe", "shopify", SECRET)
    webhook_endpoints.set_webhook_secret(ctx, "kaffe", "shopify", ROTATED)
    for signed_with in (SECRET, ROTATED):
        call(
            client.post(
                "/webhooks/shopify/kaffe",
                content=ORDER,
                headers={
                    "content-type": "application/json",
                    "x-shopify-topic": "orders/create",
                    "x-shopify-hmac-sha256": base64_signature(ORDER, signed_with),
                },
            )
        )
    secrets += [base64_signature(ORDER, ROTATED)]

    api_keys.revoke_api_key(ctx, "kaffe", key.split("_")[1])
    call(client.get("/api/v1/workspace", headers={"x-api-key": key}))

    # httpx logs the test client's own requests: that is the browser's side, not the server's.
    served = [r for r in caplog.records if not r.name.startswith(("httpx", "httpcore"))]
    assert any(r.name.startswith("perfluence") for r in served), "nothing was logged"
    for record in served:
        text = _text_of(record)
        for secret in secrets:
            assert secret not in text, f"{record.name}: {record.getMessage()[:200]}"
    assert len(errors) >= 6
    # Nor is any of it stored: keys, passwords and session ids as hashes only, no address.
    stored = scan.find(ctx.engine, [s for s in secrets if s not in {SECRET, ROTATED}])
    assert stored == []
    for response in errors:
        shown = response.text + json.dumps(dict(response.headers))
        for secret in secrets:
            assert secret not in shown, (response.status_code, response.text[:200])


def test_a_database_error_does_not_carry_the_secret_it_was_writing(ctx: Context) -> None:
    workspaces.create_workspace(ctx, "kaffe", "Kaffe", currency="DKK", language="en")
    webhook_endpoints.set_webhook_secret(ctx, "kaffe", "shopify", SECRET)
    workspace_id = workspaces.get_workspace(ctx, "kaffe").id
    with pytest.raises(DBAPIError) as failed, ctx.engine.begin() as conn:
        # The same (workspace, source) twice: a unique violation while writing a secret.
        conn.execute(
            insert(webhook_table).values(
                workspace_id=workspace_id, source="shopify", secret=ROTATED, created_at=ctx.now()
            )
        )
    message: Any = str(failed.value)
    assert ROTATED not in message
