"""Shared by ``soak.py`` and ``faults.py``: a scratch PostgreSQL database, perfluence nodes
(``perfluence serve --role ...`` subprocesses on 127.0.0.1), wrk runs and counts.

Not a benchmark itself. The database is created fresh (``perfluence_bench`` by
default, never ``test``) and dropped afterwards unless ``--keep-database``.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import psycopg
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from perfluence.config import Environment, Settings
from perfluence.services import (
    campaigns,
    creators,
    database,
    links,
    partnerships,
    webhook_endpoints,
    workspaces,
)
from perfluence.services.context import Context, open_context
from perfluence.services.creators import NewAccount
from perfluence.store.tables import clicks, conversions, tracking_links

WRK = "/usr/bin/wrk"
SERVER = "postgresql+psycopg://postgres@127.0.0.1:5432"
WORKSPACE = "bench"
WEBHOOK_SECRET = "bench-webhook-secret-5c2e"
DESTINATION = "https://shop.example/landing?ref=bench"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def check_tools(*tools: str) -> None:
    missing = [tool for tool in (WRK, *tools) if shutil.which(tool) is None]
    if missing:
        sys.exit(f"missing: {', '.join(missing)} (Debian: apt-get install wrk postgresql-common)")


# -- the database ---------------------------------------------------------------------


@contextmanager
def scratch_database(server: str, name: str, *, keep: bool = False) -> Iterator[Context]:
    """A new, migrated PostgreSQL database ``name`` with a workspace, links and shops."""
    if name in {"test", "postgres", "template0", "template1"}:
        sys.exit(f"refusing to use the database {name!r}; choose a scratch name")
    admin = make_url(server).set(drivername="postgresql", database="postgres")
    conninfo = admin.render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    url = make_url(server).set(database=name).render_as_string(hide_password=False)
    data_dir = Path(tempfile.mkdtemp(prefix="perfluence-cluster-"))
    ctx = open_context(Settings(env=Environment.DEV, data_dir=data_dir, database_url=url))
    try:
        database.upgrade(ctx)
        yield ctx
    finally:
        ctx.close()
        shutil.rmtree(data_dir, ignore_errors=True)
        if not keep:
            with psycopg.connect(conninfo, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def seed(ctx: Context, slugs: Sequence[str]) -> None:
    """Workspace ``bench``: one creator in one campaign, a link per slug, three shops."""
    workspaces.create_workspace(ctx, WORKSPACE, "Bench", currency="EUR")
    creators.add_creator(
        ctx, WORKSPACE, "emma", name="Emma", accounts=[NewAccount("instagram", followers=5000)]
    )
    campaigns.create_campaign(
        ctx, WORKSPACE, "spring", name="Spring", goal="sales",
        starts_on="2026-01-01", ends_on="2026-12-31",
    )  # fmt: skip
    partnerships.create_partnership(
        ctx, WORKSPACE, "spring", "emma", {"model": "cps", "commission_rate": "10%"}
    )
    for slug in slugs:
        links.create_link(ctx, WORKSPACE, "spring", "emma", DESTINATION, slug=slug)
    for source in ("shopify", "woocommerce", "stripe"):
        webhook_endpoints.set_webhook_secret(ctx, WORKSPACE, source, WEBHOOK_SECRET)


def stored_clicks(ctx: Context, slug: str) -> int:
    with ctx.engine.connect() as conn:
        query = (
            select(func.count())
            .select_from(clicks.join(tracking_links, tracking_links.c.id == clicks.c.link_id))
            .where(tracking_links.c.slug == slug)
        )
        return int(conn.execute(query).scalar_one())


def stored_conversions(ctx: Context) -> int:
    with ctx.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(conversions)).scalar_one())


# -- nodes ------------------------------------------------------------------------------


@dataclass
class Node:
    name: str
    process: subprocess.Popen[bytes]
    port: int
    log: Path

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def rss_mb(self) -> float:
        """Resident memory of the node's process, in MiB (0 once it has exited)."""
        try:
            status = Path(f"/proc/{self.process.pid}/status").read_text()
        except OSError:
            return 0.0
        found = re.search(r"VmRSS:\s+(\d+) kB", status)
        return int(found.group(1)) / 1024 if found else 0.0

    def health(self) -> dict[str, Any]:
        try:
            with urllib.request.urlopen(f"{self.base}/healthz", timeout=5) as answer:
                return dict(json.load(answer))
        except urllib.error.HTTPError as refused:  # 503 while degraded still has a body
            return dict(json.load(refused))

    def log_text(self) -> str:
        return self.log.read_text(errors="replace")


