"""Limit/offset pages with a ``next`` link, for every list route of the API.

A page answers ``{"items": [...], "limit": 50, "offset": 0, "next": "/api/v1/…?offset=50"}``;
``next`` is ``null`` on the last page and keeps every filter of the request,
so a client follows ``next`` until it is ``null``.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Annotated, Final, Generic, TypeVar

from fastapi import Depends, Query, Request
from pydantic import BaseModel, Field

DEFAULT_LIMIT: Final = 50
MAX_LIMIT: Final = 200
# Past this an offset page is the wrong tool (and the number is refused before any query).
MAX_OFFSET: Final = 1_000_000

Item = TypeVar("Item", bound=BaseModel)
Value = TypeVar("Value")


@dataclass(frozen=True, slots=True)
class PageRequest:
    limit: int
    offset: int


def _page_request(
    limit: Annotated[
        int, Query(ge=1, le=MAX_LIMIT, description=f"Items per page (at most {MAX_LIMIT}).")
    ] = DEFAULT_LIMIT,
    offset: Annotated[int, Query(ge=0, le=MAX_OFFSET, description="Items to skip.")] = 0,
) -> PageRequest:
    return PageRequest(limit=limit, offset=offset)


Paging = Annotated[PageRequest, Depends(_page_request)]


class Page(BaseModel, Generic[Item]):
    items: list[Item]
    limit: int
    offset: int
    next: str | None = Field(description="The next page's URL; null on the last page.")


def next_link(request: Request, page: PageRequest) -> str:
    url = request.url.include_query_params(limit=page.limit, offset=page.offset + page.limit)
    return f"{url.path}?{url.query}"


def page_of(
    request: Request,
    page: PageRequest,
    window: Sequence[Value],
    convert: Callable[[Value], Item],
) -> Page[Item]:
    """A page from ``window``: the values from ``page.offset`` on, with at least one more
    than the page holds when there is a next page (``limit + 1`` is enough)."""
    items = [convert(v) for v in window[: page.limit]]
    more = len(window) > page.limit
    return Page[Item](
        items=items,
        limit=page.limit,
        offset=page.offset,
        next=next_link(request, page) if more else None,
    )


def slice_page(
    request: Request,
    page: PageRequest,
    values: Sequence[Value],
    convert: Callable[[Value], Item],
) -> Page[Item]:
    """A page of a list a service returned whole."""
    return page_of(request, page, values[page.offset : page.offset + page.limit + 1], convert)
