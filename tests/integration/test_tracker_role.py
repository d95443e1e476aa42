"""``perfluence serve --role``: what a tracking node and an app node answer, the refusals on
SQLite, and two tracking nodes writing to one PostgreSQL without losing or doubling a click.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator, MutableMapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from perfluence import cli
from perfluence.config import Environment, Settings, get_settings
from perfluence.services import database, links, tracking
from perfluence.services.context import Context, open_context
from perfluence.web.app import create_api_app, create_tracker_app
from tests.integration.test_shutdown import click_id_of, free_port, seed_link
from tests.integration.tracker_nodes import (
    click_through,
    node_env,
    running,
    start_node,
    stop,
    stored,
)

ASGIApp = Any


@asynccontextmanager
async def lifespan_of(app: ASGIApp) -> AsyncIterator[httpx.AsyncClient]:
    """``app`` started through its ASGI lifespan, and a client; shut down (drained) after."""
    inbox: asyncio.Queue[MutableMapping[str, Any]] = asyncio.Queue()
    outbox: asyncio.Queue[MutableMapping[str, Any]] = asyncio.Queue()
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}
    task = asyncio.create_task(app(scope, inbox.get, outbox.put))
    await inbox.put({"type": "lifespan.startup"})
    assert (await outbox.get())["type"] == "lifespan.startup.complete"
    transport = httpx.ASGITransport(app=app, client=("203.0.113.7", 51000))
    try:
        async with httpx.AsyncClient(transport=transport, base_url="http://go.example") as client:
            yield client
    finally:
        await inbox.put({"type": "lifespan.shutdown"})
        assert (await outbox.get())["type"] == "lifespan.shutdown.complete"
        await task


def test_a_tracker_answers_the_tracking_paths_and_nothing_else(ctx: Context) -> None:
    seed_link(ctx, "emma")

    async def scenario() -> dict[str, httpx.Response]:
        async with lifespan_of(create_tracker_app(ctx)) as client:
            return {
                "redirect": await client.get("/l/emma"),
                "health": await client.get("/healthz"),
                "snippet": await client.get("/t.js"),
                "api": await client.get("/api/v1/campaigns"),
                "openapi": await client.get("/api/v1/openapi.json"),
                "dashboard": await client.get("/"),
                "webhook": await client.post("/webhooks/shopify/kaffe", content=b"{}"),
            }

    answers = asyncio.run(scenario())
    assert answers["redirect"].status_code == 302
    health = answers["health"].json()
    assert (health["status"], health["role"]) == ("ok", "tracker")
    assert health["clicks"]["enqueued"] == 1
    assert answers["snippet"].status_code == 200
    assert answers["snippet"].headers["content-type"].startswith("application/javascript")
    for name in ("api", "openapi", "dashboard", "webhook"):
        assert answers[name].status_code == 404, name
        assert answers[name].json()["error"]["code"] == "not_found"
    # Drained at shutdown: the tracker is the click writer.
    assert tracking.count_stored_clicks(ctx, [click_id_of(answers["redirect"])]) == 1


def test_an_app_node_serves_the_api_but_no_redirect(ctx: Context) -> None:
    seed_link(ctx, "emma")

    async def scenario() -> dict[str, httpx.Response]:
        async with lifespan_of(create_api_app(ctx)) as client:
            return {
                "redirect": await client.get("/l/emma"),
                "health": await client.get("/healthz"),
                "openapi": await client.get("/api/v1/openapi.json"),
                "api": await client.get("/api/v1/campaigns"),
                "snippet": await client.get("/t.js"),
            }

    answers = asyncio.run(scenario())
    assert answers["redirect"].status_code == 404
    assert "location" not in answers["redirect"].headers
    assert answers["health"].json() == {"status": "ok", "role": "app", "database": True}
    assert answers["openapi"].status_code == 200
    assert answers["api"].status_code == 401  # the API is there; it wants a key
    assert answers["snippet"].status_code == 200


def run_cli(monkeypatch: pytest.MonkeyPatch, data_dir: Path, *args: str) -> int:
    monkeypatch.setenv("PERFLUENCE_DATA_DIR", str(data_dir))
    monkeypatch.setenv("PERFLUENCE_ENV", "test")
    monkeypatch.delenv("PERFLUENCE_DATABASE_URL", raising=False)
    monkeypatch.setattr(sys, "argv", ["perfluence", "serve", "--port", str(free_port()), *args])
    get_settings.cache_clear()
    try:
        with pytest.raises(SystemExit) as exited:
            cli.main()
    finally:
        get_settings.cache_clear()
    return int(exited.value.code or 0)


@pytest.fixture
def sqlite_dir(tmp_path: Path) -> Path:
    settings = Settings(env=Environment.TEST, data_dir=tmp_path)
    migrated = open_context(settings)
    try:
        database.upgrade(migrated)
    finally:
        migrated.close()
    return tmp_path


def test_several_tracker_workers_on_sqlite_are_refused(
    sqlite_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_cli(monkeypatch, sqlite_dir, "--role", "tracker", "--workers", "2")
    assert code == 9
    message = " ".join(capsys.readouterr().err.split())
    assert "--role tracker with several workers needs PostgreSQL" in message
    assert "Traceback" not in message


@pytest.mark.slow
def test_a_second_tracker_on_one_sqlite_file_is_refused(
    sqlite_dir: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    settings = Settings(env=Environment.TEST, data_dir=sqlite_dir)
    served = open_context(settings)
    first = start_node(node_env(served, sqlite_dir), sqlite_dir / "first.log", "--role", "tracker")
    try:
        with running([first]):
            code = run_cli(monkeypatch, sqlite_dir, "--role", "tracker")
            assert first.process.poll() is None
    finally:
        served.close()
    assert code == 9
    message = " ".join(capsys.readouterr().err.split())
    assert "another tracker already writes clicks to" in message


@pytest.mark.slow
def test_two_trackers_on_postgresql_store_every_answered_click_once(
    ctx: Context, dialect: str, tmp_path: Path
) -> None:
    if dialect != "postgresql":
        pytest.skip("several tracking nodes need PostgreSQL (PERFLUENCE_TEST_DATABASE_URL)")
    seed_link(ctx, "one")
    # A second link in the same partnership, to spread the clicks over two links.
    links.create_link(ctx, "kaffe", "summer", "emma", "https://shop.example/two", slug="two")
    env = node_env(ctx, tmp_path)
    nodes = [start_node(env, tmp_path / f"node{n}.log", "--role", "tracker") for n in (1, 2)]
    with running(nodes):
        load = click_through(nodes, ["one", "two"], total=3_000, visitors=50)
        for node in nodes:
            stop(node)
    assert load.statuses == {302: 3_000}, load
    assert load.transport_errors == 0
    assert len(set(load.answered)) == len(load.answered), "a click id was handed out twice"
    assert tracking.count_stored_clicks(ctx, load.answered) == len(load.answered)
    found = stored(ctx)
    assert found.clicks == found.distinct_click_ids == 3_000
    assert found.rollup_clicks == 3_000
    # 50 visitors x 2 links, each seen by both nodes: exactly one unique click per pair.
    assert found.inconsistent_visitors == 0, found
    assert found.unique_flags == found.rollup_unique == 100, found
