"""The redirect end to end inside one process: ASGI app, link cache, click buffer, database.

Each scenario runs the real application (``create_app``) through its ASGI
lifespan, talks to it with httpx over ``ASGITransport`` and checks what the
database holds after the lifespan's shutdown has drained the click buffer.
"""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, MutableMapping
from contextlib import asynccontextmanager, contextmanager
from datetime import datetime
from typing import Any, TypeVar
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
import uvicorn
from sqlalchemy import func, select

from perfluence.core.links import LinkTarget, tracking_url
from perfluence.core.model import LinkStatus
from perfluence.services import links, tracking, workspaces
from perfluence.services.context import Context
from perfluence.store.tables import clicks
from perfluence.tracking.cache import LinkCache, LinkSnapshot, header_url, usable_fallback
from perfluence.tracking.clickid import is_click_id
from perfluence.tracking.pages import NOT_FOUND_HTML
from perfluence.tracking.redirect import COOKIE_MAX_AGE, RedirectApp, sub_id_from
from perfluence.web.app import create_app
from perfluence.web.server import RedirectHttpProtocol
from tests.conftest import FrozenClock
from tests.integration.factories import (
    make_campaign,
    make_creator,
    make_partnership,
    make_workspace,
)

T = TypeVar("T")
WS = "kaffe"
DESTINATION = "https://shop.example/landing?ref=x#top"
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)


def run(scenario: Callable[[], Awaitable[T]]) -> T:
    return asyncio.run(scenario())  # type: ignore[arg-type]


@pytest.fixture
def world(ctx: Context) -> Context:
    """A workspace with a creator (instagram) in an active campaign."""
    with ctx.engine.begin() as conn:
        ws = make_workspace(conn, WS)
        emma = make_creator(conn, ws, "emma")
        summer = make_campaign(conn, ws, "summer")
        make_partnership(conn, ws, summer, emma)
    return ctx


def with_settings(ctx: Context, **changes: Any) -> Context:
    return Context(
        settings=ctx.settings.model_copy(update=changes), engine=ctx.engine, clock=ctx.clock
    )


LIFESPAN_SECONDS = 60


@asynccontextmanager
async def serving(
    ctx: Context, *, https: bool = False
) -> AsyncIterator[tuple[RedirectApp, httpx.AsyncClient]]:
    """The application started through its lifespan, and a client; shut down (drained) after.

    The client is one address clicking far faster than a person: the tracking
    rate limit is off unless the test sets it.
    """
    if "tracking_rate_limit" not in ctx.settings.model_fields_set:
        ctx = with_settings(ctx, tracking_rate_limit=0)
    app = create_app(ctx)
    inbox: asyncio.Queue[MutableMapping[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[MutableMapping[str, Any]] = asyncio.Queue()
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    task = asyncio.create_task(app(scope, inbox.get, outbox.put))
    await inbox.put({"type": "lifespan.startup"})
    assert await _lifespan_reply(outbox, task) == "lifespan.startup.complete"
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 51000))
    base = "https://go.example" if https else "http://go.example"
    try:
        async with httpx.AsyncClient(transport=transport, base_url=base) as client:
            yield app, client
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        assert await _lifespan_reply(outbox, task) == "lifespan.shutdown.complete"
        await task


async def _lifespan_reply(
    outbox: asyncio.Queue[MutableMapping[str, Any]], task: asyncio.Task[None]
) -> str:
    """The lifespan's next message; if the app's task ends (or stalls) first, say so, not hang."""
    reply = asyncio.ensure_future(outbox.get())
    done, _ = await asyncio.wait(
        {reply, task}, timeout=LIFESPAN_SECONDS, return_when=asyncio.FIRST_COMPLETED
    )
    if reply in done:
        return str(reply.result()["type"])
    reply.cancel()
    if task in done:
        task.result()  # the application's own exception, if it raised one
        raise AssertionError("the application ended its lifespan without answering")
    raise AssertionError(f"the lifespan did not answer within {LIFESPAN_SECONDS} s")


def click_id_of(response: httpx.Response) -> str:
    query = parse_qs(urlsplit(response.headers["location"]).query)
    (click_id,) = query["pf_cid"]
    return click_id


