"""Bulk inserts of events and ledger lines, for seeding and imports.

Each function takes rows that are already validated and writes them with one
``executemany`` on the caller's connection, so a whole batch lands in the
caller's transaction or not at all. Rows are ``TypedDict``s named after the
table; money is integer minor units beside its currency.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any, NotRequired, TypedDict

from sqlalchemy import Connection, Table, insert

from perfluence.store.tables import clicks, conversions, costs, payout_lines, posts


class ClickRow(TypedDict):
    workspace_id: int
    link_id: int
    click_id: str
    occurred_at: datetime
    visitor_hash: str
    device: str | None
    os: str | None
    browser: str | None
    referrer_host: str | None
    country: str | None
    is_bot: bool
    is_unique: bool
    sub_id: NotRequired[str | None]


class ConversionRow(TypedDict):
    """A lead, a sale, or a refund (``kind="refund"``, positive amount, ``reverses_id`` set)."""

    workspace_id: int
    kind: str
    source: str
    external_id: str
    occurred_at: datetime
    amount_minor: int
    currency: str
    click_id: str | None
    code: str | None
    customer_ref: str | None
    reverses_id: int | None
    partnership_id: int | None
    link_id: int | None
    attribution_method: str | None
    attribution_reason: str | None
    seconds_from_click: int | None
    status: str
    flags: dict[str, Any]
    created_at: datetime


class PostRow(TypedDict):
    workspace_id: int
    partnership_id: int | None
    creator_id: int
    platform: str
    external_id: str
    url: str | None
    published_at: datetime | None
    caption: str | None
    impressions: int
    reach: int
    views: int
    likes: int
    comments: int
    shares: int
    saves: int
    updated_at: datetime


class CostRow(TypedDict):
    workspace_id: int
    campaign_id: int
    partnership_id: int | None
    kind: str
    amount_minor: int
    currency: str
    incurred_on: date
    description: str | None
    created_at: datetime


class PayoutLineRow(TypedDict):
    """An amount owed to a creator; ``payout_id`` stays empty until a statement takes it."""

    workspace_id: int
    partnership_id: int
    conversion_id: int | None
    kind: str
    description: str
    amount_minor: int
    currency: str
    payable_on: date
    created_at: datetime


def _insert_many(conn: Connection, table: Table, rows: Sequence[Any]) -> int:
    if not rows:
        return 0
    conn.execute(insert(table), list(rows))
    return len(rows)


def insert_clicks(conn: Connection, rows: Sequence[ClickRow]) -> int:
    """Append click events; rollups are not touched (rebuild them afterwards)."""
    return _insert_many(conn, clicks, [{"sub_id": None, **row} for row in rows])


def insert_conversions(conn: Connection, rows: Sequence[ConversionRow]) -> int:
    return _insert_many(conn, conversions, rows)


def insert_posts(conn: Connection, rows: Sequence[PostRow]) -> int:
    return _insert_many(conn, posts, rows)


def insert_costs(conn: Connection, rows: Sequence[CostRow]) -> int:
    return _insert_many(conn, costs, rows)


def insert_payout_lines(conn: Connection, rows: Sequence[PayoutLineRow]) -> int:
    return _insert_many(conn, payout_lines, rows)
