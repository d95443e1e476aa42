"""A marketer in a real browser: log in, build a campaign, follow a link, see the sale.

Then the same in Danish, and the creator's portal showing that creator only.
A second test walks the demo workspace and saves screenshots of every main
page (desktop and phone) into ``tests/e2e/screenshots/``; the campaign page
is copied to ``docs/screenshots/campaign.png`` for the README. Any console
error or uncaught page error fails a test.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from playwright.sync_api import (
    Browser,
    ConsoleMessage,
    Page,
    Playwright,
    ViewportSize,
    expect,
    sync_playwright,
)

from perfluence.config import Environment, Settings
from perfluence.services import api_keys, database, demo, tracking, users, workspaces
from perfluence.services.context import Context, open_context
from tests.e2e.conftest import CHROMIUM_ARGS
from tests.e2e.test_tracking_browser import landing  # noqa: F401 - a fixture
from tests.integration.test_shutdown import SERVE, free_port, wait_until_up

SHOTS = Path(__file__).parent / "screenshots"
README_SHOT = Path(__file__).parents[2] / "docs" / "screenshots" / "campaign.png"
PASSWORD = "correct horse battery staple"
DESKTOP: ViewportSize = {"width": 1280, "height": 900}
PHONE: ViewportSize = {"width": 390, "height": 844}
# Headless Chromium says "HeadlessChrome", which the tracker rightly flags as a bot.
PERSON = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/131.0.0.0 Safari/537.36"
)


@dataclass
class Server:
    ctx: Context
    base: str
    track_key: str


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Server]:
    settings = Settings(
        env=Environment.TEST,
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'perfluence.db'}",
    )
    ctx = open_context(settings)
    database.upgrade(ctx)
    workspaces.create_workspace(ctx, "kaffe", "Kaffebaren", currency="DKK")
    users.create_user(ctx, "maria@kaffe.dk", PASSWORD, workspace="kaffe", role="owner")
    key = api_keys.create_api_key(ctx, "kaffe", "shop", ["track"]).token
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "PERFLUENCE_ENV": "test",
        "PERFLUENCE_DATA_DIR": str(tmp_path),
        "PERFLUENCE_DATABASE_URL": settings.resolved_database_url,
        "PERFLUENCE_BASE_URL": base,
        "PERFLUENCE_CLICK_FLUSH_INTERVAL_MS": "20",
        "PERFLUENCE_LINK_CACHE_REFRESH_MS": "50",
    }
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_until_up(port, process)
        yield Server(ctx, base, key)
    finally:
        process.terminate()
        _, err = process.communicate(timeout=30)
        ctx.close()
        # The server logs every unhandled error; a dashboard page must never cause one.
        assert b"Traceback" not in err, err.decode()


class Console:
    """Every console error and uncaught exception of the pages it watches."""

    def __init__(self) -> None:
        self.errors: list[str] = []

    def watch(self, page: Page) -> Page:
        page.on("console", self._message)
        page.on("pageerror", lambda exc: self.errors.append(f"pageerror: {exc}"))
        return page

    def _message(self, message: ConsoleMessage) -> None:
        if message.type == "error":
            self.errors.append(f"{message.text} @ {message.location.get('url')}")


def launch(playwright: Playwright, chromium: Path) -> Browser:
    return playwright.chromium.launch(
        executable_path=str(chromium), headless=True, args=CHROMIUM_ARGS
    )


def log_in(page: Page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", password)
    page.click("form[action='/login'] button[type=submit]")


def stored_click(ctx: Context, click_id: str) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        if tracking.find_click(ctx, click_id) is not None:
            return
        time.sleep(0.05)
    pytest.fail(f"click {click_id} was not stored within 10 s")


def shoot(page: Page, name: str) -> Path:
    SHOTS.mkdir(exist_ok=True)
    path = SHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@pytest.mark.browser
def test_campaign_link_sale_language_and_portal(
    chromium_path: Path,
    server: Server,
    landing: int,  # noqa: F811 - the fixture imported above
) -> None:
    base = server.base
    console = Console()
    with sync_playwright() as playwright:
        browser = launch(playwright, chromium_path)
        try:
            context = browser.new_context(viewport=DESKTOP, user_agent=PERSON)
            page = console.watch(context.new_page())
            log_in(page, base, "maria@kaffe.dk", PASSWORD)
            expect(page).to_have_url(f"{base}/w/kaffe/")

            # A campaign, through the form.
            page.click("text=New campaign")
            page.fill("input[name=name]", "Summer coffee")
            page.fill("input[name=slug]", "summer")
            page.fill("input[name=budget]", "5000")
            page.fill("input[name=target_roas]", "2")
            page.click("form button[type=submit].primary")
            expect(page).to_have_url(f"{base}/w/kaffe/campaigns/summer")
            expect(page.locator("h1")).to_contain_text("Summer coffee")

            # Two creators; only one will sell.
            for handle, name in (("emma", "Emma Holm"), ("otto", "Otto Berg")):
                page.goto(f"{base}/w/kaffe/creators")
                page.fill("#add-creator input[name=handle]", handle)
                page.fill("#add-creator input[name=name]", name)
                page.fill("#add-creator input[name=country]", "DK")
                page.fill("#add-creator input[name=followers]", "12000")
                page.click("#add-creator button[type=submit]")
                expect(page).to_have_url(f"{base}/w/kaffe/creators/{handle}")

            # Both into the campaign.
            for handle in ("emma", "otto"):
                page.goto(f"{base}/w/kaffe/campaigns/summer")
                page.select_option("#add-partnership select[name=creator]", handle)
                page.click("#add-partnership button[type=submit]")
                expect(page.locator("#creator-table")).to_contain_text(f"@{handle}")

            # A tracking link for emma to the shop's landing page.
            page.goto(f"{base}/w/kaffe/links")
            page.select_option("#new-link select[name=partnership]", "summer/emma")
            page.fill("#new-link input[name=destination]", f"http://127.0.0.1:{landing}/landing")
            page.click("#new-link button[type=submit]")
            short = page.locator("#link-table code").first.inner_text()
            assert re.fullmatch(rf"{re.escape(base)}/l/[A-Za-z0-9_-]+", short), short

            # A visitor follows it (the link cache refreshes every 50 ms).
            time.sleep(0.3)
            visitor = context.new_page()
            visitor.goto(short)
            landed = urlsplit(visitor.url)
            assert landed.path == "/landing"
            (click_id,) = parse_qs(landed.query)["pf_cid"]
            visitor.close()
            stored_click(server.ctx, click_id)

            # The shop reports the sale through the API.
            sale = httpx.post(
                f"{base}/api/v1/track/sale",
                headers={"Authorization": f"Bearer {server.track_key}"},
                json={
                    "external_id": "order-1001",
                    "amount": "1234.50",
                    "currency": "DKK",
                    "click_id": click_id,
                },
                timeout=10,
            )
            assert sale.status_code == 201, sale.text
            assert sale.json()["creator_handle"] == "emma", sale.json()["reason"]

            # The campaign page shows it.
            page.goto(f"{base}/w/kaffe/campaigns/summer")
            revenue = page.locator("[data-kpi=revenue] .kpi-value")
            expect(revenue).to_have_text("DKK1,234.50")
            emma_row = page.locator("#creator-table tbody tr", has_text="@emma")
            expect(emma_row.locator("td[data-label=Conversions]")).to_have_text("1")
            expect(page.locator("[data-kpi=roas]")).to_have_class(re.compile(r"kpi-(met|none)"))
            shoot(page, "e2e-campaign")

            # The conversion and why it was attributed.
            page.goto(f"{base}/w/kaffe/conversions?q=order-1001")
            page.click("#conversion-table a:has-text('order-1001')")
            expect(page.locator(".reason")).not_to_be_empty()

            # Danish: words and number formats change.
            page.goto(f"{base}/w/kaffe/campaigns/summer")
            page.click("nav.langs a[hreflang=da]")
            expect(page).to_have_url(f"{base}/w/kaffe/campaigns/summer")
            expect(page.locator("[data-kpi=revenue] .kpi-label")).to_have_text("Omsætning")
            expect(revenue).to_have_text("1.234,50\xa0kr.")
            expect(page.locator("nav.tabs")).to_contain_text("Udbetalinger")

            # The creator portal: emma's link opens emma's page and nobody else's.
            page.goto(f"{base}/w/kaffe/creators/emma")
            page.click("form[action$='/portal-link'] button")
            portal_url = page.locator("#portal-url").inner_text()
            assert portal_url.startswith(f"{base}/portal/")
            stranger = browser.new_context(viewport=PHONE)
            portal = console.watch(stranger.new_page())
            portal.goto(portal_url)
            body = portal.locator("main")
            expect(body).to_contain_text("@emma")
            expect(body).to_contain_text(short)
            # The creator lives in Denmark: their portal speaks Danish.
            expect(portal.locator("#portal-campaigns")).to_contain_text("1.234,50\xa0kr.")
            assert "otto" not in portal.content().lower()
            assert "logout" not in portal.content()
            shoot(portal, "e2e-portal-phone")
            # A tampered token opens nothing.
            bad = portal.goto(portal_url[:-2] + ("AA" if not portal_url.endswith("AA") else "BB"))
            assert bad is not None
            assert bad.status == 404
            console.errors = [e for e in console.errors if "404" not in e]
            stranger.close()
        finally:
            browser.close()
    assert console.errors == []


@pytest.fixture
def demo_server(tmp_path: Path) -> Iterator[Server]:
    settings = Settings(
        env=Environment.TEST,
        data_dir=tmp_path,
        database_url=f"sqlite:///{tmp_path / 'perfluence.db'}",
    )
    ctx = open_context(settings)
    database.upgrade(ctx)
    demo.seed_demo(ctx, scale=0.1)
    users.create_user(ctx, "owner@demo.example", PASSWORD, workspace="demo", role="owner")
    port = free_port()
    env = {
        **os.environ,
        "PERFLUENCE_ENV": "test",
        "PERFLUENCE_DATA_DIR": str(tmp_path),
        "PERFLUENCE_DATABASE_URL": settings.resolved_database_url,
        "PERFLUENCE_BASE_URL": f"http://127.0.0.1:{port}",
    }
    process = subprocess.Popen(
        [sys.executable, "-c", SERVE, "serve", "--port", str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        wait_until_up(port, process)
        yield Server(ctx, f"http://127.0.0.1:{port}", "")
    finally:
        process.terminate()
        _, err = process.communicate(timeout=30)
        ctx.close()
        assert b"Traceback" not in err, err.decode()


@pytest.mark.browser
def test_demo_pages_render_cleanly_on_desktop_and_phone(
    chromium_path: Path, demo_server: Server
) -> None:
    base = demo_server.base
    console = Console()
    with sync_playwright() as playwright:
        browser = launch(playwright, chromium_path)
        try:
            for device, viewport in (("desktop", DESKTOP), ("phone", PHONE)):
                context = browser.new_context(viewport=viewport, device_scale_factor=1)
                page = console.watch(context.new_page())
                log_in(page, base, "owner@demo.example", PASSWORD)
                expect(page).to_have_url(f"{base}/w/demo/")
                # The demo's sales campaign: KPI targets, many creators, every tier.
                campaign = "/w/demo/campaigns/black-week"
                page.goto(f"{base}{campaign}")
                creator = page.locator("#creator-table tbody a").first.get_attribute("href")
                assert creator is not None
                pages = {
                    "overview": "/w/demo/",
                    "campaign": campaign,
                    "creators": "/w/demo/creators",
                    "creator": creator,
                    "links": "/w/demo/links",
                    "conversions": "/w/demo/conversions",
                    "payouts": "/w/demo/payouts",
                }
                for name, path in pages.items():
                    response = page.goto(f"{base}{path}")
                    assert response is not None
                    assert response.status == 200, path
                    # Nothing may stick out sideways on a phone.
                    width = page.evaluate("document.documentElement.scrollWidth")
                    assert width <= viewport["width"] + 1, (name, device, width)
                    shot = shoot(page, f"{name}-{device}")
                    if (name, device) == ("campaign", "desktop"):
                        README_SHOT.parent.mkdir(parents=True, exist_ok=True)
                        shutil.copyfile(shot, README_SHOT)
                context.close()
        finally:
            browser.close()
    assert console.errors == []
