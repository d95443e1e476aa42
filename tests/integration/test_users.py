"""Accounts, login, sessions, CSRF and roles: on both dialects, through the service and HTTP."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from perfluence.config import Environment
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services import users
from perfluence.services.context import Context
from perfluence.store.tables import sessions
from perfluence.store.tables import users as users_table
from tests.conftest import FrozenClock
from tests.integration.dashboard_client import DashboardClient, csrf_of
from tests.integration.factories import make_campaign, make_creator, make_workspace

PASSWORD = "correct horse battery"


@pytest.fixture
def shop(ctx: Context) -> Context:
    with ctx.engine.begin() as conn:
        ws = make_workspace(conn, "kaffe")
        make_creator(conn, ws, "emma")
        make_campaign(conn, ws, "summer")
        make_workspace(conn, "other")
    users.create_user(ctx, "owner@kaffe.dk", PASSWORD, workspace="kaffe", role="owner")
    users.create_user(ctx, "member@kaffe.dk", PASSWORD, workspace="kaffe", role="member")
    users.create_user(ctx, "viewer@kaffe.dk", PASSWORD, workspace="kaffe", role="read_only")
    return ctx


@pytest.fixture
def client(shop: Context) -> Iterator[DashboardClient]:
    with DashboardClient(shop) as c:
        yield c


def test_passwords_are_stored_as_argon2id_hashes(shop: Context) -> None:
    with shop.engine.connect() as conn:
        stored = conn.execute(select(users_table.c.password_hash)).scalars().all()
    assert len(stored) == 3
    assert all(h.startswith("$argon2id$") and PASSWORD not in h for h in stored)
    assert len(set(stored)) == 3  # salted: the same password hashes differently


def test_authenticate_right_and_wrong(shop: Context) -> None:
    user = users.authenticate(shop, " Owner@Kaffe.dk ", PASSWORD)
    assert user.email == "owner@kaffe.dk"
    assert user.role_in("kaffe").value == "owner"
    for email, password in [("owner@kaffe.dk", "wrong password"), ("nobody@kaffe.dk", PASSWORD)]:
        with pytest.raises(PerfluenceError) as err:
            users.authenticate(shop, email, password)
        # The same answer whether the address exists or not.
        assert (err.value.code, err.value.message) == (
            ErrorCode.UNAUTHENTICATED,
            "wrong e-mail or password",
        )


def test_duplicate_user_and_short_password_are_refused(shop: Context) -> None:
    with pytest.raises(PerfluenceError) as dup:
        users.create_user(shop, "OWNER@kaffe.dk", PASSWORD)
    assert dup.value.code is ErrorCode.DUPLICATE
    with pytest.raises(PerfluenceError) as short:
        users.create_user(shop, "new@kaffe.dk", "short")
    assert (short.value.code, short.value.field) == (ErrorCode.INVALID, "password")


def test_agency_user_sees_several_workspaces(shop: Context) -> None:
    users.grant(shop, "member@kaffe.dk", "other", "read-only")
    user = users.get_user(shop, "member@kaffe.dk")
    assert [(m.workspace_slug, m.role.value) for m in user.memberships] == [
        ("kaffe", "member"),
        ("other", "read_only"),
    ]
    with pytest.raises(PerfluenceError) as err:
        users.get_user(shop, "owner@kaffe.dk").role_in("other")
    assert err.value.code is ErrorCode.NOT_FOUND


def test_sessions_store_only_a_hash_rotate_and_expire(shop: Context, clock: FrozenClock) -> None:
    user = users.get_user(shop, "owner@kaffe.dk")
    first = users.start_session(shop, user)
    with shop.engine.connect() as conn:
        stored = conn.execute(select(sessions.c.id_hash)).scalars().all()
    assert first.token not in stored
    assert users.resolve_session(shop, first.token) is not None

    second = users.start_session(shop, user, replacing=first.token)
    assert second.token != first.token
    assert second.csrf_token != first.csrf_token
    assert users.resolve_session(shop, first.token) is None
    assert users.resolve_session(shop, second.token) is not None

    clock.advance(days=14, seconds=1)
    assert users.resolve_session(shop, second.token) is None


def test_new_password_ends_every_session(shop: Context) -> None:
    session = users.login(shop, "owner@kaffe.dk", PASSWORD)
    users.set_password(shop, "owner@kaffe.dk", "another long passphrase")
    assert users.resolve_session(shop, session.token) is None
    assert users.login(shop, "owner@kaffe.dk", "another long passphrase").token


def test_login_sets_a_safe_cookie_and_rotates_the_session_id(
    client: DashboardClient, shop: Context
) -> None:
    assert client.get("/w/kaffe/").status_code == 303  # to the login page
    # A session id planted before login (fixation) must not survive it.
    planted = users.start_session(shop, users.get_user(shop, "viewer@kaffe.dk"))
    client.cookies.set("pf_session", planted.token, domain="dash.example")
    answer = client.log_in("owner@kaffe.dk", PASSWORD)
    assert answer.status_code == 303
    cookie = answer.headers["set-cookie"]
    assert "HttpOnly" in cookie
    assert "samesite=lax" in cookie.lower()
    assert "Secure" not in cookie  # plain http here; https sets it
    assert client.cookies["pf_session"] != planted.token
    assert users.resolve_session(shop, planted.token) is None
    assert client.get("/w/kaffe/").status_code == 200


def test_https_cookies_are_secure(shop: Context) -> None:
    with DashboardClient(shop, base_url="https://dash.example") as secure:
        answer = secure.log_in("owner@kaffe.dk", PASSWORD)
    assert "Secure" in answer.headers["set-cookie"]


def test_wrong_password_shows_the_form_again(client: DashboardClient) -> None:
    answer = client.log_in("owner@kaffe.dk", "not the password")
    assert answer.status_code == 303
    assert "failed=1" in answer.headers["location"]
    client.get("/lang/en")
    again = client.get(answer.headers["location"])
    assert again.status_code == 401
    assert "Wrong e-mail or password" in again.text
    assert "pf_session" not in client.cookies


def test_login_without_its_csrf_cookie_is_refused(client: DashboardClient) -> None:
    answer = client.post(
        "/login", data={"email": "owner@kaffe.dk", "password": PASSWORD, "csrf": "forged"}
    )
    assert answer.status_code == 403
    assert "pf_session" not in client.cookies


def test_login_never_redirects_off_site(client: DashboardClient) -> None:
    form = client.get("/login")
    answer = client.post(
        "/login",
        data={
            "email": "owner@kaffe.dk",
            "password": PASSWORD,
            "csrf": csrf_of(form.text),
            "next": "//evil.example/",
        },
    )
    assert answer.headers["location"] == "/"


NEW_CAMPAIGN = {
    "slug": "autumn",
    "name": "Autumn",
    "goal": "sales",
    "starts_on": "2026-09-01",
    "ends_on": "2026-10-31",
    "budget": "1000",
}


def test_a_post_without_the_csrf_token_is_refused(client: DashboardClient) -> None:
    client.log_in("owner@kaffe.dk", PASSWORD)
    missing = client.post("/w/kaffe/campaigns", data=NEW_CAMPAIGN)
    wrong = client.post("/w/kaffe/campaigns", data={**NEW_CAMPAIGN, "csrf": "x" * 43})
    assert (missing.status_code, wrong.status_code) == (403, 403)
    assert "text/html" in missing.headers["content-type"]
    assert client.get("/w/kaffe/campaigns/autumn").status_code == 404
    ok = client.post("/w/kaffe/campaigns", data={**NEW_CAMPAIGN, "csrf": client.csrf})
    assert ok.status_code == 303
    assert client.get("/w/kaffe/campaigns/autumn").status_code == 200


def test_the_csrf_token_may_come_in_a_header(client: DashboardClient) -> None:
    client.log_in("member@kaffe.dk", PASSWORD)
    answer = client.post(
        "/w/kaffe/campaigns", data=NEW_CAMPAIGN, headers={"X-CSRF-Token": client.csrf}
    )
    assert answer.status_code == 303


def test_read_only_can_look_but_not_post(client: DashboardClient) -> None:
    client.log_in("viewer@kaffe.dk", PASSWORD)
    client.get("/lang/en")
    page = client.get("/w/kaffe/creators")
    assert page.status_code == 200
    assert "Read-only access" in page.text
    assert 'id="add-creator"' not in page.text
    answer = client.post(
        "/w/kaffe/creators", data={"handle": "otto", "name": "Otto", "csrf": client.csrf}
    )
    assert answer.status_code == 403
    assert client.get("/w/kaffe/creators/otto").status_code == 404


def test_only_an_owner_makes_portal_links(client: DashboardClient, shop: Context) -> None:
    client.log_in("member@kaffe.dk", PASSWORD)
    refused = client.post("/w/kaffe/creators/emma/portal-link", data={"csrf": client.csrf})
    assert refused.status_code == 403
    with DashboardClient(shop) as owner:
        owner.log_in("owner@kaffe.dk", PASSWORD)
        made = owner.post("/w/kaffe/creators/emma/portal-link", data={"csrf": owner.csrf})
    assert made.status_code == 200
    assert "/portal/" in made.text


def test_logout_ends_the_session(client: DashboardClient, shop: Context) -> None:
    client.log_in("owner@kaffe.dk", PASSWORD)
    token = client.cookies["pf_session"]
    assert client.post("/logout", data={"csrf": client.csrf}).status_code == 303
    assert users.resolve_session(shop, token) is None
    assert client.get("/w/kaffe/").status_code == 303


def test_portal_links_expire_and_can_be_revoked(shop: Context, clock: FrozenClock) -> None:
    token = users.portal_token(shop, "kaffe", "emma")
    assert users.open_portal(shop, token) == users.PortalAccess("kaffe", "emma")
    tampered = token[:-1] + ("A" if token[-1] != "A" else "B")
    revoked_later = users.portal_token(shop, "kaffe", "emma")
    for bad in (tampered, "", "not-a-token"):
        with pytest.raises(PerfluenceError) as err:
            users.open_portal(shop, bad)
        assert err.value.code is ErrorCode.NOT_FOUND

    users.revoke_portal_links(shop, "kaffe", "emma")
    with pytest.raises(PerfluenceError):
        users.open_portal(shop, revoked_later)
    fresh = users.portal_token(shop, "kaffe", "emma")
    assert users.open_portal(shop, fresh).creator_handle == "emma"

    clock.advance(days=30, seconds=1)
    with pytest.raises(PerfluenceError):
        users.open_portal(shop, fresh)


def test_portal_page_over_http(client: DashboardClient, shop: Context) -> None:
    token = users.portal_token(shop, "kaffe", "emma")
    page = client.get(f"/portal/{token}")
    assert page.status_code == 200
    assert "@emma" in page.text
    assert page.headers["referrer-policy"] == "no-referrer"
    assert client.get(f"/portal/{token}x").status_code == 404


def test_demo_login_only_in_dev_and_only_with_the_demo_user(shop: Context) -> None:
    with DashboardClient(shop) as test_env:
        assert "Demo login" not in test_env.get("/login").text
    dev = Context(
        settings=shop.settings.model_copy(update={"env": Environment.DEV}),
        engine=shop.engine,
        clock=shop.clock,
    )
    with DashboardClient(dev) as browser:
        assert "Demo login" not in browser.get("/login").text  # no demo user yet
        assert users.ensure_demo_user(dev, "kaffe") is not None
        assert users.ensure_demo_user(dev, "kaffe") is None  # created once
        form = browser.get("/login")
        assert "Demo login" in form.text
        answer = browser.post("/login/demo", data={"csrf": csrf_of(form.text)})
        assert answer.status_code == 303
        assert browser.get("/w/kaffe/").status_code == 200
