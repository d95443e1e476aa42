"""The whole application, started once through its lifespan, callable from synchronous code.

Hypothesis runs a test body many times; starting the application (click
writer, link cache) for each example would cost more than the request.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterable, Iterator
from contextlib import contextmanager
from typing import Protocol

import httpx

from perfluence.services.context import Context
from tests.integration.test_redirect import serving

Content = bytes | AsyncIterable[bytes]  # an iterable is sent chunked, with no Content-Length


class Send(Protocol):
    def __call__(
        self,
        method: str,
        path: str,
        *,
        content: Content = b"",
        headers: dict[str, str] | None = None,
    ) -> httpx.Response: ...


@contextmanager
def served(ctx: Context) -> Iterator[Send]:
    """``send(method, path, content=…, headers=…)`` against the running application."""
    loop = asyncio.new_event_loop()
    manager = serving(ctx, https=True)
    _, client = loop.run_until_complete(manager.__aenter__())

    def send(
        method: str, path: str, *, content: Content = b"", headers: dict[str, str] | None = None
    ) -> httpx.Response:
        request = client.request(method, path, content=content, headers=headers or {})
        return loop.run_until_complete(request)

    try:
        yield send
    finally:
        loop.run_until_complete(manager.__aexit__(None, None, None))
        loop.close()
