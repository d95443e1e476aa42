"""The creator portal: a signed link opens one creator's own page, read-only.

Everything shown is filtered by that creator: their links and codes, their
figures in each campaign (never the campaign totals, which include others),
their conversions and their payout statements.
"""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from perfluence.core.campaign_report import CreatorKpis
from perfluence.services import (
    codes,
    conversions,
    creators,
    links,
    partnerships,
    payouts,
    reporting,
    users,
)
from perfluence.web.api.state import context_of
from perfluence.web.dashboard.access import language_of
from perfluence.web.dashboard.render import render

router = APIRouter(include_in_schema=False)
SHOWN_CONVERSIONS: Final = 50


@router.get("/portal/{token}", response_class=HTMLResponse)
def portal(request: Request, token: str) -> HTMLResponse:
    ctx = context_of(request)
    access = users.open_portal(ctx, token)
    ws, handle = access.workspace_slug, access.creator_handle
    creator = creators.get_creator(ctx, ws, handle)
    figures: list[tuple[str, CreatorKpis]] = []
    for p in partnerships.list_partnerships(ctx, ws, creator=handle):
        report = reporting.campaign_kpis(ctx, ws, p.campaign_slug)
        mine = next((c for c in report.creators if c.handle == handle), None)
        if mine is not None:
            figures.append((report.name, mine))
    response = render(
        request,
        "portal.html",
        {
            "creator": creator,
            "figures": figures,
            "links": links.list_links(ctx, ws, creator=handle),
            "codes": codes.list_codes(ctx, ws, creator=handle),
            "conversions": conversions.list_conversions(
                ctx, ws, creator=handle, limit=SHOWN_CONVERSIONS
            ),
            "statements": payouts.list_statements(ctx, ws, creator=handle),
            "public_url": lambda slug: links.public_url(ctx, slug),
        },
        lang=language_of(request, creator_language(creator.country)),
    )
    # The token is a credential: keep it out of Referer headers sent to other sites.
    response.headers["referrer-policy"] = "no-referrer"
    return response


def creator_language(country: str | None) -> str | None:
    return {"DK": "da", "SE": "sv", "NO": "nb"}.get(country or "")
