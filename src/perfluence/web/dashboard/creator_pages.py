"""Creators: the list with filters, a creator's profile and history, adding one, portal links."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from perfluence.core.auth import Permission
from perfluence.core.campaign_report import CreatorKpis
from perfluence.core.kpis import Tier
from perfluence.core.model import Platform
from perfluence.errors import PerfluenceError
from perfluence.services import codes, creators, links, partnerships, reporting, users, vetting
from perfluence.services.creators import NewAccount
from perfluence.web.dashboard.access import Viewer, Writer
from perfluence.web.dashboard.campaign_pages import back_with_error
from perfluence.web.dashboard.render import render

router = APIRouter(include_in_schema=False)


@router.get("/w/{ws}/creators", response_class=HTMLResponse)
def creator_list(
    page: Viewer,
    tier: Annotated[str | None, Query()] = None,
    platform: Annotated[str | None, Query()] = None,
    market: Annotated[str | None, Query()] = None,
) -> HTMLResponse:
    ws = page.workspace.slug
    everyone = creators.list_creators(page.ctx, ws)
    shown = creators.list_creators(
        page.ctx, ws, tier=tier or None, platform=platform or None, country=market or None
    )
    return render(
        page.request,
        "creators.html",
        {
            "page": page,
            "nav": "creators",
            "creators": shown,
            "tiers": [t.value for t in Tier],
            "platforms": [p.value for p in Platform],
            "markets": sorted({c.country for c in everyone if c.country}),
            "query": {"tier": tier or "", "platform": platform or "", "market": market or ""},
        },
        lang=page.lang,
    )


@router.post("/w/{ws}/creators")
def add_creator(
    page: Writer,
    handle: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    country: Annotated[str, Form()] = "",
    platform: Annotated[str, Form()] = "instagram",
    followers: Annotated[str, Form()] = "0",
) -> Response:
    ws = page.workspace.slug
    try:
        created = creators.add_creator(
            page.ctx,
            ws,
            handle,
            name=name.strip() or handle.strip().lstrip("@"),
            email=email.strip() or None,
            country=country.strip() or None,
            accounts=[NewAccount(platform=platform, followers=followers.strip() or "0")],
        )
    except PerfluenceError as exc:
        return back_with_error(f"/w/{ws}/creators", exc)
    return RedirectResponse(f"/w/{ws}/creators/{created.handle}", status_code=303)


def _history(page: Viewer, handle: str) -> list[tuple[str, str, CreatorKpis | None]]:
    """(campaign slug, name, this creator's figures there) for every campaign they are in."""
    out: list[tuple[str, str, CreatorKpis | None]] = []
    for p in partnerships.list_partnerships(page.ctx, page.workspace.slug, creator=handle):
        report = reporting.campaign_kpis(page.ctx, page.workspace.slug, p.campaign_slug)
        mine = next((c for c in report.creators if c.handle == handle), None)
        out.append((p.campaign_slug, report.name, mine))
    return out


@router.get("/w/{ws}/creators/{handle}", response_class=HTMLResponse)
def creator_page(page: Viewer, handle: str) -> HTMLResponse:
    ws = page.workspace.slug
    creator = creators.get_creator(page.ctx, ws, handle)
    return render(
        page.request,
        "creator.html",
        {
            "page": page,
            "nav": "creators",
            "creator": creator,
            "history": _history(page, creator.handle),
            "vetting": vetting.creator_vetting(page.ctx, ws, creator.handle),
            "links": links.list_links(page.ctx, ws, creator=creator.handle),
            "codes": codes.list_codes(page.ctx, ws, creator=creator.handle),
            "public_url": lambda slug: links.public_url(page.ctx, slug),
        },
        lang=page.lang,
    )


@router.post("/w/{ws}/creators/{handle}/portal-link", response_class=HTMLResponse)
def make_portal_link(page: Writer, handle: str) -> HTMLResponse:
    page.require(Permission.MANAGE)
    ws = page.workspace.slug
    creator = creators.get_creator(page.ctx, ws, handle)
    return render(
        page.request,
        "portal_link.html",
        {
            "page": page,
            "nav": "creators",
            "creator": creator,
            "url": users.portal_url(page.ctx, ws, creator.handle),
        },
        lang=page.lang,
    )
