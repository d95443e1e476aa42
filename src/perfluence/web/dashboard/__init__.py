"""The server-rendered dashboard and the creator portal, on the FastAPI application.

``install_dashboard`` adds the pages, the static files and HTML error pages for
every path that is not part of the JSON API (``/api/``, ``/webhooks/``), which
keeps its JSON errors.
"""

from __future__ import annotations

from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from perfluence.web.dashboard import (
    campaign_pages,
    creator_pages,
    errors,
    link_pages,
    login,
    money_pages,
)
from perfluence.web.portal import router as portal_router

STATIC = Path(__file__).resolve().parent.parent / "static"


def install_dashboard(api: FastAPI) -> None:
    """Call after ``install_api``: the HTML error pages wrap the API's JSON handlers."""
    for module in (login, campaign_pages, creator_pages, link_pages, money_pages):
        api.include_router(module.router)
    api.include_router(portal_router)
    api.mount("/static", StaticFiles(directory=STATIC), name="static")
    errors.install_html_errors(api)
