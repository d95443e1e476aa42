"""schemathesis against the OpenAPI document: no input makes any route answer 5xx.

Every operation of ``/api/v1/openapi.json`` gets generated requests (valid
and invalid) with a live key of a workspace that has one object of every
kind; the only check is ``not_a_server_error``.
"""

from __future__ import annotations

import itertools
from collections import Counter
from typing import Any, Final

import pytest
import schemathesis
from hypothesis import HealthCheck, given, settings
from schemathesis import APIOperation, Case, GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Ok

from perfluence.services.context import Context
from perfluence.web.app import create_app
from tests.integration.api_resource_world import bearer, make_objects

# Enough to reach every route's validation and service paths; the test stays under a minute.
EXAMPLES_PER_OPERATION: Final = 10
# Shop webhooks are signed; without a signature every request ends at 401 before any parsing.
SKIPPED_PATH_PREFIXES: Final = ("/webhooks/",)


def fuzz(
    operation: APIOperation[Any, Any, Any, Any],
    mode: GenerationMode,
    headers: dict[str, str],
    seen: Counter[int],
) -> str | None:
    """Generated requests for one operation; what failed (after shrinking), or ``None``."""

    @settings(
        max_examples=EXAMPLES_PER_OPERATION,
        deadline=None,
        database=None,
        derandomize=True,
        suppress_health_check=list(HealthCheck),
    )
    @given(case=operation.as_strategy(mode))
    def check(case: Case[Any]) -> None:
        response = case.call(headers=headers)
        seen[response.status_code] += 1
        case.validate_response(response, checks=[not_a_server_error])

    try:
        check()
    except (AssertionError, FailureGroup) as failure:
        return f"{operation.label} ({mode.value}): {failure}"
    return None


@pytest.mark.slow
def test_no_generated_request_gets_a_server_error(ctx: Context) -> None:
    objects = make_objects(ctx, "alpha", "anna")
    headers = bearer(objects.token)
    schema = schemathesis.openapi.from_asgi("/api/v1/openapi.json", create_app(ctx).app)
    operations = []
    for result in schema.get_all_operations():
        assert isinstance(result, Ok), result
        operations.append(result.ok())
    operations = [op for op in operations if not op.path.startswith(SKIPPED_PATH_PREFIXES)]
    assert len(operations) > 20
    seen: Counter[int] = Counter()
    failures = [
        failure
        for operation, mode in itertools.product(operations, GenerationMode)
        if (failure := fuzz(operation, mode, headers, seen)) is not None
    ]
    assert failures == []
    # The key worked and valid requests got through: not everything ended at validation.
    assert seen[200] + seen[201] > len(operations)
    assert seen[422] > 0
