"""Every click answered with a 302 is stored: across a SIGTERM under load, and across a
database outage under load.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Coroutine, Iterator
from contextlib import suppress
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from sqlalchemy.engine import make_url

from perfluence import cli
from perfluence.config import Environment, Settings, get_settings
from perfluence.services import database, links, tracking
from perfluence.services.context import Context, open_context
from perfluence.store.engine import make_engine
from tests.integration.factories import (
    make_campaign,
    make_creator,
    make_partnership,
    make_workspace,
)
from tests.integration.test_redirect import serving

DESTINATION = "https://shop.example/landing?ref=x"
SERVE = "from perfluence.cli import main; main()"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def seed_link(ctx: Context, slug: str) -> None:
    with ctx.engine.begin() as conn:
        ws = make_workspace(conn, "kaffe")
        emma = make_creator(conn, ws, "emma")
        summer = make_campaign(conn, ws, "summer")
        make_partnership(conn, ws, summer, emma)
    links.create_link(ctx, "kaffe", "summer", "emma", DESTINATION, slug=slug)


def click_id_of(response: httpx.Response) -> str:
    return parse_qs(urlsplit(response.headers["location"]).query)["pf_cid"][0]


@pytest.fixture
def served_sqlite(tmp_path: Path) -> Iterator[tuple[Context, subprocess.Popen[bytes], int]]:
    """``perfluence serve`` in a subprocess on a fresh SQLite file with one link."""
    settings = Settings(
        env=Environment.TEST,
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'perfluence.db'}",
    )
    ctx = open_context(settings)
    database.upgrade(ctx)
    seed_link(ctx, "load")
    port = free_port()
    env = {
        **os.environ,
        "PERFLUENCE_ENV": "test",
        "PERFLUENCE_DATA_DIR": str(tmp_path),
        "PERFLUENCE_DATABASE_URL": settings.resolved_database_url,
        # No flush by time or size during the load: what is stored, the drain at shutdown wrote.
        "PERFLUENCE_CLICK_FLUSH_INTERVAL_MS": "10000",
        "PERFLUENCE_CLICK_BATCH_SIZE": "100000",
    }
    command = [sys.executable, "-c", SERVE, "serve", "--port", str(port)]
    process = subprocess.Popen(command, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        yield ctx, process, port
    finally:
        if process.poll() is None:
            process.kill()
        process.communicate()
        ctx.close()


def wait_until_up(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        assert process.poll() is None, process.communicate()[1].decode()
        with suppress(httpx.TransportError):
            if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                return
        time.sleep(0.05)
    pytest.fail("perfluence serve did not come up within 20 s")


@pytest.mark.slow
def test_sigterm_under_load_loses_no_answered_click(
    served_sqlite: tuple[Context, subprocess.Popen[bytes], int],
) -> None:
    ctx, process, port = served_sqlite
    wait_until_up(port, process)
    total, concurrency, signal_after = 2_500, 32, 600
    answered: list[str] = []
    failed = 0
    signalled_at_answer: list[int] = []

    async def hammer() -> None:
        nonlocal failed
        queue: asyncio.Queue[int] = asyncio.Queue()
        for n in range(total):
            queue.put_nowait(n)
        limits = httpx.Limits(max_connections=concurrency)
        async with httpx.AsyncClient(limits=limits, timeout=10) as client:

            async def worker() -> None:
                nonlocal failed
                while not queue.empty():
                    queue.get_nowait()
                    try:
                        response = await client.get(f"http://127.0.0.1:{port}/l/load")
                    except httpx.TransportError:
                        failed += 1
                        continue
                    assert response.status_code == 302
                    answered.append(click_id_of(response))
                    if len(answered) == signal_after:
                        signalled_at_answer.append(len(answered))
                        process.send_signal(signal.SIGTERM)

            await asyncio.gather(*(worker() for _ in range(concurrency)))

    started = time.monotonic()
    asyncio.run(hammer())
    process.wait(timeout=30)
    assert time.monotonic() - started < 30
    # uvicorn re-raises the signal once it has shut down cleanly.
    assert process.returncode in (0, -signal.SIGTERM), process.communicate()[1].decode()
    assert signalled_at_answer == [signal_after]
    assert failed > 0, "the server stopped only after the load: SIGTERM came too late to test"
    assert len(answered) >= signal_after
    assert tracking.count_stored_clicks(ctx, answered) == len(answered)


class PausableProxy:
    """A TCP proxy on 127.0.0.1 in front of a database; ``pause()`` cuts it off completely.

    While paused, open connections are closed and new ones are accepted and
    closed at once: to a client the database is unreachable.
    """

    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        self.upstream = (upstream_host, upstream_port)
        self.port = 0
        self.paused = False
        self._loop = asyncio.new_event_loop()
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self._tasks: set[asyncio.Task[None]] = set()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)

    def __enter__(self) -> PausableProxy:
        self._thread.start()
        self._call(self._start())
        return self

    def __exit__(self, *_: object) -> None:
        self._call(self._stop())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    def pause(self) -> None:
        self._call(self._cut())

    def resume(self) -> None:
        self.paused = False

    def _call(self, coro: Coroutine[Any, Any, None]) -> None:
        asyncio.run_coroutine_threadsafe(coro, self._loop).result(5)

    async def _start(self) -> None:
        self._server = await asyncio.start_server(self._accept, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def _cut(self) -> None:
        self.paused = True
        for writer in list(self._writers):
            writer.close()

    async def _stop(self) -> None:
        assert self._server is not None
        self._server.close()
        await self._cut()
        for task in list(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self.paused:
            writer.close()
            return
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.upstream)
        except OSError:
            writer.close()
            return
        self._writers.update((writer, up_writer))
        pipes = [
            asyncio.create_task(self._pipe(reader, up_writer)),
            asyncio.create_task(self._pipe(up_reader, writer)),
        ]
        self._tasks.update(pipes)
        await asyncio.gather(*pipes, return_exceptions=True)
        self._tasks.difference_update(pipes)
        self._writers.difference_update((writer, up_writer))

    @staticmethod
    async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while data := await reader.read(65536):
                writer.write(data)
                await writer.drain()
        finally:
            writer.close()


@pytest.mark.slow
def test_clicks_answered_during_a_database_outage_are_stored_after_it(
    ctx: Context, dialect: str, tmp_path: Path
) -> None:
    if dialect != "postgresql":
        pytest.skip("needs PostgreSQL (PERFLUENCE_TEST_DATABASE_URL) behind a TCP proxy")
    seed_link(ctx, "outage")
    url = make_url(ctx.settings.resolved_database_url)
    with PausableProxy(url.host or "127.0.0.1", url.port or 5432) as proxy:
        proxied = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
        settings = ctx.settings.model_copy(
            update={"database_url": proxied, "data_dir": tmp_path, "click_flush_interval_ms": 20}
        )
        served = Context(settings=settings, engine=make_engine(proxied), clock=ctx.clock)
        answered: list[str] = []

        async def scenario() -> None:
            async with serving(served) as (app, client):

                async def click_for(seconds: float) -> None:
                    until = time.monotonic() + seconds
                    while time.monotonic() < until:
                        response = await client.get("/l/outage")
                        assert response.status_code == 302
                        answered.append(click_id_of(response))
                        await asyncio.sleep(0.005)

                await click_for(1)
                proxy.pause()
                await click_for(10)
                assert app.buffer.stats["spooled"] > 0, "the outage was not noticed"
                proxy.resume()
                await click_for(1)
                # The writer retries with a backoff of at most 10 s, then replays the spool.
                deadline = time.monotonic() + 20
                while time.monotonic() < deadline:
                    stored = await asyncio.to_thread(tracking.count_stored_clicks, ctx, answered)
                    if stored == len(answered):
                        break
                    await asyncio.sleep(0.2)

        try:
            asyncio.run(scenario())
        finally:
            served.close()
    assert len(answered) > 500
    assert tracking.count_stored_clicks(ctx, answered) == len(answered)


def test_serve_refuses_a_database_that_is_not_migrated(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PERFLUENCE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("PERFLUENCE_DATABASE_URL", raising=False)
    monkeypatch.setattr(sys, "argv", ["perfluence", "serve", "--port", str(free_port())])
    get_settings.cache_clear()
    try:
        with pytest.raises(SystemExit) as exited:
            cli.main()
    finally:
        get_settings.cache_clear()
    assert exited.value.code == 9
    assert "run 'perfluence db upgrade'" in " ".join(capsys.readouterr().err.split())