def test_active_link_redirects_with_utm_click_id_and_cookie(world: Context) -> None:
    link = links.create_link(world, WS, "summer", "emma", DESTINATION, slug="emma-summer")

    async def scenario() -> httpx.Response:
        async with serving(world) as (_, client):
            return await client.get("/l/emma-summer?sub=story", headers={"user-agent": IPHONE})

    response = run(scenario)
    assert response.status_code == 302
    assert response.content == b""
    click_id = click_id_of(response)
    assert is_click_id(click_id)
    target = links.active_links_snapshot(world)[0]
    assert response.headers["location"] == tracking_url(target.destination, click_id)
    location = urlsplit(response.headers["location"])
    query = parse_qs(location.query)
    assert (location.scheme, location.netloc, location.path) == (
        "https",
        "shop.example",
        "/landing",
    )
    assert location.fragment == "top"
    assert query["ref"] == ["x"]
    assert query["utm_source"] == ["instagram"]
    assert query["utm_medium"] == ["influencer"]
    assert query["utm_campaign"] == ["summer"]
    assert query["utm_content"] == ["emma"]
    assert "sub" not in query  # the source sub-tag is ours, not the shop's
    assert response.headers["set-cookie"] == (
        f"pf_cid={click_id}; Path=/; Max-Age={COOKIE_MAX_AGE}; SameSite=Lax; HttpOnly"
    )
    assert response.headers["cache-control"] == "no-store"
    stored = tracking.find_click(world, click_id)
    assert stored is not None
    assert (stored.link_id, stored.workspace_id) == (link.id, link.workspace_id)
    assert stored.sub_id == "story"
    assert stored.device == "mobile"
    assert stored.is_unique
    assert not stored.is_bot


def test_cookie_is_secure_over_https(world: Context) -> None:
    links.create_link(world, WS, "summer", "emma", DESTINATION, slug="emma-summer")

    async def scenario() -> httpx.Response:
        async with serving(world, https=True) as (_, client):
            return await client.get("/l/emma-summer")

    cookie = run(scenario).headers["set-cookie"]
    assert cookie.endswith("; HttpOnly; Secure")


def test_head_answers_like_get_and_is_recorded(world: Context) -> None:
    links.create_link(world, WS, "summer", "emma", DESTINATION, slug="emma-summer")

    async def scenario() -> httpx.Response:
        async with serving(world) as (_, client):
            return await client.head("/l/emma-summer", headers={"user-agent": "Slackbot 1.0"})

    response = run(scenario)
    assert response.status_code == 302
    assert response.content == b""
    stored = tracking.find_click(world, click_id_of(response))
    assert stored is not None
    assert stored.is_bot


@pytest.mark.parametrize(
    "path",
    ["/l/nope", "/l/%3Cscript%3Ealert(1)%3C/script%3E", "/l/", "/l/a/b", "/l/" + "a" * 65],
)
def test_unknown_slug_is_a_static_404(world: Context, path: str) -> None:
    async def scenario() -> httpx.Response:
        async with serving(world) as (_, client):
            return await client.get(path)

    response = run(scenario)
    assert response.status_code == 404
    assert response.content == NOT_FOUND_HTML
    assert response.headers["content-type"] == "text/html; charset=utf-8"
    assert "location" not in response.headers
    assert b"alert" not in response.content
    assert b"nope" not in response.content


def test_other_methods_are_refused(world: Context) -> None:
    links.create_link(world, WS, "summer", "emma", DESTINATION, slug="emma-summer")

    async def scenario() -> list[httpx.Response]:
        async with serving(world) as (app, client):
            answers = [await client.request(m, "/l/emma-summer") for m in ("POST", "PUT")]
            assert app.buffer.stats["enqueued"] == 0
            return answers

    for response in run(scenario):
        assert response.status_code == 405
        assert response.headers["allow"] == "GET, HEAD"


