"""uvicorn's httptools protocol, with tracking redirects answered before ASGI.

Through ASGI, uvicorn spends most of a redirect's time on things a redirect
does not need: a scope dict, a request cycle object, an ``asyncio.Event``, a
task per request, two send messages and their validation. This protocol asks
the same ``RedirectApp.answer()`` the ASGI path uses, synchronously, as soon
as a ``GET``/``HEAD /l/...`` request's headers are parsed, and writes the
response bytes itself (measured in ``docs/performance.md``).

Everything else goes through uvicorn unchanged, and so does a redirect
whenever the short cut could change behaviour: durable mode (the answer waits
for the database), a request pipelined behind one still in progress, a
client that is not reading its responses, a WebSocket upgrade.

Trusted proxies (``--forwarded-allow-ips``) are honoured exactly as uvicorn's
``ProxyHeadersMiddleware`` does, with its own list.

Select it with ``uvicorn --http perfluence.web.server:RedirectHttpProtocol``
(``perfluence serve`` does). It builds on uvicorn internals, which is why
uvicorn is pinned and the redirect tests run through this protocol too.
"""

from __future__ import annotations

import asyncio
from typing import Any
from urllib.parse import unquote

from uvicorn.config import Config
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

from perfluence.tracking.redirect import PREFIX, RedirectApp

_PREFIX = PREFIX.encode("ascii")
_CONNECTION_CLOSE = b"connection: close\r\n"


class _Nothing:
    def set(self) -> None:
        """uvicorn wakes a cycle's waiters on disconnect; an answered redirect has none."""


class _Answered:
    """Stands in for uvicorn's request cycle once a redirect has been answered here."""

    __slots__ = ()
    response_complete = True
    disconnected = False
    keep_alive = False
    message_event = _Nothing()


_ANSWERED: Any = _Answered()


class RedirectHttpProtocol(HttpToolsProtocol):
    """``HttpToolsProtocol`` that answers tracking redirects without an ASGI round trip."""

    def __init__(
        self,
        config: Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        app: Any = self.app
        self._trusted: Any = None
        if isinstance(app, ProxyHeadersMiddleware):
            self._trusted = app.trusted_hosts
            app = app.app
        self._redirect = app if isinstance(app, RedirectApp) and not app.durable else None
        self._last_answer = 0.0
        self._idle_timer: asyncio.TimerHandle | None = None

    def connection_lost(self, exc: Exception | None) -> None:
        if self._idle_timer is not None:
            self._idle_timer.cancel()
            self._idle_timer = None
        super().connection_lost(exc)

    def on_headers_complete(self) -> None:
        redirect = self._redirect
        cycle = self.cycle
        if (
            redirect is None
            or not self.url.startswith(_PREFIX)
            or (cycle is not None and not cycle.response_complete)
            or self.pipeline
            or self.flow.write_paused
            or self.parser.should_upgrade()
        ):
            super().on_headers_complete()
            return
        self._answer(redirect)

    def _answer(self, redirect: RedirectApp) -> None:
        parser = self.parser
        method = parser.get_method().decode("ascii")
        raw_path, _, query = self.url.partition(b"?")
        path = raw_path.decode("ascii", "replace")
        if "%" in path:
            path = unquote(path)
        client = self.client
        secure = self.scheme == "https"
        if self._trusted is not None and client is not None and client[0] in self._trusted:
            client, secure = self._forwarded(client, secure)
        answer = redirect.answer(method, path, query, self.headers, client, secure)
        if answer.click is not None:
            redirect.buffer.put(answer.click)
        keep_alive = parser.get_http_version() != "1.0" and parser.should_keep_alive()
        out = [STATUS_LINE[answer.status]]
        for name, value in self.server_state.default_headers:
            out += (name, b": ", value, b"\r\n")
        for name, value in answer.headers:
            out += (name, b": ", value, b"\r\n")
        if not keep_alive:
            out.append(_CONNECTION_CLOSE)
        out.append(b"\r\n")
        if answer.body and method != "HEAD":
            out.append(answer.body)
        self.transport.write(b"".join(out))
        # What uvicorn does when a response completes: count it, then close or wait.
        self.cycle = _ANSWERED
        self.server_state.total_requests += 1
        if not keep_alive:
            self.transport.close()
            return
        # uvicorn arms (and cancels) a keep-alive timer per request, a sixth of a redirect's
        # time here; one timer per connection that re-arms itself does the same job.
        self._last_answer = self.loop.time()
        if self._idle_timer is None:
            self._idle_timer = self.loop.call_later(self.timeout_keep_alive, self._close_if_idle)

    def _close_if_idle(self) -> None:
        self._idle_timer = None
        if self.transport.is_closing() or self.cycle is not _ANSWERED:
            # Closed already, or a request went through ASGI since: uvicorn's timer rules.
            return
        remaining = self._last_answer + self.timeout_keep_alive - self.loop.time()
        if remaining > 0:
            self._idle_timer = self.loop.call_later(remaining, self._close_if_idle)
        else:
            self.transport.close()

    def _forwarded(self, client: tuple[str, int], secure: bool) -> tuple[tuple[str, int], bool]:
        """Client address and scheme from a trusted proxy's X-Forwarded-For/-Proto."""
        proto: bytes | None = None
        forwarded_for: list[bytes] = []
        for name, value in self.headers:
            if name == b"x-forwarded-proto":
                proto = value
            elif name == b"x-forwarded-for":
                forwarded_for.append(value)
        if proto is not None:
            scheme = proto.decode("latin1").strip()
            if scheme in {"http", "https"}:
                secure = scheme == "https"
        if forwarded_for:
            chain = b", ".join(forwarded_for).decode("latin1")
            host, port = self._trusted.get_trusted_client_address(chain)
            if host:
                client = (host, port)
        return client, secure
