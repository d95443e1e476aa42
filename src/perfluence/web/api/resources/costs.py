"""Costs of campaigns: list (by campaign, kind), book one; a campaign's investment and ROI."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Protocol

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from perfluence.core.money import Money
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services import costs
from perfluence.services.costs import CampaignInvestment, CostKind
from perfluence.web.api.pagination import Page, Paging, slice_page
from perfluence.web.api.resources.access import (
    ERRORS,
    RESOURCE_DEPENDENCIES,
    WRITE_ERRORS,
    Reader,
    Writer,
)
from perfluence.web.api.schemas_common import ApiInput, MoneyOut, amount_text, ratio_text
from perfluence.web.api.state import context_of

router = APIRouter(prefix="/api/v1", tags=["costs"], dependencies=RESOURCE_DEPENDENCIES)


class StoredCost(Protocol):
    """What ``services.costs`` answers for a booked cost."""

    @property
    def id(self) -> int: ...
    @property
    def campaign_slug(self) -> str: ...
    @property
    def creator_handle(self) -> str | None: ...
    @property
    def kind(self) -> str: ...
    @property
    def amount(self) -> Money: ...
    @property
    def incurred_on(self) -> date: ...
    @property
    def description(self) -> str | None: ...


def _kind(value: str) -> str:
    try:
        return CostKind(value.strip().lower()).value
    except ValueError:
        choices = ", ".join(k.value for k in CostKind)
        raise PerfluenceError(
            ErrorCode.INVALID, f"cost kind {value!r} is not one of {choices}", field="kind"
        ) from None


class CostOut(BaseModel):
    id: int
    campaign: str
    creator: str | None
    kind: str
    amount: MoneyOut
    incurred_on: date
    description: str | None

    @classmethod
    def of(cls, c: StoredCost) -> CostOut:
        return cls(
            id=c.id,
            campaign=c.campaign_slug,
            creator=c.creator_handle,
            kind=c.kind,
            amount=MoneyOut.of(c.amount),
            incurred_on=c.incurred_on,
            description=c.description,
        )


class CostIn(ApiInput):
    campaign: str = Field(max_length=64, description="Campaign slug.")
    creator: str | None = Field(
        default=None, max_length=101, description="Book it on this creator's partnership."
    )
    kind: str = Field(
        max_length=20, description="fee, commission, gifting, product, discount, agency, other."
    )
    amount: str = Field(max_length=40, description='Major units: "1500.00".')
    currency: str | None = Field(default=None, max_length=3, description="Default: campaign's.")
    incurred_on: date | None = Field(default=None, description="Default: today.")
    description: str | None = Field(default=None, max_length=1000)


class InvestmentOut(BaseModel):
    campaign: str
    currency: str
    rates_on: date = Field(description="The day of the ECB rates amounts were converted at.")
    costs_by_kind: dict[str, MoneyOut]
    creator_pay: MoneyOut
    investment: MoneyOut
    cogs: MoneyOut
    discounts: MoneyOut
    net_revenue: MoneyOut
    roi_percent: str | None = Field(description="null when there is no investment.")
    roi_margin_percent: str | None

    @classmethod
    def of(cls, i: CampaignInvestment) -> InvestmentOut:
        return cls(
            campaign=i.campaign,
            currency=i.currency,
            rates_on=i.on,
            costs_by_kind={k: MoneyOut.of(v) for k, v in i.costs_by_kind.items()},
            creator_pay=MoneyOut.of(i.creator_pay),
            investment=MoneyOut.of(i.investment),
            cogs=MoneyOut.of(i.cogs),
            discounts=MoneyOut.of(i.discounts),
            net_revenue=MoneyOut.of(i.net_revenue),
            roi_percent=ratio_text(i.roi),
            roi_margin_percent=ratio_text(i.roi_margin),
        )


@router.get("/costs", response_model=Page[CostOut], responses=ERRORS)
def list_costs(
    request: Request,
    principal: Reader,
    page: Paging,
    campaign: Annotated[str | None, Query(max_length=64)] = None,
    kind: Annotated[str | None, Query(max_length=20)] = None,
) -> Page[CostOut]:
    """Costs; filter by campaign or kind."""
    found = costs.list_costs(context_of(request), principal.workspace_slug, campaign)
    if kind is not None:
        wanted = _kind(kind)
        found = [c for c in found if c.kind == wanted]
    return slice_page(request, page, found, CostOut.of)


@router.post("/costs", status_code=201, response_model=CostOut, responses=WRITE_ERRORS)
def create_cost(request: Request, principal: Writer, body: CostIn) -> CostOut:
    """Book a cost on a campaign, or on one creator's partnership in it."""
    booked = costs.add_cost(
        context_of(request),
        principal.workspace_slug,
        body.campaign,
        kind=body.kind,
        amount=amount_text(body.amount, "amount"),
        currency=body.currency,
        creator=body.creator,
        on=body.incurred_on,
        description=body.description,
    )
    return CostOut.of(booked)


@router.get("/campaigns/{campaign_slug}/investment", response_model=InvestmentOut, responses=ERRORS)
def campaign_investment(
    request: Request,
    principal: Reader,
    campaign_slug: Annotated[str, Path(max_length=64)],
) -> InvestmentOut:
    """Investment, ROI and margin-true ROI of a campaign, in its currency."""
    return InvestmentOut.of(
        costs.campaign_investment(context_of(request), principal.workspace_slug, campaign_slug)
    )
