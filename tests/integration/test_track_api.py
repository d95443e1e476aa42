"""``POST /api/v1/track/{lead,sale,refund}`` through the whole application, on both dialects."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from perfluence.services import api_keys, conversions
from perfluence.services.context import Context
from tests.integration.api_world import (
    World,
    conversion_count,
    make_world,
    post,
    with_client,
)

API_DOCS = Path(__file__).parents[2] / "docs" / "api.md"
CLICK_A = "0PnjEGiWL0i0cjr0lZmIfG"
CLICK_B = "0PnjEGiWL0i0cjr0lZmIfH"
SALE = {
    "external_id": "order-10023",
    "amount": "129.95",
    "currency": "DKK",
    "click_id": CLICK_A,
    "customer_email": "Kunde@Example.dk",
    "occurred_at": "2026-03-02T13:05:12+01:00",
}


@pytest.fixture
def shop(ctx: Context) -> tuple[World, str]:
    """Workspace ``kaffe`` with emma's click ``CLICK_A``, and a track key for it."""
    world = make_world(ctx, "kaffe", CLICK_A, "EMMA15")
    return world, api_keys.create_api_key(ctx, "kaffe", "shop", ["track"]).token


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}", "content-type": "application/json"}


def track(ctx: Context, kind: str, body: object, headers: dict[str, str] | None) -> httpx.Response:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return post(ctx, f"/api/v1/track/{kind}", content=raw, headers=headers)


def error_of(response: httpx.Response) -> dict[str, Any]:
    error = response.json()["error"]
    assert isinstance(error, dict)
    return error


def test_a_sale_is_created_then_a_repeat_answers_the_first_result(
    ctx: Context, shop: tuple[World, str]
) -> None:
    world, token = shop

    async def scenario(client: httpx.AsyncClient) -> list[httpx.Response]:
        first = await client.post("/api/v1/track/sale", json=SALE, headers=bearer(token))
        changed = {**SALE, "amount": "999.00", "click_id": None}
        again = await client.post("/api/v1/track/sale", json=changed, headers=bearer(token))
        return [first, again]

    first, again = with_client(ctx, scenario)
    assert first.status_code == 201, first.text
    body = first.json()
    assert body["kind"] == "sale"
    assert body["external_id"] == "order-10023"
    assert body["attribution_method"] == "click_id"
    assert body["partnership_id"] == world.partnership_id
    assert body["creator_handle"] == "emma"
    assert body["campaign_slug"] == "spring"
    assert body["seconds_from_click"] > 0
    assert again.status_code == 200
    assert again.json() == body
    assert conversion_count(ctx) == 1


def test_x_api_key_header_and_amount_minor_are_accepted(
    ctx: Context, shop: tuple[World, str]
) -> None:
    _, token = shop
    body = {"external_id": "o-2", "amount_minor": 12995, "currency": "dkk", "code": "emma15"}
    response = track(ctx, "sale", body, {"x-api-key": token, "content-type": "application/json"})
    assert response.status_code == 201, response.text
    assert response.json()["attribution_method"] == "code"
    assert response.json()["creator_handle"] == "emma"


def test_a_lead_needs_no_amount_and_a_refund_names_its_sale(
    ctx: Context, shop: tuple[World, str]
) -> None:
    _, token = shop
    lead = track(ctx, "lead", {"external_id": "signup-1", "click_id": CLICK_A}, bearer(token))
    assert lead.status_code == 201, lead.text
    assert lead.json()["kind"] == "lead"
    assert track(ctx, "sale", SALE, bearer(token)).status_code == 201
    refund = {
        "external_id": "refund-1",
        "amount": "29.95",
        "currency": "DKK",
        "reverses_external_id": "order-10023",
    }
    response = track(ctx, "refund", refund, bearer(token))
    assert response.status_code == 201, response.text
    assert response.json()["kind"] == "refund"
    assert conversion_count(ctx) == 3


