"""Tenant isolation, generated from the route list: a user of workspace A gets 404 for
every object of workspace B, on every dashboard and portal route.

Each route's path parameters are filled with B's objects, once under B's own
workspace slug (A's user has no membership there) and once under A's slug
(where B's objects do not exist). A route with a parameter this test does not
know fails the test, so a new route cannot slip past it. B's owner gets 200 on
the same GET URLs, so the 404s are about access, not about broken URLs.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal

import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute
from starlette.routing import BaseRoute

from perfluence.core.money import Money
from perfluence.services import (
    campaigns,
    codes,
    conversions,
    creators,
    links,
    partnerships,
    payouts,
    users,
    workspaces,
)
from perfluence.services.context import Context
from perfluence.services.conversions import TrackRequest
from perfluence.web.app import create_app
from tests.conftest import FrozenClock
from tests.integration.dashboard_client import DashboardClient

PASSWORD = "correct horse battery"
A, B = "alpha", "bravo"
B_OBJECTS = {
    "campaign": "bravo-camp",
    "handle": "bertil-bravo",
    "slug": "bravolink",
    "external_id": "bravo-order-1",
    "fmt": "csv",
}
# Every parameter a dashboard or portal route may have; anything else fails the test.
KNOWN_PARAMETERS = {
    "ws", "campaign", "handle", "slug", "external_id", "statement_id", "token", "fmt"
}  # fmt: skip


def _flat(routes: Sequence[BaseRoute]) -> Iterator[APIRoute]:
    """Every APIRoute, also those of included routers (kept as wrappers by FastAPI)."""
    for route in routes:
        if isinstance(route, APIRoute):
            yield route
        included = getattr(route, "original_router", None)
        if included is not None:
            yield from _flat(included.routes)


def dashboard_routes(ctx: Context) -> list[tuple[str, str]]:
    api = create_app(ctx).app
    assert isinstance(api, FastAPI)
    found = [
        (method, route.path)
        for route in _flat(api.routes)
        if route.path.startswith(("/w/", "/portal/"))
        for method in sorted(route.methods or ())
    ]
    assert len(found) > 10, found
    return found


@pytest.fixture
def two_shops(ctx: Context, clock: FrozenClock) -> dict[str, str]:
    """Workspace A with its own things; workspace B with one of each kind of object."""
    for slug in (A, B):
        workspaces.create_workspace(ctx, slug, slug.title(), currency="DKK", language="en")
    creators.add_creator(ctx, A, "anna-alpha", name="Anna")
    campaigns.create_campaign(
        ctx, A, "alpha-camp", name="Alpha", goal="sales", starts_on="2026-03-01",
        ends_on="2026-03-31",
    )  # fmt: skip
    creators.add_creator(ctx, B, B_OBJECTS["handle"], name="Bertil Hemlig")
    campaigns.create_campaign(
        ctx, B, B_OBJECTS["campaign"], name="Bravo", goal="sales", starts_on="2026-03-01",
        ends_on="2026-03-31",
    )  # fmt: skip
    partnerships.create_partnership(
        ctx, B, B_OBJECTS["campaign"], B_OBJECTS["handle"],
        {"model": "cps", "commission_rate": "10%", "hold_days": 0},
    )  # fmt: skip
    links.create_link(
        ctx, B, B_OBJECTS["campaign"], B_OBJECTS["handle"], "https://bravo.example/",
        slug=B_OBJECTS["slug"],
    )  # fmt: skip
    codes.create_code(ctx, B, B_OBJECTS["campaign"], B_OBJECTS["handle"], code="BRAVO10")
    ws_b = workspaces.get_workspace(ctx, B)
    conversions.track(
        ctx, ws_b.id, "api",
        TrackRequest(
            kind="sale", external_id=B_OBJECTS["external_id"],
            amount=Money(Decimal("500.00"), "DKK"), occurred_at=clock(), code="BRAVO10",
        ),
    )  # fmt: skip
    clock.advance(days=1)
    statement = payouts.create_statement(ctx, B, B_OBJECTS["handle"], "2026-03-01", "2026-03-31")
    assert statement.id is not None
    users.create_user(ctx, "a@alpha.dk", PASSWORD, workspace=A, role="owner")
    users.create_user(ctx, "b@bravo.dk", PASSWORD, workspace=B, role="owner")
    foreign_token = users.portal_token(ctx, B, B_OBJECTS["handle"])
    return {
        **B_OBJECTS,
        "statement_id": str(statement.id),
        # A portal link is a credential of its own: one not signed by this server opens nothing.
        "token": foreign_token[:-6] + "AAAAAA",
        "real_token": foreign_token,
    }


def fill(path: str, ws: str, objects: dict[str, str]) -> str:
    params = set(APIRoute(path, lambda: None).param_convertors)
    unknown = params - KNOWN_PARAMETERS
    assert not unknown, f"{path}: teach this test what {unknown} is (and how B owns one)"
    return path.format(ws=ws, **{k: v for k, v in objects.items() if k in params})


def test_every_route_hides_workspace_b_from_a_user_of_a(
    ctx: Context, two_shops: dict[str, str]
) -> None:
    routes = dashboard_routes(ctx)
    checked: list[str] = []
    with DashboardClient(ctx) as alice:
        alice.log_in("a@alpha.dk", PASSWORD)
        form = {"csrf": alice.csrf, "partnership": f"{B_OBJECTS['campaign']}/x", "creator": "x"}
        for method, path in routes:
            names = set(APIRoute(path, lambda: None).param_convertors)
            variants = [fill(path, B, two_shops)]  # B's slug: no membership
            if names - {"ws"}:
                variants.append(fill(path, A, two_shops))  # B's objects under A's slug
            for url in variants:
                answer = alice.get(url) if method == "GET" else alice.post(url, data=form)
                assert answer.status_code == 404, (method, url, answer.status_code)
                # Nothing of B beyond the URL the user typed: not even a name.
                assert "Hemlig" not in answer.text
                checked.append(f"{method} {url}")
    assert len(checked) >= len(routes)


def test_the_same_urls_work_for_bs_owner(ctx: Context, two_shops: dict[str, str]) -> None:
    """The control: B's owner sees each GET route's object, so a 404 above means no access."""
    with DashboardClient(ctx) as bertil:
        bertil.log_in("b@bravo.dk", PASSWORD)
        for method, path in dashboard_routes(ctx):
            if method != "GET":
                continue
            objects = {**two_shops, "token": two_shops["real_token"]}
            url = fill(path, B, objects)
            assert bertil.get(url).status_code == 200, url


def test_lists_of_a_never_show_bs_things(ctx: Context, two_shops: dict[str, str]) -> None:
    with DashboardClient(ctx) as alice:
        alice.log_in("a@alpha.dk", PASSWORD)
        for path in ("/w/alpha/", "/w/alpha/creators", "/w/alpha/links",
                     "/w/alpha/conversions?q=bravo", "/w/alpha/payouts"):  # fmt: skip
            page = alice.get(path)
            assert page.status_code == 200, path
            for secret in ("bertil", "bravo-camp", "bravolink", "BRAVO10", "bravo-order"):
                assert secret not in page.text, (path, secret)


def test_a_cannot_attach_links_or_codes_to_bs_partnerships(
    ctx: Context, two_shops: dict[str, str]
) -> None:
    partnership = f"{B_OBJECTS['campaign']}/{B_OBJECTS['handle']}"
    with DashboardClient(ctx) as alice:
        alice.log_in("a@alpha.dk", PASSWORD)
        link = alice.post(
            "/w/alpha/links",
            data={"csrf": alice.csrf, "partnership": partnership, "destination": "https://x.dk/"},
        )
        code = alice.post(
            "/w/alpha/codes", data={"csrf": alice.csrf, "partnership": partnership, "code": "X1"}
        )
    assert (link.status_code, code.status_code) == (404, 404)
    assert len(links.list_links(ctx, B)) == 1
    assert [c.code for c in codes.list_codes(ctx, B)] == ["BRAVO10"]
