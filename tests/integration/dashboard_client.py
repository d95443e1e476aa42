"""A synchronous browser-like client for the dashboard, served in-process (no lifespan).

It keeps cookies like a browser, logs in through the login form, and reads the
CSRF token from the pages it gets.
"""

from __future__ import annotations

import asyncio
import re
from types import TracebackType
from typing import Any

import httpx

from perfluence.services.context import Context
from perfluence.web.app import create_app

CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF_RE.search(html)
    assert found is not None, "no CSRF field on the page"
    return found.group(1)


class DashboardClient:
    def __init__(self, ctx: Context, base_url: str = "http://dash.example") -> None:
        self._loop = asyncio.new_event_loop()
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=create_app(ctx).app), base_url=base_url
        )
        self.csrf = ""

    def __enter__(self) -> DashboardClient:
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _value: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self._loop.run_until_complete(self._client.aclose())
        self._loop.close()

    @property
    def cookies(self) -> httpx.Cookies:
        return self._client.cookies

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self._loop.run_until_complete(self._client.get(path, **kwargs))

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self._loop.run_until_complete(self._client.post(path, **kwargs))

    def log_in(self, email: str, password: str) -> httpx.Response:
        form = self.get("/login")
        answer = self.post(
            "/login",
            data={"email": email, "password": password, "csrf": csrf_of(form.text), "next": "/"},
        )
        if answer.status_code == 303 and "failed" not in answer.headers["location"]:
            self.csrf = csrf_of(self.get("/", follow_redirects=True).text)
        return answer
