"""Creators and their social accounts: list (by tier, platform, country), get, add."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from perfluence.core.model import Creator, SocialAccount
from perfluence.services import creators
from perfluence.services.creators import NewAccount
from perfluence.web.api.pagination import Page, Paging, slice_page
from perfluence.web.api.resources.access import (
    ERRORS,
    RESOURCE_DEPENDENCIES,
    WRITE_ERRORS,
    Reader,
    Writer,
)
from perfluence.web.api.schemas_common import ApiInput, amount_text, decimal_text
from perfluence.web.api.state import context_of

router = APIRouter(prefix="/api/v1/creators", tags=["creators"], dependencies=RESOURCE_DEPENDENCIES)

MAX_FOLLOWERS: Final = 10**12
Handle = Annotated[str, Path(max_length=101, description="The creator's handle (no @).")]


class AccountOut(BaseModel):
    platform: str
    handle: str
    url: str | None
    followers: int
    audience: dict[str, dict[str, str]] = Field(description="Shares 0..1 as decimal strings.")
    updated_at: datetime

    @classmethod
    def of(cls, a: SocialAccount) -> AccountOut:
        return cls(
            platform=a.platform.value,
            handle=a.handle,
            url=a.url,
            followers=a.followers,
            audience={g: {k: decimal_text(v) for k, v in s.items()} for g, s in a.audience.items()},
            updated_at=a.updated_at,
        )


class CreatorOut(BaseModel):
    id: int
    handle: str
    name: str
    email: str | None
    country: str | None
    currency: str
    notes: str | None
    tier: str = Field(description="nano, micro, macro or mega, from the largest audience.")
    followers: int
    platforms: list[str]
    accounts: list[AccountOut]
    created_at: datetime

    @classmethod
    def of(cls, c: Creator) -> CreatorOut:
        return cls(
            id=c.id,
            handle=c.handle,
            name=c.name,
            email=c.email,
            country=c.country,
            currency=c.currency,
            notes=c.notes,
            tier=c.tier.value,
            followers=c.followers,
            platforms=[p.value for p in c.platforms],
            accounts=[AccountOut.of(a) for a in c.accounts],
            created_at=c.created_at,
        )


class AccountIn(ApiInput):
    platform: str = Field(max_length=20, examples=["instagram"])
    handle: str | None = Field(default=None, max_length=101, description="Default: the creator's.")
    followers: int = Field(default=0, ge=0, le=MAX_FOLLOWERS)
    url: str | None = Field(default=None, max_length=2000)
    audience: dict[str, dict[str, str]] | None = Field(
        default=None,
        max_length=20,
        description='Shares per group as decimal strings: {"country": {"DK": "0.7"}}.',
    )

    def to_new(self) -> NewAccount:
        for group, shares in (self.audience or {}).items():
            for key, share in shares.items():
                # Plain decimals only: "1e-999999999" would be a billion digits once stored.
                amount_text(share, f"audience.{group}.{key}")
        return NewAccount(
            platform=self.platform,
            handle=self.handle,
            followers=self.followers,
            url=self.url,
            audience=self.audience,
        )


class CreatorIn(ApiInput):
    handle: str = Field(min_length=1, max_length=101, examples=["emma.eats"])
    name: str = Field(min_length=1, max_length=200, examples=["Emma Ørsted"])
    email: str | None = Field(default=None, max_length=320)
    country: str | None = Field(default=None, max_length=2, examples=["DK"])
    currency: str | None = Field(
        default=None, max_length=3, description="Payout currency; default: the workspace's."
    )
    notes: str | None = Field(default=None, max_length=5000)
    accounts: list[AccountIn] = Field(default_factory=list, max_length=20)


@router.get("", response_model=Page[CreatorOut], responses=ERRORS)
def list_creators(
    request: Request,
    principal: Reader,
    page: Paging,
    tier: Annotated[str | None, Query(max_length=10, description="nano, micro, …")] = None,
    platform: Annotated[str | None, Query(max_length=20)] = None,
    country: Annotated[str | None, Query(max_length=2)] = None,
) -> Page[CreatorOut]:
    """Creators by handle; filter by tier, platform or country."""
    found = creators.list_creators(
        context_of(request), principal.workspace_slug, tier=tier, platform=platform, country=country
    )
    return slice_page(request, page, found, CreatorOut.of)


@router.post("", status_code=201, response_model=CreatorOut, responses=WRITE_ERRORS)
def create_creator(request: Request, principal: Writer, body: CreatorIn) -> CreatorOut:
    """Add a creator, with any social accounts."""
    created = creators.add_creator(
        context_of(request),
        principal.workspace_slug,
        body.handle,
        name=body.name,
        email=body.email,
        country=body.country,
        currency=body.currency,
        notes=body.notes,
        accounts=[a.to_new() for a in body.accounts],
    )
    return CreatorOut.of(created)


@router.get("/{handle}", response_model=CreatorOut, responses=ERRORS)
def get_creator(request: Request, principal: Reader, handle: Handle) -> CreatorOut:
    return CreatorOut.of(
        creators.get_creator(context_of(request), principal.workspace_slug, handle)
    )


@router.post(
    "/{handle}/accounts", status_code=201, response_model=CreatorOut, responses=WRITE_ERRORS
)
def add_account(request: Request, principal: Writer, handle: Handle, body: AccountIn) -> CreatorOut:
    """Add a social account to a creator; answers the creator."""
    return CreatorOut.of(
        creators.add_account(context_of(request), principal.workspace_slug, handle, body.to_new())
    )
