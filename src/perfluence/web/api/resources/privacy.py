"""Erasure on request (GDPR article 17): forget a customer or a creator of the key's workspace.

Both need the ``privacy`` scope, which no other route accepts: give it only to
the tool that handles data-subject requests. The answer counts what was
erased; a repeated request answers the same way, with ``repeat_of`` set.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from pydantic import BaseModel, Field

from perfluence.services import privacy
from perfluence.services.api_keys import ApiPrincipal, ApiScope
from perfluence.web.api.auth import require_scope
from perfluence.web.api.resources.access import ERRORS, RESOURCE_DEPENDENCIES
from perfluence.web.api.schemas_common import ApiInput
from perfluence.web.api.state import context_of

router = APIRouter(
    prefix="/api/v1/privacy",
    tags=["privacy"],
    dependencies=RESOURCE_DEPENDENCIES,
    responses=ERRORS,
)
Privacy = Annotated[ApiPrincipal, Depends(require_scope(ApiScope.PRIVACY))]
_IDENTIFIER = Field(default=None, max_length=privacy.MAX_IDENTIFIER)


class ForgetCustomerIn(ApiInput):
    """Exactly one of the three."""

    email: str | None = _IDENTIFIER
    customer_ref: str | None = _IDENTIFIER
    order: str | None = Field(
        default=None,
        max_length=privacy.MAX_IDENTIFIER,
        description="An order id, order name or payment id of one of the customer's orders.",
    )


class ForgetCustomerOut(BaseModel):
    conversions: int = Field(description="Conversions whose identifiers were erased.")
    clicks: int = Field(description="Clicks whose visitor hash was replaced.")
    repeat_of: datetime | None = Field(description="When this identifier was forgotten first.")


class ForgetCreatorIn(ApiInput):
    handle: str = Field(min_length=1, max_length=100)


class ForgetCreatorOut(BaseModel):
    tombstone: str | None = Field(description="The creator's handle from now on.")
    kept_for_bookkeeping: list[str]
    accounts: int
    posts: int
    codes: int
    links: int
    partnerships: int
    conversions: int
    repeat_of: datetime | None


def _actor(principal: ApiPrincipal) -> str:
    return f"api_key:{principal.key_prefix}"


@router.post("/forget-customer", response_model=ForgetCustomerOut)
def forget_customer(
    request: Request, principal: Privacy, body: ForgetCustomerIn
) -> ForgetCustomerOut:
    """Erase a customer's identifiers; their conversions keep their money."""
    done = privacy.forget_customer(
        context_of(request),
        principal.workspace_slug,
        email=body.email,
        customer_ref=body.customer_ref,
        order=body.order,
        actor=_actor(principal),
    )
    return ForgetCustomerOut(
        conversions=done.conversions, clicks=done.clicks, repeat_of=done.repeat_of
    )


@router.post("/forget-creator", response_model=ForgetCreatorOut)
def forget_creator(request: Request, principal: Privacy, body: ForgetCreatorIn) -> ForgetCreatorOut:
    """Erase a creator's identifiers; figures and booked payment records stay."""
    done = privacy.forget_creator(
        context_of(request), principal.workspace_slug, body.handle, actor=_actor(principal)
    )
    return ForgetCreatorOut(
        tombstone=done.tombstone,
        kept_for_bookkeeping=list(done.kept_for_bookkeeping),
        accounts=done.accounts,
        posts=done.posts,
        codes=done.codes,
        links=done.links,
        partnerships=done.partnerships,
        conversions=done.conversions,
        repeat_of=done.repeat_of,
    )
