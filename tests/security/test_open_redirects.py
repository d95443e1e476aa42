"""No open redirects: every redirect of the dashboard and the portal stays on this site, however
a browser would read the target (backslashes, tabs, newlines, ``//host``, schemes)."""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import parse_qs, urljoin, urlsplit

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from perfluence.services import users, workspaces
from perfluence.services.context import Context
from perfluence.web.app import create_app
from perfluence.web.dashboard.login import safe_next
from tests.security.clients import Client

SITE = "https://dash.example/w/kaffe/"
WEB = Path(__file__).parents[2] / "src" / "perfluence" / "web"
PASSWORD = "correct horse battery"
HOSTILE = [
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "/\t/evil.example",
    "/\n/evil.example",
    "/\r\n/evil.example",
    " //evil.example",
    "https://evil.example/",
    "HTTPS://evil.example",
    "javascript:alert(1)",
    "/%09/evil.example",
    "/.//evil.example",
    "\x00//evil.example",
    "evil.example",
    "/ok?then=//evil.example",
]


def as_browser_reads(location: str, base: str = SITE) -> tuple[str, str]:
    """(scheme, host) a browser goes to: WHATWG drops tabs/newlines and reads ``\\`` as ``/``."""
    cleaned = re.sub(r"[\t\n\r]", "", location).strip("\x00 ").replace("\\", "/")
    target = urlsplit(urljoin(base, cleaned))
    return target.scheme, target.netloc


@given(st.text(max_size=60))
@example("//evil.example")
@example("/\t/evil.example")
def test_safe_next_is_always_a_path_on_this_site(value: str) -> None:
    result = safe_next(value)
    assert result.startswith("/")
    assert as_browser_reads(result) == ("https", "dash.example")


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_targets_fall_back_to_the_home_page(value: str) -> None:
    kept = safe_next(value)
    assert as_browser_reads(kept) == ("https", "dash.example")
    assert kept in {"/", value}


@pytest.fixture
def browser(ctx: Context) -> Iterator[Client]:
    workspaces.create_workspace(ctx, "kaffe", "Kaffe", currency="DKK", language="en")
    users.create_user(ctx, "ana@kaffe.dk", PASSWORD, workspace="kaffe", role="owner")
    client = Client(create_app(ctx).app, base_url="https://dash.example")
    yield client
    client.close()


def _location(response: object) -> str:
    location = response.headers["location"]  # type: ignore[attr-defined]
    assert isinstance(location, str)
    return location


def test_every_redirect_of_the_login_and_the_language_switch_stays_here(browser: Client) -> None:
    for value in HOSTILE:
        failed = browser.log_in("ana@kaffe.dk", "wrong password!!", value)
        assert as_browser_reads(_location(failed)) == ("https", "dash.example"), value
        # The failed-login page carries the target on; what it carries is safe.
        carried = parse_qs(urlsplit(_location(failed)).query).get("next", ["/"])[0]
        assert as_browser_reads(safe_next(carried)) == ("https", "dash.example"), value
        switched = browser.get("/lang/da", params={"next": value})
        assert as_browser_reads(_location(switched)) == ("https", "dash.example"), value
        signed_in = browser.log_in("ana@kaffe.dk", PASSWORD, value)
        assert as_browser_reads(_location(signed_in)) == ("https", "dash.example"), value
        logged_out = browser.post("/logout", data={"csrf": browser.csrf})
        assert _location(logged_out) == "/login"


def test_a_page_that_needs_a_login_sends_back_to_itself_only(browser: Client) -> None:
    answer = browser.get("/w/kaffe/links", params={"q": "//evil.example"})
    assert _location(answer).startswith("/login?next=/w/kaffe/links%3Fq%3D")
    assert as_browser_reads(_location(answer)) == ("https", "dash.example")


# --- every redirect in the code goes to a fixed path or through safe_next ----------------

SINKS = {"RedirectResponse", "back_with_error"}


def _safe_target(node: ast.expr, parameters: set[str]) -> bool:
    """A literal path, an f-string opening with one, ``safe_next(...)``, or a sink's parameter."""

    def opens_with_path(text: str) -> bool:
        return text.startswith("/") and not text.startswith(("//", "/\\"))

    if isinstance(node, ast.Constant):
        return isinstance(node.value, str) and opens_with_path(node.value)
    if isinstance(node, ast.JoinedStr):
        first = node.values[0] if node.values else None
        return (
            isinstance(first, ast.Constant)
            and isinstance(first.value, str)
            and len(first.value) > 1
            and opens_with_path(first.value)
        )
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name):
        return node.func.id == "safe_next"
    return isinstance(node, ast.Name) and node.id in parameters


def _redirects() -> Iterator[tuple[str, int, bool]]:
    for path in sorted(WEB.rglob("*.py")):
        tree = ast.parse(path.read_text(), str(path))
        for function in ast.walk(tree):
            if not isinstance(function, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            # A sink's own parameters are checked where the sink is called.
            params = {a.arg for a in function.args.args} if function.name in SINKS else set()
            for call in ast.walk(function):
                if (
                    isinstance(call, ast.Call)
                    and isinstance(call.func, ast.Name)
                    and call.func.id in SINKS
                ):
                    target = call.args[0] if call.args else None
                    safe = target is not None and _safe_target(target, params)
                    yield f"{path.relative_to(WEB)}:{call.lineno}", call.lineno, safe


def test_every_redirect_in_the_web_code_is_a_fixed_path_or_checked() -> None:
    found = list(_redirects())
    assert len(found) >= 10, found
    assert [where for where, _, safe in found if not safe] == []
