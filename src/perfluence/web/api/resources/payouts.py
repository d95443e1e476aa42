"""Payout statements: list (by creator, status), get with lines, preview, create, approve, pay.

Preview, create, approve and mark-paid change (or could change) what a
creator is paid, so all four need the ``write`` scope.
"""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Annotated, Protocol

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from perfluence.core.money import Money
from perfluence.core.statements import StatementLine, StatementStatus
from perfluence.services import payouts
from perfluence.services.payouts import StatementView
from perfluence.web.api.pagination import Page, Paging, slice_page
from perfluence.web.api.resources.access import (
    ERRORS,
    MAX_ID,
    RESOURCE_DEPENDENCIES,
    WRITE_ERRORS,
    Reader,
    Writer,
)
from perfluence.web.api.schemas_common import ApiInput, MoneyOut, decimal_text, money_out
from perfluence.web.api.state import context_of

router = APIRouter(prefix="/api/v1/payouts", tags=["payouts"], dependencies=RESOURCE_DEPENDENCIES)

StatementId = Annotated[int, Path(ge=1, le=MAX_ID)]


class StoredStatement(Protocol):
    """A stored statement as ``services.payouts`` answers it."""

    @property
    def id(self) -> int: ...
    @property
    def creator_handle(self) -> str: ...
    @property
    def period_start(self) -> date: ...
    @property
    def period_end(self) -> date: ...
    @property
    def total(self) -> Money: ...
    @property
    def carried_in(self) -> Money: ...
    @property
    def fx_rate_date(self) -> date | None: ...
    @property
    def status(self) -> StatementStatus: ...
    @property
    def created_at(self) -> datetime: ...
    @property
    def approved_at(self) -> datetime | None: ...
    @property
    def paid_at(self) -> datetime | None: ...
    @property
    def carried_into_id(self) -> int | None: ...


class StoredLine(Protocol):
    @property
    def partnership_id(self) -> int: ...
    @property
    def campaign_slug(self) -> str: ...
    @property
    def kind(self) -> str: ...
    @property
    def description(self) -> str: ...
    @property
    def amount(self) -> Money: ...
    @property
    def payable_on(self) -> date: ...
    @property
    def converted(self) -> Money: ...
    @property
    def fx_rate(self) -> Decimal: ...


class StatementOut(BaseModel):
    id: int
    creator: str
    period_start: date
    period_end: date
    status: str = Field(description="pending, approved, paid or carried.")
    total: MoneyOut
    carried_in: MoneyOut
    fx_rate_date: date | None
    created_at: datetime
    approved_at: datetime | None
    paid_at: datetime | None
    carried_into_id: int | None

    @classmethod
    def of(cls, s: StoredStatement) -> StatementOut:
        return cls(
            id=s.id,
            creator=s.creator_handle,
            period_start=s.period_start,
            period_end=s.period_end,
            status=s.status.value,
            total=MoneyOut.of(s.total),
            carried_in=MoneyOut.of(s.carried_in),
            fx_rate_date=s.fx_rate_date,
            created_at=s.created_at,
            approved_at=s.approved_at,
            paid_at=s.paid_at,
            carried_into_id=s.carried_into_id,
        )


class StatementLineOut(BaseModel):
    partnership_id: int
    campaign: str
    kind: str
    description: str
    amount: MoneyOut = Field(description="In the currency it was earned in.")
    payable_on: date
    converted: MoneyOut = Field(description="In the statement's currency.")
    fx_rate: str

    @classmethod
    def of(cls, line: StoredLine) -> StatementLineOut:
        return cls(
            partnership_id=line.partnership_id,
            campaign=line.campaign_slug,
            kind=line.kind,
            description=line.description,
            amount=MoneyOut.of(line.amount),
            payable_on=line.payable_on,
            converted=MoneyOut.of(line.converted),
            fx_rate=decimal_text(line.fx_rate),
        )

    @classmethod
    def drawn(cls, line: StatementLine, campaigns: dict[int, str]) -> StatementLineOut:
        source = line.source
        return cls(
            partnership_id=source.partnership_id,
            campaign=campaigns.get(source.partnership_id, ""),
            kind=source.kind,
            description=source.description,
            amount=MoneyOut.of(source.amount),
            payable_on=source.payable_on,
            converted=MoneyOut.of(line.converted),
            fx_rate=decimal_text(line.fx_rate),
        )


