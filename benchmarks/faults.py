"""Faults under load, with real tracking nodes on PostgreSQL; each scenario prints its figures.

- ``kill9``: wrk on a tracker, which is killed with SIGKILL halfway through.
  Redirects answered (wrk's count) against clicks stored: the loss, and what it
  is worth in milliseconds of traffic next to the flush interval. Then the same
  in ``durable`` mode, where the loss must be zero.
- ``pg-restart``: wrk on two trackers while this machine's PostgreSQL is
  restarted (``pg_ctlcluster ... restart``; everything else using it sees the
  restart too). Clicks spool during the outage and are replayed after it:
  zero lost.
- ``disk-full``: the spool directory is a 64 kB tmpfs (needs root) and the
  database is cut off behind a TCP proxy, under load: the tracker keeps
  redirecting, logs why clicks cannot be spooled and counts them as dropped;
  after the outage, what was spooled is replayed.

    python benchmarks/faults.py [--scenario kill9|pg-restart|disk-full|all] [--seconds 20]
        [--rate 1000] [--server postgresql+psycopg://postgres@127.0.0.1:5432]

Needs wrk, PostgreSQL (a scratch database is created, ``--database``) and, for
pg-restart, pg_ctlcluster (Debian's postgresql-common); it reuses the tests'
TCP proxy, so run it from the repository with the dev dependencies. Exit
status 1 when a scenario's expectation fails.
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy.engine import make_url

from cluster import (
    SERVER,
    Cluster,
    check_tools,
    cluster,
    scratch_database,
    seed,
    start_wrk,
    stored_clicks,
    wait_for,
)
from perfluence.config import Settings
from perfluence.services.context import Context

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.integration.test_shutdown import PausableProxy

SLUGS = ["kill-plain", "kill-durable", "pg-a", "pg-b", "disk-full"]
FLUSH_INTERVAL_MS = Settings().click_flush_interval_ms
# What committing one batch may take on a busy machine, on top of the flush interval.
BATCH_WRITE_MS = 100


def kill9(ctx: Context, args: argparse.Namespace) -> bool:
    ok = True
    print(f"\n== kill -9 under load ({args.seconds} s of wrk, killed halfway)")
    print(
        f"{'mode':8} {'req/s':>7} {'answered':>9} {'stored':>8} {'lost':>5} "
        f"{'lost ms':>8} {'bound ms':>8} {'pending':>8}"
    )
    for durable, slug in ((False, "kill-plain"), (True, "kill-durable")):
        with cluster(ctx) as running:
            node = running.start("tracker", "tracker", running.env(durable=str(durable).lower()))
            running.wait_until_up(node)
            wrk = start_wrk(f"{node.base}/l/{slug}", args.seconds, visitors=5_000, rate=args.rate)
            time.sleep(args.seconds / 2)
            pending = node.health()["clicks"]["pending"]
            node.process.kill()
            node.process.wait()
            result = wrk.result()
        stored = stored_clicks(ctx, slug)
        # wrk counts a response only once it has it whole: each one it counts was answered.
        lost = max(0, result.redirects - stored)
        rate = result.redirects / (args.seconds / 2)
        lost_ms = lost / rate * 1000 if rate else 0.0
        mode = "durable" if durable else "default"
        bound_ms = 0 if durable else FLUSH_INTERVAL_MS + BATCH_WRITE_MS
        print(
            f"{mode:8} {rate:7.0f} {result.redirects:9d} {stored:8d} {lost:5d} "
            f"{lost_ms:8.1f} {bound_ms:8d} {pending:8d}"
        )
        if lost_ms > bound_ms:
            ok = False
            print(f"   FAILED: {mode} mode lost more than {bound_ms} ms of answered clicks")
    print(
        f"bound: default mode may lose what the writer has not committed, one flush interval "
        f"({FLUSH_INTERVAL_MS} ms) of traffic plus the batch being written (up to "
        f"{BATCH_WRITE_MS} ms here) while the writer keeps up ('pending' just before the kill); "
        "durable mode none"
    )
    return ok


def pg_restart(ctx: Context, args: argparse.Namespace) -> bool:
    version = args.pg_version or sorted(os.listdir("/etc/postgresql"))[-1]
    command = ["pg_ctlcluster", "--skip-systemctl-redirect", version, "main", "restart"]
    print(f"\n== PostgreSQL restarted under load ({' '.join(command)})")
    with cluster(ctx) as running:
        trackers = [running.start(f"tracker-{x}", "tracker") for x in ("a", "b")]
        running.wait_until_up(*trackers)
        runs = [
            start_wrk(f"{t.base}/l/pg-{t.name[-1]}", args.seconds, visitors=5_000, rate=args.rate)
            for t in trackers
        ]
        time.sleep(min(5, args.seconds / 4))
        started = time.monotonic()
        subprocess.run(command, check=True, capture_output=True)
        restart_s = time.monotonic() - started
        results = [run.result() for run in runs]
        answered = {t.name: r.redirects for t, r in zip(trackers, results, strict=True)}
        non_3xx = sum(r.non_3xx for r in results)

        def caught_up() -> bool:
            return all(stored_clicks(ctx, f"pg-{t.name[-1]}") >= answered[t.name] for t in trackers)

        # The writer retries with a backoff of at most 10 s, then replays the spool in order.
        catch_up_started = time.monotonic()
        wait_for(caught_up, 60, step=0.5)
        catch_up_s = time.monotonic() - catch_up_started
        counters = [t.health()["clicks"] for t in trackers]
        for tracker in trackers:
            running.stop(tracker)
    print(f"restart took {restart_s:.1f} s; stored caught up {catch_up_s:.1f} s after wrk ended")
    print(
        f"{'tracker':10} {'answered':>9} {'stored':>8} {'lost':>5} {'spooled':>8} {'replayed':>9}"
    )
    lost_total = 0
    for tracker, counter in zip(trackers, counters, strict=True):
        stored = stored_clicks(ctx, f"pg-{tracker.name[-1]}")
        lost = max(0, answered[tracker.name] - stored)
        lost_total += lost
        print(
            f"{tracker.name:10} {answered[tracker.name]:9d} {stored:8d} {lost:5d} "
            f"{counter['spooled']:8d} {counter['replayed']:9d}"
        )
    print(f"non-3xx answers during the restart: {non_3xx}; clicks lost: {lost_total}")
    return lost_total == 0 and non_3xx == 0


def disk_full(ctx: Context, args: argparse.Namespace) -> bool:
    print("\n== spool disk full while the database is unreachable")
    url = make_url(ctx.settings.resolved_database_url)
    with cluster(ctx) as running, PausableProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        spool = running.data_dir / "spool"
        spool.mkdir()
        mount = ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", str(spool)]
        mounted = subprocess.run(mount, capture_output=True, text=True, check=False)
        if mounted.returncode != 0:
            print(f"skipped: cannot mount a tmpfs ({mounted.stderr.strip()}); run as root")
            return True
        try:
            return _disk_full_under_load(ctx, args, running, proxy, url.port or 5432)
        finally:
            subprocess.run(["umount", "-l", str(spool)], check=False)


def _disk_full_under_load(
    ctx: Context, args: argparse.Namespace, running: Cluster, proxy: PausableProxy, port: int
) -> bool:
    proxied = make_url(ctx.settings.resolved_database_url).set(host="127.0.0.1", port=proxy.port)
    env = running.env(database_url=proxied.render_as_string(hide_password=False))
    node = running.start("tracker", "tracker", env)
    running.wait_until_up(node)
    wrk = start_wrk(f"{node.base}/l/disk-full", args.seconds, visitors=5_000, rate=args.rate)
    time.sleep(2)
    proxy.pause()
    outage_started = time.monotonic()
    time.sleep(max(1.0, args.seconds - 4))
    during = node.health()
    proxy.resume()
    outage_s = time.monotonic() - outage_started
    result = wrk.result()
    # Once the buffer is empty every answered click is stored, spooled or counted as dropped.
    wait_for(lambda: node.health()["clicks"]["pending"] == 0, 30)
    time.sleep(0.2)  # the writer may still hold the last batch it took from the buffer
    counters = node.health()["clicks"]
    running.stop(node)
    # What was spooled before the disk filled is replayed by the next start.
    again = running.start("tracker-again", "tracker", running.env())
    running.wait_until_up(again)
    running.stop(again)
    stored = stored_clicks(ctx, "disk-full")
    dropped = counters["dropped"]
    # The writer says why, with the operating system's error (ENOSPC here).
    errors = [ln for ln in node.log_text().splitlines() if "spool" in ln and "Errno" in ln]
    print(f"outage {outage_s:.1f} s (port {port} cut off); health during it: {during['status']}")
    print(
        f"answered {result.redirects}, non-3xx {result.non_3xx}, stored {stored}, "
        f"spooled {counters['spooled']}, dropped (counted) {dropped}, "
        f"unaccounted {max(0, result.redirects - stored - dropped)}"
    )
    print(f"log lines about the spool: {len(errors)}; first: {errors[0] if errors else '-'}")
    return (
        result.non_3xx == 0
        and during["status"] == "degraded"
        and dropped > 0
        and bool(errors)
        and stored + dropped >= result.redirects
    )


SCENARIOS: dict[str, Callable[[Context, argparse.Namespace], bool]] = {
    "kill9": kill9,
    "pg-restart": pg_restart,
    "disk-full": disk_full,
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", choices=[*SCENARIOS, "all"], default="all")
    parser.add_argument("--seconds", type=float, default=20.0, help="wrk run per scenario")
    parser.add_argument("--rate", type=float, default=1_000, help="most requests/s per tracker")
    parser.add_argument("--server", default=SERVER, help="PostgreSQL server URL (no database)")
    parser.add_argument("--database", default="perfluence_faults", help="scratch database name")
    parser.add_argument("--pg-version", help="cluster version for pg_ctlcluster (default: newest)")
    args = parser.parse_args()
    check_tools(*(["pg_ctlcluster"] if args.scenario in {"pg-restart", "all"} else []))
    print(f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {os.cpu_count()} cores")
    print("load average at start: {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    chosen = list(SCENARIOS) if args.scenario == "all" else [args.scenario]
    ok = True
    with scratch_database(args.server, args.database) as ctx:
        seed(ctx, SLUGS)
        for name in chosen:
            ok &= SCENARIOS[name](ctx, args)
    print("\nall expectations met" if ok else "\nSOME EXPECTATIONS FAILED")
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
