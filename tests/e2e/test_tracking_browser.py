"""A real browser follows a tracking link: perfluence serve, a landing page, Chromium.

Checks what a marketer relies on: the visitor lands on the shop's page with the
shop's own query and fragment intact plus the UTM parameters and the click id,
the click is stored with the right link and device, and a second visit from
the same person is not unique.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest
from playwright.sync_api import sync_playwright

from perfluence.config import Environment, Settings
from perfluence.services import database, links, tracking
from perfluence.services.context import Context, open_context
from tests.e2e.conftest import CHROMIUM_ARGS
from tests.integration.factories import (
    make_campaign,
    make_creator,
    make_partnership,
    make_workspace,
)
from tests.integration.test_shutdown import SERVE, free_port, wait_until_up

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1"
)


class LandingPage(BaseHTTPRequestHandler):
    """The shop: answers ``/landing`` and remembers what it was asked for."""

    seen: list[str] = []  # noqa: RUF012 - one server per test, reset by the fixture

    def do_GET(self) -> None:
        self.seen.append(self.path)
        ok = self.path.startswith("/landing")
        body = b"<!doctype html><title>Shop</title><h1>Landing</h1>" if ok else b"not here"
        self.send_response(200 if ok else 404)
        self.send_header("content-type", "text/html; charset=utf-8")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def landing() -> Iterator[int]:
    LandingPage.seen = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), LandingPage)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def perfluence(tmp_path: Path, landing: int) -> Iterator[tuple[Context, int, str, int]]:
    """``perfluence serve`` on a fresh SQLite file with one link to the landing page."""
    settings = Settings(
        env=Environment.TEST,
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'perfluence.db'}",
    )
    ctx = open_context(settings)
    database.upgrade(ctx)
    with ctx.engine.begin() as conn:
        ws = make_workspace(conn, "kaffe")
        emma = make_creator(conn, ws, "emma", platform="tiktok")
        summer = make_campaign(conn, ws, "summer")
        make_partnership(conn, ws, summer, emma)
    destination = f"http://127.0.0.1:{landing}/landing?ref=x#top"
    link = links.create_link(ctx, "kaffe", "summer", "emma", destination)
    port = free_port()
    env = {
        **os.environ,
        "PERFLUENCE_ENV": "test",
        "PERFLUENCE_DATA_DIR": str(tmp_path),
        "PERFLUENCE_DATABASE_URL": settings.resolved_database_url,
        "PERFLUENCE_CLICK_FLUSH_INTERVAL_MS": "20",
    }
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_until_up(port, process)
        yield ctx, port, link.slug, link.id
    finally:
        process.terminate()
        process.communicate(timeout=30)
        ctx.close()


def stored_click(ctx: Context, click_id: str) -> tracking.StoredClick:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        found = tracking.find_click(ctx, click_id)
        if found is not None:
            return found
        time.sleep(0.05)
    pytest.fail(f"click {click_id} was not stored within 10 s")


@pytest.mark.browser
def test_a_browser_lands_with_utm_and_click_id_and_the_click_is_stored(
    chromium_path: Path, perfluence: tuple[Context, int, str, int], landing: int
) -> None:
    ctx, port, slug, link_id = perfluence
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium_path), headless=True, args=CHROMIUM_ARGS
        )
        try:
            context = browser.new_context(user_agent=IPHONE)
            page = context.new_page()
            page.goto(f"http://127.0.0.1:{port}/l/{slug}?sub=bio")
            first_url = page.url
            cookies = {c["name"]: c for c in context.cookies(f"http://127.0.0.1:{port}/")}
            page.goto(f"http://127.0.0.1:{port}/l/{slug}")
            second_url = page.url
        finally:
            browser.close()

    landed = urlsplit(first_url)
    query = parse_qs(landed.query)
    assert (landed.netloc, landed.path) == (f"127.0.0.1:{landing}", "/landing")
    assert landed.fragment == "top"
    assert query["ref"] == ["x"]
    assert query["utm_source"] == ["tiktok"]
    assert query["utm_medium"] == ["influencer"]
    assert query["utm_campaign"] == ["summer"]
    assert query["utm_content"] == ["emma"]
    assert "sub" not in query
    (click_id,) = query["pf_cid"]
    # The shop's server saw the same query (the fragment stays in the browser).
    assert LandingPage.seen[0] == f"{landed.path}?{landed.query}"
    assert cookies["pf_cid"]["value"] == click_id
    assert cookies["pf_cid"]["httpOnly"]

    first = stored_click(ctx, click_id)
    assert first.link_id == link_id
    assert first.sub_id == "bio"
    assert first.device == "mobile"
    assert not first.is_bot
    assert first.is_unique

    (second_id,) = parse_qs(urlsplit(second_url).query)["pf_cid"]
    assert second_id != click_id
    second = stored_click(ctx, second_id)
    assert second.link_id == link_id
    assert not second.is_unique
