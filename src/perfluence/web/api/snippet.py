"""``GET /t.js``: the first-party snippet that keeps ``pf_cid`` on the shop's own domain.

The script runs in the shop's pages, so the cookie it sets belongs to the
shop (first-party), where the shop's checkout can read it; see docs/shops.md.
"""

from __future__ import annotations

import hashlib
from functools import cache
from importlib.resources import files
from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import Response

MEDIA_TYPE: Final = "application/javascript; charset=utf-8"
CACHE_CONTROL: Final = "public, max-age=3600"

router = APIRouter()


@cache
def snippet() -> tuple[bytes, str]:
    """The script's bytes and their ETag, read once from the package."""
    body = files("perfluence.web").joinpath("static", "t.js").read_bytes()
    return body, f'"{hashlib.sha256(body).hexdigest()[:32]}"'


@router.api_route("/t.js", methods=["GET", "HEAD"], include_in_schema=False)
async def tracking_snippet(request: Request) -> Response:
    body, etag = snippet()
    headers = {
        "Cache-Control": CACHE_CONTROL,
        "ETag": etag,
        "X-Content-Type-Options": "nosniff",
        # Shops load it from their own pages on another origin.
        "Cross-Origin-Resource-Policy": "cross-origin",
    }
    if etag in request.headers.get("if-none-match", ""):
        return Response(status_code=304, headers=headers)
    return Response(body, media_type=MEDIA_TYPE, headers=headers)
