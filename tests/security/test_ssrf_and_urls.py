"""SSRF: the server fetches nothing a user can point it at.

- No runtime module imports an HTTP or network client (FX rates are imported from
  a file, the GeoIP database is a local file); the one outbound connection is the
  configured database.
- The PDF renderer's URL fetcher refuses everything: an image or stylesheet URL in a
  report's HTML is never requested (a listening socket proves no connection came).
- Every URL a user can store (link destinations and fallbacks, the workspace fallback,
  social accounts, posts) must be http(s): no ``javascript:``, ``file:``, ``data:``.
"""

from __future__ import annotations

import ast
import contextlib
import socket
from collections.abc import Callable
from pathlib import Path

import pytest

from perfluence.errors import PerfluenceError
from perfluence.reports import pdf
from perfluence.services import campaigns, creators, links, partnerships, posts, workspaces
from perfluence.services.context import Context
from perfluence.services.creators import NewAccount

SRC = Path(__file__).parents[2] / "src" / "perfluence"
NETWORK_CLIENTS = {
    "httpx", "requests", "urllib.request", "urllib3", "aiohttp", "http.client", "socket",
    "smtplib", "ftplib", "xmlrpc.client", "websockets", "pycurl", "telnetlib", "asyncssh",
}  # fmt: skip
# module: why its outbound connection cannot be pointed elsewhere by a user.
ALLOWED = {
    "store/links.py:psycopg": "LISTEN for link changes on the configured database URL only",
}
NOT_HTTP = [
    "javascript:alert(document.cookie)",
    "file:///etc/passwd",
    "data:text/html,<script>alert(1)</script>",
    "ftp://files.example/x",
    "gopher://127.0.0.1:6379/_FLUSHALL",
    "//evil.example/",
    "http:/evil.example",
]


def _imports(tree: ast.Module) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def test_no_module_imports_a_network_client() -> None:
    offending = []
    for path in sorted(SRC.rglob("*.py")):
        where = str(path.relative_to(SRC))
        for name in _imports(ast.parse(path.read_text())):
            if name in NETWORK_CLIENTS or name.split(".")[0] in {"requests", "aiohttp", "httpx"}:
                offending.append(f"{where}:{name}")
    assert offending == []


def test_the_allowed_connection_is_the_database() -> None:
    for entry in ALLOWED:
        where, module = entry.split(":")
        assert module in _imports(ast.parse((SRC / where).read_text())), entry


class _Report:
    """All ``render_pdf`` reads of a report once ``render_html`` is replaced."""

    class as_of:  # noqa: N801 - stands in for a date
        @staticmethod
        def isoformat() -> str:
            return "2026-03-02"


def _hostile_report_html(port: int) -> str:
    return (
        f'<link rel="stylesheet" href="http://127.0.0.1:{port}/style.css">'
        f'<style>@import url("http://127.0.0.1:{port}/more.css");</style>'
        f'<p>report</p><img src="http://127.0.0.1:{port}/pixel.png">'
        '<img src="file:///etc/passwd">'
    )


def test_the_pdf_renderer_fetches_nothing(monkeypatch: pytest.MonkeyPatch) -> None:
    with socket.socket() as listener:
        listener.bind(("127.0.0.1", 0))
        listener.listen()
        listener.setblocking(False)
        port = listener.getsockname()[1]
        monkeypatch.setattr(pdf, "render_html", lambda _report: _hostile_report_html(port))
        # Whether it renders or refuses (see the next test), it must not connect.
        with contextlib.suppress(Exception):
            pdf.render_pdf(_Report())  # type: ignore[arg-type]
        with pytest.raises(BlockingIOError):
            listener.accept()  # nobody connected


def test_a_report_naming_a_url_still_renders_without_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pdf, "render_html", lambda _report: _hostile_report_html(9))
    assert pdf.render_pdf(_Report()).startswith(b"%PDF")  # type: ignore[arg-type]


@pytest.fixture
def shop(ctx: Context) -> Context:
    workspaces.create_workspace(ctx, "kaffe", "Kaffe", currency="DKK", language="en")
    creators.add_creator(ctx, "kaffe", "emma", name="Emma")
    campaigns.create_campaign(
        ctx, "kaffe", "autumn", name="Autumn", goal="sales", starts_on="2026-02-01",
        ends_on="2026-04-30",
    )  # fmt: skip
    partnerships.create_partnership(
        ctx, "kaffe", "autumn", "emma", {"model": "cps", "commission_rate": "10%"}
    )
    return ctx


def test_every_stored_url_must_be_http_or_https(shop: Context) -> None:
    setters: dict[str, Callable[[str], object]] = {
        "link destination": lambda url: links.create_link(shop, "kaffe", "autumn", "emma", url),
        "link fallback": lambda url: links.create_link(
            shop, "kaffe", "autumn", "emma", "https://kaffe.example/", fallback_url=url
        ),
        "workspace fallback": lambda url: workspaces.set_fallback_url(shop, "kaffe", url),
        "social account": lambda url: creators.add_account(
            shop, "kaffe", "emma", NewAccount("youtube", "emma", url=url)
        ),
        "post": lambda url: posts.add_post(shop, "kaffe", "emma", "instagram", "p1", url=url),
    }
    for what, set_url in setters.items():
        for url in NOT_HTTP:
            with pytest.raises(PerfluenceError) as refused:
                set_url(url)
            assert refused.value.code.value == "invalid", (what, url)
