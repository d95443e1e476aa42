"""Real ``perfluence serve`` processes on 127.0.0.1 and a client that clicks through them.

Shared by the scale-out and fault tests: each node is a subprocess started
like an operator would (``perfluence serve --role ...``), so signals, the
HTTP server and the click writer are the production ones.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy import case, func, select

from perfluence.services.context import Context
from perfluence.store.tables import click_rollups_hourly, clicks
from tests.integration.test_shutdown import free_port

SERVE = "from perfluence.cli import main; main()"
# A phone's Safari; the build number varies per visitor (every visitor a human, none a bot).
VISITOR_AGENT = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E{n} Safari/604.1"
)


@dataclass
class Node:
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stderr(self) -> str:
        return self.log.read_text(errors="replace")


def node_env(ctx: Context, data_dir: Path, **settings: str) -> dict[str, str]:
    """The environment of a node serving ``ctx``'s database; ``settings`` are PERFLUENCE_*."""
    env = {
        **os.environ,
        "PERFLUENCE_ENV": "test",
        "PERFLUENCE_DATA_DIR": str(data_dir),
        "PERFLUENCE_DATABASE_URL": ctx.settings.resolved_database_url,
        # Every load here comes from 127.0.0.1: the per-address limit would answer 429.
        "PERFLUENCE_TRACKING_RATE_LIMIT": "0",
    }
    env.update({f"PERFLUENCE_{name.upper()}": value for name, value in settings.items()})
    return env


def start_node(env: Mapping[str, str], log: Path, *args: str) -> Node:
    port = free_port()
    command = [sys.executable, "-c", SERVE, "serve", "--port", str(port), *args]
    with log.open("wb") as out:
        process = subprocess.Popen(command, env=dict(env), stdout=out, stderr=subprocess.STDOUT)
    return Node(process, port, log)


def wait_until_up(nodes: Sequence[Node], timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    for node in nodes:
        while True:
            assert node.process.poll() is None, node.stderr()
            with suppress(httpx.TransportError):
                if httpx.get(f"{node.base}/healthz", timeout=1).status_code == 200:
                    break
            if time.monotonic() > deadline:
                pytest.fail(f"node on port {node.port} did not come up within {timeout} s")
            time.sleep(0.05)


@contextmanager
def running(nodes: Sequence[Node]) -> Iterator[Sequence[Node]]:
    """Nodes that are up; whatever still runs at the end is killed."""
    try:
        wait_until_up(nodes)
        yield nodes
    finally:
        for node in nodes:
            if node.process.poll() is None:
                node.process.kill()
            node.process.wait(30)


def stop(node: Node, timeout: float = 60) -> None:
    """SIGTERM and wait for a clean exit (uvicorn re-raises the signal once drained)."""
    node.process.send_signal(signal.SIGTERM)
    node.process.wait(timeout)
    assert node.process.returncode in (0, -signal.SIGTERM), node.stderr()


@dataclass
class Load:
    """What a load run saw: click ids of the redirects answered, and everything else."""

    answered: list[str] = field(default_factory=list)
    statuses: dict[int, int] = field(default_factory=dict)
    transport_errors: int = 0


def click_through(
    nodes: Sequence[Node],
    slugs: Sequence[str],
    total: int,
    *,
    visitors: int = 50,
    concurrency: int = 32,
    after_each: Callable[[Load], None] | None = None,
) -> Load:
    """``total`` clicks spread over nodes, visitors and links, in that order.

    Request ``n`` goes to node ``n mod nodes``, as visitor ``n // nodes mod
    visitors``, for link ``n // (nodes * visitors) mod links``: every visitor
    clicks every link on every node, on each node within moments of the other
    (when the unique flag is most easily decided twice).
    """
    load = Load()
    pending = iter(range(total))

    async def worker() -> None:
        connections: dict[int, tuple[asyncio.StreamReader, asyncio.StreamWriter]] = {}
        try:
            for n in pending:
                node = nodes[n % len(nodes)]
                agent = VISITOR_AGENT.format(n=(n // len(nodes)) % visitors)
                slug = slugs[(n // (len(nodes) * visitors)) % len(slugs)]
                try:
                    status, location = await _get(connections, node.port, slug, agent)
                except (OSError, asyncio.IncompleteReadError, ValueError):
                    load.transport_errors += 1
                    dropped = connections.pop(node.port, None)
                    if dropped is not None:
                        dropped[1].close()
                    continue
                load.statuses[status] = load.statuses.get(status, 0) + 1
                if status == 302:
                    load.answered.append(click_id_in(location))
                if after_each is not None:
                    after_each(load)
        finally:
            for _, writer in connections.values():
                writer.close()

    async def hammer() -> None:
        await asyncio.gather(*(worker() for _ in range(concurrency)))

    asyncio.run(hammer())
    return load


async def _get(
    connections: dict[int, tuple[asyncio.StreamReader, asyncio.StreamWriter]],
    port: int,
    slug: str,
    agent: str,
) -> tuple[int, str]:
    """One keep-alive ``GET /l/{slug}``: the status and the Location.

    A dozen lines of HTTP/1.1 instead of httpx, which costs about 3 ms of CPU a
    request: on a two-core machine the client, not the servers, set the pace.
    """
    if port not in connections:
        connections[port] = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port), 10)
    reader, writer = connections[port]
    writer.write(
        f"GET /l/{slug} HTTP/1.1\r\nHost: 127.0.0.1\r\nUser-Agent: {agent}\r\n\r\n".encode()
    )
    head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
    status_line, *header_lines = head.decode("latin-1").rstrip().split("\r\n")
    status = int(status_line.split(" ", 2)[1])
    headers: dict[str, str] = {}
    for line in header_lines:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    length = int(headers.get("content-length", "0"))
    if length:
        await asyncio.wait_for(reader.readexactly(length), 10)
    if headers.get("connection", "").lower() == "close":
        connections.pop(port)[1].close()
    location = headers.get("location", "")
    return status, location


def click_id_in(location: str) -> str:
    return parse_qs(urlsplit(location).query)["pf_cid"][0]


@dataclass(frozen=True)
class Stored:
    clicks: int
    distinct_click_ids: int
    unique_flags: int
    # (link, visitor) pairs of human clicks whose number of unique clicks is not exactly one.
    inconsistent_visitors: int
    rollup_clicks: int
    rollup_unique: int


UNIQUE_AS_ONE = case((clicks.c.is_unique, 1), else_=0)


def stored(ctx: Context) -> Stored:
    with ctx.engine.connect() as conn:
        total, distinct, unique = conn.execute(
            select(
                func.count(),
                func.count(func.distinct(clicks.c.click_id)),
                func.coalesce(func.sum(UNIQUE_AS_ONE), 0),
            )
        ).one()
        per_visitor = (
            select(func.sum(UNIQUE_AS_ONE).label("n"))
            .where(clicks.c.is_bot.is_(False))
            .group_by(clicks.c.link_id, clicks.c.visitor_hash)
            .subquery()
        )
        inconsistent = conn.execute(
            select(func.count()).select_from(per_visitor).where(per_visitor.c.n != 1)
        ).scalar_one()
        rollup_clicks, rollup_unique = conn.execute(
            select(
                func.coalesce(func.sum(click_rollups_hourly.c.clicks), 0),
                func.coalesce(func.sum(click_rollups_hourly.c.unique_clicks), 0),
            )
        ).one()
    return Stored(
        int(total),
        int(distinct),
        int(unique),
        int(inconsistent),
        int(rollup_clicks),
        int(rollup_unique),
    )
