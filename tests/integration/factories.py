"""Rows for storage tests, inserted straight into the tables (no service rules in the way).

Each function takes an open ``Connection`` and returns the new row's id, so a
test builds exactly the world it needs in one transaction:

    with ctx.engine.begin() as conn:
        ws = make_workspace(conn)
        emma = make_creator(conn, ws, "emma", followers=12_000)
        summer = make_campaign(conn, ws, "summer")
        make_partnership(conn, ws, summer, emma)
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime

from sqlalchemy import Connection, insert
from sqlalchemy.sql.schema import Table

from perfluence.store.tables import (
    campaigns,
    creators,
    partnerships,
    social_accounts,
    workspaces,
)

CREATED = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def _insert(conn: Connection, table: Table, **values: object) -> int:
    pk = conn.execute(insert(table).values(**values)).inserted_primary_key
    assert pk is not None
    return int(pk[0])


def make_workspace(
    conn: Connection,
    slug: str = "kaffe",
    *,
    name: str | None = None,
    currency: str = "DKK",
    language: str = "da",
    fallback_url: str | None = None,
) -> int:
    return _insert(
        conn,
        workspaces,
        slug=slug,
        name=name or slug.title(),
        default_currency=currency,
        default_language=language,
        fallback_url=fallback_url,
        created_at=CREATED,
    )


def make_creator(
    conn: Connection,
    ws_id: int,
    handle: str,
    *,
    platform: str | None = "instagram",
    followers: int = 10_000,
    currency: str = "DKK",
    country: str | None = "DK",
) -> int:
    """A creator with one social account on ``platform`` (none when ``platform`` is ``None``)."""
    creator_id = _insert(
        conn,
        creators,
        workspace_id=ws_id,
        handle=handle,
        name=handle.title(),
        currency=currency,
        country=country,
        created_at=CREATED,
    )
    if platform is not None:
        make_social_account(conn, ws_id, creator_id, platform, handle, followers=followers)
    return creator_id


def make_social_account(
    conn: Connection,
    ws_id: int,
    creator_id: int,
    platform: str,
    handle: str,
    *,
    followers: int = 10_000,
) -> int:
    return _insert(
        conn,
        social_accounts,
        workspace_id=ws_id,
        creator_id=creator_id,
        platform=platform,
        handle=handle,
        followers=followers,
        updated_at=CREATED,
    )


def make_campaign(
    conn: Connection,
    ws_id: int,
    slug: str,
    *,
    goal: str = "sales",
    status: str = "active",
    starts_on: date = date(2026, 3, 1),
    ends_on: date = date(2026, 5, 31),
    budget_minor: int = 5_000_000,
    currency: str = "DKK",
    markets: tuple[str, ...] = ("DK",),
) -> int:
    return _insert(
        conn,
        campaigns,
        workspace_id=ws_id,
        slug=slug,
        name=slug.replace("-", " ").title(),
        goal=goal,
        status=status,
        starts_on=starts_on,
        ends_on=ends_on,
        budget_minor=budget_minor,
        currency=currency,
        markets=list(markets),
        kpi_targets={},
        created_at=CREATED,
    )


def make_partnership(
    conn: Connection,
    ws_id: int,
    campaign_id: int,
    creator_id: int,
    *,
    model: str = "cps",
    terms: Mapping[str, object] | None = None,
    currency: str = "DKK",
    hold_days: int = 30,
    status: str = "active",
) -> int:
    """A partnership; ``terms`` default to a 10 % commission in ``currency`` (stored form)."""
    stored = dict(
        terms
        if terms is not None
        else {"version": 1, "model": model, "currency": currency, "commission_rate": "0.1"}
    )
    stored.setdefault("hold_days", hold_days)
    return _insert(
        conn,
        partnerships,
        workspace_id=ws_id,
        campaign_id=campaign_id,
        creator_id=creator_id,
        payment_model=model,
        terms=stored,
        currency=currency,
        hold_days=hold_days,
        status=status,
        created_at=CREATED,
    )
