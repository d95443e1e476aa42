"""Tracking links and discount codes: lists with copy buttons and QR codes, and new ones."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from perfluence.errors import PerfluenceError
from perfluence.services import codes, links, partnerships
from perfluence.web.dashboard.access import Viewer, Writer
from perfluence.web.dashboard.campaign_pages import back_with_error
from perfluence.web.dashboard.render import render

router = APIRouter(include_in_schema=False)


@router.get("/w/{ws}/links", response_class=HTMLResponse)
def link_list(page: Viewer) -> HTMLResponse:
    ws = page.workspace.slug
    return render(
        page.request,
        "links.html",
        {
            "page": page,
            "nav": "links",
            "links": links.list_links(page.ctx, ws),
            "codes": codes.list_codes(page.ctx, ws),
            "partnerships": partnerships.list_partnerships(page.ctx, ws),
            "public_url": lambda slug: links.public_url(page.ctx, slug),
        },
        lang=page.lang,
    )


def _pair(page: Writer, value: str) -> tuple[str, str]:
    """The form's ``campaign/creator``; 404 unless that partnership is in this workspace."""
    campaign, _, creator = value.partition("/")
    partnerships.get_partnership(page.ctx, page.workspace.slug, campaign, creator)
    return campaign, creator


@router.post("/w/{ws}/links")
def create_link(
    page: Writer,
    partnership: Annotated[str, Form()] = "",
    destination: Annotated[str, Form()] = "",
) -> Response:
    ws = page.workspace.slug
    campaign, creator = _pair(page, partnership)
    try:
        links.create_link(page.ctx, ws, campaign, creator, destination.strip())
    except PerfluenceError as exc:
        return back_with_error(f"/w/{ws}/links", exc)
    return RedirectResponse(f"/w/{ws}/links", status_code=303)


@router.post("/w/{ws}/codes")
def create_code(
    page: Writer,
    partnership: Annotated[str, Form()] = "",
    code: Annotated[str, Form()] = "",
) -> Response:
    ws = page.workspace.slug
    campaign, creator = _pair(page, partnership)
    try:
        codes.create_code(page.ctx, ws, campaign, creator, code=code.strip() or None)
    except PerfluenceError as exc:
        return back_with_error(f"/w/{ws}/links", exc)
    return RedirectResponse(f"/w/{ws}/links#codes", status_code=303)


@router.get("/w/{ws}/links/{slug}/qr.svg")
def link_qr(page: Viewer, slug: str) -> Response:
    svg = links.link_qr(page.ctx, page.workspace.slug, slug, "svg")
    return Response(svg, media_type="image/svg+xml", headers={"cache-control": "private"})
