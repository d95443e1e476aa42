"""The creator portal: a signed link opens one creator's own page, read-only.

Everything shown is filtered by that creator: their links and codes, their
figures in each campaign (never the campaign totals, which include others),
their conversions and their payout statements.

A link that opens nothing (forged, expired, revoked) counts against the
client's address like a wrong API key; over the limit the portal answers 429
with ``Retry-After`` before it looks at the link.
"""

from __future__ import annotations

from typing import Final

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from perfluence.core.campaign_report import CreatorKpis
from perfluence.errors import ErrorCode, PerfluenceError
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
from perfluence.services.auth_limits import TooManyAttemptsError
from perfluence.services.portal_links import PortalAccess
from perfluence.web.api.auth import auth_limits, client_address
from perfluence.web.api.state import context_of
from perfluence.web.dashboard.access import language_of
from perfluence.web.dashboard.errors import error_page
from perfluence.web.dashboard.render import render

router = APIRouter(include_in_schema=False)
SHOWN_CONVERSIONS: Final = 50


def _open(request: Request, token: str) -> PortalAccess:
    limits = auth_limits(request)
    client = client_address(request)
    limits.check_credentials(client)
    try:
        return users.open_portal(context_of(request), token)
    except PerfluenceError as exc:
        if exc.code is ErrorCode.NOT_FOUND:
            limits.credentials_failed(client)
        raise


@router.get("/portal/{token}", response_class=HTMLResponse)
def portal(request: Request, token: str) -> Response:
    ctx = context_of(request)
    try:
        access = _open(request, token)
    except TooManyAttemptsError as exc:
        refused = error_page(request, exc.http_status, exc.message)
        refused.headers["retry-after"] = str(exc.retry_after)
        refused.headers["referrer-policy"] = "no-referrer"
        return refused
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
