"""schemathesis over every operation of ``/api/v1/openapi.json``: no 5xx, and every answer
as the document says (status, content type, headers, body schema).

Three callers: a live key with every scope in a workspace with one object of
every kind; no key; a wrong key. Valid and invalid requests for each. The
shop webhooks are in the document too: unsigned, they end at 404 or 401,
which the document promises. ``PERFLUENCE_FUZZ_SCALE=20`` makes a longer run
(docs/fuzzing.md).
"""

from __future__ import annotations

import asyncio
import itertools
from collections import Counter
from typing import Any, Final

import httpx
import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_headers_conformance,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok

from perfluence.services.context import Context
from perfluence.web.app import create_app
from tests.fuzz.strategies import examples
from tests.integration.api_resource_world import bearer, make_objects

WITH_KEY_EXAMPLES: Final = 10  # per operation and mode: reaches validation and the services
WITHOUT_KEY_EXAMPLES: Final = 2  # per operation and mode: every one ends at the key check
# The limits on failed credentials would answer 429 to the second caller long before the
# run is over; they have tests of their own.
LIMITS_OFF: Final = (
    "credential_failures_per_ip",
    "login_failures_per_ip",
    "login_failures_per_account",
    "tracking_rate_limit",
)
CHECKS: Final = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_headers_conformance,
    response_schema_conformance,
]


def without_limits(ctx: Context) -> Context:
    off: dict[str, Any] = {
        name: 0 for name in LIMITS_OFF if name in type(ctx.settings).model_fields
    }
    return Context(settings=ctx.settings.model_copy(update=off), engine=ctx.engine, clock=ctx.clock)


def operations(ctx: Context) -> list[APIOperation[Any, Any, Any, Any]]:
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", create_app(ctx).app)
    found = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        found.append(result.ok())
    assert len(found) > 20
    assert any(op.path.startswith("/webhooks/") for op in found)
    return found


def fuzz(
    operation: APIOperation[Any, Any, Any, Any],
    mode: GenerationMode,
    headers: dict[str, str],
    seen: Counter[int],
    count: int,
) -> str | None:
    """Generated requests for one operation; what failed (after shrinking), or ``None``."""

    @settings(
        max_examples=examples(count),
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(mode))
    def check(case: Case[Any]) -> None:
        response = case.call(headers=headers)
        seen[response.status_code] += 1
        case.validate_response(response, checks=CHECKS)

    try:
        check()
    except Unsatisfiable:
        return None  # nothing invalid to generate (a path of free-text segments and no body)
    except (AssertionError, FailureGroup) as failure:
        return f"{operation.label} ({mode.value}): {failure}"
    return None


@pytest.mark.slow
def test_every_operation_with_a_key_of_every_scope(ctx: Context) -> None:
    ctx = without_limits(ctx)
    objects = make_objects(ctx, "alpha", "anna")
    seen: Counter[int] = Counter()
    ops = operations(ctx)
    failures = [
        failure
        for op, mode in itertools.product(ops, GenerationMode)
        if (failure := fuzz(op, mode, bearer(objects.token), seen, WITH_KEY_EXAMPLES)) is not None
    ]
    assert failures == []
    # The key worked and valid requests got through: not everything ended at validation.
    assert seen[200] + seen[201] > len(ops)
    assert seen[422] > 0
    assert not any(status >= 500 for status in seen)


@pytest.mark.slow
@pytest.mark.parametrize("authorization", [None, "Bearer pf_live_notakey"])
def test_every_operation_without_a_valid_key(ctx: Context, authorization: str | None) -> None:
    ctx = without_limits(ctx)
    make_objects(ctx, "alpha", "anna")
    headers = {} if authorization is None else {"authorization": authorization}
    seen: Counter[int] = Counter()
    failures = [
        failure
        for op, mode in itertools.product(operations(ctx), GenerationMode)
        if (failure := fuzz(op, mode, headers, seen, WITHOUT_KEY_EXAMPLES)) is not None
    ]
    assert failures == []
    # Nothing is served without a key; the webhooks (signed, not keyed) say 401 or 404.
    assert {s for s in seen if 200 <= s < 300} == set(), seen
    assert seen[401] > 0


def test_an_undecodable_body_is_a_documented_422(ctx: Context) -> None:
    objects = make_objects(ctx, "alpha", "anna")

    async def send() -> httpx.Response:
        transport = httpx.ASGITransport(app=create_app(ctx).app)
        async with httpx.AsyncClient(transport=transport, base_url="http://api.example") as client:
            return await client.post(
                "/api/v1/campaigns",
                content=b'{"slug": "\xff"}',
                headers={**bearer(objects.token), "content-type": "application/json"},
            )

    response = asyncio.run(send())
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "invalid"
