"""Posts (deliverables) and their latest metrics: list, get, add, change."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Final

from fastapi import APIRouter, Path, Query, Request
from pydantic import AwareDatetime, BaseModel, Field

from perfluence.services import posts
from perfluence.services.posts import Post
from perfluence.web.api.pagination import Page, Paging, slice_page
from perfluence.web.api.resources.access import (
    ERRORS,
    MAX_ID,
    RESOURCE_DEPENDENCIES,
    WRITE_ERRORS,
    Reader,
    Writer,
)
from perfluence.web.api.schemas_common import ApiInput
from perfluence.web.api.state import context_of

router = APIRouter(prefix="/api/v1/posts", tags=["posts"], dependencies=RESOURCE_DEPENDENCIES)

PostId = Annotated[int, Path(ge=1, le=MAX_ID)]
MAX_COUNT: Final = posts.MAX_COUNT
Count = Annotated[int | None, Field(default=None, ge=0, le=MAX_COUNT)]


class MetricsOut(BaseModel):
    impressions: int
    reach: int
    views: int
    likes: int
    comments: int
    shares: int
    saves: int


class PostOut(BaseModel):
    id: int
    creator: str
    campaign: str | None
    partnership_id: int | None
    platform: str
    external_id: str
    url: str | None
    published_at: datetime | None
    caption: str | None
    metrics: MetricsOut
    updated_at: datetime

    @classmethod
    def of(cls, p: Post) -> PostOut:
        return cls(
            id=p.id,
            creator=p.creator_handle,
            campaign=p.campaign_slug,
            partnership_id=p.partnership_id,
            platform=p.platform,
            external_id=p.external_id,
            url=p.url,
            published_at=p.published_at,
            caption=p.caption,
            metrics=MetricsOut(**p.metrics),
            updated_at=p.updated_at,
        )


class MetricsIn(ApiInput):
    """Latest counts; a count left out is unchanged (0 for a new post)."""

    impressions: Count = None
    reach: Count = None
    views: Count = None
    likes: Count = None
    comments: Count = None
    shares: Count = None
    saves: Count = None

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = self.model_dump(exclude_none=True)
        return counts


class PostIn(ApiInput):
    creator: str = Field(max_length=101, description="Creator handle.")
    campaign: str | None = Field(default=None, max_length=64, description="Campaign slug.")
    platform: str = Field(max_length=20, examples=["instagram"])
    external_id: str = Field(min_length=1, max_length=200, description="The platform's post id.")
    url: str | None = Field(default=None, max_length=2000)
    published_at: AwareDatetime | None = None
    caption: str | None = Field(default=None, max_length=posts.MAX_CAPTION)
    metrics: MetricsIn = Field(default_factory=MetricsIn)


class PostChange(ApiInput):
    """Only the fields sent change."""

    url: str | None = Field(default=None, max_length=2000)
    published_at: AwareDatetime | None = None
    caption: str | None = Field(default=None, max_length=posts.MAX_CAPTION)
    metrics: MetricsIn = Field(default_factory=MetricsIn)


@router.get("", response_model=Page[PostOut], responses=ERRORS)
def list_posts(
    request: Request,
    principal: Reader,
    page: Paging,
    campaign: Annotated[str | None, Query(max_length=64)] = None,
    creator: Annotated[str | None, Query(max_length=101)] = None,
    platform: Annotated[str | None, Query(max_length=20)] = None,
) -> Page[PostOut]:
    """Newest published first; filter by campaign, creator or platform."""
    found = posts.list_posts(
        context_of(request),
        principal.workspace_slug,
        campaign=campaign,
        creator=creator,
        platform=platform,
    )
    return slice_page(request, page, found, PostOut.of)


@router.post("", status_code=201, response_model=PostOut, responses=WRITE_ERRORS)
def create_post(request: Request, principal: Writer, body: PostIn) -> PostOut:
    """Record a post; with ``campaign``, as a deliverable of the creator's partnership."""
    created = posts.add_post(
        context_of(request),
        principal.workspace_slug,
        body.creator,
        body.platform,
        body.external_id,
        campaign=body.campaign,
        url=body.url,
        published_at=body.published_at,
        caption=body.caption,
        metrics=body.metrics.counts(),
    )
    return PostOut.of(created)


@router.get("/{post_id}", response_model=PostOut, responses=ERRORS)
def get_post(request: Request, principal: Reader, post_id: PostId) -> PostOut:
    return PostOut.of(posts.get_post(context_of(request), principal.workspace_slug, post_id))


@router.patch("/{post_id}", response_model=PostOut, responses=WRITE_ERRORS)
def change_post(request: Request, principal: Writer, post_id: PostId, body: PostChange) -> PostOut:
    """Update a post's metrics (or its URL, time, caption)."""
    changes: dict[str, object] = {
        name: getattr(body, name) for name in ("url", "published_at", "caption")
    }
    changes = {k: v for k, v in changes.items() if k in body.model_fields_set}
    changes.update(body.metrics.counts())
    return PostOut.of(
        posts.update_post(context_of(request), principal.workspace_slug, post_id, changes=changes)
    )
