"""Discount codes: list (by campaign, creator), get, create (typed or from a pattern)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from perfluence.core.model import DiscountCode
from perfluence.services import codes
from perfluence.web.api.pagination import Page, Paging, slice_page
from perfluence.web.api.resources.access import (
    ERRORS,
    RESOURCE_DEPENDENCIES,
    WRITE_ERRORS,
    Reader,
    Writer,
)
from perfluence.web.api.schemas_common import ApiInput
from perfluence.web.api.state import context_of

router = APIRouter(prefix="/api/v1/codes", tags=["codes"], dependencies=RESOURCE_DEPENDENCIES)

Code = Annotated[str, Path(max_length=64, description="The code; case does not matter.")]


class CodeOut(BaseModel):
    id: int
    code: str
    campaign: str
    creator: str
    partnership_id: int
    description: str | None
    created_at: datetime

    @classmethod
    def of(cls, c: DiscountCode) -> CodeOut:
        return cls(
            id=c.id,
            code=c.code,
            campaign=c.campaign_slug,
            creator=c.creator_handle,
            partnership_id=c.partnership_id,
            description=c.description,
            created_at=c.created_at,
        )


class CodeIn(ApiInput):
    campaign: str = Field(max_length=64, description="Campaign slug.")
    creator: str = Field(max_length=101, description="Creator handle.")
    code: str | None = Field(default=None, max_length=64, examples=["EMMA15"])
    pattern: str | None = Field(
        default=None, max_length=64, description="Instead of code: e.g. {HANDLE}-{RAND4}."
    )
    description: str | None = Field(default=None, max_length=500)


@router.get("", response_model=Page[CodeOut], responses=ERRORS)
def list_codes(
    request: Request,
    principal: Reader,
    page: Paging,
    campaign: Annotated[str | None, Query(max_length=64)] = None,
    creator: Annotated[str | None, Query(max_length=101)] = None,
) -> Page[CodeOut]:
    found = codes.list_codes(
        context_of(request), principal.workspace_slug, campaign=campaign, creator=creator
    )
    return slice_page(request, page, found, CodeOut.of)


@router.post("", status_code=201, response_model=CodeOut, responses=WRITE_ERRORS)
def create_code(request: Request, principal: Writer, body: CodeIn) -> CodeOut:
    """A code as given, or drawn from a pattern (default ``{HANDLE}-{RAND4}``)."""
    created = codes.create_code(
        context_of(request),
        principal.workspace_slug,
        body.campaign,
        body.creator,
        code=body.code,
        pattern=body.pattern,
        description=body.description,
    )
    return CodeOut.of(created)


@router.get("/{code}", response_model=CodeOut, responses=ERRORS)
def get_code(request: Request, principal: Reader, code: Code) -> CodeOut:
    return CodeOut.of(codes.get_code(context_of(request), principal.workspace_slug, code))
