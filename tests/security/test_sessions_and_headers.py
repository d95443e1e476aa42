"""Sessions: a new id at every login and every change of privileges, none valid after logout;
cookies HttpOnly, SameSite and Secure behind https; security headers on every page."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from http.cookies import SimpleCookie
from typing import Any

import httpx
import pytest
from sqlalchemy import select
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware

from perfluence.services import creators, users, workspaces
from perfluence.services.context import Context
from perfluence.store.tables import sessions
from perfluence.web.app import create_app
from perfluence.web.dashboard.access import SESSION_COOKIE
from tests.conftest import FrozenClock
from tests.integration.dashboard_client import csrf_of
from tests.security.clients import Client

PASSWORD = "correct horse battery"


@pytest.fixture
def app(ctx: Context) -> Any:
    workspaces.create_workspace(ctx, "kaffe", "Kaffe", currency="DKK", language="en")
    users.create_user(ctx, "ana@kaffe.dk", PASSWORD, workspace="kaffe", role="owner")
    users.create_user(ctx, "eve@kaffe.dk", PASSWORD, workspace="kaffe", role="read_only")
    creators.add_creator(ctx, "kaffe", "emma", name="Emma")
    return create_app(ctx).app


@pytest.fixture
def browser(app: Any) -> Iterator[Client]:
    client = Client(app)
    yield client
    client.close()


def logged_in(client: Client) -> bool:
    return client.get("/w/kaffe/links").status_code == 200


def session_cookie(response: httpx.Response) -> dict[str, Any]:
    for header in response.headers.get_list("set-cookie"):
        parsed = SimpleCookie()
        parsed.load(header)
        if SESSION_COOKIE in parsed:
            morsel = parsed[SESSION_COOKIE]
            return {"value": morsel.value, **{k: morsel[k] for k in morsel if morsel[k]}}
    raise AssertionError("no session cookie set")


def test_a_planted_session_id_never_becomes_a_session(app: Any, browser: Client) -> None:
    browser.cookies.set(SESSION_COOKIE, "chosen-by-the-attacker-0123456789", domain="dash.example")
    answer = browser.log_in("ana@kaffe.dk", PASSWORD)
    assert session_cookie(answer)["value"] != "chosen-by-the-attacker-0123456789"
    attacker = Client(app)
    try:
        attacker.cookies.set(SESSION_COOKIE, "chosen-by-the-attacker-0123456789")
        assert not logged_in(attacker)
    finally:
        attacker.close()


def test_logging_in_over_someone_elses_session_ends_it(app: Any) -> None:
    """Fixation with a real id: eve logs in, hands her cookie to ana, ana logs in with it."""
    eve, ana = Client(app), Client(app)
    try:
        eve.log_in("eve@kaffe.dk", PASSWORD)
        planted = eve.cookies[SESSION_COOKIE]
        ana.cookies.set(SESSION_COOKIE, planted, domain="dash.example")
        ana.log_in("ana@kaffe.dk", PASSWORD)
        assert ana.cookies[SESSION_COOKIE] != planted
        assert not logged_in(eve), "the id eve planted must die when ana logs in over it"
        assert logged_in(ana)
    finally:
        eve.close()
        ana.close()


def test_after_logout_the_old_id_is_worthless(app: Any, browser: Client) -> None:
    browser.log_in("ana@kaffe.dk", PASSWORD)
    old = browser.cookies[SESSION_COOKIE]
    browser.post("/logout", data={"csrf": browser.csrf})
    replay = Client(app)
    try:
        replay.cookies.set(SESSION_COOKIE, old)
        assert not logged_in(replay)
    finally:
        replay.close()


@pytest.mark.parametrize(
    "change",
    [
        lambda ctx: users.grant(ctx, "ana@kaffe.dk", "kaffe", "member"),
        lambda ctx: users.set_password(ctx, "ana@kaffe.dk", "another long passphrase"),
    ],
    ids=["role changed", "password changed"],
)
def test_a_change_of_privileges_or_password_ends_the_session(
    app: Any, browser: Client, change: Any
) -> None:
    browser.log_in("ana@kaffe.dk", PASSWORD)
    assert logged_in(browser)
    change(app.state.perfluence_context)
    assert not logged_in(browser)


def test_the_same_role_again_keeps_the_session(app: Any, browser: Client) -> None:
    browser.log_in("ana@kaffe.dk", PASSWORD)
    users.grant(app.state.perfluence_context, "ana@kaffe.dk", "kaffe", "owner")
    assert logged_in(browser)


def test_only_the_hash_of_a_session_id_is_stored_and_it_expires(
    app: Any, browser: Client, clock: FrozenClock
) -> None:
    ctx: Context = app.state.perfluence_context
    browser.log_in("ana@kaffe.dk", PASSWORD)
    token = browser.cookies[SESSION_COOKIE]
    with ctx.engine.connect() as conn:
        stored = list(conn.execute(select(sessions.c.id_hash)).scalars())
    assert stored == [hashlib.sha256(token.encode()).hexdigest()]
    clock.advance(days=ctx.settings.session_lifetime_days, seconds=1)
    assert not logged_in(browser)


def test_cookies_are_httponly_samesite_and_not_secure_over_plain_http(browser: Client) -> None:
    cookie = session_cookie(browser.log_in("ana@kaffe.dk", PASSWORD))
    assert cookie["httponly"] is True
    assert cookie["samesite"].lower() == "lax"
    assert cookie["path"] == "/"
    assert "secure" not in cookie


def test_cookies_are_secure_over_https_and_behind_a_trusted_https_proxy(app: Any) -> None:
    direct = Client(app, base_url="https://dash.example")
    proxied = Client(ProxyHeadersMiddleware(app, trusted_hosts=["198.51.100.7"]))
    try:
        assert session_cookie(direct.log_in("ana@kaffe.dk", PASSWORD))["secure"] is True
        # The proxy speaks plain http to the app; the browser spoke https to the proxy.
        https = {"x-forwarded-proto": "https"}
        token = csrf_of(proxied.get("/login", headers=https).text)
        answer = proxied.post(
            "/login",
            data={"email": "ana@kaffe.dk", "password": PASSWORD, "csrf": token},
            headers={**https, "cookie": f"pf_login_csrf={token}"},
        )
        assert session_cookie(answer)["secure"] is True
    finally:
        direct.close()
        proxied.close()


# --- headers --------------------------------------------------------------------------


def pages(app: Any, browser: Client) -> dict[str, httpx.Response]:
    stranger = Client(app)
    try:
        login = stranger.get("/login")
    finally:
        stranger.close()
    browser.log_in("ana@kaffe.dk", PASSWORD)
    token = users.portal_token(app.state.perfluence_context, "kaffe", "emma")
    return {
        "login": login,
        "overview": browser.get("/w/kaffe/"),
        "links": browser.get("/w/kaffe/links"),
        "not found": browser.get("/w/kaffe/campaigns/nope"),
        "portal": browser.get(f"/portal/{token}"),
    }


def test_every_page_forbids_framing_and_foreign_scripts(app: Any, browser: Client) -> None:
    for name, page in pages(app, browser).items():
        headers = page.headers
        assert headers["content-type"].startswith("text/html"), name
        assert headers["x-frame-options"] == "DENY", name
        policy = {
            part.split()[0]: part.split()[1:]
            for part in headers["content-security-policy"].split(";")
            if part.strip()
        }
        assert policy["frame-ancestors"] == ["'none'"], name
        assert policy["default-src"] == ["'self'"], name
        assert policy["script-src"] == ["'self'"], name
        assert policy["form-action"] == ["'self'"], name
        assert headers["cache-control"] == "no-store", name
        assert headers["referrer-policy"] in {"same-origin", "no-referrer"}, name


def test_every_page_forbids_sniffing_base_and_plugins(app: Any, browser: Client) -> None:
    for name, page in pages(app, browser).items():
        assert page.headers.get("x-content-type-options") == "nosniff", name
        policy = page.headers["content-security-policy"]
        assert "base-uri 'none'" in policy, name
        assert "object-src 'none'" in policy, name
