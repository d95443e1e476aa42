"""``GET /t.js``: the first-party click-id snippet, as served by the application."""

from __future__ import annotations

import re
from importlib.resources import files

import httpx

from perfluence.services.context import Context
from perfluence.tracking.clickid import ALPHABET, CLICK_ID_LENGTH
from tests.integration.api_world import with_client

SOURCE = files("perfluence.web").joinpath("static", "t.js").read_bytes()


def test_t_js_is_served_small_cacheable_and_as_javascript(ctx: Context) -> None:
    async def scenario(client: httpx.AsyncClient) -> list[httpx.Response]:
        first = await client.get("/t.js")
        again = await client.get("/t.js", headers={"if-none-match": first.headers["etag"]})
        head = await client.head("/t.js")
        return [first, again, head]

    first, again, head = with_client(ctx, scenario)
    assert first.status_code == 200
    assert first.headers["content-type"] == "application/javascript; charset=utf-8"
    assert first.headers["cache-control"] == "public, max-age=3600"
    assert first.headers["x-content-type-options"] == "nosniff"
    assert first.content == SOURCE
    assert len(first.content) < 2048
    assert again.status_code == 304
    assert again.content == b""
    assert head.status_code == 200
    assert head.headers["content-type"] == first.headers["content-type"]


def test_t_js_accepts_exactly_the_click_id_shape_tracking_mints() -> None:
    pattern = re.search(rb"RE = /\^\[([^\]]+)\]\{(\d+)\}\$/", SOURCE)
    assert pattern is not None
    allowed = pattern.group(1).decode()
    assert int(pattern.group(2)) == CLICK_ID_LENGTH
    expanded = {
        chr(c)
        for part in re.findall(r".-.|.", allowed)
        for c in (range(ord(part[0]), ord(part[-1]) + 1) if len(part) == 3 else [ord(part)])
    }
    assert expanded == set(ALPHABET)


def test_t_js_keeps_the_cookie_90_days_and_marks_it_secure_on_https() -> None:
    # Behaviour in a browser: tests/e2e/test_t_js_browser.py (served over http only).
    text = SOURCE.decode()
    assert f"AGE = {90 * 24 * 3600}," in text
    assert '(location.protocol === "https:" ? "; Secure" : "")' in text
