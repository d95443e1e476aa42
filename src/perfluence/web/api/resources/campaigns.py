"""Campaigns: list (by status), get, create, change status."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Final

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from perfluence.core.model import Campaign
from perfluence.services import campaigns
from perfluence.web.api.pagination import Page, Paging, slice_page
from perfluence.web.api.resources.access import (
    ERRORS,
    RESOURCE_DEPENDENCIES,
    WRITE_ERRORS,
    Reader,
    Writer,
)
from perfluence.web.api.schemas_common import (
    ApiInput,
    MoneyOut,
    amount_text,
    decimal_text,
    money_out,
    rate_text,
)
from perfluence.web.api.state import context_of

router = APIRouter(
    prefix="/api/v1/campaigns", tags=["campaigns"], dependencies=RESOURCE_DEPENDENCIES
)

CampaignSlug = Annotated[str, Path(max_length=64, description="The campaign's slug.")]
MAX_TARGETS: Final = 20


class CampaignOut(BaseModel):
    id: int
    slug: str
    name: str
    goal: str
    status: str
    starts_on: date
    ends_on: date
    budget: MoneyOut
    currency: str
    markets: list[str]
    brief: str | None
    kpi_targets: dict[str, str] = Field(
        description="Exact targets: money in the campaign currency, rates as fractions, ROI in %."
    )
    attribution_window_days: int
    reference_cpm: MoneyOut | None
    created_at: datetime

    @classmethod
    def of(cls, c: Campaign) -> CampaignOut:
        return cls(
            id=c.id,
            slug=c.slug,
            name=c.name,
            goal=c.goal.value,
            status=c.status.value,
            starts_on=c.starts_on,
            ends_on=c.ends_on,
            budget=MoneyOut.of(c.budget),
            currency=c.currency,
            markets=list(c.markets),
            brief=c.brief,
            kpi_targets={m.value: decimal_text(v) for m, v in c.kpi_targets.items()},
            attribution_window_days=c.attribution_window_days,
            reference_cpm=money_out(c.reference_cpm),
            created_at=c.created_at,
        )


class CampaignIn(ApiInput):
    slug: str = Field(min_length=1, max_length=64, examples=["spring-2026"])
    name: str = Field(min_length=1, max_length=200)
    goal: str = Field(
        max_length=20, description="awareness, traffic, leads, sales, followers, launch"
    )
    starts_on: date
    ends_on: date
    budget: str = Field(default="0", max_length=40, description='Major units: "25000.00".')
    currency: str | None = Field(default=None, max_length=3, description="Default: workspace's.")
    markets: list[str] = Field(default_factory=list, max_length=50, examples=[["DK", "SE"]])
    brief: str | None = Field(default=None, max_length=20_000)
    targets: dict[str, str] = Field(
        default_factory=dict,
        max_length=MAX_TARGETS,
        description='KPI targets as strings: {"roas": "4", "ctr": "1.5%", "cpa": "150"}.',
    )
    attribution_window_days: int | None = Field(default=None, ge=1, le=365)
    reference_cpm: str | None = Field(default=None, max_length=40)
    status: str = Field(default="draft", max_length=20)


class CampaignChange(ApiInput):
    status: str = Field(max_length=20, description="draft, active, paused or ended.")


@router.get("", response_model=Page[CampaignOut], responses=ERRORS)
def list_campaigns(
    request: Request,
    principal: Reader,
    page: Paging,
    status: Annotated[str | None, Query(max_length=20)] = None,
) -> Page[CampaignOut]:
    """Campaigns, newest start first; filter by status."""
    found = campaigns.list_campaigns(context_of(request), principal.workspace_slug, status=status)
    return slice_page(request, page, found, CampaignOut.of)


@router.post("", status_code=201, response_model=CampaignOut, responses=WRITE_ERRORS)
def create_campaign(request: Request, principal: Writer, body: CampaignIn) -> CampaignOut:
    created = campaigns.create_campaign(
        context_of(request),
        principal.workspace_slug,
        body.slug,
        name=body.name,
        goal=body.goal,
        starts_on=body.starts_on,
        ends_on=body.ends_on,
        budget=amount_text(body.budget, "budget"),
        currency=body.currency,
        markets=body.markets,
        brief=body.brief,
        targets={k: rate_text(v, f"targets.{k}") for k, v in body.targets.items()},
        attribution_window_days=body.attribution_window_days,
        reference_cpm=None
        if body.reference_cpm is None
        else amount_text(body.reference_cpm, "reference_cpm"),
        status=body.status,
    )
    return CampaignOut.of(created)


@router.get("/{campaign_slug}", response_model=CampaignOut, responses=ERRORS)
def get_campaign(request: Request, principal: Reader, campaign_slug: CampaignSlug) -> CampaignOut:
    return CampaignOut.of(
        campaigns.get_campaign(context_of(request), principal.workspace_slug, campaign_slug)
    )


@router.patch("/{campaign_slug}", response_model=CampaignOut, responses=WRITE_ERRORS)
def change_campaign(
    request: Request, principal: Writer, campaign_slug: CampaignSlug, body: CampaignChange
) -> CampaignOut:
    """Change the campaign's status."""
    return CampaignOut.of(
        campaigns.set_campaign_status(
            context_of(request), principal.workspace_slug, campaign_slug, body.status
        )
    )