def test_paused_link_goes_to_its_fallback_then_the_workspaces_else_404(world: Context) -> None:
    links.create_link(
        world, WS, "summer", "emma", DESTINATION, slug="own", fallback_url="https://shop.example/x"
    )
    links.create_link(world, WS, "summer", "emma", DESTINATION, slug="plain")
    for slug in ("own", "plain"):
        links.pause_link(world, WS, slug)

    async def scenario() -> list[httpx.Response]:
        async with serving(world) as (app, client):
            answers = [await client.get(f"/l/{slug}") for slug in ("own", "plain")]
            assert app.buffer.stats["enqueued"] == 0
            return answers

    own, plain = run(scenario)
    assert (own.status_code, own.headers["location"]) == (302, "https://shop.example/x")
    assert "set-cookie" not in own.headers
    assert plain.status_code == 404

    workspaces.set_fallback_url(world, WS, "https://Brand.example/home")
    plain = run(scenario)[1]
    assert (plain.status_code, plain.headers["location"]) == (302, "https://brand.example/home")
    workspaces.set_fallback_url(world, WS, None)
    assert run(scenario)[1].status_code == 404


def test_a_running_cache_takes_up_a_new_workspace_fallback_on_refresh(world: Context) -> None:
    links.create_link(world, WS, "summer", "emma", DESTINATION, slug="plain")
    links.pause_link(world, WS, "plain")
    cache = LinkCache(tracking.StoreLinkSource(world), refresh_seconds=3600)

    async def scenario() -> list[bytes | None]:
        await cache.reload()
        seen = [cache.routes["plain"].fallback]
        workspaces.set_fallback_url(world, WS, "https://brand.example/closed")
        await cache.refresh()
        seen.append(cache.routes["plain"].fallback)
        return seen

    assert run(scenario) == [None, b"https://brand.example/closed"]


def test_click_cap_sends_to_fallback_and_still_records(world: Context) -> None:
    links.create_link(
        world,
        WS,
        "summer",
        "emma",
        DESTINATION,
        slug="capped",
        click_cap=2,
        fallback_url="https://shop.example/sold-out",
    )

    async def visit(n: int) -> list[httpx.Response]:
        async with serving(world) as (_, client):
            return [await client.get("/l/capped") for _ in range(n)]

    first = run(lambda: visit(3))
    assert [
        r.headers["location"].startswith(DESTINATION.split("#", maxsplit=1)[0]) for r in first
    ] == [
        True,
        True,
        False,
    ]
    assert first[2].headers["location"] == "https://shop.example/sold-out"
    assert "set-cookie" not in first[2].headers
    target = next(t for t in links.active_links_snapshot(world) if t.slug == "capped")
    assert count_link_clicks(world, target.link_id) == 3
    # A fresh process starts from the stored count: the cap holds across restarts.
    again = run(lambda: visit(1))
    assert again[0].headers["location"] == "https://shop.example/sold-out"
    assert count_link_clicks(world, target.link_id) == 4


def count_link_clicks(ctx: Context, link_id: int) -> int:
    with ctx.engine.connect() as conn:
        query = select(func.count()).select_from(clicks).where(clicks.c.link_id == link_id)
        return int(conn.execute(query).scalar_one())


async def poll(check: Callable[[], Awaitable[bool]], seconds: float = 1.0) -> float:
    """Seconds until ``check()`` holds; fails after ``seconds``."""
    loop = asyncio.get_running_loop()
    start = loop.time()
    while not await check():
        if loop.time() - start > seconds:
            pytest.fail(f"not seen within {seconds} s")
        await asyncio.sleep(0.02)
    return loop.time() - start


def test_changes_are_served_within_a_second(world: Context, clock: FrozenClock) -> None:
    ctx = with_settings(world, link_cache_refresh_ms=500)
    links.create_link(ctx, WS, "summer", "emma", DESTINATION, slug="live")

    async def scenario() -> None:
        async with serving(ctx) as (_, client):

            async def location_of(slug: str) -> str:
                return str((await client.get(f"/l/{slug}")).headers.get("location", ""))

            async def new_link_served() -> bool:
                return (await client.get("/l/fresh")).status_code == 302

            clock.advance(seconds=1)
            links.create_link(ctx, WS, "summer", "emma", "https://shop.example/new", slug="fresh")
            await poll(new_link_served)

            clock.advance(seconds=1)
            links.update_destination(ctx, WS, "live", "https://shop.example/moved")

            async def moved() -> bool:
                return (await location_of("live")).startswith("https://shop.example/moved?")

            await poll(moved)

            clock.advance(seconds=1)
            links.set_click_cap(ctx, WS, "live", None, "https://shop.example/paused")
            links.pause_link(ctx, WS, "live")

            async def paused() -> bool:
                return await location_of("live") == "https://shop.example/paused"

            await poll(paused)

    run(scenario)


