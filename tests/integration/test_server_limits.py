"""Hostile clients against the real server (uvicorn with ``RedirectHttpProtocol``) on 127.0.0.1.

A client that trickles a request head, connects and says nothing, or sends an
endless head is cut off; one address sending too many redirects gets ``429``
and records nothing. Every test ends by checking the server still answers.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import time
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest

from perfluence.services import links
from perfluence.services.context import Context
from perfluence.tracking.redirect import TOO_MANY_REQUESTS_TEXT
from tests.integration.factories import (
    make_campaign,
    make_creator,
    make_partnership,
    make_workspace,
)
from tests.integration.test_redirect import (
    DESTINATION,
    WS,
    count_link_clicks,
    exchange,
    header,
    real_server,
    run,
    serving,
    with_settings,
)

GET = b"GET /l/emma-summer HTTP/1.1\r\nHost: x\r\n\r\n"
TIMEOUT = 0.5


@pytest.fixture
def linked(ctx: Context) -> Context:
    """One active link, and a short head deadline."""
    with ctx.engine.begin() as conn:
        ws = make_workspace(conn, WS)
        emma = make_creator(conn, ws, "emma")
        summer = make_campaign(conn, ws, "summer")
        make_partnership(conn, ws, summer, emma)
    links.create_link(ctx, WS, "summer", "emma", DESTINATION, slug="emma-summer")
    return with_settings(ctx, header_timeout_seconds=TIMEOUT)


def read_until_closed(sock: socket.socket, limit: float = 5.0) -> tuple[bytes, float]:
    """Everything the server sends until it closes, and how long that took."""
    sock.settimeout(limit)
    started = time.monotonic()
    data = b""
    while chunk := sock.recv(65536):
        data += chunk
    return data, time.monotonic() - started


def still_answers(port: int) -> None:
    (answer,) = exchange(port, GET)
    assert answer.startswith(b"HTTP/1.1 302 Found\r\n")


def test_a_head_sent_byte_by_byte_is_cut_off(linked: Context) -> None:
    with real_server(linked) as port:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            started = time.monotonic()
            closed = False
            for byte in GET[:-2]:
                try:
                    sock.sendall(bytes([byte]))
                except OSError:  # the server closed the connection: what we want
                    closed = True
                    break
                time.sleep(0.05)
                if time.monotonic() - started > 3 * TIMEOUT:
                    break
            answer, _ = read_until_closed(sock)
            elapsed = time.monotonic() - started
        assert closed or answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
        assert header(answer, "connection") == "close"
        # Within the timeout, and half of it again at most (one timer per connection).
        assert TIMEOUT * 0.9 < elapsed < TIMEOUT * 1.5 + 0.5
        still_answers(port)


def test_a_connection_that_sends_nothing_is_closed(linked: Context) -> None:
    with real_server(linked) as port:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            answer, elapsed = read_until_closed(sock)
        assert answer == b""  # no request, nothing to answer
        assert TIMEOUT * 0.9 < elapsed < TIMEOUT * 1.5 + 0.5
        still_answers(port)


def test_the_head_deadline_holds_for_every_request_on_a_connection(linked: Context) -> None:
    with real_server(linked, timeout_keep_alive=5) as port:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(GET)
            assert sock.recv(65536).startswith(b"HTTP/1.1 302")
            time.sleep(TIMEOUT * 2)  # idle between requests: the keep-alive timeout's business
            sock.sendall(GET[:20])
            answer, elapsed = read_until_closed(sock)
        assert answer.startswith(b"HTTP/1.1 408 Request Timeout\r\n")
        assert TIMEOUT * 0.9 < elapsed < TIMEOUT * 1.5 + 0.5


def test_a_slow_client_with_complete_heads_is_served(linked: Context) -> None:
    with real_server(linked) as port, socket.create_connection(("127.0.0.1", port)) as sock:
        sock.settimeout(5)
        for _ in range(3):
            time.sleep(TIMEOUT * 0.7)
            sock.sendall(GET)
            assert sock.recv(65536).startswith(b"HTTP/1.1 302")


@pytest.mark.parametrize("path", [b"/l/emma-summer", b"/healthz"])
def test_an_oversized_head_is_refused_at_once(linked: Context, path: bytes) -> None:
    big = b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nX-Pad: " + b"a" * 20_000 + b"\r\n\r\n"
    with real_server(linked) as port:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(big)
            answer, _ = read_until_closed(sock)
        assert answer.startswith(b"HTTP/1.1 431 Request Header Fields Too Large\r\n")
        assert header(answer, "connection") == "close"
        still_answers(port)
    # Only the redirect after it was recorded: a refused request records nothing.
    assert count_link_clicks(linked, links.active_links_snapshot(linked)[0].link_id) == 1


def test_an_endless_head_is_refused_before_it_ends(linked: Context) -> None:
    line = b"X-More: " + b"b" * 1000 + b"\r\n"
    with real_server(linked) as port:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(b"GET /l/emma-summer HTTP/1.1\r\nHost: x\r\n")
            sent = 0
            hung_up = False
            try:
                while sent < 64_000_000:  # far more than any socket buffers between us
                    sock.sendall(line)
                    sent += len(line)
            except (BrokenPipeError, ConnectionResetError):
                hung_up = True
            assert hung_up, "the server read a head of 64 MB"
            # It answered 431, unless the reset of a closed, unread socket overtook that.
            with contextlib.suppress(ConnectionResetError):
                answer, _ = read_until_closed(sock)
                assert answer.startswith(b"HTTP/1.1 431 ")
        still_answers(port)


@pytest.mark.parametrize("method", [b"GET", b"POST"])
def test_a_body_trickled_after_a_redirect_holds_no_connection(
    linked: Context, method: bytes
) -> None:
    head = method + b" /l/emma-summer HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n"
    with real_server(linked) as port:
        with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
            sock.sendall(head)
            answer = sock.recv(65536)
            sock.sendall(b"x")
            rest, elapsed = read_until_closed(sock)
        assert answer.split(b" ", 2)[1] == (b"302" if method == b"GET" else b"405")
        assert rest == b""
        assert elapsed < TIMEOUT
        still_answers(port)


def test_large_bodies_are_not_mistaken_for_large_heads(linked: Context) -> None:
    body = b"x" * 100_000
    with real_server(linked) as port:
        request = (
            b"POST /api/v1/nothing HTTP/1.1\r\nHost: x\r\nContent-Length: "
            + str(len(body)).encode()
            + b"\r\n\r\n"
            + body
        )
        (answer,) = exchange(port, request + GET, responses=1)
        assert not answer.startswith(b"HTTP/1.1 431")


def click_id_of(answer: bytes) -> str | None:
    location = header(answer, "location") or ""
    found = parse_qs(urlsplit(location).query).get("pf_cid")
    return found[0] if found else None


def test_too_many_redirects_from_one_address_get_429_and_no_click(linked: Context) -> None:
    ctx = with_settings(linked, tracking_rate_limit=3)

    async def scenario() -> list[httpx.Response]:
        async with serving(ctx) as (app, client):
            answers = [await client.get("/l/emma-summer") for _ in range(5)]
            assert app.buffer.stats["enqueued"] == 3
            return answers

    answers = run(scenario)
    assert [a.status_code for a in answers] == [302, 302, 302, 429, 429]
    refused = answers[3]
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert refused.content == TOO_MANY_REQUESTS_TEXT
    assert "set-cookie" not in refused.headers
    assert "location" not in refused.headers
    assert count_link_clicks(ctx, links.active_links_snapshot(ctx)[0].link_id) == 3


def test_the_limit_keys_on_the_forwarded_address_behind_a_trusted_proxy(linked: Context) -> None:
    ctx = with_settings(linked, tracking_rate_limit=2)

    def via_proxy(client_ip: str) -> bytes:
        request = GET[:-2] + f"X-Forwarded-For: {client_ip}\r\n\r\n".encode()
        return exchange(port, request)[0]

    with real_server(ctx, proxy_headers=True, forwarded_allow_ips="127.0.0.1") as port:
        first = [via_proxy("198.51.100.1") for _ in range(3)]
        other = via_proxy("198.51.100.2")
        # The proxy's own address (loopback) is never limited.
        direct = [exchange(port, GET)[0] for _ in range(4)]
    statuses = [a.split(b" ", 2)[1] for a in (*first, other, *direct)]
    assert statuses == [b"302", b"302", b"429", b"302", b"302", b"302", b"302", b"302"]
    assert header(first[2], "retry-after") is not None
    assert click_id_of(first[2]) is None


def test_durable_mode_is_limited_too(linked: Context) -> None:
    ctx = with_settings(linked, tracking_rate_limit=1, durable=True)

    async def scenario() -> list[int]:
        async with serving(ctx) as (_, client):
            return [(await client.get("/l/emma-summer")).status_code for _ in range(2)]

    assert run(scenario) == [302, 429]


def test_rate_limit_zero_turns_it_off(linked: Context) -> None:
    ctx = with_settings(linked, tracking_rate_limit=0)

    async def scenario() -> set[int]:
        async with serving(ctx) as (app, client):
            assert app.limiter is None
            return {(await client.get("/l/emma-summer")).status_code for _ in range(20)}

    assert asyncio.run(scenario()) == {302}
