"""A small world for payout tests: a shop, creators, one campaign, and a way to record
conversions and clicks the way ingest and the click writer do."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime

from sqlalchemy import insert, select

from perfluence.core.money import Money
from perfluence.core.payouts import AccrualInput, accrue_conversion
from perfluence.services import campaigns, creators, partnerships, workspaces
from perfluence.services.context import Context
from perfluence.store import payouts as ledger
from perfluence.store.partnerships import partnership_by_id
from perfluence.store.tables import click_rollups_hourly, conversions, payout_lines, tracking_links

WS = "shop"


def make_world(ctx: Context, *, starts_on: str = "2026-03-01", ends_on: str = "2026-06-30") -> None:
    workspaces.create_workspace(ctx, WS, "Shop", currency="DKK")
    creators.add_creator(ctx, WS, "bo", name="Bo Berg", currency="DKK")
    creators.add_creator(ctx, WS, "emma", name="Emma Ørsted", currency="SEK")
    creators.add_creator(ctx, WS, "lea", name="Léa Martin", currency="EUR")
    campaigns.create_campaign(
        ctx, WS, "spring", name="Spring", goal="sales", starts_on=starts_on, ends_on=ends_on
    )


def partner(
    ctx: Context, creator: str, terms: Mapping[str, object], campaign: str = "spring"
) -> int:
    return partnerships.create_partnership(ctx, WS, campaign, creator, terms).id


def _conversion(
    ctx: Context, pid: int, kind: str, amount: Money, when: datetime, reverses: int | None
) -> int:
    ws_id = _ws_id(ctx)
    with ctx.engine.begin() as conn:
        n = len(conn.execute(select(conversions.c.id)).all())
        result = conn.execute(
            insert(conversions).values(
                workspace_id=ws_id,
                kind=kind,
                source="api",
                external_id=f"{kind}-{n + 1}",
                occurred_at=when,
                amount_minor=amount.minor_units,
                currency=amount.currency,
                reverses_id=reverses,
                partnership_id=pid,
                status="approved",
                flags={},
                created_at=when,
            )
        )
        pk = result.inserted_primary_key
        assert pk is not None
        return int(pk[0])


def record(
    ctx: Context,
    pid: int,
    kind: str,
    amount: Money,
    when: datetime,
    *,
    reverses: int | None = None,
    country: str | None = "DK",
) -> int:
    """Store a conversion and accrue its ledger lines, as conversion ingest does."""
    conversion_id = _conversion(ctx, pid, kind, amount, when, reverses)
    ws_id = _ws_id(ctx)
    with ctx.engine.begin() as conn:
        p = ledger.partnership_lines(conn, pid)
        found = partnership_by_id(conn, ws_id, pid)
        assert found is not None
        event = AccrualInput(kind, amount, when, country)  # type: ignore[arg-type]
        if reverses is not None:
            earned = sum(
                (ln.amount for ln in p if ln.conversion_id == reverses),
                Money.zero(amount.currency),
            )
            sale = conn.execute(
                select(conversions.c.amount_minor).where(conversions.c.id == reverses)
            ).scalar_one()
            before = conn.execute(
                select(conversions.c.amount_minor).where(
                    conversions.c.reverses_id == reverses, conversions.c.id != conversion_id
                )
            ).scalars()
            event = AccrualInput(
                "refund",
                amount,
                when,
                country,
                reverses_commission=earned,
                reverses_amount=Money.from_minor(int(sale), amount.currency),
                refunded_before=Money.from_minor(sum(int(b) for b in before), amount.currency),
            )
        entries = accrue_conversion(found.terms, event)
        ledger.insert_ledger_entries(conn, ws_id, pid, entries, when, conversion_id=conversion_id)
    return conversion_id


def _ws_id(ctx: Context) -> int:
    return workspaces.get_workspace(ctx, WS).id


def add_clicks(
    ctx: Context, pid: int, hour: datetime, *, clicks: int, unique: int, bots: int
) -> None:
    """Hourly rollup counts on the partnership's tracking link (made on first use)."""
    ws_id = _ws_id(ctx)
    with ctx.engine.begin() as conn:
        link = conn.execute(
            select(tracking_links.c.id).where(tracking_links.c.partnership_id == pid)
        ).scalar()
        if link is None:
            link = conn.execute(
                insert(tracking_links).values(
                    workspace_id=ws_id,
                    partnership_id=pid,
                    slug=f"p{pid}",
                    destination_url="https://shop.example/",
                    utm={},
                    created_at=hour,
                    updated_at=hour,
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        conn.execute(
            insert(click_rollups_hourly).values(
                link_id=link,
                hour=hour,
                workspace_id=ws_id,
                clicks=clicks,
                unique_clicks=unique,
                bot_clicks=bots,
            )
        )


def ledger_amounts(ctx: Context, pid: int) -> list[tuple[str, Money, int | None]]:
    with ctx.engine.connect() as conn:
        rows = conn.execute(
            select(
                payout_lines.c.kind,
                payout_lines.c.amount_minor,
                payout_lines.c.currency,
                payout_lines.c.payout_id,
            )
            .where(payout_lines.c.partnership_id == pid)
            .order_by(payout_lines.c.id)
        )
        return [(k, Money.from_minor(int(a), c), p) for k, a, c, p in rows]


def utc(day: str, hour: int = 12) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


def d(day: str) -> date:
    return date.fromisoformat(day)