def test_other_paths_go_to_the_web_app(world: Context) -> None:
    async def scenario() -> tuple[httpx.Response, httpx.Response, httpx.Response]:
        async with serving(world) as (_, client):
            return (
                await client.get("/healthz"),
                await client.get("/"),
                await client.get("/lx/emma"),
            )

    health, index, other = run(scenario)
    assert health.status_code == 200
    assert health.json()["database"] is True
    assert "enqueued" in health.json()["clicks"]
    assert index.status_code == 200
    assert other.status_code == 404


def test_durable_mode_answers_after_the_click_is_stored(world: Context) -> None:
    ctx = with_settings(world, durable=True)
    links.create_link(ctx, WS, "summer", "emma", DESTINATION, slug="durable")

    async def scenario() -> None:
        async with serving(ctx) as (_, client):
            response = await client.get("/l/durable")
            assert response.status_code == 302
            # Stored before the answer came back, not only after the drain.
            stored = await asyncio.to_thread(tracking.find_click, ctx, click_id_of(response))
            assert stored is not None

    run(scenario)


def test_forwarded_for_is_not_trusted_by_the_handler(world: Context) -> None:
    links.create_link(world, WS, "summer", "emma", DESTINATION, slug="emma-summer")

    async def scenario() -> list[httpx.Response]:
        async with serving(world) as (_, client):
            return [
                await client.get(
                    "/l/emma-summer", headers={"user-agent": IPHONE, "x-forwarded-for": ip}
                )
                for ip in ("198.51.100.1", "198.51.100.2")
            ]

    first, second = run(scenario)
    # Same socket address and user agent: one visitor, whatever the header claims.
    first_click = tracking.find_click(world, click_id_of(first))
    second_click = tracking.find_click(world, click_id_of(second))
    assert first_click is not None
    assert second_click is not None
    assert first_click.is_unique
    assert not second_click.is_unique


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        (b"sub=story", "story"),
        (b"a=1&sub=bio%20link&sub=second", "bio link"),
        (b"sub=a+b", "a b"),
        (b"sub=%0D%0Aevil", "evil"),
        (b"sub=" + b"x" * 500, "x" * 100),
        (b"subway=1", ""),
        (b"", ""),
    ],
)
def test_sub_id_is_read_and_bounded(query: bytes, expected: str) -> None:
    assert sub_id_from(query) == expected


def test_only_http_fallbacks_are_used() -> None:
    assert usable_fallback("javascript:alert(1)") is None
    assert usable_fallback("//evil.example") is None
    assert usable_fallback("") is None
    assert usable_fallback("https://") is None
    assert usable_fallback("https://brand.example/") == b"https://brand.example/"


def test_a_location_never_carries_raw_control_characters() -> None:
    assert header_url("https://shop.example/a b\r\nSet-Cookie: x") == (
        b"https://shop.example/a%20b%0D%0ASet-Cookie:%20x"
    )
    assert header_url("https://shop.example/æble?q=%C3%A6") == (
        b"https://shop.example/%C3%A6ble?q=%C3%A6"
    )


class FlakySource:
    """A link source whose database goes away after the first load."""

    def __init__(self) -> None:
        self.calls = 0
        when = datetime(2026, 3, 2, 12, 0).astimezone()
        self.target = LinkTarget(
            "s1", 1, 1, "https://shop.example/?a=1", LinkStatus.ACTIVE, None, None, when
        )

    def everything(self) -> LinkSnapshot:
        return LinkSnapshot([self.target], {1: None})

    def changed_since(self, since: datetime) -> LinkSnapshot:
        self.calls += 1
        raise ConnectionError("database unreachable")

    def click_counts(self, caps: Mapping[int, int]) -> Mapping[int, int]:
        return {}


