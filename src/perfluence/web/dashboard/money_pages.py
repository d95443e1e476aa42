"""Conversions (search, why each was attributed) and payout statements."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse

from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services import conversions, payouts
from perfluence.web.dashboard.access import Viewer
from perfluence.web.dashboard.render import render

router = APIRouter(include_in_schema=False)
SHOWN = 200


@router.get("/w/{ws}/conversions", response_class=HTMLResponse)
def conversion_list(
    page: Viewer,
    q: Annotated[str, Query(max_length=200)] = "",
    kind: Annotated[str, Query()] = "",
) -> HTMLResponse:
    wanted = q.strip().lower().lstrip("@")
    found = conversions.list_conversions(
        page.ctx, page.workspace.slug, kind=kind or None, limit=5_000 if wanted else SHOWN
    )
    if wanted:
        found = [
            c
            for c in found
            if wanted in c.external_id.lower()
            or wanted in (c.creator_handle or "")
            or wanted in (c.code or "").lower()
            or wanted in (c.campaign_slug or "")
        ][:SHOWN]
    return render(
        page.request,
        "conversions.html",
        {"page": page, "nav": "conversions", "rows": found, "q": q, "kind": kind},
        lang=page.lang,
    )


@router.get("/w/{ws}/conversions/{external_id}", response_class=HTMLResponse)
def conversion_page(page: Viewer, external_id: str) -> HTMLResponse:
    details = conversions.show_conversion(page.ctx, page.workspace.slug, external_id)
    return render(
        page.request,
        "conversion.html",
        {"page": page, "nav": "conversions", "details": details, "external_id": external_id},
        lang=page.lang,
    )


@router.get("/w/{ws}/payouts", response_class=HTMLResponse)
def payout_list(page: Viewer) -> HTMLResponse:
    rows = payouts.list_statements(page.ctx, page.workspace.slug)
    return render(
        page.request,
        "payouts.html",
        {"page": page, "nav": "payouts", "rows": rows},
        lang=page.lang,
    )


@router.get("/w/{ws}/payouts/{statement_id}", response_class=HTMLResponse)
def statement_page(page: Viewer, statement_id: str) -> HTMLResponse:
    if not (statement_id.isascii() and statement_id.isdigit()) or len(statement_id) > 18:
        raise PerfluenceError(ErrorCode.NOT_FOUND, f"statement {statement_id!r} not found")
    statement, lines = payouts.statement_lines(page.ctx, page.workspace.slug, int(statement_id))
    return render(
        page.request,
        "statement.html",
        {"page": page, "nav": "payouts", "statement": statement, "lines": lines},
        lang=page.lang,
    )
