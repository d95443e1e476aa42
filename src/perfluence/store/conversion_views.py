"""Stored conversions and their ledger lines as people see them (API, CLI, dashboard)."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Connection, Row, Select, and_, select

from perfluence.core.money import Money
from perfluence.store.conversions import flags_of
from perfluence.store.tables import campaigns, conversions, creators, partnerships, payout_lines


@dataclass(frozen=True, slots=True)
class ConversionView:
    """A stored conversion as the API, the CLI and the dashboard show it."""

    id: int
    kind: str
    source: str
    external_id: str
    occurred_at: datetime
    amount: Money
    gross_amount: Money | None
    status: str
    attribution_method: str
    reason: str
    partnership_id: int | None
    creator_handle: str | None
    campaign_slug: str | None
    link_id: int | None
    click_id: str | None
    code: str | None
    customer_ref: str | None
    country: str | None
    seconds_from_click: int | None
    flags: tuple[str, ...]
    reverses_id: int | None
    reverses_external_id: str | None
    created_at: datetime


def _view_select(workspace_id: int) -> Select[Any]:
    return (
        select(
            conversions,
            creators.c.handle.label("creator_handle"),
            campaigns.c.slug.label("campaign_slug"),
        )
        .select_from(
            conversions.outerjoin(
                partnerships,
                and_(
                    partnerships.c.id == conversions.c.partnership_id,
                    partnerships.c.workspace_id == workspace_id,
                ),
            )
            .outerjoin(creators, creators.c.id == partnerships.c.creator_id)
            .outerjoin(campaigns, campaigns.c.id == partnerships.c.campaign_id)
        )
        .where(conversions.c.workspace_id == workspace_id)
    )


def _view(row: Row[Any]) -> ConversionView:
    m = row._mapping
    cur = m["currency"]
    gross = m["gross_amount_minor"]
    return ConversionView(
        id=int(m["id"]),
        kind=m["kind"],
        source=m["source"],
        external_id=m["external_id"],
        occurred_at=m["occurred_at"],
        amount=Money.from_minor(int(m["amount_minor"]), cur),
        gross_amount=None if gross is None else Money.from_minor(int(gross), cur),
        status=m["status"],
        attribution_method=m["attribution_method"] or "none",
        reason=m["attribution_reason"] or "",
        partnership_id=m["partnership_id"],
        creator_handle=m["creator_handle"],
        campaign_slug=m["campaign_slug"],
        link_id=m["link_id"],
        click_id=m["click_id"],
        code=m["code"],
        customer_ref=m["customer_ref"],
        country=m["country"],
        seconds_from_click=m["seconds_from_click"],
        flags=flags_of(m["flags"]),
        reverses_id=m["reverses_id"],
        reverses_external_id=m["reverses_external_id"],
        created_at=m["created_at"],
    )


def find_view(
    conn: Connection, workspace_id: int, source: str, kind: str, external_id: str
) -> ConversionView | None:
    row = conn.execute(
        _view_select(workspace_id).where(
            conversions.c.source == source,
            conversions.c.kind == kind,
            conversions.c.external_id == external_id,
        )
    ).first()
    return None if row is None else _view(row)


def view_by_id(conn: Connection, workspace_id: int, conversion_id: int) -> ConversionView:
    row = conn.execute(_view_select(workspace_id).where(conversions.c.id == conversion_id)).one()
    return _view(row)


def views_by_external_id(
    conn: Connection, workspace_id: int, external_id: str, *, source: str | None = None
) -> list[ConversionView]:
    query = _view_select(workspace_id).where(conversions.c.external_id == external_id)
    if source is not None:
        query = query.where(conversions.c.source == source)
    return [_view(r) for r in conn.execute(query.order_by(conversions.c.id))]


def list_views(
    conn: Connection,
    workspace_id: int,
    *,
    campaign_slug: str | None,
    creator_handle: str | None,
    kind: str | None,
    limit: int,
    offset: int = 0,
    occurred_from: datetime | None = None,
    occurred_before: datetime | None = None,
) -> list[ConversionView]:
    query = _view_select(workspace_id)
    if campaign_slug is not None:
        query = query.where(campaigns.c.slug == campaign_slug)
    if creator_handle is not None:
        query = query.where(creators.c.handle == creator_handle)
    if kind is not None:
        query = query.where(conversions.c.kind == kind)
    if occurred_from is not None:
        query = query.where(conversions.c.occurred_at >= occurred_from)
    if occurred_before is not None:
        query = query.where(conversions.c.occurred_at < occurred_before)
    query = (
        query.order_by(conversions.c.occurred_at.desc(), conversions.c.id.desc())
        .limit(limit)
        .offset(offset)
    )
    return [_view(r) for r in conn.execute(query)]


def find_view_by_id(
    conn: Connection, workspace_id: int, conversion_id: int
) -> ConversionView | None:
    row = conn.execute(_view_select(workspace_id).where(conversions.c.id == conversion_id)).first()
    return None if row is None else _view(row)


@dataclass(frozen=True, slots=True)
class LedgerLineView:
    conversion_id: int
    partnership_id: int
    kind: str
    amount: Money
    payable_on: date
    description: str
    on_statement: bool


def ledger_lines(
    conn: Connection, workspace_id: int, conversion_ids: Collection[int]
) -> list[LedgerLineView]:
    if not conversion_ids:
        return []
    query = (
        select(payout_lines)
        .where(
            payout_lines.c.workspace_id == workspace_id,
            payout_lines.c.conversion_id.in_(sorted(conversion_ids)),
        )
        .order_by(payout_lines.c.id)
    )
    return [
        LedgerLineView(
            conversion_id=int(r.conversion_id),
            partnership_id=int(r.partnership_id),
            kind=r.kind,
            amount=Money.from_minor(int(r.amount_minor), r.currency),
            payable_on=r.payable_on,
            description=r.description,
            on_statement=r.payout_id is not None,
        )
        for r in conn.execute(query)
    ]
