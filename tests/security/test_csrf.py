"""CSRF, generated from the route list: every state-changing form of the dashboard and the portal
refuses a POST without its token, with a wrong one, or with another session's (403), and the
database is byte-for-byte unchanged; with the right token the same POST gets past the check.

A POST route with a path parameter this test does not know fails the test, so a new form
cannot slip past it.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from perfluence.services import campaigns, creators, partnerships, users, workspaces
from perfluence.services.context import Context
from perfluence.web.app import create_app
from tests.integration.dashboard_client import csrf_of
from tests.security import scan
from tests.security.clients import Client

PASSWORD = "correct horse battery"
PARAMETERS = {"ws": "kaffe", "campaign": "autumn", "handle": "emma"}
# Enough for every form to be valid, so that the token is the only thing a refusal is about.
FORM = {
    "slug": "csrf-test",
    "name": "CSRF test",
    "starts_on": "2026-03-01",
    "ends_on": "2026-03-31",
    "creator": "bo",
    "handle": "newbie",
    "destination": "https://kaffe.example/csrf",
    "code": "CSRF10",
    "email": "ana@kaffe.dk",
    "password": PASSWORD,
}
JSON_PREFIXES = ("/api/", "/webhooks/")


def _flat(routes: Sequence[BaseRoute]) -> Iterator[APIRoute]:
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _flat(included.routes)


def form_routes(app: Any) -> list[APIRoute]:
    return [
        r
        for r in _flat(app.routes)
        if "POST" in (r.methods or ()) and not r.path.startswith(JSON_PREFIXES)
    ]


def _world(ctx: Context) -> None:
    workspaces.create_workspace(ctx, "kaffe", "Kaffe", currency="DKK", language="en")
    for handle, name in (("emma", "Emma"), ("bo", "Bo")):
        creators.add_creator(ctx, "kaffe", handle, name=name)
    campaigns.create_campaign(
        ctx, "kaffe", "autumn", name="Autumn", goal="sales", starts_on="2026-02-01",
        ends_on="2026-04-30",
    )  # fmt: skip
    partnerships.create_partnership(
        ctx, "kaffe", "autumn", "emma", {"model": "cps", "commission_rate": "10%"}
    )
    users.create_user(ctx, "ana@kaffe.dk", PASSWORD, workspace="kaffe", role="owner")
    users.create_user(ctx, "bo@kaffe.dk", PASSWORD, workspace="kaffe", role="owner")


def test_every_form_needs_its_own_sessions_csrf_token(ctx: Context) -> None:
    _world(ctx)
    app = create_app(ctx).app
    routes = form_routes(app)
    paths = sorted(r.path for r in routes)
    assert {"/login", "/logout", "/w/{ws}/campaigns", "/w/{ws}/links"} <= set(paths), paths
    for route in routes:
        unknown = set(route.param_convertors) - set(PARAMETERS)
        assert not unknown, f"{route.path}: teach this test the parameters {unknown}"
    ana, bo = Client(app), Client(app)
    try:
        assert ana.log_in("ana@kaffe.dk", PASSWORD).status_code == 303
        assert bo.log_in("bo@kaffe.dk", PASSWORD).status_code == 303
        before = scan.dump(ctx.engine)
        for path in paths:
            url = path.format(**PARAMETERS)
            attempts: list[dict[str, Any]] = [
                {"data": FORM},
                {"data": {**FORM, "csrf": "not-the-token"}},
                {"data": {**FORM, "csrf": bo.csrf}},  # a real token, of another session
                {"data": FORM, "headers": {"x-csrf-token": bo.csrf}},
            ]
            for attempt in attempts:
                answer = ana.post(url, **attempt)
                assert answer.status_code == 403, (path, attempt)
        assert scan.dump(ctx.engine) == before, "a refused form changed the database"

        # The control: the same POSTs with the right token get past the check.
        last = {"/login": 1, "/login/demo": 2, "/logout": 3}
        for path in sorted(paths, key=lambda p: last.get(p, 0)):
            token = csrf_of(ana.get("/login").text) if path.startswith("/login") else ana.csrf
            answer = ana.post(path.format(**PARAMETERS), data={**FORM, "csrf": token})
            assert answer.status_code != 403, (path, answer.text[:300])
            if path == "/login":
                ana.csrf = csrf_of(ana.get("/", follow_redirects=True).text)
    finally:
        ana.close()
        bo.close()


def test_a_read_only_session_with_the_right_token_still_cannot_post(ctx: Context) -> None:
    _world(ctx)
    users.grant(ctx, "bo@kaffe.dk", "kaffe", "read_only")
    app = create_app(ctx).app
    reader = Client(app)
    try:
        reader.log_in("bo@kaffe.dk", PASSWORD)
        before = scan.dump(ctx.engine)
        for route in form_routes(app):
            if route.path.startswith("/w/"):
                answer = reader.post(
                    route.path.format(**PARAMETERS), data={**FORM, "csrf": reader.csrf}
                )
                assert answer.status_code in {403, 404}, route.path
        assert scan.dump(ctx.engine) == before
    finally:
        reader.close()
