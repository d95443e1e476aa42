"""``/t.js`` in a real browser: the click id lands in a cookie on the shop's registrable domain.

A local server plays the shop (its pages load the snippet, and it answers
Shopify's ``/cart/update.js``); Chromium resolves every host name to it, so
the pages can live on ``www.kaffe.co.uk`` and the browser's own public suffix
list decides which domains take a cookie.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from importlib.resources import files
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Page, sync_playwright

from tests.e2e.conftest import CHROMIUM_ARGS

SNIPPET = files("perfluence.web").joinpath("static", "t.js").read_bytes()
CLICK_ID = "0PnjEGiWL0i0cjr0lZmIfG"
LATER_CLICK_ID = "0PnkAAiWL0i0cjr0lZm~fG"
NINETY_DAYS = 90 * 24 * 3600


class Shop(BaseHTTPRequestHandler):
    """Pages that load the snippet (with ``data-shopify`` under /shopify/), and the cart API."""

    cart_updates: list[dict[str, Any]] = []  # noqa: RUF012 - one server per test, reset by the fixture

    def do_GET(self) -> None:
        if self.path == "/t.js":
            self._answer(SNIPPET, "application/javascript; charset=utf-8")
            return
        flag = " data-shopify" if self.path.startswith("/shopify/") else ""
        page = f'<!doctype html><title>Shop</title><script src="/t.js"{flag}></script>'
        self._answer(page.encode(), "text/html; charset=utf-8")

    def do_POST(self) -> None:
        length = int(self.headers.get("content-length", "0"))
        self.cart_updates.append(json.loads(self.rfile.read(length)))
        self._answer(b"{}", "application/json")

    def _answer(self, body: bytes, content_type: str) -> None:
        self.send_response(200)
        self.send_header("content-type", content_type)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def shop_port() -> Iterator[int]:
    Shop.cart_updates = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), Shop)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield int(server.server_address[1])
    finally:
        server.shutdown()
        server.server_close()


def visit(chromium_path: Path, urls: list[str]) -> tuple[list[Any], list[dict[str, Any]]]:
    """Open each URL in one browser context; each page's ``clickId()``, and the cookies."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=str(chromium_path),
            headless=True,
            args=[*CHROMIUM_ARGS, "--host-resolver-rules=MAP * 127.0.0.1"],
        )
        try:
            context = browser.new_context()
            page: Page = context.new_page()
            seen = []
            for url in urls:
                page.goto(url)
                seen.append(page.evaluate("window.perfluence.clickId()"))
            page.wait_for_load_state("networkidle")
            cookies: list[dict[str, Any]] = [dict(c) for c in context.cookies()]
        finally:
            browser.close()
    return seen, cookies


@pytest.mark.browser
def test_the_click_id_is_kept_on_the_registrable_domain(
    chromium_path: Path, shop_port: int
) -> None:
    seen, cookies = visit(
        chromium_path,
        [
            f"http://www.kaffe.co.uk:{shop_port}/landing?utm_source=ig&pf_cid={CLICK_ID}",
            f"http://butik.kaffe.co.uk:{shop_port}/cart",
            f"http://kaffe.co.uk:{shop_port}/landing?pf_cid={LATER_CLICK_ID}",
            f"http://www.kaffe.co.uk:{shop_port}/cart",
        ],
    )
    # Shared by every subdomain; a later click replaces the id (last click wins).
    assert seen == [CLICK_ID, CLICK_ID, LATER_CLICK_ID, LATER_CLICK_ID]
    assert not [c for c in cookies if c["name"] == "pf_t"]
    (cookie,) = [c for c in cookies if c["name"] == "pf_cid"]
    # co.uk is a public suffix: the browser refused it, kaffe.co.uk took the cookie.
    assert cookie["domain"] == ".kaffe.co.uk"
    assert cookie["value"] == LATER_CLICK_ID
    assert cookie["path"] == "/"
    assert cookie["sameSite"] == "Lax"
    assert not cookie["secure"]  # plain http; Secure is added on https
    assert abs(cookie["expires"] - (time.time() + NINETY_DAYS)) < 120
    assert Shop.cart_updates == []  # no data-shopify on these pages


@pytest.mark.browser
def test_on_shopify_the_click_id_becomes_a_cart_attribute(
    chromium_path: Path, shop_port: int
) -> None:
    seen, _ = visit(
        chromium_path, [f"http://kaffe.example:{shop_port}/shopify/landing?pf_cid={CLICK_ID}"]
    )
    assert seen == [CLICK_ID]
    assert Shop.cart_updates == [{"attributes": {"pf_cid": CLICK_ID}}]


@pytest.mark.browser
def test_a_value_that_is_not_a_click_id_is_not_stored(chromium_path: Path, shop_port: int) -> None:
    seen, cookies = visit(
        chromium_path,
        [
            f"http://kaffe.example:{shop_port}/shopify/landing?pf_cid=<script>",
            f"http://127.0.0.1:{shop_port}/landing?pf_cid={CLICK_ID[:-1]}",
        ],
    )
    assert seen == [None, None]
    assert [c for c in cookies if c["name"] == "pf_cid"] == []
    assert Shop.cart_updates == []


@pytest.mark.browser
def test_on_an_ip_address_the_cookie_is_host_only(chromium_path: Path, shop_port: int) -> None:
    seen, cookies = visit(
        chromium_path, [f"http://127.0.0.1:{shop_port}/landing?pf_cid={CLICK_ID}"]
    )
    assert seen == [CLICK_ID]
    (cookie,) = [c for c in cookies if c["name"] == "pf_cid"]
    assert cookie["domain"] == "127.0.0.1"
