"""uvicorn's httptools protocol, with tracking redirects answered before ASGI.

Through ASGI, uvicorn spends most of a redirect's time on things a redirect
does not need: a scope dict, a request cycle object, an ``asyncio.Event``, a
task per request, two send messages and their validation. This protocol asks
the same ``RedirectApp.answer()`` the ASGI path uses, synchronously, as soon
as a ``GET``/``HEAD /l/...`` request's headers are parsed, and writes the
response bytes itself (measured in ``docs/performance.md``). The scope dict is
built only for a request that goes to ASGI.

Everything else goes through uvicorn unchanged, and so does a redirect
whenever the short cut could change behaviour: durable mode (the answer waits
for the database), a request pipelined behind one still in progress, a
client that is not reading its responses, a WebSocket upgrade.

It also bounds what a client can hold, for every path (httptools itself
limits neither):

- a request head (request line and headers) larger than uvicorn's h11 limit
  (``--h11-max-incomplete-event-size``, 16 KiB by default) is answered ``431``
  and the connection closed, whether it arrives at once or trickles in;
- a request head must be complete within ``RedirectApp.header_timeout``
  seconds of its first byte (of the connection's opening for the first one),
  else ``408`` and the connection is closed: a client that sends a head byte by
  byte, or connects and sends nothing, holds a connection only that long;
- a request answered here that comes with a body has the connection closed
  once the answer is sent, so a body sent slowly holds nothing either.

One timer per connection does this and the keep-alive timeout of redirects
answered here, re-arming itself instead of being armed and cancelled per
request.

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

import httptools
from uvicorn.config import Config
from uvicorn.middleware.proxy_headers import ProxyHeadersMiddleware
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

from perfluence.config import get_settings
from perfluence.tracking.redirect import PREFIX, RedirectApp

_PREFIX = PREFIX.encode("ascii")
_CONNECTION_CLOSE = b"connection: close\r\n"
# h11's default, which uvicorn's other HTTP implementation enforces.
MAX_REQUEST_HEAD = 16 * 1024
_REFUSALS = {
    408: b"Request timeout: the request head did not arrive in time.\n",
    431: b"Request header fields too large.\n",
}
# The server's default headers (Date, Server) as bytes, for the list they were made from:
# uvicorn replaces that list once a second, so one join a second serves every answer.
_default_head: tuple[object, bytes] = (None, b"")


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


class _RefusedError(Exception):
    """Raised from a parser callback to stop parsing a request that was refused."""


def _defaults(headers: list[tuple[bytes, bytes]]) -> bytes:
    global _default_head  # noqa: PLW0603 - a one-entry cache shared by every connection
    cached_for, raw = _default_head
    if cached_for is not headers:
        raw = b"".join(name + b": " + value + b"\r\n" for name, value in headers)
        _default_head = (headers, raw)
    return raw


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
        redirect = app if isinstance(app, RedirectApp) else None
        self._redirect = redirect if redirect is not None and not redirect.durable else None
        # Without the redirect in front (an app-only process), the process's own settings.
        self._head_timeout = (
            redirect.header_timeout
            if redirect is not None
            else get_settings().header_timeout_seconds
        )
        self._max_head = config.h11_max_incomplete_event_size or MAX_REQUEST_HEAD
        # When the request head being received began (None: none is); its size so far.
        self._head_since: float | None = None
        self._head_size = 0
        # Bytes received since the last complete request: bounds a head that never ends.
        self._unfinished = 0
        self._refused = False
        self._connection: bytes | None = None
        self._last_answer = 0.0
        self._watchdog: asyncio.TimerHandle | None = None
        self._watch_at = 0.0

    # -- connection -----------------------------------------------------------

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        # The first request's head is due from now: a client that sends nothing is cut off too.
        self._head_since = self.loop.time()
        self._arm(self._head_timeout)

    def connection_lost(self, exc: Exception | None) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
            self._watchdog = None
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if self.timeout_keep_alive_task is not None:
            self._unset_keepalive_if_required()
        self._unfinished += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
        except httptools.HttpParserError:
            if self._refused:
                return
            msg = "Invalid HTTP request received."
            self.logger.warning(msg)
            self.send_400_response(msg)
            return
        if self._head_since is not None and self._unfinished > self._max_head:
            self._refuse(431)

    # -- parser callbacks ---------------------------------------------------------

    def on_message_begin(self) -> None:
        # uvicorn builds the ASGI scope here; it is built only for a request that needs it.
        self.url = b""
        self.expect_100_continue = False
        self.headers = []
        self._connection = None
        self._head_size = 0
        self._head_since = self.loop.time()

    def on_url(self, url: bytes) -> None:
        self.url += url
        self._head_size += len(url)

    def on_header(self, name: bytes, value: bytes) -> None:
        name = name.lower()
        if name == b"connection":
            self._connection = value
        elif name == b"expect" and value.lower() == b"100-continue":
            self.expect_100_continue = True
        self.headers.append((name, value))
        self._head_size += len(name) + len(value)

    def on_headers_complete(self) -> None:
        self._head_since = None
        if self._head_size > self._max_head:
            self._refuse(431)
            raise _RefusedError
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
            self.scope = self._asgi_scope()
            super().on_headers_complete()
            return
        self._answer(redirect)

    def on_body(self, body: bytes) -> None:
        if self.cycle is _ANSWERED:
            # A body after a redirect answered here: nothing reads it, and a client that
            # trickles one must not hold the connection, so close it (the answer is sent).
            self.transport.close()
            return
        super().on_body(body)

    def on_message_complete(self) -> None:
        self._unfinished = 0
        if self.cycle is not _ANSWERED:
            super().on_message_complete()

    def _asgi_scope(self) -> Any:
        """The scope uvicorn's ``on_message_begin`` builds."""
        return {
            "type": "http",
            "asgi": {"version": self.asgi_version, "spec_version": "2.3"},
            "http_version": "1.1",
            "server": self.server,
            "client": self.client,
            "scheme": self.scheme,
            "root_path": self.root_path,
            "headers": self.headers,
            "state": self.app_state.copy(),
        }

    # -- the short cut ------------------------------------------------------------

    def _answer(self, redirect: RedirectApp) -> None:
        parser = self.parser
        raw_method = parser.get_method()
        method = "GET" if raw_method == b"GET" else raw_method.decode("ascii")
        raw_path, _, query = self.url.partition(b"?")
        # Any bytes decode; a path that is not a slug's is simply not found.
        path = raw_path.decode("latin-1")
        if "%" in path:
            path = unquote(path)
        client = self.client
        secure = self.scheme == "https"
        if self._trusted is not None and client is not None and client[0] in self._trusted:
            client, secure = self._forwarded(client, secure)
        answer = redirect.answer(method, path, query, self.headers, client, secure)
        if answer.click is not None:
            redirect.buffer.put(answer.click)
        # uvicorn keeps no HTTP/1.0 connection open, and only a Connection header can ask
        # llhttp to (asking the parser for the version formats a string).
        keep_alive = parser.should_keep_alive() and (
            self._connection is None or parser.get_http_version() != "1.0"
        )
        defaults = self.server_state.default_headers
        cached_for, default_head = _default_head
        if cached_for is not defaults:
            default_head = _defaults(defaults)
        self.transport.write(
            b"".join(
                (
                    STATUS_LINE[answer.status],
                    default_head,
                    answer.head,
                    answer.fixed.raw,
                    b"\r\n" if keep_alive else _CONNECTION_CLOSE + b"\r\n",
                    answer.body if method != "HEAD" else b"",
                )
            )
        )
        # What uvicorn does when a response completes: count it, then close or wait.
        self.cycle = _ANSWERED
        self.server_state.total_requests += 1
        if not keep_alive:
            self.transport.close()
            return
        now = self._last_answer = self.loop.time()
        if self._watch_at > now + self.timeout_keep_alive:
            self._arm(self.timeout_keep_alive)

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

    # -- deadlines ------------------------------------------------------------------

    def _arm(self, delay: float) -> None:
        if self._watchdog is not None:
            self._watchdog.cancel()
        self._watch_at = self.loop.time() + delay
        self._watchdog = self.loop.call_later(delay, self._watch)

    def _watch(self) -> None:
        """The connection's one timer: the head deadline, and keep-alive after a short cut."""
        self._watchdog = None
        if self.transport.is_closing():
            return
        now = self.loop.time()
        recheck = self._head_timeout / 2
        since = self._head_since
        cycle = self.cycle
        # Not while a response is being written, nor while uvicorn holds reading back.
        busy = (cycle is not None and not cycle.response_complete) or self.flow.read_paused
        if since is not None and not busy:
            remaining = since + self._head_timeout - now
            if remaining <= 0:
                self._refuse(408)
                return
            self._arm(remaining)
        elif since is None and cycle is _ANSWERED:
            # Idle after a redirect answered here (uvicorn's own timer covers ASGI answers).
            idle_left = self._last_answer + self.timeout_keep_alive - now
            if idle_left <= 0:
                self.transport.close()
                return
            self._arm(min(idle_left, recheck))
        else:
            self._arm(recheck)

    def _refuse(self, status: int) -> None:
        """Answer ``status`` with a short text and close: the client broke a bound."""
        if self._refused:
            return
        self._refused = True
        self._head_since = None
        cycle = self.cycle
        if (status == 408 and self._unfinished == 0) or (
            cycle is not None and not cycle.response_complete
        ):
            # Nothing was sent at all (no request to answer), or an answer to an earlier
            # request is still being written (a refusal would land in the middle of it).
            self.transport.close()
            return
        self.logger.debug("refused a client: %d", status)
        body = _REFUSALS[status]
        self.transport.write(
            b"".join(
                (
                    STATUS_LINE[status],
                    _defaults(self.server_state.default_headers),
                    b"content-type: text/plain; charset=utf-8\r\n",
                    b"content-length: " + str(len(body)).encode("ascii") + b"\r\n",
                    _CONNECTION_CLOSE,
                    b"\r\n",
                    body,
                )
            )
        )
        self.transport.close()