def test_cache_keeps_serving_when_the_database_is_unreachable() -> None:
    source = FlakySource()
    cache = LinkCache(source, refresh_seconds=0.01)

    async def scenario() -> None:
        await cache.start()
        await asyncio.sleep(0.2)
        await cache.stop()

    run(scenario)
    assert source.calls > 2
    assert cache.refresh_failures == source.calls
    route = cache.routes["s1"]
    assert route.location("CID") == b"https://shop.example/?a=1&pf_cid=CID"


# -- the same redirect through uvicorn and RedirectHttpProtocol (the path `perfluence serve` runs)


@contextmanager
def real_server(ctx: Context, **config: Any) -> Iterator[int]:
    """uvicorn with the redirect protocol on a free port, in a thread; stopped (drained) after."""
    server = uvicorn.Server(
        uvicorn.Config(
            create_app(ctx),
            host="127.0.0.1",
            port=0,
            http=RedirectHttpProtocol,
            loop="asyncio",
            lifespan="on",
            access_log=False,
            log_level="warning",
            **{"proxy_headers": False, **config},
        )
    )
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert thread.is_alive(), "uvicorn stopped while starting"
        assert time.monotonic() < deadline, "uvicorn did not start within 10 s"
        time.sleep(0.01)
    port = int(server.servers[0].sockets[0].getsockname()[1])
    try:
        yield port
    finally:
        server.should_exit = True
        thread.join(10)


def exchange(port: int, raw: bytes, responses: int = 1, *, head: bool = False) -> list[bytes]:
    """Send raw bytes on one connection; read ``responses`` responses (head and body)."""
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(raw)
        data = b""
        found: list[bytes] = []
        while len(found) < responses:
            end = data.find(b"\r\n\r\n")
            if end >= 0:
                length = 0 if head else int(header(data[:end], "content-length") or 0)
                if len(data) >= end + 4 + length:
                    found.append(data[: end + 4 + length])
                    data = data[end + 4 + length :]
                    continue
            chunk = sock.recv(65536)
            if not chunk:
                break
            data += chunk
    return found


def header(response: bytes, name: str) -> str | None:
    head = response.split(b"\r\n\r\n", 1)[0]
    for line in head.decode("latin-1").split("\r\n")[1:]:
        key, _, value = line.partition(":")
        if key.lower() == name:
            return value.strip()
    return None


