"""Conversions: list (by campaign, creator, kind, time) and get, with the lines they wrote.

They are created only through the track API and the shop webhooks.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Final

from fastapi import APIRouter, Path, Query, Request
from pydantic import AwareDatetime, BaseModel, Field

from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services import conversions
from perfluence.services.conversions import ConversionDetail, ConversionView, LedgerLineView
from perfluence.web.api.pagination import Page, PageRequest, Paging, page_of
from perfluence.web.api.resources.access import ERRORS, MAX_ID, RESOURCE_DEPENDENCIES, Reader
from perfluence.web.api.schemas_common import MoneyOut, money_out
from perfluence.web.api.state import context_of

router = APIRouter(
    prefix="/api/v1/conversions", tags=["conversions"], dependencies=RESOURCE_DEPENDENCIES
)

ConversionId = Annotated[int, Path(ge=1, le=MAX_ID)]
# Bounds that keep time-zone arithmetic inside datetime's range.
FIRST_YEAR: Final = 1970
LAST_YEAR: Final = 9998


class ConversionOut(BaseModel):
    id: int
    kind: str
    source: str
    external_id: str
    occurred_at: datetime
    amount: MoneyOut
    gross_amount: MoneyOut | None
    status: str
    attribution_method: str = Field(description="click_id, code, customer or none.")
    reason: str
    partnership_id: int | None
    creator: str | None
    campaign: str | None
    click_id: str | None
    code: str | None
    country: str | None
    seconds_from_click: int | None
    flags: list[str]
    reverses_id: int | None
    reverses_external_id: str | None
    created_at: datetime

    @classmethod
    def of(cls, v: ConversionView) -> ConversionOut:
        return cls(
            id=v.id,
            kind=v.kind,
            source=v.source,
            external_id=v.external_id,
            occurred_at=v.occurred_at,
            amount=MoneyOut.of(v.amount),
            gross_amount=money_out(v.gross_amount),
            status=v.status,
            attribution_method=v.attribution_method,
            reason=v.reason,
            partnership_id=v.partnership_id,
            creator=v.creator_handle,
            campaign=v.campaign_slug,
            click_id=v.click_id,
            code=v.code,
            country=v.country,
            seconds_from_click=v.seconds_from_click,
            flags=list(v.flags),
            reverses_id=v.reverses_id,
            reverses_external_id=v.reverses_external_id,
            created_at=v.created_at,
        )


class LedgerLineOut(BaseModel):
    partnership_id: int
    kind: str
    amount: MoneyOut
    payable_on: date
    description: str
    on_statement: bool

    @classmethod
    def of(cls, line: LedgerLineView) -> LedgerLineOut:
        return cls(
            partnership_id=line.partnership_id,
            kind=line.kind,
            amount=MoneyOut.of(line.amount),
            payable_on=line.payable_on,
            description=line.description,
            on_statement=line.on_statement,
        )


class ConversionDetailOut(ConversionOut):
    ledger: list[LedgerLineOut] = Field(description="What it earned (or took back), by line.")

    @classmethod
    def of_detail(cls, d: ConversionDetail) -> ConversionDetailOut:
        return cls(
            **ConversionOut.of(d.conversion).model_dump(),
            ledger=[LedgerLineOut.of(line) for line in d.ledger],
        )


def _bounded(value: datetime | None, field: str) -> datetime | None:
    if value is not None and not FIRST_YEAR <= value.year <= LAST_YEAR:
        raise PerfluenceError(
            ErrorCode.INVALID, f"{field} must be in {FIRST_YEAR}-{LAST_YEAR}", field=field
        )
    return value


@router.get("", response_model=Page[ConversionOut], responses=ERRORS)
def list_conversions(
    request: Request,
    principal: Reader,
    page: Paging,
    campaign: Annotated[str | None, Query(max_length=64)] = None,
    creator: Annotated[str | None, Query(max_length=101)] = None,
    kind: Annotated[str | None, Query(max_length=10, description="lead, sale or refund")] = None,
    occurred_from: Annotated[
        AwareDatetime | None, Query(description="From this time on (ISO 8601 with offset).")
    ] = None,
    occurred_before: Annotated[AwareDatetime | None, Query(description="Before this time.")] = None,
) -> Page[ConversionOut]:
    """Newest first; filter by campaign, creator, kind and time."""
    window = conversions.list_conversions(
        context_of(request),
        principal.workspace_slug,
        campaign=campaign,
        creator=creator,
        kind=kind,
        limit=page.limit + 1,
        offset=page.offset,
        occurred_from=_bounded(occurred_from, "occurred_from"),
        occurred_before=_bounded(occurred_before, "occurred_before"),
    )
    return page_of(request, PageRequest(page.limit, page.offset), window, ConversionOut.of)


@router.get("/{conversion_id}", response_model=ConversionDetailOut, responses=ERRORS)
def get_conversion(
    request: Request, principal: Reader, conversion_id: ConversionId
) -> ConversionDetailOut:
    """One conversion with the ledger lines it wrote."""
    return ConversionDetailOut.of_detail(
        conversions.get_conversion(context_of(request), principal.workspace_slug, conversion_id)
    )
