"""Redirect throughput: perfluence's ``/l/{slug}`` against nginx's ``return 302``.

Both servers run pinned to core 0, one after the other; wrk runs pinned to
core 1 (it follows no redirects, so it measures the 302 alone). nginx writes an
access log, as a production tracking endpoint would; perfluence records every
click in its database. After perfluence stops (SIGTERM, which drains the click
buffer) the clicks stored are compared with the responses wrk counted.

    python benchmarks/redirect.py [--duration 10] [--connections 64] [--server uvicorn]
        [--user-agent none|browser] [--rate-limit N]

wrk sends no User-Agent by default, so every click is recorded as a bot's
(bots skip the unique-click check); ``--user-agent browser`` sends a desktop
Chrome's, so every click is a person's repeat visit. ``--rate-limit`` sets
PERFLUENCE_TRACKING_RATE_LIMIT (default: the setting's default, which counts
wrk's loopback address and lets it through; 0 turns the limiter off).

Needs /usr/sbin/nginx, /usr/bin/wrk and taskset (util-linux).
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from perfluence.config import Settings
from perfluence.services import campaigns, creators, database, links, partnerships, workspaces
from perfluence.services.context import open_context
from perfluence.services.creators import NewAccount
from perfluence.store.engine import make_engine
from perfluence.store.tables import clicks

NGINX = "/usr/sbin/nginx"
WRK = "/usr/bin/wrk"
SERVER_CORE = "0"
CLIENT_CORE = "1"
SLUG = "bench"
DESTINATION = "https://example.com/landing?ref=bench"
BROWSER = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36"
)


@dataclass
class WrkResult:
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    bad_status: int
    socket_errors: int
    cpu_seconds: float = 0.0
    # perfluence only: the CPU time of its main thread (the event loop), the rest is the
    # click writer thread (and the odd helper thread).
    loop_cpu_seconds: float = 0.0

    @property
    def per_cpu_second(self) -> float:
        return self.requests / self.cpu_seconds if self.cpu_seconds else 0.0


def _ms(value: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", value).groups()  # type: ignore[union-attr]
    return float(number) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


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
    if p50 is None or p99 is None or rps is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    return WrkResult(
        requests=int(total.group(1)),
        seconds=seconds,
        rps=float(rps.group(1)),
        p50_ms=_ms(p50.group(1)),
        p99_ms=_ms(p99.group(1)),
        bad_status=int(bad.group(1)) if bad else 0,
        socket_errors=sum(int(n) for n in errors.groups()) if errors else 0,
    )


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_until_up(url: str, process: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering {url}")
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer within {timeout} s")


def _process_tree(pid: int) -> list[int]:
    children: dict[int, list[int]] = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            children.setdefault(int(fields[1]), []).append(int(entry.name))
    found, todo = [], [pid]
    while todo:
        current = todo.pop()
        found.append(current)
        todo.extend(children.get(current, []))
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process and its children (nginx's worker)."""
    ticks = 0
    for member in _process_tree(pid):
        try:
            fields = Path(f"/proc/{member}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def main_thread_cpu_seconds(pid: int) -> float:
    """User + system CPU time of a process's main thread (for perfluence: the event loop)."""
    try:
        fields = Path(f"/proc/{pid}/task/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run_wrk(
    url: str, duration: int, connections: int, server_pid: int, headers: tuple[str, ...] = ()
) -> WrkResult:
    """wrk against ``url``; also the server's CPU time per request.

    Other work on the machine lowers req/s but hardly changes the CPU time a
    request costs, so requests per CPU-second compare servers fairly on a busy host.
    """
    command = ["taskset", "-c", CLIENT_CORE, WRK, "-t1", f"-c{connections}", f"-d{duration}s"]
    for header in headers:
        command += ["-H", header]
    before = cpu_seconds(server_pid)
    loop_before = main_thread_cpu_seconds(server_pid)
    out = subprocess.run([*command, "--latency", url], capture_output=True, text=True, check=True)
    result = parse_wrk(out.stdout)
    result.cpu_seconds = cpu_seconds(server_pid) - before
    result.loop_cpu_seconds = main_thread_cpu_seconds(server_pid) - loop_before
    return result


def seed(data_dir: Path) -> None:
    """A fresh SQLite database with one workspace, creator, campaign, partnership and link."""
    settings = Settings(data_dir=data_dir, database_url=f"sqlite:///{data_dir / 'perfluence.db'}")
    ctx = open_context(settings)
    try:
        database.upgrade(ctx)
        workspaces.create_workspace(ctx, "bench", "Bench", currency="EUR")
        creators.add_creator(
            ctx, "bench", "emma", name="Emma", accounts=[NewAccount("instagram", followers=5000)]
        )
        campaigns.create_campaign(
            ctx, "bench", "spring", name="Spring", goal="sales",
            starts_on="2026-01-01", ends_on="2026-12-31",
        )  # fmt: skip
        partnerships.create_partnership(
            ctx, "bench", "spring", "emma", {"model": "cps", "commission_rate": "10%"}
        )
        links.create_link(ctx, "bench", "spring", "emma", DESTINATION, slug=SLUG)
    finally:
        ctx.close()


def bench_perfluence(
    tmp: Path, args: argparse.Namespace, headers: tuple[str, ...]
) -> tuple[WrkResult, int]:
    duration, connections, server = args.duration, args.connections, args.server
    data_dir = tmp / "perfluence"
    seed(data_dir)
    port = free_port()
    env = {
        **os.environ,
        "PERFLUENCE_DATA_DIR": str(data_dir),
        "PERFLUENCE_ENV": "dev",
        "PERFLUENCE_DATABASE_URL": f"sqlite:///{data_dir / 'perfluence.db'}",
    }
    if args.rate_limit is not None:
        env["PERFLUENCE_TRACKING_RATE_LIMIT"] = str(args.rate_limit)
    perfluence = str(Path(sys.executable).with_name("perfluence"))
    command = ["taskset", "-c", SERVER_CORE, perfluence, "serve", "--port", str(port)]
    process = subprocess.Popen(
        [*command, "--server", server],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/healthz", process)
        url = f"http://127.0.0.1:{port}/l/{SLUG}"
        result = run_wrk(url, duration, connections, process.pid, headers)
    finally:
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=120)
    # uvicorn re-raises SIGTERM after a clean shutdown.
    if process.returncode not in (0, -signal.SIGTERM):
        raise RuntimeError(f"perfluence exited with {process.returncode}:\n{err.decode()}")
    return result, stored_clicks(data_dir)


def stored_clicks(data_dir: Path) -> int:
    engine = make_engine(f"sqlite:///{data_dir / 'perfluence.db'}")
    try:
        with engine.connect() as conn:
            return int(conn.execute(select(func.count()).select_from(clicks)).scalar_one())
    finally:
        engine.dispose()


NGINX_CONF = """
worker_processes 1;
daemon off;
pid {tmp}/nginx.pid;
error_log {tmp}/error.log warn;
events {{ worker_connections 1024; }}
http {{
    access_log {tmp}/access.log;
    client_body_temp_path {tmp}/body;
    proxy_temp_path {tmp}/proxy;
    fastcgi_temp_path {tmp}/fastcgi;
    uwsgi_temp_path {tmp}/uwsgi;
    scgi_temp_path {tmp}/scgi;
    server {{
        listen 127.0.0.1:{port};
        location /l/ {{ return 302 https://example.com/landing?utm_source=x; }}
        location = /healthz {{ return 200 "ok"; }}
    }}
}}
"""


def bench_nginx(tmp: Path, duration: int, connections: int, headers: tuple[str, ...]) -> WrkResult:
    root = tmp / "nginx"
    root.mkdir()
    port = free_port()
    conf = root / "nginx.conf"
    conf.write_text(NGINX_CONF.format(tmp=root, port=port))
    process = subprocess.Popen(
        ["taskset", "-c", SERVER_CORE, NGINX, "-c", str(conf), "-p", str(root)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_until_up(f"http://127.0.0.1:{port}/healthz", process)
        url = f"http://127.0.0.1:{port}/l/{SLUG}"
        return run_wrk(url, duration, connections, process.pid, headers)
    finally:
        process.send_signal(signal.SIGQUIT)
        process.communicate(timeout=30)


def check_tools() -> None:
    missing = [tool for tool in (NGINX, WRK) if not Path(tool).exists()]
    if shutil.which("taskset") is None:
        missing.append("taskset")
    if missing:
        sys.exit(
            f"missing: {', '.join(missing)}. Install them (Debian/Ubuntu: "
            "apt-get install nginx-light wrk util-linux) and run again."
        )


HEADER = (
    f"{'server':34} {'req/s':>8} {'req/cpu-s':>10} {'p50 ms':>7} {'p99 ms':>7} "
    f"{'non-3xx':>7} {'errors':>6}"
)


def print_row(name: str, result: WrkResult) -> None:
    print(
        f"{name:34} {result.rps:8.0f} {result.per_cpu_second:10.0f} {result.p50_ms:7.2f} "
        f"{result.p99_ms:7.2f} {result.bad_status:7d} {result.socket_errors:6d}"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run")
    parser.add_argument("--connections", type=int, default=64, help="wrk connections")
    parser.add_argument("--server", default="uvicorn", choices=["uvicorn", "granian"])
    parser.add_argument("--rounds", type=int, default=1, help="nginx/perfluence pairs to run")
    parser.add_argument("--skip-nginx", action="store_true", help="measure perfluence only")
    parser.add_argument(
        "--user-agent",
        choices=["none", "browser"],
        default="none",
        help="none: wrk's requests (clicks are bots'); browser: a desktop Chrome's (people's)",
    )
    parser.add_argument(
        "--rate-limit", type=int, default=None, help="PERFLUENCE_TRACKING_RATE_LIMIT (0: off)"
    )
    args = parser.parse_args()
    check_tools()
    headers = (f"User-Agent: {BROWSER}",) if args.user_agent == "browser" else ()
    limit = "default" if args.rate_limit is None else args.rate_limit
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores; servers on core 0")
    print(f"user agent: {args.user_agent}; tracking rate limit: {limit}")
    print("load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print(f"\n{HEADER}")
    ratios: list[float] = []
    cpu_ratios: list[float] = []
    lost_total = 0
    for round_ in range(1, args.rounds + 1):
        with tempfile.TemporaryDirectory(prefix="perfluence-bench-") as tmp_name:
            tmp = Path(tmp_name)
            nginx = (
                None
                if args.skip_nginx
                else bench_nginx(tmp, args.duration, args.connections, headers)
            )
            ours, stored = bench_perfluence(tmp, args, headers)
        if nginx is not None:
            print_row(f"nginx #{round_} (302, access log)", nginx)
        print_row(f"perfluence #{round_} ({args.server})", ours)
        # wrk does not count the responses still in flight when it stops; the server
        # recorded those clicks too, so stored >= answered when nothing is lost.
        answered = ours.requests - ours.bad_status
        lost_total += max(0, answered - stored)
        print(f"{'':34} {answered} answered by perfluence, {stored} clicks stored")
        if ours.requests and ours.cpu_seconds:
            loop_us = ours.loop_cpu_seconds / ours.requests * 1e6
            rest_us = (ours.cpu_seconds - ours.loop_cpu_seconds) / ours.requests * 1e6
            print(
                f"{'':34} CPU per redirect: {loop_us:.1f} µs event loop + "
                f"{rest_us:.1f} µs click writer (and other threads)"
            )
        if nginx is not None:
            ratios.append(ours.rps / nginx.rps)
            cpu_ratios.append(ours.per_cpu_second / nginx.per_cpu_second)
    print("\nload average at the end: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print(f"clicks lost: {lost_total}")
    for label, values in (("req/s", ratios), ("req/cpu-s", cpu_ratios)):
        if values:
            listed = ", ".join(f"{r:.2f}" for r in values)
            median = statistics.median(values)
            print(f"ratio = perfluence / nginx ({label}) = {median:.2f} (median of {listed})")


if __name__ == "__main__":
    main()
