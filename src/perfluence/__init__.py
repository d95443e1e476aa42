"""perfluence: performance-based influencer marketing, self-hosted.

The Python API is the same set of services the CLI and the web app use::

    import perfluence

    ctx = perfluence.open_context()
    perfluence.creators.list_creators(ctx, "my-workspace")

Service modules load on first use, so importing a pure module such as
``perfluence.core.money`` does not pull in the database layer. Three services
share their name with a layer package and are reached through
``perfluence.services``: ``perfluence.services.conversions`` (conversion
ingest), ``perfluence.services.reports`` (rendered reports) and
``perfluence.services.tracking`` (the redirect runtime).
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

SERVICES = (
    "api_keys",
    "audit",
    "campaigns",
    "codes",
    "compliance",
    "costs",
    "creators",
    "database",
    "demo",
    "fx",
    "insights",
    "links",
    "partnerships",
    "payouts",
    "post_metrics",
    "posts",
    "privacy",
    "reporting",
    "retention",
    "sentiment",
    "simulator",
    "users",
    "vetting",
    "webhook_endpoints",
    "workspaces",
)

__all__ = [  # noqa: RUF022 - grouped: entry points first, then the services
    "Context",
    "__version__",
    "open_context",
    "api_keys",
    "audit",
    "campaigns",
    "codes",
    "compliance",
    "costs",
    "creators",
    "database",
    "demo",
    "fx",
    "insights",
    "links",
    "partnerships",
    "payouts",
    "post_metrics",
    "posts",
    "privacy",
    "reporting",
    "retention",
    "sentiment",
    "simulator",
    "users",
    "vetting",
    "webhook_endpoints",
    "workspaces",
]

if TYPE_CHECKING:
    from perfluence.services.context import Context, open_context


def __getattr__(name: str) -> ModuleType | Any:
    if name in SERVICES:
        return importlib.import_module(f"perfluence.services.{name}")
    if name in {"Context", "open_context"}:
        return getattr(importlib.import_module("perfluence.services.context"), name)
    raise AttributeError(f"module 'perfluence' has no attribute {name!r}")
