"""Overview and campaign pages, and the forms that create campaigns and partnerships."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Query
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from perfluence.core.attribution import AttributionModel
from perfluence.core.model import CampaignGoal
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services import campaigns, creators, insights, partnerships, reporting, reports
from perfluence.web.dashboard import campaign_view
from perfluence.web.dashboard.access import Viewer, Writer
from perfluence.web.dashboard.render import flash, render

router = APIRouter(include_in_schema=False)
# "as credited" is what the stored attribution (and so the payout) says; the rest compare.
AS_CREDITED = "as_credited"
ATTRIBUTION_MODELS = (AS_CREDITED, *(m.value for m in AttributionModel))


def back_with_error(url: str, exc: PerfluenceError) -> RedirectResponse:
    """A form that could not be saved: back to its page, with why (not found stays a 404)."""
    if exc.code in {ErrorCode.NOT_FOUND, ErrorCode.FORBIDDEN, ErrorCode.UNAUTHENTICATED}:
        raise exc
    response = RedirectResponse(url, status_code=303)
    flash(response, str(exc))
    return response


@router.get("/w/{ws}/", response_class=HTMLResponse)
def overview(page: Viewer) -> HTMLResponse:
    rows = reporting.campaign_overview(page.ctx, page.workspace.slug)
    rows.sort(key=lambda r: (r.status != "active", r.starts_on), reverse=False)
    return render(
        page.request,
        "overview.html",
        {"page": page, "nav": "overview", "rows": rows, "goals": list(CampaignGoal)},
        lang=page.lang,
    )


@router.get("/w/{ws}/campaigns/new", response_class=HTMLResponse)
def new_campaign(page: Viewer) -> HTMLResponse:
    today = page.ctx.now().date()
    return render(
        page.request,
        "campaign_new.html",
        {
            "page": page,
            "nav": "overview",
            "goals": list(CampaignGoal),
            "starts_on": today.isoformat(),
            "ends_on": (today + timedelta(days=30)).isoformat(),
        },
        lang=page.lang,
    )


@router.post("/w/{ws}/campaigns")
def create_campaign(
    page: Writer,
    slug: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    goal: Annotated[str, Form()] = "sales",
    starts_on: Annotated[str, Form()] = "",
    ends_on: Annotated[str, Form()] = "",
    budget: Annotated[str, Form()] = "0",
    markets: Annotated[str, Form()] = "",
    target_roas: Annotated[str, Form()] = "",
    target_cpa: Annotated[str, Form()] = "",
) -> Response:
    ws = page.workspace.slug
    targets = {k: v for k, v in {"roas": target_roas, "cpa": target_cpa}.items() if v.strip()}
    try:
        created = campaigns.create_campaign(
            page.ctx,
            ws,
            slug.strip(),
            name=name.strip() or slug.strip(),
            goal=goal,
            starts_on=starts_on,
            ends_on=ends_on,
            budget=budget.strip() or "0",
            markets=[m.strip() for m in markets.split(",") if m.strip()],
            targets=targets,
            status="active",
        )
    except PerfluenceError as exc:
        return back_with_error(f"/w/{ws}/campaigns/new", exc)
    return RedirectResponse(f"/w/{ws}/campaigns/{created.slug}", status_code=303)


def _optional(value: str | None) -> str | None:
    return value.strip() or None if value is not None else None


@router.get("/w/{ws}/campaigns/{campaign}", response_class=HTMLResponse)
def campaign_page(
    page: Viewer,
    campaign: str,
    tier: Annotated[str | None, Query()] = None,
    platform: Annotated[str | None, Query()] = None,
    market: Annotated[str | None, Query()] = None,
    sort: Annotated[str, Query()] = "revenue",
    order: Annotated[str, Query()] = "desc",
    model: Annotated[str, Query()] = AS_CREDITED,
) -> HTMLResponse:
    ws = page.workspace.slug
    found = campaigns.get_campaign(page.ctx, ws, campaign)
    report = reporting.campaign_kpis(page.ctx, ws, campaign)
    everyone = creators.list_creators(page.ctx, ws)
    countries = {c.handle: c.country for c in everyone}
    query = campaign_view.TableQuery(
        tier=_optional(tier),
        platform=_optional(platform),
        market=_optional(market),
        sort=sort if sort in campaign_view.SORT_KEYS else "revenue",
        descending=order != "asc",
    )
    in_campaign = {c.handle for c in report.creators}
    chosen = model if model in ATTRIBUTION_MODELS else AS_CREDITED
    comparison = (
        None if chosen == AS_CREDITED else insights.attribution_comparison(page.ctx, ws, campaign)
    )
    return render(
        page.request,
        "campaign.html",
        {
            "page": page,
            "nav": "overview",
            "campaign": found,
            "report": report,
            "cards": campaign_view.cards(report),
            "budget_status": campaign_view.budget_status(report),
            "budget_used": campaign_view.budget_used_percent(report),
            "funnel": campaign_view.funnel(report.totals),
            "rows": campaign_view.creator_rows(report, countries, query),
            "query": query,
            "tiers": sorted({c.tier.value for c in report.creators}),
            "platforms": sorted({c.platform for c in report.creators if c.platform}),
            "markets": sorted({countries[h] or "" for h in in_campaign if countries.get(h)}),
            "countries": countries,
            "candidates": [c for c in everyone if c.handle not in in_campaign],
            "models": ATTRIBUTION_MODELS,
            "model": chosen,
            "comparison": campaign_view.model_rows(comparison, chosen),
            "series": campaign_view.chart(insights.campaign_timeseries(page.ctx, ws, campaign)),
            "report_formats": [f.value for f in reports.ReportFormat],
        },
        lang=page.lang,
    )


@router.post("/w/{ws}/campaigns/{campaign}/creators")
def add_partnership(
    page: Writer,
    campaign: str,
    creator: Annotated[str, Form()] = "",
    model: Annotated[str, Form()] = "cps",
    commission_rate: Annotated[str, Form()] = "10%",
    flat_fee: Annotated[str, Form()] = "",
) -> Response:
    ws = page.workspace.slug
    campaigns.get_campaign(page.ctx, ws, campaign)  # 404 before anything else
    terms: dict[str, object] = {"model": model}
    if commission_rate.strip():
        terms["commission_rate"] = commission_rate.strip()
    if flat_fee.strip():
        terms["flat_fee"] = flat_fee.strip()
    try:
        partnerships.create_partnership(page.ctx, ws, campaign, creator, terms)
    except PerfluenceError as exc:
        return back_with_error(f"/w/{ws}/campaigns/{campaign}", exc)
    return RedirectResponse(f"/w/{ws}/campaigns/{campaign}", status_code=303)


@router.get("/w/{ws}/campaigns/{campaign}/report.{fmt}")
def campaign_report(page: Viewer, campaign: str, fmt: str) -> Response:
    """The campaign report (HTML, PDF, CSV or XLSX) in the page's language."""
    chosen = reports.report_format(fmt)
    built = reports.build_campaign_report(page.ctx, page.workspace.slug, campaign, lang=page.lang)
    body = reports.render(built, chosen)
    media = {
        "html": "text/html; charset=utf-8",
        "pdf": "application/pdf",
        "csv": "text/csv; charset=utf-8",
        "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    }[chosen.value]
    name = f"{campaign}-{page.lang}.{chosen.value}"
    return Response(
        body, media_type=media, headers={"content-disposition": f'attachment; filename="{name}"'}
    )
