"""Tracking links: list (by campaign, creator, status), get, create, change."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query, Request
from pydantic import BaseModel, Field

from perfluence.core.links import validate_destination, validate_utm
from perfluence.core.model import LinkStatus, TrackingLink
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services import links
from perfluence.services.context import Context
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

router = APIRouter(prefix="/api/v1/links", tags=["links"], dependencies=RESOURCE_DEPENDENCIES)

LinkSlug = Annotated[str, Path(max_length=64, description="The link's slug (in /l/{slug}).")]
Url = Annotated[str, Field(max_length=2000)]
Utm = Annotated[dict[str, str], Field(max_length=20, description='{"utm_source": "tiktok"}.')]


class LinkOut(BaseModel):
    id: int
    slug: str
    short_url: str = Field(description="What people click.")
    campaign: str
    creator: str
    partnership_id: int
    destination_url: str
    utm: dict[str, str]
    tracking_destination: str = Field(description="The destination with UTM parameters merged.")
    status: str
    click_cap: int | None
    fallback_url: str | None
    created_at: datetime
    updated_at: datetime

    @classmethod
    def of(cls, ctx: Context, link: TrackingLink) -> LinkOut:
        return cls(
            id=link.id,
            slug=link.slug,
            short_url=links.public_url(ctx, link.slug),
            campaign=link.campaign_slug,
            creator=link.creator_handle,
            partnership_id=link.partnership_id,
            destination_url=link.destination_url,
            utm=dict(link.utm),
            tracking_destination=link.tracking_destination,
            status=link.status.value,
            click_cap=link.click_cap,
            fallback_url=link.fallback_url,
            created_at=link.created_at,
            updated_at=link.updated_at,
        )


class LinkIn(ApiInput):
    campaign: str = Field(max_length=64, description="Campaign slug.")
    creator: str = Field(max_length=101, description="Creator handle.")
    destination: Url
    slug: str | None = Field(default=None, max_length=64, description="Default: a random one.")
    utm: Utm | None = None
    click_cap: int | None = Field(default=None, ge=1, le=links.MAX_CLICK_CAP)
    fallback_url: Url | None = None


class LinkChange(ApiInput):
    """Only the fields sent change; ``utm`` overrides merge (``""`` removes one)."""

    destination: Url | None = None
    utm: Utm | None = None
    status: str | None = Field(default=None, max_length=20, description="active or paused.")
    click_cap: int | None = Field(default=None, ge=1, le=links.MAX_CLICK_CAP)
    fallback_url: Url | None = None


@router.get("", response_model=Page[LinkOut], responses=ERRORS)
def list_links(
    request: Request,
    principal: Reader,
    page: Paging,
    campaign: Annotated[str | None, Query(max_length=64)] = None,
    creator: Annotated[str | None, Query(max_length=101)] = None,
    status: Annotated[str | None, Query(max_length=20, description="active or paused")] = None,
) -> Page[LinkOut]:
    ctx = context_of(request)
    found = links.list_links(
        ctx, principal.workspace_slug, campaign=campaign, creator=creator, status=status
    )
    return slice_page(request, page, found, lambda link: LinkOut.of(ctx, link))


@router.post("", status_code=201, response_model=LinkOut, responses=WRITE_ERRORS)
def create_link(request: Request, principal: Writer, body: LinkIn) -> LinkOut:
    """A new active link for a creator in a campaign."""
    ctx = context_of(request)
    created = links.create_link(
        ctx,
        principal.workspace_slug,
        body.campaign,
        body.creator,
        body.destination,
        slug=body.slug,
        utm=body.utm,
        click_cap=body.click_cap,
        fallback_url=body.fallback_url,
    )
    return LinkOut.of(ctx, created)


@router.get("/{link_slug}", response_model=LinkOut, responses=ERRORS)
def get_link(request: Request, principal: Reader, link_slug: LinkSlug) -> LinkOut:
    ctx = context_of(request)
    return LinkOut.of(ctx, links.get_link(ctx, principal.workspace_slug, link_slug))


@router.patch("/{link_slug}", response_model=LinkOut, responses=WRITE_ERRORS)
def change_link(
    request: Request, principal: Writer, link_slug: LinkSlug, body: LinkChange
) -> LinkOut:
    """Change the destination, UTM parameters, status, click cap or fallback.

    Every field is checked before anything changes, so a refused change
    leaves the link as it was.
    """
    ctx = context_of(request)
    ws = principal.workspace_slug
    link = links.get_link(ctx, ws, link_slug)
    sent = body.model_fields_set
    _check(body)
    if body.destination is not None:
        link = links.update_destination(ctx, ws, link.slug, body.destination)
    if body.utm is not None:
        link = links.update_utm(ctx, ws, link.slug, body.utm)
    if body.status is not None:
        wanted = _status(body.status)
        link = (
            links.pause_link(ctx, ws, link.slug)
            if wanted is LinkStatus.PAUSED
            else links.resume_link(ctx, ws, link.slug)
        )
    if sent & {"click_cap", "fallback_url"}:
        link = links.set_click_cap(
            ctx,
            ws,
            link.slug,
            body.click_cap if "click_cap" in sent else link.click_cap,
            body.fallback_url if "fallback_url" in sent else link.fallback_url,
        )
    return LinkOut.of(ctx, link)


def _status(value: str) -> LinkStatus:
    try:
        return LinkStatus(value.strip().lower())
    except ValueError:
        raise PerfluenceError(
            ErrorCode.INVALID, f"status {value!r} is not active or paused", field="status"
        ) from None


def _check(body: LinkChange) -> None:
    if body.destination is not None:
        validate_destination(body.destination)
    if body.utm is not None:
        validate_utm(body.utm)
    if body.status is not None:
        _status(body.status)
    if body.fallback_url is not None:
        validate_destination(body.fallback_url, field="fallback_url")
