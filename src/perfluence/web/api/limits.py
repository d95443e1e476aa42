"""Request body limits, enforced before any route (or FastAPI's JSON parser) reads a byte.

FastAPI reads and parses the whole body before dependencies run, so a limit
inside a route comes too late: this middleware refuses a declared
``Content-Length`` over the limit at once and counts the bytes of a chunked
body as they arrive, answering ``413 payload_too_large`` as soon as it is over.

Each path prefix has its limit (the first that matches decides); every other
path, the dashboard's and the portal's forms included, has ``default``. The
JSON API's prefixes answer in its JSON error shape, the rest with a small HTML
page, since a person sent the form.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Final

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from perfluence.errors import ErrorCode

# The dashboard's largest form (a campaign, a creator, a link) is a few KiB; nothing it
# accepts is a file. A file upload form would take a prefix of its own.
FORM_MAX_BODY_BYTES: Final = 64 * 1024
# Longer than any limit in bytes could be; compared before int(), which refuses 4300+ digits.
_MAX_LENGTH_DIGITS: Final = 18


class BodyLimit:
    """ASGI middleware: at most ``limit`` body bytes under each path prefix, else ``default``."""

    def __init__(
        self,
        app: ASGIApp,
        limits: Sequence[tuple[str, int]],
        default: int = FORM_MAX_BODY_BYTES,
    ) -> None:
        self.app = app
        self.limits = tuple(limits)
        self.default = default

    def limit_for(self, path: str) -> tuple[int, bool]:
        """The limit for ``path``, and whether it answers JSON (one of the prefixes)."""
        found = next((limit for prefix, limit in self.limits if path.startswith(prefix)), None)
        return (self.default, False) if found is None else (found, True)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit, as_json = self.limit_for(scope["path"])
        for name, value in scope["headers"]:
            if name == b"content-length" and _declares_more(value, limit):
                await _too_large(send, limit, as_json)
                return
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away: nobody is left to answer
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                await _too_large(send, limit, as_json)
                return
            chunks.append(chunk)
            if not message.get("more_body", False):
                break
        replayed = False

        async def replay() -> Message:
            nonlocal replayed
            if replayed:
                return await receive()
            replayed = True
            return {"type": "http.request", "body": b"".join(chunks), "more_body": False}

        await self.app(scope, replay, send)


def _declares_more(value: bytes, limit: int) -> bool:
    """Whether a ``Content-Length`` says more than ``limit`` (a malformed one is left to the
    server, and to the byte count below)."""
    digits = value.strip()
    if not digits.isdigit():  # bytes.isdigit() is ASCII only
        return False
    return len(digits) > _MAX_LENGTH_DIGITS or int(digits) > limit


def _message(limit: int) -> str:
    return f"the request body is over the limit of {limit} bytes; nothing was stored"


def _json_body(limit: int) -> bytes:
    error = {"code": ErrorCode.PAYLOAD_TOO_LARGE.value, "message": _message(limit)}
    return json.dumps({"error": error}).encode()


def _html_body(limit: int) -> bytes:
    return (
        '<!doctype html><html lang="en"><head><meta charset="utf-8">'
        "<title>413 Payload Too Large</title></head><body><h1>413</h1>"
        f"<p>The form sent more than {limit // 1024} KiB, more than any form here takes. "
        "Nothing was saved. Go back and try again with less.</p></body></html>"
    ).encode()


async def _too_large(send: Send, limit: int, as_json: bool) -> None:
    body = _json_body(limit) if as_json else _html_body(limit)
    kind = b"application/json" if as_json else b"text/html; charset=utf-8"
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", kind),
                (b"content-length", str(len(body)).encode()),
                # The rest of the body was not read: this connection cannot carry another request.
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
