"""The Python side of one redirect: ``RedirectHttpProtocol`` fed a request, no socket.

``benchmarks/redirect.py`` measures a redirect end to end, kernel and click
writer included; this measures only what the event loop's thread runs in
Python per request (HTTP parsing callbacks, the redirect's decisions, the
response bytes, the buffer's ``put``), the part the code can change. The
transport is a stub that counts writes; the link cache holds one link.

    python benchmarks/redirect_protocol.py [--requests 200000] [--rate-limit N]
        [--user-agent none|browser]

CPU time per request fluctuates with other work on the machine; for figures
that do not, count instructions with callgrind (see docs/performance.md).
"""

from __future__ import annotations

import argparse
import asyncio
import time
from collections import deque
from typing import Any

import uvloop
from uvicorn.config import Config
from uvicorn.server import ServerState

from perfluence.config import Environment, Settings
from perfluence.tracking.cache import Route
from perfluence.tracking.events import RawClick
from perfluence.tracking.redirect import RedirectApp
from perfluence.web.server import RedirectHttpProtocol

BROWSER = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)
HEAD = "https://example.com/landing?ref=bench&utm_source=instagram&utm_medium=influencer&pf_cid="


class Transport:
    """What the protocol needs of a socket: addresses, and somewhere to write."""

    def __init__(self) -> None:
        self.writes = 0

    def get_extra_info(self, name: str, default: Any = None) -> Any:
        return {"sockname": ("127.0.0.1", 8000), "peername": ("198.51.100.7", 50000)}.get(
            name, default
        )

    def write(self, data: bytes) -> None:
        self.writes += 1

    def is_closing(self) -> bool:
        return False

    def close(self) -> None:
        raise AssertionError("the connection was closed")


class Cache:
    def __init__(self) -> None:
        self.routes = {
            "bench": Route(
                link_id=1, workspace_id=1, active=True, head=HEAD.encode(), tail=b"", cap=None,
                fallback=None,
            )
        }  # fmt: skip

    def cap_reached(self, route: Route) -> bool:
        return False


class Buffer:
    """``ClickBuffer.put``'s cost without a writer: a bounded deque."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.clicks: deque[RawClick] = deque(maxlen=10_000)

    def put(self, click: RawClick) -> None:
        self.clicks.append(click)


async def _inner(scope: Any, receive: Any, send: Any) -> None:
    raise AssertionError("the redirect went through ASGI")


def protocol(rate_limit: int) -> tuple[RedirectHttpProtocol, Transport]:
    loop = uvloop.new_event_loop()
    asyncio.set_event_loop(loop)
    settings = Settings(env=Environment.TEST, tracking_rate_limit=rate_limit)
    app: Any = RedirectApp(_inner, Cache(), Buffer(settings))  # type: ignore[arg-type]
    config = Config(app, http=RedirectHttpProtocol, lifespan="off", proxy_headers=False)
    config.load()
    state = ServerState()
    state.default_headers = [(b"date", b"Mon, 23 Nov 2026 12:00:00 GMT")]
    served = RedirectHttpProtocol(config, state, {}, loop)
    transport = Transport()
    served.connection_made(transport)  # type: ignore[arg-type]
    return served, transport


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--rate-limit", type=int, default=0, help="0: off (the default here)")
    parser.add_argument("--user-agent", choices=["none", "browser"], default="none")
    args = parser.parse_args()
    agent = f"User-Agent: {BROWSER}\r\n" if args.user_agent == "browser" else ""
    request = f"GET /l/bench HTTP/1.1\r\nHost: 127.0.0.1:8000\r\n{agent}\r\n".encode()
    # A limit above what the run sends: the cost of counting, never a refusal.
    limit = 0 if args.rate_limit == 0 else max(args.rate_limit, 2 * args.requests)
    served, transport = protocol(limit)
    feed = served.data_received
    for _ in range(2_000):
        feed(request)
    best = float("inf")
    for _ in range(5):
        began = time.process_time()
        for _ in range(args.requests):
            feed(request)
        best = min(best, (time.process_time() - began) / args.requests)
    assert transport.writes == 2_000 + 5 * args.requests
    print(f"user agent: {args.user_agent}; rate limit: {'on' if limit else 'off'}")
    print(f"Python per redirect: {best * 1e6:.2f} µs (best of 5 runs of {args.requests})")


if __name__ == "__main__":
    main()
