"""Campaign reports: KPIs as JSON (one campaign by creator, every campaign's totals) and the
rendered campaign report (HTML, PDF, CSV, XLSX).

Every figure comes from ``services.reporting`` (formulas in ``core.kpis``);
a ratio with a zero denominator is ``null``, never 0.
"""

from __future__ import annotations

from datetime import date
from typing import Annotated, Final, Literal

from fastapi import APIRouter, Path, Query, Request, Response
from pydantic import BaseModel, Field

from perfluence.core.campaign_report import (
    CampaignKpis,
    CampaignOverviewRow,
    CreatorKpis,
    KpiFigures,
    KpiRatios,
)
from perfluence.services import reporting, reports
from perfluence.services.reports import ReportFormat
from perfluence.web.api.pagination import Page, Paging, slice_page
from perfluence.web.api.resources.access import ERRORS, RESOURCE_DEPENDENCIES, Reader
from perfluence.web.api.schemas_common import (
    MoneyOut,
    decimal_text,
    money_out,
    money_ratio,
    ratio_text,
)
from perfluence.web.api.state import context_of

router = APIRouter(prefix="/api/v1", tags=["reports"], dependencies=RESOURCE_DEPENDENCIES)

CampaignSlug = Annotated[str, Path(max_length=64)]
MEDIA_TYPES: Final = {
    ReportFormat.HTML: "text/html; charset=utf-8",
    ReportFormat.PDF: "application/pdf",
    ReportFormat.CSV: "text/csv; charset=utf-8",
    ReportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class FiguresOut(BaseModel):
    """Additive figures: totals are the sum of their parts."""

    revenue: MoneyOut = Field(description="Net of refunds.")
    gross_revenue: MoneyOut
    refunds: MoneyOut
    cost: MoneyOut
    followers: int
    posts: int
    impressions: int
    reach: int
    views: int
    likes: int
    comments: int
    shares: int
    saves: int
    engagements: int
    clicks: int = Field(description="Every click, bots included.")
    bot_clicks: int
    unique_clicks: int
    sales: int
    leads: int
    conversions: int
    refunded_orders: int

    @classmethod
    def of(cls, f: KpiFigures) -> FiguresOut:
        return cls(
            revenue=MoneyOut.of(f.revenue),
            gross_revenue=MoneyOut.of(f.gross_revenue),
            refunds=MoneyOut.of(f.refunds),
            cost=MoneyOut.of(f.cost),
            followers=f.followers,
            posts=f.posts,
            impressions=f.impressions,
            reach=f.reach,
            views=f.views,
            likes=f.likes,
            comments=f.comments,
            shares=f.shares,
            saves=f.saves,
            engagements=f.engagements,
            clicks=f.clicks,
            bot_clicks=f.bot_clicks,
            unique_clicks=f.unique_clicks,
            sales=f.sales,
            leads=f.leads,
            conversions=f.conversions,
            refunded_orders=f.refunded_orders,
        )


class RatiosOut(BaseModel):
    """Derived KPIs (docs/kpis.md); ``null`` when the denominator is zero."""

    engagement_rate_by_followers: str | None
    engagement_rate_by_reach: str | None
    ctr: str | None
    conversion_rate: str | None
    return_rate: str | None
    cpm: MoneyOut | None
    cpe: MoneyOut | None
    cpc: MoneyOut | None
    cpa: MoneyOut | None
    aov: MoneyOut | None
    roas: str | None
    roi_percent: str | None
    emv: MoneyOut

    @classmethod
    def of(cls, r: KpiRatios) -> RatiosOut:
        return cls(
            engagement_rate_by_followers=ratio_text(r.engagement_rate_by_followers),
            engagement_rate_by_reach=ratio_text(r.engagement_rate_by_reach),
            ctr=ratio_text(r.ctr),
            conversion_rate=ratio_text(r.conversion_rate),
            return_rate=ratio_text(r.return_rate),
            cpm=money_ratio(r.cpm),
            cpe=money_ratio(r.cpe),
            cpc=money_ratio(r.cpc),
            cpa=money_ratio(r.cpa),
            aov=money_ratio(r.aov),
            roas=ratio_text(r.roas),
            roi_percent=ratio_text(r.roi_percent),
            emv=MoneyOut.of(r.emv),
        )


class CreatorKpisOut(BaseModel):
    creator: str
    name: str
    payment_model: str
    tier: str
    platform: str | None
    figures: FiguresOut
    ratios: RatiosOut

    @classmethod
    def of(cls, c: CreatorKpis) -> CreatorKpisOut:
        return cls(
            creator=c.handle,
            name=c.name,
            payment_model=c.payment_model,
            tier=c.tier.value,
            platform=c.platform,
            figures=FiguresOut.of(c.figures),
            ratios=RatiosOut.of(c.ratios),
        )


class CampaignKpisOut(BaseModel):
    campaign: str
    name: str
    goal: str
    currency: str
    starts_on: date
    ends_on: date
    budget: MoneyOut
    targets: dict[str, str]
    reference_cpm: MoneyOut
    creators: list[CreatorKpisOut] = Field(description="Best revenue first.")
    campaign_level: FiguresOut = Field(description="Costs not tied to a creator.")
    campaign_level_ratios: RatiosOut
    totals: FiguresOut
    total_ratios: RatiosOut
    fx_notes: list[str] = Field(description="How amounts in other currencies were converted.")

    @classmethod
    def of(cls, k: CampaignKpis) -> CampaignKpisOut:
        return cls(
            campaign=k.slug,
            name=k.name,
            goal=k.goal,
            currency=k.currency,
            starts_on=k.starts_on,
            ends_on=k.ends_on,
            budget=MoneyOut.of(k.budget),
            targets={name: decimal_text(value) for name, value in k.targets.items()},
            reference_cpm=MoneyOut.of(k.reference_cpm),
            creators=[CreatorKpisOut.of(c) for c in k.creators],
            campaign_level=FiguresOut.of(k.campaign_level),
            campaign_level_ratios=RatiosOut.of(k.campaign_level_ratios),
            totals=FiguresOut.of(k.totals),
            total_ratios=RatiosOut.of(k.total_ratios),
            fx_notes=list(k.fx_notes),
        )


class CampaignOverviewOut(BaseModel):
    campaign: str
    name: str
    goal: str
    status: str
    currency: str
    starts_on: date
    ends_on: date
    budget: MoneyOut
    creators: int
    figures: FiguresOut
    ratios: RatiosOut
    target_cpa: MoneyOut | None
    target_roas: str | None

    @classmethod
    def of(cls, r: CampaignOverviewRow) -> CampaignOverviewOut:
        return cls(
            campaign=r.slug,
            name=r.name,
            goal=r.goal,
            status=r.status,
            currency=r.currency,
            starts_on=r.starts_on,
            ends_on=r.ends_on,
            budget=MoneyOut.of(r.budget),
            creators=r.creators,
            figures=FiguresOut.of(r.figures),
            ratios=RatiosOut.of(r.ratios),
            target_cpa=money_out(r.target_cpa),
            target_roas=None if r.target_roas is None else decimal_text(r.target_roas),
        )


@router.get("/campaigns/{campaign_slug}/kpis", response_model=CampaignKpisOut, responses=ERRORS)
def campaign_kpis(
    request: Request, principal: Reader, campaign_slug: CampaignSlug
) -> CampaignKpisOut:
    """Every KPI of one campaign, per creator and in total, in the campaign currency."""
    return CampaignKpisOut.of(
        reporting.campaign_kpis(context_of(request), principal.workspace_slug, campaign_slug)
    )


@router.get("/reports/campaigns", response_model=Page[CampaignOverviewOut], responses=ERRORS)
def campaign_overview(
    request: Request, principal: Reader, page: Paging
) -> Page[CampaignOverviewOut]:
    """One row of totals per campaign, oldest first."""
    rows = reporting.campaign_overview(context_of(request), principal.workspace_slug)
    return slice_page(request, page, rows, CampaignOverviewOut.of)


@router.get(
    "/campaigns/{campaign_slug}/report",
    response_class=Response,
    responses={
        **ERRORS,
        200: {
            "description": "The report in the asked format.",
            "content": {media: {} for media in MEDIA_TYPES.values()},
        },
    },
)
def campaign_report(
    request: Request,
    principal: Reader,
    campaign_slug: CampaignSlug,
    fmt: Annotated[ReportFormat, Query(alias="format")] = ReportFormat.HTML,
    lang: Annotated[Literal["en", "da", "sv", "nb"], Query()] = "en",
    currency: Annotated[
        str | None, Query(max_length=3, description="Default: the campaign's.")
    ] = None,
) -> Response:
    """The campaign report for people (docs/reports.md), in ``lang``, its money in ``currency``."""
    report = reports.build_campaign_report(
        context_of(request), principal.workspace_slug, campaign_slug, lang=lang, currency=currency
    )
    disposition = "inline" if fmt is ReportFormat.HTML else "attachment"
    return Response(
        reports.render(report, fmt),
        media_type=MEDIA_TYPES[fmt],
        headers={"Content-Disposition": f'{disposition}; filename="{campaign_slug}.{fmt.value}"'},
    )
