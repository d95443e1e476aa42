"""Tenant isolation, generated from the application's route list.

Two workspaces, A and B, each with one object of every kind. A principal of
A (an API key with every scope; later kinds join ``PRINCIPAL_KINDS``) calls
every ``/api/v1`` route that takes a path parameter, with B's identifiers:
every answer must be ``404 not_found``, and B's objects must be unchanged.
With A's own identifiers the same calls must not be 404. A route whose path
parameter or body this test does not know fails the test, so a new route
cannot escape it.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
import pytest
from fastapi import FastAPI
from fastapi.routing import APIRoute, iter_route_contexts

from perfluence.services import codes, costs, links, partnerships, payouts, posts
from perfluence.services.context import Context
from perfluence.web.app import create_app
from tests.integration.api_resource_world import PATH_PARAMETERS, Objects, bearer, make_objects
from tests.integration.api_world import with_client

PREFIX = "/api/v1/"
# A valid body for each route that takes one: isolation must be decided before the body is.
BODIES: dict[tuple[str, str], dict[str, Any]] = {
    ("POST", "/api/v1/creators/{handle}/accounts"): {"platform": "tiktok", "followers": 5},
    ("PATCH", "/api/v1/campaigns/{campaign_slug}"): {"status": "active"},
    ("PATCH", "/api/v1/links/{link_slug}"): {"status": "paused"},
    ("PATCH", "/api/v1/posts/{post_id}"): {"metrics": {"likes": 99}},
}
# Every POST without a path parameter, and the body that names the other workspace's objects
# in it (None: the body names no other object; the reason is beside it).
CREATE_BODIES: dict[str, Callable[[Objects], dict[str, Any]] | None] = {
    "/api/v1/creators": None,  # a new creator names nothing
    "/api/v1/campaigns": None,  # a new campaign names nothing
    "/api/v1/privacy/forget-customer": None,  # names a customer, not an object of the world
    "/api/v1/privacy/forget-creator": lambda b: {"handle": b.handle},
    "/api/v1/track/lead": None,  # ids in a track body are evidence, not objects: test_track_api
    "/api/v1/track/sale": None,
    "/api/v1/track/refund": None,
    "/api/v1/partnerships": lambda b: {
        "campaign": b.campaign_slug,
        "creator": b.handle,
        "terms": {"model": "cps", "commission_rate": "5%"},
    },
    "/api/v1/links": lambda b: {
        "campaign": b.campaign_slug,
        "creator": b.handle,
        "destination": "https://shop.example/",
    },
    "/api/v1/codes": lambda b: {
        "campaign": b.campaign_slug,
        "creator": b.handle,
        "code": "OTHER15",
    },
    "/api/v1/posts": lambda b: {
        "campaign": b.campaign_slug,
        "creator": b.handle,
        "platform": "tiktok",
        "external_id": "x",
    },
    "/api/v1/costs": lambda b: {"campaign": b.campaign_slug, "kind": "fee", "amount": "1.00"},
    "/api/v1/payouts": lambda b: {
        "creator": b.handle,
        "period_start": "2026-04-01",
        "period_end": "2026-04-30",
    },
    "/api/v1/payouts/preview": lambda b: {
        "creator": b.handle,
        "period_start": "2026-03-01",
        "period_end": "2026-03-31",
    },
}
# Query parameters of list routes that name an object, and which one.
FILTERS: dict[str, Callable[[Objects], str]] = {
    "campaign": lambda b: b.campaign_slug,
    "creator": lambda b: b.handle,
}
# How a principal of workspace A authenticates; the dashboard's session joins here.
PRINCIPAL_KINDS: dict[str, Callable[[Context, Objects], dict[str, str]]] = {
    "key": lambda _ctx, objects: bearer(objects.token),
}


@dataclass(frozen=True)
class Call:
    method: str
    template: str
    body: dict[str, Any] | None

    def path(self, values: dict[str, str]) -> str:
        return re.sub(r"\{(\w+)\}", lambda m: values[m.group(1)], self.template)


def resource_calls(ctx: Context) -> tuple[list[Call], list[str]]:
    """Every (method, route) under /api/v1 with a path parameter, and what cannot be filled."""
    app = create_app(ctx).app
    assert isinstance(app, FastAPI)
    calls: list[Call] = []
    unknown: list[str] = []
    # Included routers are resolved lazily; this walks them with their prefixes applied.
    for context in iter_route_contexts(app.routes):
        route, path = context.original_route, context.path
        if not isinstance(route, APIRoute) or path is None or not path.startswith(PREFIX):
            continue
        params = set(re.findall(r"\{(\w+)(?::\w+)?\}", path))
        if not params:
            continue
        for method in sorted(context.methods or ()):
            label = f"{method} {path}"
            if params - PATH_PARAMETERS:
                missing = sorted(params - PATH_PARAMETERS)
                unknown.append(f"{label}: unknown path parameter(s) {missing}")
                continue
            body = BODIES.get((method, path))
            if route.body_field is not None and body is None:
                unknown.append(f"{label}: takes a body and BODIES has none for it")
                continue
            calls.append(Call(method, path, body))
    return calls, unknown


@pytest.fixture
def two_workspaces(ctx: Context) -> tuple[Objects, Objects]:
    return make_objects(ctx, "alpha", "anna"), make_objects(ctx, "beta", "bo")


def run_calls(
    ctx: Context, calls: list[Call], values: dict[str, str], headers: dict[str, str]
) -> list[tuple[Call, httpx.Response]]:
    async def scenario(client: httpx.AsyncClient) -> list[tuple[Call, httpx.Response]]:
        out = []
        for call in calls:
            response = await client.request(
                call.method, call.path(values), json=call.body, headers=headers
            )
            out.append((call, response))
        return out

    return with_client(ctx, scenario)


@pytest.mark.parametrize("kind", sorted(PRINCIPAL_KINDS))
def test_every_route_answers_404_for_another_workspaces_objects(
    ctx: Context, two_workspaces: tuple[Objects, Objects], kind: str
) -> None:
    a, b = two_workspaces
    calls, unknown = resource_calls(ctx)
    assert unknown == [], "routes the isolation test cannot fill: add them here"
    assert set(a.path_values()) == PATH_PARAMETERS
    # Every resource with an identifier is among them (the list is not silently empty).
    templates = {c.template for c in calls}
    for name in a.path_values():
        assert any(f"{{{name}}}" in t for t in templates), name
    headers = PRINCIPAL_KINDS[kind](ctx, a)
    leaks = [
        f"{call.method} {call.path(b.path_values())} -> {response.status_code} {response.text}"
        for call, response in run_calls(ctx, calls, b.path_values(), headers)
        if response.status_code != 404 or response.json()["error"]["code"] != "not_found"
    ]
    assert leaks == []
    # Nothing of B's changed: the writes above never reached it.
    assert links.get_link(ctx, b.slug, b.link_slug).status.value == "active"
    assert posts.get_post(ctx, b.slug, b.post_id).metrics["likes"] == 3
    assert payouts.list_statements(ctx, b.slug)[0].status.value == "pending"


@pytest.mark.parametrize("kind", sorted(PRINCIPAL_KINDS))
def test_the_same_routes_find_the_workspaces_own_objects(
    ctx: Context, two_workspaces: tuple[Objects, Objects], kind: str
) -> None:
    a, _ = two_workspaces
    calls, _ = resource_calls(ctx)
    headers = PRINCIPAL_KINDS[kind](ctx, a)
    wrong = [
        f"{call.method} {call.path(a.path_values())} -> {response.status_code} {response.text}"
        for call, response in run_calls(ctx, calls, a.path_values(), headers)
        if response.status_code == 404 or response.status_code >= 500
    ]
    assert wrong == []


def api_routes(ctx: Context) -> list[tuple[str, str, APIRoute]]:
    """(method, full path, route) of every route under /api/v1."""
    app = create_app(ctx).app
    assert isinstance(app, FastAPI)
    return [
        (method, context.path, context.original_route)
        for context in iter_route_contexts(app.routes)
        if isinstance(context.original_route, APIRoute)
        and context.path is not None
        and context.path.startswith(PREFIX)
        for method in sorted(context.methods or ())
    ]


@pytest.mark.parametrize("kind", sorted(PRINCIPAL_KINDS))
def test_nothing_is_made_on_another_workspaces_objects(
    ctx: Context, two_workspaces: tuple[Objects, Objects], kind: str
) -> None:
    a, b = two_workspaces
    creates = [path for method, path, _ in api_routes(ctx) if method == "POST" and "{" not in path]
    assert sorted(set(creates) - set(CREATE_BODIES)) == [], "add these to CREATE_BODIES"
    headers = PRINCIPAL_KINDS[kind](ctx, a)

    async def scenario(client: httpx.AsyncClient) -> list[tuple[str, httpx.Response]]:
        out = []
        for path in creates:
            make = CREATE_BODIES[path]
            if make is not None:
                out.append((path, await client.post(path, json=make(b), headers=headers)))
        return out

    answers = with_client(ctx, scenario)
    assert len(answers) >= 7
    leaks = [
        f"POST {path} -> {response.status_code} {response.text}"
        for path, response in answers
        if response.status_code != 404 or response.json()["error"]["code"] != "not_found"
    ]
    assert leaks == []
    for slug in (a.slug, b.slug):  # nothing was made in either workspace
        assert len(partnerships.list_partnerships(ctx, slug)) == 1
        assert len(links.list_links(ctx, slug)) == 1
        assert len(codes.list_codes(ctx, slug)) == 1
        assert len(posts.list_posts(ctx, slug)) == 1
        assert len(costs.list_costs(ctx, slug)) == 1
        assert len(payouts.list_statements(ctx, slug)) == 1


@pytest.mark.parametrize("kind", sorted(PRINCIPAL_KINDS))
def test_a_list_filtered_by_another_workspaces_object_shows_nothing_of_it(
    ctx: Context, two_workspaces: tuple[Objects, Objects], kind: str
) -> None:
    a, b = two_workspaces
    lists = [
        (path, name)
        for method, path, route in api_routes(ctx)
        if method == "GET" and "{" not in path
        for name in (p.alias for p in route.dependant.query_params)
        if name in FILTERS
    ]
    assert len(lists) >= 8
    headers = PRINCIPAL_KINDS[kind](ctx, a)

    async def scenario(client: httpx.AsyncClient) -> list[tuple[str, httpx.Response]]:
        return [
            (
                f"{path}?{name}={FILTERS[name](b)}",
                await client.get(path, params={name: FILTERS[name](b)}, headers=headers),
            )
            for path, name in lists
        ]

    leaks = [
        f"GET {url} -> {response.status_code} {response.text}"
        for url, response in with_client(ctx, scenario)
        if not (
            response.status_code == 404
            or (response.status_code == 200 and response.json()["items"] == [])
        )
    ]
    assert leaks == []