@dataclass
class Cluster:
    """The nodes started for one run, all stopped (or killed) on exit."""

    ctx: Context
    data_dir: Path
    settings: dict[str, str] = field(default_factory=dict)
    nodes: list[Node] = field(default_factory=list)

    def env(self, database_url: str | None = None, **overrides: str) -> dict[str, str]:
        env = {
            **os.environ,
            "PERFLUENCE_ENV": "dev",
            "PERFLUENCE_DATA_DIR": str(self.data_dir),
            "PERFLUENCE_DATABASE_URL": database_url or self.ctx.settings.resolved_database_url,
            # wrk sends everything from 127.0.0.1: a per-address limit would answer 429.
            "PERFLUENCE_TRACKING_RATE_LIMIT": "0",
        }
        for name, value in {**self.settings, **overrides}.items():
            env[f"PERFLUENCE_{name.upper()}"] = value
        return env

    def start(self, name: str, role: str, env: dict[str, str] | None = None, *args: str) -> Node:
        """``perfluence serve --role role`` on a free port; ``args`` are more options.

        wrk's visitors come through X-Forwarded-For, so 127.0.0.1 is a trusted proxy.
        """
        port = free_port()
        log = self.data_dir / f"{name}.log"
        perfluence = str(Path(sys.executable).with_name("perfluence"))
        command = [perfluence, "serve", "--role", role, "--port", str(port)]
        command += ["--forwarded-allow-ips", "127.0.0.1", *args]
        with log.open("ab") as out:
            process = subprocess.Popen(
                command, env=env or self.env(), stdout=out, stderr=subprocess.STDOUT
            )
        node = Node(name, process, port, log)
        self.nodes.append(node)
        return node

    def wait_until_up(self, *nodes: Node, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        for node in nodes:
            while True:
                if node.process.poll() is not None:
                    raise RuntimeError(f"{node.name} exited:\n{node.log_text()[-2000:]}")
                try:
                    with urllib.request.urlopen(f"{node.base}/healthz", timeout=1):
                        break
                except OSError:
                    if time.monotonic() > deadline:
                        raise RuntimeError(f"{node.name} did not come up") from None
                    time.sleep(0.1)

    def stop(self, node: Node, timeout: float = 120) -> float:
        """SIGTERM (drains the click buffer); the seconds the drain took."""
        started = time.monotonic()
        if node.process.poll() is None:
            node.process.send_signal(signal.SIGTERM)
            node.process.wait(timeout)
        return time.monotonic() - started

    def close(self) -> None:
        for node in self.nodes:
            if node.process.poll() is None:
                node.process.kill()
                node.process.wait(30)


@contextmanager
def cluster(ctx: Context, **settings: str) -> Iterator[Cluster]:
    data_dir = Path(tempfile.mkdtemp(prefix="perfluence-nodes-"))
    running = Cluster(ctx, data_dir, dict(settings))
    try:
        yield running
    finally:
        running.close()
        shutil.rmtree(data_dir, ignore_errors=True)


# -- wrk ------------------------------------------------------------------------------


@dataclass
class WrkRun:
    """A wrk process in the background; ``result()`` waits for it and parses its report."""

    process: subprocess.Popen[str]
    script: Path | None

    def result(self) -> WrkResult:
        out, err = self.process.communicate()
        if self.script is not None:
            self.script.unlink(missing_ok=True)
        return parse_wrk(out + err)


@dataclass
class WrkResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    non_3xx: int
    socket_errors: int

    @property
    def redirects(self) -> int:
        """Responses that were redirects (every answer but the non-2xx/3xx ones)."""
        return self.requests - self.non_3xx


def start_wrk(
    url: str, seconds: float, connections: int = 32, *, visitors: int = 0, rate: float = 0
) -> WrkRun:
    """wrk for ``seconds`` against ``url``; with ``visitors``, each request comes from one
    of that many visitors (an address in X-Forwarded-For and one of a few common
    user agents), so the click writer sees many visitors, not one.

    ``rate`` (requests per second, 0: as fast as the server answers) paces each
    connection with wrk's ``delay()``; wrk has no open-loop mode, so this is the
    most the rate can be, not a promise.
    """
    command = [WRK, "-t1", f"-c{connections}", f"-d{max(1, round(seconds))}s", "--latency"]
    script = None
    if visitors or rate:
        handle, name = tempfile.mkstemp(suffix=".lua")
        os.close(handle)
        script = Path(name)
        lua = VISITOR_SCRIPT.replace("VISITORS", str(visitors)) if visitors else ""
        if rate:
            lua += f"delay = function() return {connections * 1000 / rate:.3f} end\n"
        script.write_text(lua)
        command += ["-s", str(script)]
    process = subprocess.Popen(
        [*command, url], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    return WrkRun(process, script)


VISITOR_SCRIPT = """
local agents = {
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 " ..
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
  "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 " ..
    "(KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
  "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 " ..
    "(KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 " ..
    "(KHTML, like Gecko) Version/17.4 Safari/605.1.15",
  "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 " ..
    "(KHTML, like Gecko) Mobile/15E148 Instagram 327.0.0.0.88",
}
request = function()
  local v = math.random(0, VISITORS - 1)
  wrk.headers["X-Forwarded-For"] = "10." .. (math.floor(v / 65536) % 256) .. "." ..
    (math.floor(v / 256) % 256) .. "." .. (v % 256)
  wrk.headers["User-Agent"] = agents[(v % #agents) + 1]
  return wrk.format(nil)
end
"""


def _ms(value: str) -> float:
    found = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    if found is None:
        return float("nan")
    number, unit = found.groups()
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[unit]


def parse_wrk(output: str) -> WrkResult:
    total = re.search(r"(\d+) requests in ([\d.]+)(\w+)", output)
    if total is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    seconds = float(total.group(2)) * {"s": 1.0, "m": 60.0, "ms": 0.001}[total.group(3)]
    p50 = re.search(r"50%\s+([\d.]+\w+)", output)
    p99 = re.search(r"99%\s+([\d.]+\w+)", output)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", output)
    bad = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    return WrkResult(
        requests=int(total.group(1)),
        seconds=seconds,
        rps=float(rps.group(1)) if rps else 0.0,
        p50_ms=_ms(p50.group(1)) if p50 else float("nan"),
        p99_ms=_ms(p99.group(1)) if p99 else float("nan"),
        non_3xx=int(bad.group(1)) if bad else 0,
        socket_errors=sum(int(n) for n in errors.groups()) if errors else 0,
    )


def wait_for(condition: Callable[[], bool], timeout: float, step: float = 0.2) -> bool:
    """Poll ``condition()`` until true or ``timeout`` seconds pass; whether it came true."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return bool(condition())
