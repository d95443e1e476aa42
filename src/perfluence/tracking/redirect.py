"""``GET /l/{slug}``: the redirect, as a raw ASGI callable in front of the web app.

This is the hot path: no framework objects, no logging, no database. Per
request it does one pass over the headers, one dict lookup, mints a click id,
concatenates the Location from bytes the link cache prepared, queues a
``RawClick`` and sends two ASGI messages. Every other path goes to the wrapped
application unchanged.

Answers:
- active link: ``302`` to the destination with its UTM parameters and
  ``pf_cid=<click id>``, and the first-party cookie ``pf_cid`` (see ``COOKIE_*``);
- click cap reached: ``302`` to the fallback URL, no cookie; the click is still
  recorded (payouts apply caps from the contract terms, not from this count);
- paused or archived link: ``302`` to the link's fallback URL, else the
  workspace's, else the not-found page; nothing is recorded;
- unknown slug: ``404`` with a static page that echoes nothing;
- any method but ``GET`` and ``HEAD``: ``405`` with ``Allow``;
- more than ``rate_limit`` requests from one client address this minute:
  ``429`` with ``Retry-After``; nothing is recorded (``tracking.ratelimit``).

``HEAD`` answers exactly like ``GET`` without a body and is recorded too: link
previews (chat apps, social networks) send it, and the click writer flags them
as bots, so reports can show or exclude them.

Only URLs stored through the links service (or a workspace's fallback URL,
checked to be http(s)) ever become a Location: nothing from the request does.
The client address is ``scope["client"]``; behind a reverse proxy the server
rewrites it (and the scheme) from ``X-Forwarded-For``/``-Proto`` only for the
proxies it is told to trust.

In ``durable`` mode the answer waits until the click's batch is committed (or
synced to the spool); if the click can be kept neither way the answer is ``503``
rather than a redirect whose click is lost.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from functools import partial
from typing import Any, NamedTuple, cast
from urllib.parse import unquote_to_bytes

from perfluence.tracking.buffer import ClickBuffer, ClickNotStoredError
from perfluence.tracking.cache import LinkCache, Route
from perfluence.tracking.clickid import click_id_bytes_at
from perfluence.tracking.events import RawClick
from perfluence.tracking.pages import METHOD_NOT_ALLOWED_TEXT, NOT_FOUND_HTML
from perfluence.tracking.ratelimit import RateLimiter

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PREFIX = "/l/"
_now = time.time
# 90 days: about the longest attribution window campaigns use.
COOKIE_MAX_AGE = 90 * 24 * 3600
COOKIE_ATTRIBUTES = f"; Path=/; Max-Age={COOKIE_MAX_AGE}; SameSite=Lax; HttpOnly".encode("ascii")
COOKIE_ATTRIBUTES_SECURE = COOKIE_ATTRIBUTES + b"; Secure"
# Long enough for every real user agent and referrer; a 100 kB header is not parsed.
MAX_USER_AGENT = 512
MAX_REFERRER = 2048
MAX_SUB_ID = 100

_COMMON = (
    (b"cache-control", b"no-store"),
    # The browser's own default, stated so a redirect never loosens the source page's policy.
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-robots-tag", b"noindex"),
)
TOO_MANY_REQUESTS_TEXT = b"Too many requests from this address; try again later.\n"


class FixedHeaders:
    """Headers that never change between answers of one kind, also as ready-to-send bytes."""

    __slots__ = ("pairs", "raw")

    def __init__(self, *pairs: tuple[bytes, bytes]) -> None:
        self.pairs = pairs
        self.raw = b"".join(name + b": " + value + b"\r\n" for name, value in pairs)


def _text_headers(content_type: bytes, body: bytes, *extra: tuple[bytes, bytes]) -> FixedHeaders:
    length = str(len(body)).encode("ascii")
    return FixedHeaders(
        *extra, (b"content-type", content_type), (b"content-length", length), *_COMMON
    )


_REDIRECT = FixedHeaders((b"content-length", b"0"), *_COMMON)
_NOT_FOUND = _text_headers(b"text/html; charset=utf-8", NOT_FOUND_HTML)
_METHOD = _text_headers(
    b"text/plain; charset=utf-8", METHOD_NOT_ALLOWED_TEXT, (b"allow", b"GET, HEAD")
)
_UNAVAILABLE = FixedHeaders((b"retry-after", b"5"), (b"content-length", b"0"), *_COMMON)
_TOO_MANY = _text_headers(b"text/plain; charset=utf-8", TOO_MANY_REQUESTS_TEXT)


class Answer(NamedTuple):
    """What to send back, and the click to record (``None``: record nothing).

    ``head`` holds the header lines this answer alone has (Location,
    Set-Cookie, Retry-After), ready to send; ``fixed`` those every answer of
    its kind shares. A server writing bytes joins them as they are;
    ``headers`` is the same as ASGI's list of pairs.
    """

    status: int
    head: bytes
    fixed: FixedHeaders
    body: bytes
    click: RawClick | None

    @property
    def headers(self) -> list[tuple[bytes, bytes]]:
        own = [line.split(b": ", 1) for line in self.head.split(b"\r\n") if line]
        return [*((name, value) for name, value in own), *self.fixed.pairs]


# Named tuples made from a tuple of their fields, without their Python-level ``__new__``.
_raw_click = cast("Callable[[tuple[Any, ...]], RawClick]", partial(tuple.__new__, RawClick))
_answer = cast("Callable[[tuple[Any, ...]], Answer]", partial(tuple.__new__, Answer))

NOT_FOUND = Answer(404, b"", _NOT_FOUND, NOT_FOUND_HTML, None)
METHOD_NOT_ALLOWED = Answer(405, b"", _METHOD, METHOD_NOT_ALLOWED_TEXT, None)
UNAVAILABLE = Answer(503, b"", _UNAVAILABLE, b"", None)
_EMPTY_BODY = {"type": "http.response.body", "body": b""}


def too_many_requests(retry_after: int) -> Answer:
    head = b"retry-after: " + str(retry_after).encode("ascii") + b"\r\n"
    return Answer(429, head, _TOO_MANY, TOO_MANY_REQUESTS_TEXT, None)


def sub_id_from(query: bytes) -> str:
    """The ``sub`` query parameter (a source sub-tag such as ``story``), printable, bounded."""
    for part in query.split(b"&"):
        if part.startswith(b"sub="):
            raw = unquote_to_bytes(part[4:].replace(b"+", b" "))
            text = raw.decode("utf-8", "replace")
            return "".join(ch for ch in text if ch.isprintable()).strip()[:MAX_SUB_ID]
    return ""


def _fallback(route: Route, click: RawClick | None) -> Answer:
    if route.fallback is None:
        return NOT_FOUND if click is None else NOT_FOUND._replace(click=click)
    return Answer(302, b"location: " + route.fallback + b"\r\n", _REDIRECT, b"", click)


class RedirectApp:
    """Answers ``/l/{slug}`` itself and hands every other request to ``app``.

    ``answer()`` holds every decision and is synchronous, so a server can also
    call it without going through ASGI (see ``perfluence.web.server``).

    ``rate_limit`` (requests per client address per minute, ``0`` for none)
    and ``header_timeout`` (seconds a request head may take, enforced by the
    server) default to the click buffer's settings.
    """

    def __init__(
        self,
        app: ASGIApp,
        cache: LinkCache,
        buffer: ClickBuffer,
        *,
        durable: bool = False,
        country_header: str | None = None,
        rate_limit: int | None = None,
        header_timeout: float | None = None,
    ) -> None:
        self.app = app
        self.cache = cache
        self.buffer = buffer
        self.durable = durable
        self._country = country_header.lower().encode("latin-1") if country_header else None
        settings = buffer.settings
        limit = settings.tracking_rate_limit if rate_limit is None else rate_limit
        self.limiter = RateLimiter(limit) if limit > 0 else None
        self.header_timeout = (
            settings.header_timeout_seconds if header_timeout is None else header_timeout
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(PREFIX):
            await self.redirect(scope, send)
        else:
            await self.app(scope, receive, send)

    async def redirect(self, scope: Scope, send: Send) -> None:
        answer = self.answer(
            scope["method"],
            scope["path"],
            scope.get("query_string", b""),
            scope["headers"],
            scope.get("client"),
            scope.get("scheme") == "https",
        )
        click = answer.click
        if click is not None:
            if self.durable:
                try:
                    await self.buffer.put_durable(click)
                except ClickNotStoredError:
                    answer = UNAVAILABLE
            else:
                self.buffer.put(click)
        await send(
            {"type": "http.response.start", "status": answer.status, "headers": answer.headers}
        )
        await send(
            {"type": "http.response.body", "body": answer.body} if answer.body else _EMPTY_BODY
        )

    def answer(
        self,
        method: str,
        path: str,
        query: bytes,
        headers: Iterable[tuple[bytes, bytes]],
        client: tuple[str, int] | None,
        secure: bool,
    ) -> Answer:
        """The response to ``method path`` (``path`` starts with ``/l/``); queues nothing."""
        now = _now()
        ip = client[0] if client else ""
        limiter = self.limiter
        if limiter is not None and ip:
            wait = limiter.retry_after(ip, now)
            if wait:
                return too_many_requests(wait)
        if method != "GET" and method != "HEAD":  # noqa: PLR1714 - two compares beat a set here
            return METHOD_NOT_ALLOWED
        # Only slugs the links service accepted are keys, so any other path is simply not found.
        route = self.cache.routes.get(path[3:])
        if route is None:
            return NOT_FOUND
        if not route.active:
            return _fallback(route, None)
        id_bytes = click_id_bytes_at(int(now * 1000))
        user_agent = referrer = country = b""
        country_name = self._country
        for name, value in headers:
            if name == b"user-agent":
                user_agent = value
            elif name == b"referer":
                referrer = value
            elif name == country_name:
                country = value
        click = _raw_click(
            (
                now,
                route.link_id,
                route.workspace_id,
                id_bytes.decode("ascii"),
                ip,
                user_agent[:MAX_USER_AGENT].decode("latin-1") if user_agent else "",
                referrer[:MAX_REFERRER].decode("latin-1") if referrer else "",
                country[:8].decode("latin-1") if country else "",
                sub_id_from(query) if query else "",
            )
        )
        if route.cap is not None and self.cache.cap_reached(route):
            return _fallback(route, click)
        head = b"".join(
            (
                b"location: ",
                route.head,
                id_bytes,
                route.tail,
                b"\r\nset-cookie: pf_cid=",
                id_bytes,
                COOKIE_ATTRIBUTES_SECURE if secure else COOKIE_ATTRIBUTES,
                b"\r\n",
            )
        )
        return _answer((302, head, _REDIRECT, b"", click))