@pytest.mark.parametrize(
    ("headers", "message"),
    [
        ({}, "required"),
        ({"authorization": "Basic dXNlcjpwYXNz"}, "Bearer"),
        ({"authorization": "Bearer pfk_abcdefgh_" + "x" * 43}, "not valid"),
        ({"x-api-key": "sk_live_something"}, "not a perfluence key"),
    ],
)
def test_without_a_live_key_the_answer_is_401_and_nothing_is_stored(
    ctx: Context, shop: tuple[World, str], headers: dict[str, str], message: str
) -> None:
    response = track(ctx, "sale", SALE, {**headers, "content-type": "application/json"})
    assert response.status_code == 401
    assert response.headers["www-authenticate"] == "Bearer"
    error = error_of(response)
    assert error["code"] == "unauthenticated"
    assert message in error["message"]
    assert conversion_count(ctx) == 0


def test_a_revoked_key_is_refused(ctx: Context, shop: tuple[World, str]) -> None:
    _, token = shop
    api_keys.revoke_api_key(ctx, "kaffe", token.split("_")[1])
    response = track(ctx, "sale", SALE, bearer(token))
    assert response.status_code == 401
    assert "revoked" in error_of(response)["message"]
    assert conversion_count(ctx) == 0


def test_a_read_only_key_is_forbidden_to_track(ctx: Context, shop: tuple[World, str]) -> None:
    reader = api_keys.create_api_key(ctx, "kaffe", "reports", ["read", "write"]).token
    response = track(ctx, "sale", SALE, bearer(reader))
    assert response.status_code == 403
    assert error_of(response)["code"] == "forbidden"
    assert "'track'" in error_of(response)["message"]
    assert conversion_count(ctx) == 0


def test_a_key_only_reaches_its_own_workspace(ctx: Context, shop: tuple[World, str]) -> None:
    kaffe, token = shop
    other = make_world(ctx, "butik", CLICK_B, "NORA10", creator="nora")
    body = {**SALE, "click_id": CLICK_B, "code": "NORA10", "customer_email": None}
    response = track(ctx, "sale", body, bearer(token))
    assert response.status_code == 201, response.text
    result = response.json()
    # butik's click and code mean nothing in kaffe: no attribution to nora.
    assert result["attribution_method"] == "none"
    assert result["partnership_id"] is None
    assert conversion_count(ctx, kaffe.workspace_id) == 1
    assert conversion_count(ctx, other.workspace_id) == 0


@pytest.mark.parametrize(
    ("body", "field", "message"),
    [
        ({**SALE, "amount": 129.95}, "amount", 'string such as "129.95"'),
        ({**SALE, "amount": 130}, "amount", "amount_minor"),
        ({**SALE, "amount": None, "amount_minor": 12995.0}, "amount_minor", "integer"),
        ({**SALE, "amount": "129,95"}, "amount", "comma"),
        ({**SALE, "amount": "1e3"}, "amount", "dot-decimal"),
        ({**SALE, "amount_minor": 12995}, "amount_minor", "not both"),
        ({**SALE, "currency": None}, "currency", "required"),
        ({**SALE, "currency": "XXY"}, "currency", "unknown currency"),
        ({**SALE, "amount": None}, "amount", "currency was sent without an amount"),
        ({**SALE, "amount": None, "currency": None}, "amount", "needs an amount"),
        ({**SALE, "occurred_at": "2026-03-02T13:05:12"}, "occurred_at", "timezone"),
        ({**SALE, "occurred_at": 1772453112}, "occurred_at", "ISO 8601"),
        ({**SALE, "external_id": ""}, "external_id", "at least 1"),
        ({**SALE, "external_id": "x" * 201}, "external_id", "at most 200"),
        ({**SALE, "amount_cents": 1}, "amount_cents", "not a field"),
        ({**SALE, "click_id": "not-a-click-id"}, "click_id", "not a pf_cid"),
        ({**SALE, "customer_email": "kunde"}, "customer_email", "e-mail"),
        ({**SALE, "reverses_external_id": "o-1"}, "reverses_external_id", "only a refund"),
        ({k: v for k, v in SALE.items() if k != "external_id"}, "external_id", "required"),
        (b'{"external_id": "o-1", ', "body", "not valid JSON"),
        (b"[1, 2]", "body", "JSON object"),
    ],
)
def test_invalid_bodies_are_422_naming_the_field(
    ctx: Context, shop: tuple[World, str], body: object, field: str, message: str
) -> None:
    _, token = shop
    response = track(ctx, "sale", body, bearer(token))
    assert response.status_code == 422, response.text
    error = error_of(response)
    assert error["code"] in {"invalid", "unknown_currency"}
    assert error["field"] == field
    assert message in error["message"]
    assert conversion_count(ctx) == 0


