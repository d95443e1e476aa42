"""Browsers and API clients from chosen addresses, all talking to one in-process application.

Sharing one application matters here: the failure counters live on it.
"""

from __future__ import annotations

import asyncio
from typing import Any

import httpx

from tests.integration.dashboard_client import csrf_of


class Client:
    """A cookie-keeping client whose requests come from ``ip`` (no lifespan is run)."""

    def __init__(self, app: Any, ip: str = "198.51.100.7", base_url: str = "http://dash.example"):
        self._loop = asyncio.new_event_loop()
        self._client = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=app, client=(ip, 40_000)), base_url=base_url
        )
        self.csrf = ""

    def close(self) -> None:
        self._loop.run_until_complete(self._client.aclose())
        self._loop.close()

    @property
    def cookies(self) -> httpx.Cookies:
        return self._client.cookies

    def get(self, path: str, **kwargs: Any) -> httpx.Response:
        return self._loop.run_until_complete(self._client.get(path, **kwargs))

    def post(self, path: str, **kwargs: Any) -> httpx.Response:
        return self._loop.run_until_complete(self._client.post(path, **kwargs))

    def log_in(self, email: str, password: str, next_path: str = "/") -> httpx.Response:
        form = self.get("/login")
        answer = self.post(
            "/login",
            data={
                "email": email,
                "password": password,
                "csrf": csrf_of(form.text),
                "next": next_path,
            },
        )
        if answer.status_code == 303 and "failed" not in answer.headers["location"]:
            self.csrf = csrf_of(self.get("/", follow_redirects=True).text)
        return answer
