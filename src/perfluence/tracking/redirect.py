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
- any method but ``GET`` and ``HEAD``: ``405`` with ``Allow``.

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

import re
import time
from collections.abc import Awaitable, Callable, Iterable, MutableMapping
from typing import Any, NamedTuple
from urllib.parse import unquote_to_bytes

from perfluence.tracking.buffer import ClickBuffer, ClickNotStoredError
from perfluence.tracking.cache import LinkCache, Route
from perfluence.tracking.clickid import click_id_at
from perfluence.tracking.events import RawClick
from perfluence.tracking.pages import METHOD_NOT_ALLOWED_TEXT, NOT_FOUND_HTML

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

PREFIX = "/l/"
# Every slug the links service hands out matches; anything else is not looked up.
SLUG_RE = re.compile(r"[A-Za-z0-9_-]{1,64}")
# 90 days: about the longest attribution window campaigns use.
COOKIE_MAX_AGE = 90 * 24 * 3600
COOKIE_ATTRIBUTES = f"; Path=/; Max-Age={COOKIE_MAX_AGE}; SameSite=Lax; HttpOnly".encode("ascii")
COOKIE_ATTRIBUTES_SECURE = COOKIE_ATTRIBUTES + b"; Secure"
# Long enough for every real user agent and referrer; a 100 kB header is not parsed.
MAX_USER_AGENT = 512
MAX_REFERRER = 2048
MAX_SUB_ID = 100

_COMMON = [
    (b"cache-control", b"no-store"),
    # The browser's own default, stated so a redirect never loosens the source page's policy.
    (b"referrer-policy", b"strict-origin-when-cross-origin"),
    (b"x-robots-tag", b"noindex"),
]
_REDIRECT_HEADERS = [(b"content-length", b"0"), *_COMMON]
_NOT_FOUND_HEADERS = [
    (b"content-type", b"text/html; charset=utf-8"),
    (b"content-length", str(len(NOT_FOUND_HTML)).encode("ascii")),
    *_COMMON,
]
_METHOD_HEADERS = [
    (b"allow", b"GET, HEAD"),
    (b"content-type", b"text/plain; charset=utf-8"),
    (b"content-length", str(len(METHOD_NOT_ALLOWED_TEXT)).encode("ascii")),
    *_COMMON,
]
_UNAVAILABLE_HEADERS = [(b"retry-after", b"5"), (b"content-length", b"0"), *_COMMON]


class Answer(NamedTuple):
    """What to send back, and the click to record (``None``: record nothing)."""

    status: int
    headers: list[tuple[bytes, bytes]]
    body: bytes
    click: RawClick | None


NOT_FOUND = Answer(404, _NOT_FOUND_HEADERS, NOT_FOUND_HTML, None)
METHOD_NOT_ALLOWED = Answer(405, _METHOD_HEADERS, METHOD_NOT_ALLOWED_TEXT, None)
UNAVAILABLE = Answer(503, _UNAVAILABLE_HEADERS, b"", None)
_EMPTY_BODY = {"type": "http.response.body", "body": b""}


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
    return Answer(302, [(b"location", route.fallback), *_REDIRECT_HEADERS], b"", click)


class RedirectApp:
    """Answers ``/l/{slug}`` itself and hands every other request to ``app``.

    ``answer()`` holds every decision and is synchronous, so a server can also
    call it without going through ASGI (see ``perfluence.web.server``).
    """

    def __init__(
        self,
        app: ASGIApp,
        cache: LinkCache,
        buffer: ClickBuffer,
        *,
        durable: bool = False,
        country_header: str | None = None,
    ) -> None:
        self.app = app
        self.cache = cache
        self.buffer = buffer
        self.durable = durable
        self._country = country_header.lower().encode("latin-1") if country_header else None

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
        if method != "GET" and method != "HEAD":  # noqa: PLR1714 - two compares beat a set here
            return METHOD_NOT_ALLOWED
        slug = path[3:]
        route = self.cache.routes.get(slug) if SLUG_RE.fullmatch(slug) else None
        if route is None:
            return NOT_FOUND
        if not route.active:
            return _fallback(route, None)
        now = time.time()
        click_id = click_id_at(int(now * 1000))
        user_agent = referrer = country = b""
        country_name = self._country
        for name, value in headers:
            if name == b"user-agent":
                user_agent = value
            elif name == b"referer":
                referrer = value
            elif name == country_name:
                country = value
        click = RawClick(
            occurred_at=now,
            link_id=route.link_id,
            workspace_id=route.workspace_id,
            click_id=click_id,
            ip=client[0] if client else "",
            user_agent=user_agent[:MAX_USER_AGENT].decode("latin-1"),
            referrer=referrer[:MAX_REFERRER].decode("latin-1"),
            country_header=country[:8].decode("latin-1"),
            sub_id=sub_id_from(query) if query else "",
        )
        if route.cap is not None and self.cache.cap_reached(route):
            return _fallback(route, click)
        id_bytes = click_id.encode("ascii")
        cookie = b"pf_cid=" + id_bytes + (COOKIE_ATTRIBUTES_SECURE if secure else COOKIE_ATTRIBUTES)
        return Answer(
            302,
            [
                (b"location", route.head + id_bytes + route.tail),
                (b"set-cookie", cookie),
                *_REDIRECT_HEADERS,
            ],
            b"",
            click,
        )
