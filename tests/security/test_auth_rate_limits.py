"""Failed logins, wrong API keys and invalid portal links are limited per client address (and
logins per account too): over a limit the answer is 429 with ``Retry-After``, before any
credential is checked, and the same whether the account exists or not."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from perfluence.services import api_keys, creators, users, workspaces
from perfluence.services.context import Context
from perfluence.web.app import create_app
from tests.conftest import FrozenClock
from tests.security.clients import Client

PASSWORD = "correct horse battery"
LIMITS = {
    "login_failures_per_ip": 100,
    "login_failures_per_account": 3,
    "login_failure_window_seconds": 900,
    "credential_failures_per_ip": 3,
    "credential_failure_window_seconds": 60,
}


def limited(ctx: Context, clock: FrozenClock, **changes: int) -> Context:
    settings = ctx.settings.model_copy(update={**LIMITS, **changes})
    limited_ctx = Context(settings=settings, engine=ctx.engine, clock=clock)
    workspaces.create_workspace(limited_ctx, "kaffe", "Kaffe", currency="DKK", language="en")
    users.create_user(limited_ctx, "ana@kaffe.dk", PASSWORD, workspace="kaffe", role="owner")
    return limited_ctx


@pytest.fixture
def app(ctx: Context, clock: FrozenClock) -> Any:
    return create_app(limited(ctx, clock)).app


@pytest.fixture
def clients(app: Any) -> Iterator[dict[str, Client]]:
    made = {ip: Client(app, ip) for ip in ("198.51.100.7", "198.51.100.8")}
    yield made
    for client in made.values():
        client.close()


def test_an_account_is_limited_alike_whether_it_exists_or_not(
    clients: dict[str, Client], clock: FrozenClock
) -> None:
    browser = clients["198.51.100.7"]
    answers = {}
    for email in ("ana@kaffe.dk", "nobody@kaffe.dk"):
        for _ in range(3):
            assert "failed=1" in browser.log_in(email, "wrong password!!").headers["location"]
        answers[email] = browser.log_in(email, "wrong password!!")
    existing, unknown = answers.values()
    assert existing.status_code == unknown.status_code == 429
    assert existing.headers["retry-after"] == unknown.headers["retry-after"] == "300"
    assert existing.text == unknown.text
    # Over the limit the right password is not even looked at, from any address.
    assert clients["198.51.100.8"].log_in("ana@kaffe.dk", PASSWORD).status_code == 429
    clock.advance(seconds=300)
    assert clients["198.51.100.8"].log_in("ana@kaffe.dk", PASSWORD).headers["location"] == "/"


def test_a_successful_login_starts_the_account_count_again(clients: dict[str, Client]) -> None:
    browser = clients["198.51.100.7"]
    for _ in range(2):
        browser.log_in("ana@kaffe.dk", "wrong password!!")
    assert browser.log_in("ana@kaffe.dk", PASSWORD).headers["location"] == "/"
    for _ in range(3):
        assert browser.log_in("ana@kaffe.dk", "wrong password!!").status_code == 303
    assert browser.log_in("ana@kaffe.dk", "wrong password!!").status_code == 429


def test_an_address_trying_many_accounts_is_limited(ctx: Context, clock: FrozenClock) -> None:
    app = create_app(limited(ctx, clock, login_failures_per_ip=3)).app
    guesser, bystander = Client(app, "203.0.113.5"), Client(app, "203.0.113.6")
    try:
        for n in range(3):
            assert guesser.log_in(f"guess{n}@kaffe.dk", "wrong password!!").status_code == 303
        refused = guesser.log_in("guess9@kaffe.dk", "wrong password!!")
        assert refused.status_code == 429
        assert int(refused.headers["retry-after"]) == 300
        assert bystander.log_in("ana@kaffe.dk", PASSWORD).headers["location"] == "/"
    finally:
        guesser.close()
        bystander.close()


@pytest.fixture
def api_key(app: Any) -> str:
    ctx = app.state.perfluence_context
    return api_keys.create_api_key(ctx, "kaffe", "reports", ["read"]).token


def test_wrong_api_keys_lock_out_the_address_not_the_key(
    clients: dict[str, Client], api_key: str, clock: FrozenClock
) -> None:
    guesser, honest = clients["198.51.100.7"], clients["198.51.100.8"]
    wrong = api_key[:-4] + "AAAA"
    for _ in range(5):
        assert guesser.get("/api/v1/workspace").status_code == 401  # no key: not a guess
    for _ in range(3):
        assert guesser.get("/api/v1/workspace", headers={"x-api-key": wrong}).status_code == 401
    refused = guesser.get("/api/v1/workspace", headers={"x-api-key": api_key})
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "20"
    assert "try again in 20 seconds" in refused.json()["error"]["message"]
    assert honest.get("/api/v1/workspace", headers={"x-api-key": api_key}).status_code == 200
    clock.advance(seconds=20)
    assert guesser.get("/api/v1/workspace", headers={"x-api-key": api_key}).status_code == 200


def test_the_429_of_the_api_has_its_own_error_code(
    clients: dict[str, Client], api_key: str
) -> None:
    guesser = clients["198.51.100.7"]
    for _ in range(3):
        guesser.get("/api/v1/workspace", headers={"x-api-key": api_key + "x"})
    refused = guesser.get("/api/v1/workspace", headers={"x-api-key": api_key})
    assert refused.json()["error"]["code"] == "rate_limited"


def test_invalid_portal_links_lock_out_the_address(app: Any, clients: dict[str, Client]) -> None:
    ctx = app.state.perfluence_context
    creators.add_creator(ctx, "kaffe", "emma", name="Emma")
    token = users.portal_token(ctx, "kaffe", "emma")
    guesser, creator = clients["198.51.100.7"], clients["198.51.100.8"]
    for n in range(3):
        assert guesser.get(f"/portal/{token[:-6]}AAAAA{n}").status_code == 404
    refused = guesser.get(f"/portal/{token}")
    assert refused.status_code == 429
    assert refused.headers["retry-after"] == "20"
    assert creator.get(f"/portal/{token}").status_code == 200


def test_behind_a_trusted_proxy_the_forwarded_address_counts(app: Any, api_key: str) -> None:
    proxied = ProxyHeadersMiddleware(app, trusted_hosts=["127.0.0.1"])
    proxy, stranger = Client(proxied, "127.0.0.1"), Client(proxied, "203.0.113.77")
    wrong = {"x-api-key": api_key + "x"}
    try:
        for _ in range(3):
            proxy.get("/api/v1/workspace", headers={**wrong, "x-forwarded-for": "192.0.2.1"})
        first = {"x-api-key": api_key, "x-forwarded-for": "192.0.2.1"}
        second = {"x-api-key": api_key, "x-forwarded-for": "192.0.2.2"}
        assert proxy.get("/api/v1/workspace", headers=first).status_code == 429
        assert proxy.get("/api/v1/workspace", headers=second).status_code == 200
        # A client that is not a trusted proxy cannot pick its address to dodge the count.
        for n in range(3):
            spoofed = {**wrong, "x-forwarded-for": f"192.0.2.{100 + n}"}
            assert stranger.get("/api/v1/workspace", headers=spoofed).status_code == 401
        spoofed = {"x-api-key": api_key, "x-forwarded-for": "192.0.2.200"}
        assert stranger.get("/api/v1/workspace", headers=spoofed).status_code == 429
    finally:
        proxy.close()
        stranger.close()


def test_the_counters_hold_no_address_and_no_email(
    app: Any, clients: dict[str, Client], api_key: str
) -> None:
    browser = clients["198.51.100.7"]
    browser.log_in("ana@kaffe.dk", "wrong password!!")
    browser.get("/api/v1/workspace", headers={"x-api-key": api_key + "x"})
    limits = app.state.perfluence_auth_limits
    held = [
        key
        for limiter in (limits.login_per_ip, limits.login_per_account, limits.credentials_per_ip)
        for key in limiter._tat
    ]
    assert len(held) == 3
    for key in held:
        assert isinstance(key, bytes)
        for secret in (b"198.51.100.7", b"ana@kaffe.dk"):
            assert secret not in key


def test_an_ipv6_client_cannot_dodge_the_count_inside_its_64(app: Any, api_key: str) -> None:
    wrong = {"x-api-key": api_key + "x"}
    guessers = [Client(app, f"2001:db8:7:7::{n:x}") for n in range(1, 5)]
    elsewhere = Client(app, "2001:db8:7:8::1")
    try:
        for guesser in guessers[:3]:
            assert guesser.get("/api/v1/workspace", headers=wrong).status_code == 401
        right = {"x-api-key": api_key}
        assert guessers[3].get("/api/v1/workspace", headers=right).status_code == 429
        assert elsewhere.get("/api/v1/workspace", headers=right).status_code == 200
    finally:
        for client in (*guessers, elsewhere):
            client.close()
