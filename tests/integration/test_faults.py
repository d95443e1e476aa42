"""Faults under load, end to end with real tracking processes (the fast variants).

- kill -9 of a tracker in ``durable`` mode: every redirect answered is stored.
- the spool's disk is full while the database is away: the tracker keeps
  redirecting, says so in its log and health, and every answered click is
  either stored or counted as dropped.

The long variants (kill -9 without durable mode, PostgreSQL restarted under
load, a minutes-long disk-full outage) are ``benchmarks/faults.py``.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import make_url

from perfluence.config import Environment, Settings
from perfluence.services import database, tracking
from perfluence.services.context import Context, open_context
from tests.integration.test_shutdown import PausableProxy, seed_link
from tests.integration.tracker_nodes import (
    Load,
    click_through,
    node_env,
    running,
    start_node,
    stop,
)


@pytest.fixture
def sqlite_ctx(tmp_path: Path) -> Iterator[Context]:
    settings = Settings(
        env=Environment.TEST,
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'perfluence.db'}",
    )
    ctx = open_context(settings)
    database.upgrade(ctx)
    seed_link(ctx, "load")
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.mark.slow
def test_kill_9_in_durable_mode_loses_no_answered_click(
    sqlite_ctx: Context, tmp_path: Path
) -> None:
    env = node_env(sqlite_ctx, tmp_path, durable="true")
    node = start_node(env, tmp_path / "tracker.log", "--role", "tracker")
    killed_at: list[int] = []

    def kill_after_400(load: Load) -> None:
        if len(load.answered) >= 400 and not killed_at:
            killed_at.append(len(load.answered))
            node.process.send_signal(signal.SIGKILL)

    with running([node]):
        load = click_through([node], ["load"], total=2_000, after_each=kill_after_400)
    assert node.process.returncode == -signal.SIGKILL
    assert killed_at, "the tracker was never killed"
    assert load.transport_errors > 0, "the load ended before the kill: nothing was tested"
    assert set(load.statuses) == {302}, load.statuses
    assert tracking.count_stored_clicks(sqlite_ctx, load.answered) == len(load.answered)


def wait_until_stored(ctx: Context, click_ids: list[str], timeout: float = 10) -> None:
    deadline = time.monotonic() + timeout
    while tracking.count_stored_clicks(ctx, click_ids) < len(click_ids):
        assert time.monotonic() < deadline, "the clicks before the outage were not stored"
        time.sleep(0.05)


def settled_health(base: str, timeout: float = 10) -> httpx.Response:
    """``/healthz`` once the buffer is empty: every click answered is stored, spooled or dropped."""
    deadline = time.monotonic() + timeout
    while True:
        if httpx.get(f"{base}/healthz", timeout=5).json()["clicks"]["pending"] == 0:
            break
        assert time.monotonic() < deadline, "the click buffer did not empty"
        time.sleep(0.05)
    # The writer may still hold the last batch it took from the buffer: let it finish.
    time.sleep(0.2)
    return httpx.get(f"{base}/healthz", timeout=5)


@dataclass(frozen=True)
class SpoolDisk:
    path: Path
    tmpfs: bool  # False: /dev/full stands in, and nothing at all can be spooled


@pytest.fixture
def full_spool(tmp_path: Path) -> Iterator[SpoolDisk]:
    """A spool directory on a 128 kB tmpfs (root), else a path that cannot hold a directory."""
    spool = tmp_path / "data" / "spool"
    spool.mkdir(parents=True)
    mounted = os.geteuid() == 0 and (
        subprocess.run(
            ["mount", "-t", "tmpfs", "-o", "size=128k", "tmpfs", str(spool)],
            capture_output=True,
            check=False,
        ).returncode
        == 0
    )
    if not mounted:
        # Not root: /dev/full in place of the directory; every spool write fails the same way.
        spool.rmdir()
        spool.symlink_to("/dev/full")
    try:
        yield SpoolDisk(spool, mounted)
    finally:
        if mounted:
            subprocess.run(["umount", "-l", str(spool)], check=False)


@pytest.mark.slow
def test_a_full_spool_disk_during_an_outage_keeps_the_redirects_going(
    ctx: Context, dialect: str, full_spool: SpoolDisk
) -> None:
    if dialect != "postgresql":
        pytest.skip("needs PostgreSQL (PERFLUENCE_TEST_DATABASE_URL) behind a TCP proxy")
    seed_link(ctx, "outage")
    url = make_url(ctx.settings.resolved_database_url)
    data_dir = full_spool.path.parent
    with PausableProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        env = {
            **node_env(ctx, data_dir, click_flush_interval_ms="20"),
            "PERFLUENCE_DATABASE_URL": proxied,
        }
        node = start_node(env, data_dir / "tracker.log", "--role", "tracker")
        with running([node]):
            before = click_through([node], ["outage"], total=300)
            wait_until_stored(ctx, before.answered)
            proxy.pause()
            # In small steps, so the spool takes a few batches before the disk is full.
            during = Load()
            for _ in range(10):
                step = click_through([node], ["outage"], total=150)
                during.answered += step.answered
                for status, count in step.statuses.items():
                    during.statuses[status] = during.statuses.get(status, 0) + count
                time.sleep(0.1)
            health = settled_health(node.base)
            proxy.resume()
            stop(node)
        # What was spooled before the disk filled is replayed when a tracker starts again.
        again = start_node(env, data_dir / "again.log", "--role", "tracker")
        with running([again]):
            stop(again)
    log = node.stderr()
    assert set(before.statuses) == set(during.statuses) == {302}, (before, during)
    assert health.status_code == 503
    counters = health.json()["clicks"]
    if full_spool.tmpfs:
        assert counters["spooled"] > 0, counters
    assert counters["dropped"] > 0, counters
    # Said once, with the operating system's reason (ENOSPC on the tmpfs).
    assert any("spool" in line and "Errno" in line for line in log.splitlines()), log
    answered = before.answered + during.answered
    kept = tracking.count_stored_clicks(ctx, answered)
    assert kept >= len(before.answered) + counters["spooled"]
    # Every click answered is stored or counted as dropped: none is silently gone.
    assert kept + counters["dropped"] >= len(answered), (kept, counters)
