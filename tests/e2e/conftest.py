"""Browser tests need Chromium at /usr/bin/chromium.

Without it they are skipped, unless ``PERFLUENCE_REQUIRE_BROWSER=1`` (CI sets
it): then a missing browser is an error, so CI can never pass by skipping.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def browser_required() -> bool:
    return os.environ.get("PERFLUENCE_REQUIRE_BROWSER") == "1"


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if CHROMIUM.exists() or browser_required():
        return
    skip = pytest.mark.skip(
        reason=f"{CHROMIUM} is missing (set PERFLUENCE_REQUIRE_BROWSER=1 to fail)"
    )
    for item in items:
        if "browser" in item.keywords:
            item.add_marker(skip)


@pytest.fixture(scope="session")
def chromium_path() -> Path:
    if not CHROMIUM.exists():
        pytest.fail(f"PERFLUENCE_REQUIRE_BROWSER=1 but {CHROMIUM} is missing", pytrace=False)
    return CHROMIUM