class StatementDetailOut(StatementOut):
    lines: list[StatementLineOut]


class DraftOut(BaseModel):
    """A statement as drawn up: ``id`` is null for a preview."""

    id: int | None
    creator: str
    period_start: date
    period_end: date
    status: str
    total: MoneyOut
    carried_in: MoneyOut
    minimum_payout: MoneyOut | None
    fx_rate_date: date | None
    note: str
    lines: list[StatementLineOut]

    @classmethod
    def of(cls, view: StatementView) -> DraftOut:
        s = view.statement
        return cls(
            id=view.id,
            creator=view.creator,
            period_start=s.period_start,
            period_end=s.period_end,
            status=s.status.value,
            total=MoneyOut.of(s.total),
            carried_in=MoneyOut.of(s.carried_in),
            minimum_payout=money_out(s.minimum_payout),
            fx_rate_date=s.fx_rate_date,
            note=s.note,
            lines=[StatementLineOut.drawn(line, view.campaigns) for line in s.lines],
        )


class PeriodIn(ApiInput):
    creator: str = Field(max_length=101, description="Creator handle.")
    period_start: date
    period_end: date


@router.get("", response_model=Page[StatementOut], responses=ERRORS)
def list_statements(
    request: Request,
    principal: Reader,
    page: Paging,
    creator: Annotated[str | None, Query(max_length=101)] = None,
    status: Annotated[str | None, Query(max_length=20)] = None,
) -> Page[StatementOut]:
    """Statements; filter by creator or status."""
    found = payouts.list_statements(
        context_of(request), principal.workspace_slug, creator=creator, status=status
    )
    return slice_page(request, page, found, StatementOut.of)


@router.post("/preview", response_model=DraftOut, responses=WRITE_ERRORS)
def preview_statement(request: Request, principal: Writer, body: PeriodIn) -> DraftOut:
    """The statement ``POST /api/v1/payouts`` would write now; writes nothing."""
    return DraftOut.of(
        payouts.preview_statement(
            context_of(request),
            principal.workspace_slug,
            body.creator,
            body.period_start,
            body.period_end,
        )
    )


@router.post("", status_code=201, response_model=DraftOut, responses=WRITE_ERRORS)
def create_statement(request: Request, principal: Writer, body: PeriodIn) -> DraftOut:
    """Write a creator's statement for a period and claim its lines."""
    return DraftOut.of(
        payouts.create_statement(
            context_of(request),
            principal.workspace_slug,
            body.creator,
            body.period_start,
            body.period_end,
        )
    )


@router.get("/{statement_id}", response_model=StatementDetailOut, responses=ERRORS)
def get_statement(
    request: Request, principal: Reader, statement_id: StatementId
) -> StatementDetailOut:
    row, lines = payouts.statement_lines(
        context_of(request), principal.workspace_slug, statement_id
    )
    return StatementDetailOut(
        **StatementOut.of(row).model_dump(), lines=[StatementLineOut.of(line) for line in lines]
    )


@router.post("/{statement_id}/approve", response_model=StatementOut, responses=WRITE_ERRORS)
def approve_statement(
    request: Request, principal: Writer, statement_id: StatementId
) -> StatementOut:
    """pending → approved."""
    return StatementOut.of(
        payouts.approve_statement(context_of(request), principal.workspace_slug, statement_id)
    )


@router.post("/{statement_id}/mark-paid", response_model=StatementOut, responses=WRITE_ERRORS)
def mark_paid(request: Request, principal: Writer, statement_id: StatementId) -> StatementOut:
    """approved → paid."""
    return StatementOut.of(
        payouts.mark_paid(context_of(request), principal.workspace_slug, statement_id)
    )
