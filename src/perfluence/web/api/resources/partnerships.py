"""Partnerships (a creator in a campaign under contract terms): list, get, create."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from perfluence.core.model import Partnership
from perfluence.core.terms import terms_to_dict
from perfluence.services import partnerships
from perfluence.web.api.pagination import Page, Paging, slice_page
from perfluence.web.api.resources.access import (
    ERRORS,
    MAX_ID,
    RESOURCE_DEPENDENCIES,
    WRITE_ERRORS,
    Reader,
    Writer,
)
from perfluence.web.api.schemas_common import ApiInput, amount_text, rate_text
from perfluence.web.api.state import context_of

router = APIRouter(
    prefix="/api/v1/partnerships", tags=["partnerships"], dependencies=RESOURCE_DEPENDENCIES
)

PartnershipId = Annotated[int, Path(ge=1, le=MAX_ID)]
Amount = Annotated[str, Field(max_length=40, description='Major units: "500.00".')]
Rate = Annotated[
    str, Field(max_length=20, description='A fraction or a percentage: "0.12", "12%".')
]


class InstalmentIn(ApiInput):
    due_on: date
    amount: Amount


class CommissionTierIn(ApiInput):
    rate: Rate
    from_orders: int | None = Field(default=None, ge=1, le=10**9)
    from_revenue: Amount | None = None


class TermsIn(ApiInput):
    """Contract terms (see docs/payouts.md); amounts in the terms' currency."""

    model: str = Field(max_length=20, description="flat_fee, cpc, cpl, cps, gifting or hybrid.")
    currency: str | None = Field(default=None, max_length=3, description="Default: creator's.")
    flat_fee: Amount | None = None
    fee_schedule: list[InstalmentIn] = Field(default_factory=list, max_length=100)
    cpc_rate: Amount | None = None
    cpl_rate: Amount | None = None
    commission_rate: Rate | None = None
    commission_tiers: list[CommissionTierIn] = Field(default_factory=list, max_length=50)
    country_rates: dict[str, Rate] = Field(default_factory=dict, max_length=300)
    gifting_value: Amount | None = None
    cap_per_period: Amount | None = None
    cap_period: str | None = Field(default=None, max_length=10, description="week or month.")
    cap_total: Amount | None = None
    hold_days: int | None = Field(default=None, ge=0, le=365)
    minimum_payout: Amount | None = None
    exclusivity: str | None = Field(default=None, max_length=5000)
    usage_rights: str | None = Field(default=None, max_length=5000)

    def checked(self) -> dict[str, object]:
        """The dict ``core.terms`` parses, every amount and rate checked for shape first."""
        raw = self.model_dump(exclude_none=True, exclude_defaults=False)
        for name in (
            "flat_fee", "cpc_rate", "cpl_rate", "gifting_value",
            "cap_per_period", "cap_total", "minimum_payout",
        ):  # fmt: skip
            if name in raw:
                amount_text(raw[name], name)
        if "commission_rate" in raw:
            rate_text(raw["commission_rate"], "commission_rate")
        for n, item in enumerate(self.fee_schedule, start=1):
            amount_text(item.amount, f"fee_schedule[{n}]")
        for n, tier in enumerate(self.commission_tiers, start=1):
            rate_text(tier.rate, f"commission_tiers[{n}]")
            if tier.from_revenue is not None:
                amount_text(tier.from_revenue, f"commission_tiers[{n}]")
        for code, rate in self.country_rates.items():
            rate_text(rate, f"country_rates[{code}]")
        raw["fee_schedule"] = [
            {"due_on": i.due_on.isoformat(), "amount": i.amount} for i in self.fee_schedule
        ]
        return raw


class PartnershipOut(BaseModel):
    id: int
    campaign: str
    creator: str
    status: str
    payment_model: str
    currency: str
    hold_days: int
    terms: dict[str, object] = Field(description="Amounts and rates as exact decimal strings.")
    created_at: datetime

    @classmethod
    def of(cls, p: Partnership) -> PartnershipOut:
        return cls(
            id=p.id,
            campaign=p.campaign_slug,
            creator=p.creator_handle,
            status=p.status.value,
            payment_model=p.payment_model.value,
            currency=p.currency,
            hold_days=p.hold_days,
            terms=terms_to_dict(p.terms),
            created_at=p.created_at,
        )


class PartnershipIn(ApiInput):
    campaign: str = Field(max_length=64, description="Campaign slug.")
    creator: str = Field(max_length=101, description="Creator handle.")
    terms: TermsIn
    status: str = Field(default="active", max_length=20)


@router.get("", response_model=Page[PartnershipOut], responses=ERRORS)
def list_partnerships(
    request: Request,
    principal: Reader,
    page: Paging,
    campaign: Annotated[str | None, Query(max_length=64)] = None,
    creator: Annotated[str | None, Query(max_length=101)] = None,
) -> Page[PartnershipOut]:
    """Partnerships by campaign and creator; filter by either."""
    found = partnerships.list_partnerships(
        context_of(request), principal.workspace_slug, campaign=campaign, creator=creator
    )
    return slice_page(request, page, found, PartnershipOut.of)


@router.post("", status_code=201, response_model=PartnershipOut, responses=WRITE_ERRORS)
def create_partnership(request: Request, principal: Writer, body: PartnershipIn) -> PartnershipOut:
    """Put a creator into a campaign under contract terms."""
    created = partnerships.create_partnership(
        context_of(request),
        principal.workspace_slug,
        body.campaign,
        body.creator,
        body.terms.checked(),
        status=body.status,
    )
    return PartnershipOut.of(created)


@router.get("/{partnership_id}", response_model=PartnershipOut, responses=ERRORS)
def get_partnership(
    request: Request, principal: Reader, partnership_id: PartnershipId
) -> PartnershipOut:
    return PartnershipOut.of(
        partnerships.get_partnership_by_id(
            context_of(request), principal.workspace_slug, partnership_id
        )
    )