@pytest.fixture
def fast_path_only(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any redirect that goes through ASGI: these tests are about the short cut."""

    async def through_asgi(*_: object) -> None:
        raise AssertionError("the redirect went through ASGI")

    monkeypatch.setattr(RedirectApp, "redirect", through_asgi)


@pytest.mark.usefixtures("fast_path_only")
def test_fast_path_answers_like_the_asgi_path(world: Context) -> None:
    links.create_link(world, WS, "summer", "emma", DESTINATION, slug="emma-summer")
    target = links.active_links_snapshot(world)[0]
    with real_server(world) as port:
        ua = IPHONE.encode()
        (get,) = exchange(
            port, b"GET /l/emma-summer?sub=bio HTTP/1.1\r\nUser-Agent: " + ua + b"\r\n\r\n"
        )
        (head,) = exchange(port, b"HEAD /l/emma-summer HTTP/1.1\r\nHost: x\r\n\r\n", head=True)
        (missing,) = exchange(port, b"GET /l/%3Cb%3E HTTP/1.1\r\nHost: x\r\n\r\n")
        (post,) = exchange(
            port, b"POST /l/emma-summer HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
        )
    assert get.startswith(b"HTTP/1.1 302 Found\r\n")
    location = header(get, "location")
    assert location is not None
    click_id = parse_qs(urlsplit(location).query)["pf_cid"][0]
    assert location == tracking_url(target.destination, click_id)
    assert header(get, "set-cookie") == (
        f"pf_cid={click_id}; Path=/; Max-Age={COOKIE_MAX_AGE}; SameSite=Lax; HttpOnly"
    )
    assert header(get, "content-length") == "0"
    assert header(get, "cache-control") == "no-store"
    assert header(get, "date") is not None
    assert head.startswith(b"HTTP/1.1 302 Found\r\n")
    assert head.endswith(b"\r\n\r\n")
    assert missing.startswith(b"HTTP/1.1 404 Not Found\r\n")
    assert missing.endswith(b"\r\n\r\n" + NOT_FOUND_HTML)
    assert post.startswith(b"HTTP/1.1 405 Method Not Allowed\r\n")
    assert header(post, "allow") == "GET, HEAD"
    stored = tracking.find_click(world, click_id)
    assert stored is not None
    assert (stored.sub_id, stored.device) == ("bio", "mobile")
    assert count_link_clicks(world, target.link_id) == 2  # the GET and the HEAD


def test_fast_path_keeps_pipelined_responses_in_order(world: Context) -> None:
    links.create_link(world, WS, "summer", "emma", DESTINATION, slug="emma-summer")
    pipelined = (
        b"GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /l/emma-summer HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /l/nope HTTP/1.1\r\nHost: x\r\n\r\n"
        b"GET /l/emma-summer HTTP/1.1\r\nHost: x\r\n\r\n"
    )
    with real_server(world) as port:
        responses = exchange(port, pipelined, responses=4)
    statuses = [r.split(b"\r\n", 1)[0] for r in responses]
    assert statuses == [
        b"HTTP/1.1 200 OK",
        b"HTTP/1.1 302 Found",
        b"HTTP/1.1 404 Not Found",
        b"HTTP/1.1 302 Found",
    ]


@pytest.mark.usefixtures("fast_path_only")
def test_fast_path_closes_http10_and_idle_connections(world: Context) -> None:
    links.create_link(world, WS, "summer", "emma", DESTINATION, slug="emma-summer")
    with real_server(world, timeout_keep_alive=1) as port:
        (old,) = exchange(port, b"GET /l/emma-summer HTTP/1.0\r\n\r\n")
        assert header(old, "connection") == "close"
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"GET /l/emma-summer HTTP/1.1\r\nHost: x\r\n\r\n")
            assert sock.recv(65536).startswith(b"HTTP/1.1 302")
            started = time.monotonic()
            assert sock.recv(65536) == b""  # closed by the server once idle
            assert 0.5 < time.monotonic() - started < 4


@pytest.mark.usefixtures("fast_path_only")
def test_fast_path_trusts_forwarded_headers_only_from_listed_proxies(world: Context) -> None:
    links.create_link(world, WS, "summer", "emma", DESTINATION, slug="emma-summer")

    def two_visitors(**config: Any) -> tuple[bool, bool, str | None]:
        answers = []
        with real_server(world, **config) as port:
            for ip in ("198.51.100.1", "198.51.100.2"):
                request = (
                    b"GET /l/emma-summer HTTP/1.1\r\nHost: x\r\nUser-Agent: "
                    + IPHONE.encode()
                    + f"\r\nX-Forwarded-For: {ip}\r\nX-Forwarded-Proto: https\r\n\r\n".encode()
                )
                answers.append(exchange(port, request)[0])
        clicks_ = []
        for answer in answers:
            location = header(answer, "location") or ""
            found = tracking.find_click(world, parse_qs(urlsplit(location).query)["pf_cid"][0])
            assert found is not None
            clicks_.append(found)
        return clicks_[0].is_unique, clicks_[1].is_unique, header(answers[0], "set-cookie")

    # Not trusted: one visitor (the socket's address), and the scheme stays http.
    first, second, cookie = two_visitors()
    assert (first, second) == (True, False)
    assert cookie is not None
    assert not cookie.endswith("Secure")
    # 127.0.0.1 trusted: two visitors, and the cookie is Secure behind the TLS proxy.
    first, second, cookie = two_visitors(proxy_headers=True, forwarded_allow_ips="127.0.0.1")
    assert (first, second) == (True, True)
    assert cookie is not None
    assert cookie.endswith("; Secure")