def test_a_refund_without_its_sale_id_is_refused(ctx: Context, shop: tuple[World, str]) -> None:
    _, token = shop
    body = {"external_id": "r-1", "amount": "10.00", "currency": "DKK"}
    response = track(ctx, "refund", body, bearer(token))
    assert response.status_code == 422
    assert error_of(response)["field"] == "reverses_external_id"


def test_an_oversized_body_is_413_before_it_is_parsed(
    ctx: Context, shop: tuple[World, str]
) -> None:
    _, token = shop
    huge = json.dumps({**SALE, "code": "x" * 70_000}).encode()
    response = track(ctx, "sale", huge, bearer(token))
    assert response.status_code == 413
    assert error_of(response)["code"] == "payload_too_large"
    assert conversion_count(ctx) == 0


def test_a_chunked_oversized_body_is_413_too(ctx: Context, shop: tuple[World, str]) -> None:
    _, token = shop

    async def chunks() -> AsyncIterator[bytes]:
        for _ in range(20):
            yield b" " * 4096  # JSON whitespace: only the size is wrong

    async def scenario(client: httpx.AsyncClient) -> httpx.Response:
        return await client.post("/api/v1/track/sale", content=chunks(), headers=bearer(token))

    response = with_client(ctx, scenario)
    assert response.status_code == 413
    assert conversion_count(ctx) == 0


def test_a_bug_answers_500_internal_without_a_traceback(
    ctx: Context,
    shop: tuple[World, str],
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    _, token = shop

    def broken(*_args: object, **_kwargs: object) -> conversions.IngestResult:
        raise RuntimeError("database exploded")

    monkeypatch.setattr(conversions, "track", broken)
    with caplog.at_level(logging.ERROR, logger="perfluence.web"):
        response = track(ctx, "sale", SALE, bearer(token))
    assert response.status_code == 500
    assert error_of(response)["code"] == "internal"
    assert "exploded" not in response.text
    assert "Traceback" not in response.text
    assert any("database exploded" in (r.exc_text or "") for r in caplog.records)


def test_unknown_routes_answer_the_same_error_shape(ctx: Context) -> None:
    async def scenario(client: httpx.AsyncClient) -> list[httpx.Response]:
        return [
            await client.get("/api/v1/nothing-here"),
            await client.get("/api/v1/track/sale"),
        ]

    missing, wrong_method = with_client(ctx, scenario)
    assert missing.status_code == 404
    assert error_of(missing)["code"] == "not_found"
    assert wrong_method.status_code == 405
    assert error_of(wrong_method)["code"] == "invalid"
    assert wrong_method.headers["allow"] == "POST"


def test_every_route_has_a_heading_in_docs_api_md_and_every_heading_a_route(
    ctx: Context,
) -> None:
    async def scenario(client: httpx.AsyncClient) -> httpx.Response:
        return await client.get("/api/v1/openapi.json")

    paths = with_client(ctx, scenario).json()["paths"]
    for kind in ("lead", "sale", "refund"):
        assert "post" in paths[f"/api/v1/track/{kind}"]
    served = {
        f"{method.upper()} {path}" for path, operations in paths.items() for method in operations
    } | {"GET /t.js"}
    headings = set(re.findall(r"^### `([A-Z]+ /[^`]*)`", API_DOCS.read_text(), re.MULTILINE))
    assert served - headings == set(), "routes without a heading in docs/api.md"
    assert headings - served == set(), "docs/api.md documents routes that do not exist"
