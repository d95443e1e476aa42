"""Shared by the HTTP API tests: a workspace with a creator, a link, a stored click and a code,
the application served in-process (``serving`` from the redirect tests), and row counts."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TypeVar

import httpx
from sqlalchemy import func, insert, select

from perfluence.services.context import Context
from perfluence.store.tables import clicks, conversions, discount_codes, tracking_links
from tests.integration.factories import (
    CREATED,
    make_campaign,
    make_creator,
    make_partnership,
    make_workspace,
)
from tests.integration.test_redirect import serving

T = TypeVar("T")
CLICKED_AT = datetime(2026, 3, 1, 18, 30, tzinfo=UTC)


@dataclass(frozen=True)
class World:
    slug: str
    workspace_id: int
    partnership_id: int
    click_id: str
    code: str


def make_world(ctx: Context, slug: str, click_id: str, code: str, creator: str = "emma") -> World:
    """Workspace ``slug``: ``creator`` in campaign ``spring`` with a link, one click and a code."""
    with ctx.engine.begin() as conn:
        ws = make_workspace(conn, slug)
        person = make_creator(conn, ws, creator)
        spring = make_campaign(conn, ws, "spring")
        partnership = make_partnership(conn, ws, spring, person)
        link_id = conn.execute(
            insert(tracking_links).values(
                workspace_id=ws,
                partnership_id=partnership,
                slug=f"{slug}-{creator}",
                destination_url="https://shop.example/",
                utm={},
                created_at=CREATED,
                updated_at=CREATED,
            )
        ).inserted_primary_key
        assert link_id is not None
        conn.execute(
            insert(clicks).values(
                workspace_id=ws,
                link_id=link_id[0],
                click_id=click_id,
                occurred_at=CLICKED_AT,
                visitor_hash="v" * 64,
                is_bot=False,
                is_unique=True,
            )
        )
        conn.execute(
            insert(discount_codes).values(
                workspace_id=ws,
                partnership_id=partnership,
                code=code,
                code_key=code.upper(),
                created_at=CREATED,
            )
        )
    return World(slug, ws, partnership, click_id, code)


def conversion_count(ctx: Context, workspace_id: int | None = None) -> int:
    query = select(func.count()).select_from(conversions)
    if workspace_id is not None:
        query = query.where(conversions.c.workspace_id == workspace_id)
    with ctx.engine.connect() as conn:
        return int(conn.execute(query).scalar_one())


def with_client(ctx: Context, scenario: Callable[[httpx.AsyncClient], Awaitable[T]]) -> T:
    """Run ``scenario`` against the whole application, started and stopped through its lifespan."""

    async def main() -> T:
        async with serving(ctx, https=True) as (_, client):
            return await scenario(client)

    return asyncio.run(main())


def post(
    ctx: Context, path: str, *, content: bytes, headers: dict[str, str] | None = None
) -> httpx.Response:
    """One POST through the application."""

    async def scenario(client: httpx.AsyncClient) -> httpx.Response:
        return await client.post(path, content=content, headers=headers or {})

    return with_client(ctx, scenario)
