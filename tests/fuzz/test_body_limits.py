"""Every route that takes a body refuses one over its limit with 413, before anything reads it.

The routes come from the application itself, so a route added later is
covered without touching this file. Each is sent a body one byte over its
limit, once with a declared ``Content-Length`` and once chunked (no length,
counted as it arrives): 413, a clear message (the JSON error under the API's
prefixes, a page for the dashboard's forms), ``Connection: close``, and not
one table changed.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from fastapi import FastAPI

from perfluence.services.context import Context
from perfluence.web.api.limits import FORM_MAX_BODY_BYTES, BodyLimit
from perfluence.web.app import create_app
from tests.fuzz.db_state import changed_tables, fingerprint
from tests.fuzz.served import Content, served
from tests.integration.api_resource_world import bearer, make_objects

BODY_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PATH_VALUES = {"source": "shopify", "workspace": "alpha", "ws": "alpha"}


def _routes(routes: list[Any]) -> Iterator[tuple[str, str]]:
    for route in routes:
        if getattr(route, "methods", None):
            for method in sorted(set(route.methods) & BODY_METHODS):
                yield method, route.path
            continue
        nested = getattr(route, "original_router", None) or getattr(route, "app", None)
        if nested is not None and hasattr(nested, "routes"):
            yield from _routes(list(nested.routes))


def body_routes(api: FastAPI) -> list[tuple[str, str]]:
    """Every (method, path) of the application that takes a body, path parameters filled."""
    found = {
        (method, re.sub(r"\{(\w+)(?::\w+)?\}", lambda m: PATH_VALUES.get(m[1], "1"), path))
        for method, path in _routes(list(api.routes))
    }
    return sorted(found)


def installed_limit(api: FastAPI) -> BodyLimit:
    """The ``BodyLimit`` the application installed, rebuilt from its arguments."""
    found: list[Any] = [m for m in api.user_middleware if getattr(m, "cls", None) is BodyLimit]
    (middleware,) = found
    return BodyLimit(api, *middleware.args, **middleware.kwargs)


def fastapi_of(ctx: Context) -> FastAPI:
    api = create_app(ctx).app
    assert isinstance(api, FastAPI)
    return api


async def chunks(size: int, chunk: int = 16 * 1024) -> AsyncIterator[bytes]:
    sent = 0
    while sent < size:
        part = min(chunk, size - sent)
        sent += part
        yield b"x" * part


def check_refusal(response: httpx.Response, limit: int, as_json: bool) -> None:
    assert response.status_code == 413, (response.status_code, response.text[:200])
    assert response.headers["connection"] == "close"
    if as_json:
        error = response.json()["error"]
        assert error["code"] == "payload_too_large"
        assert f"limit of {limit} bytes" in error["message"]
    else:
        assert response.headers["content-type"].startswith("text/html")
        assert f"more than {limit // 1024} KiB" in response.text


@pytest.fixture
def key(ctx: Context) -> dict[str, str]:
    """Workspace ``alpha`` with one object of every kind, and a key with every scope."""
    return {**bearer(make_objects(ctx, "alpha", "anna").token), "content-type": "application/json"}


@pytest.mark.slow
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_every_body_route_refuses_one_byte_over_its_limit(
    ctx: Context, key: dict[str, str], chunked: bool
) -> None:
    api = fastapi_of(ctx)
    limits = installed_limit(api)
    routes = body_routes(api)
    # The route list reaches every kind: forms, the JSON API, the track API, shop webhooks.
    assert {("POST", "/login"), ("POST", "/w/alpha/creators")} <= set(routes)
    assert {("POST", "/api/v1/track/sale"), ("POST", "/webhooks/shopify/alpha")} <= set(routes)
    assert ("PATCH", "/api/v1/campaigns/1") in routes
    with served(ctx) as send:
        for method, path in routes:
            limit, as_json = limits.limit_for(path)
            body: Content = chunks(limit + 1) if chunked else b"x" * (limit + 1)
            before = fingerprint(ctx.engine)
            response = send(method, path, content=body, headers=key)
            check_refusal(response, limit, as_json)
            assert changed_tables(before, fingerprint(ctx.engine)) == set(), (method, path)


def test_the_limits_are_the_ones_documented(ctx: Context) -> None:
    limits = installed_limit(fastapi_of(ctx))
    assert limits.limit_for("/api/v1/track/sale") == (64 * 1024, True)
    assert limits.limit_for("/webhooks/stripe/alpha") == (1024 * 1024, True)
    assert limits.limit_for("/api/v1/creators") == (256 * 1024, True)
    assert limits.limit_for("/login") == (FORM_MAX_BODY_BYTES, False)
    assert limits.limit_for("/w/alpha/campaigns") == (FORM_MAX_BODY_BYTES, False)


@pytest.mark.parametrize(
    "path", ["/api/v1/track/sale", "/webhooks/shopify/alpha", "/api/v1/creators", "/login"]
)
def test_a_body_at_the_limit_gets_past_the_limit(
    ctx: Context, key: dict[str, str], path: str
) -> None:
    limit, _ = installed_limit(fastapi_of(ctx)).limit_for(path)
    with served(ctx) as send:
        response = send("POST", path, content=b"x" * limit, headers=key)
    assert response.status_code != 413
    assert response.status_code < 500


@pytest.mark.parametrize("declared", ["9" * 5000, "9" * 30, "1048577"])
def test_a_declared_length_past_any_limit_is_413_without_reading(
    ctx: Context, declared: str
) -> None:
    """Even a Content-Length no int() can read (a server would refuse it; the app must not 500)."""
    with served(ctx) as send:
        for path in ("/api/v1/creators", "/webhooks/shopify/alpha", "/login"):
            response = send("POST", path, content=b"{}", headers={"content-length": declared})
            assert response.status_code == 413, (path, response.text[:200])


def test_a_post_to_a_tracking_link_is_refused_before_its_body_is_read(ctx: Context) -> None:
    with served(ctx) as send:
        response = send("POST", "/l/some-slug", content=chunks(10 * 1024 * 1024))
    assert response.status_code == 405
