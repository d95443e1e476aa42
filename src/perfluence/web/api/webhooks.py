"""``POST /webhooks/{source}/{workspace}``: Shopify, WooCommerce and Stripe deliveries.

The body is read raw (bounded by the ``BodyLimit`` middleware) and handed,
bytes untouched, to the signature check before anything parses it. Answers:
200 with what was stored (or why nothing was), 401 for a bad signature, 404
when the workspace has no endpoint for that shop, 413 when too large, 422 for
a body that is signed but unusable. Any non-2xx makes the shop retry.
"""

from __future__ import annotations

import logging
from typing import Any, Final

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse
from starlette.concurrency import run_in_threadpool

from perfluence.errors import PerfluenceError
from perfluence.services import webhook_endpoints
from perfluence.web.api.schemas import (
    ErrorBody,
    WebhookAccepted,
    WebhookIgnored,
    WebhookPing,
    webhook_answer,
)
from perfluence.web.api.state import context_of

logger = logging.getLogger("perfluence.web.webhooks")

MAX_BODY_BYTES: Final = webhook_endpoints.MAX_DELIVERY_BYTES

router = APIRouter(tags=["webhooks"])

_ANSWERS: Final[dict[int | str, dict[str, Any]]] = {
    200: {
        "description": "Received: what was stored, or why nothing was (ignored, ping).",
        "content": {
            "application/json": {
                "schema": {
                    "anyOf": [
                        WebhookAccepted.model_json_schema(),
                        WebhookIgnored.model_json_schema(),
                        WebhookPing.model_json_schema(),
                    ]
                }
            }
        },
    },
    401: {"model": ErrorBody, "description": "Signature missing, wrong or stale."},
    404: {"model": ErrorBody, "description": "No endpoint for this shop in this workspace."},
    413: {"model": ErrorBody, "description": f"Body over {MAX_BODY_BYTES} bytes."},
    422: {"model": ErrorBody, "description": "Signed, but not a usable payload."},
}


@router.post("/webhooks/{source}/{workspace}", responses=_ANSWERS)
async def receive_webhook(source: str, workspace: str, request: Request) -> JSONResponse:
    """A delivery from a shop (source: shopify, woocommerce or stripe)."""
    body = await request.body()
    try:
        receipt = await run_in_threadpool(
            webhook_endpoints.receive_delivery,
            context_of(request),
            source,
            workspace,
            body,
            request.headers,
        )
    except PerfluenceError as exc:
        # The message names what was wrong with the delivery, never the secret.
        logger.warning(
            "webhook refused: %r %r: %s: %s", source, workspace, exc.code.value, exc.message
        )
        raise
    return JSONResponse(webhook_answer(receipt).model_dump(mode="json"))
