"""A shop with two creators in one campaign, links, codes and clicks, for conversion tests."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from itertools import count

from sqlalchemy import Connection, func, insert, select, update

from perfluence.services.context import Context
from perfluence.store.tables import (
    campaigns,
    clicks,
    conversions,
    creators,
    discount_codes,
    payout_lines,
    tracking_links,
)
from tests.integration.factories import (
    make_campaign,
    make_creator,
    make_partnership,
    make_workspace,
)

NOW = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)  # the FrozenClock's start
_ids = count(1)


@dataclass(frozen=True)
class World:
    ws: int
    campaign: int
    emma: int  # partnership ids
    noah: int
    emma_link: int
    noah_link: int


def make_link(conn: Connection, ws: int, partnership: int, slug: str) -> int:
    pk = conn.execute(
        insert(tracking_links).values(
            workspace_id=ws,
            partnership_id=partnership,
            slug=slug,
            destination_url="https://shop.example/",
            utm={},
            created_at=NOW,
            updated_at=NOW,
        )
    ).inserted_primary_key
    assert pk is not None
    return int(pk[0])


def make_code(conn: Connection, ws: int, partnership: int, code: str) -> None:
    conn.execute(
        insert(discount_codes).values(
            workspace_id=ws,
            partnership_id=partnership,
            code=code,
            code_key=code.upper(),
            created_at=NOW,
        )
    )


def build_world(
    ctx: Context,
    *,
    slug: str = "shop",
    emma_currency: str = "DKK",
    window_days: int = 30,
    conflict_rule: str = "code_wins",
    emma_terms: dict[str, object] | None = None,
) -> World:
    with ctx.engine.begin() as conn:
        ws = make_workspace(conn, slug)
        emma_c = make_creator(conn, ws, "emma", currency=emma_currency)
        conn.execute(
            update(creators).where(creators.c.id == emma_c).values(email="Emma@Example.com")
        )
        noah_c = make_creator(conn, ws, "noah")
        campaign = make_campaign(conn, ws, "spring")
        conn.execute(
            update(campaigns)
            .where(campaigns.c.id == campaign)
            .values(attribution_window_days=window_days, conflict_rule=conflict_rule)
        )
        emma = make_partnership(
            conn, ws, campaign, emma_c, currency=emma_currency, terms=emma_terms
        )
        noah = make_partnership(conn, ws, campaign, noah_c)
        emma_link = make_link(conn, ws, emma, f"{slug}-emma")
        noah_link = make_link(conn, ws, noah, f"{slug}-noah")
        make_code(conn, ws, emma, "EMMA15")
        make_code(conn, ws, noah, "NOAH10")
    return World(ws, campaign, emma, noah, emma_link, noah_link)


def click(
    ctx: Context,
    ws: int,
    link: int,
    at: datetime,
    *,
    visitor: str = "visitor-1",
    bot: bool = False,
    click_id: str | None = None,
) -> str:
    """Store a click and return its id (22 characters, the shape tracking mints)."""
    click_id = click_id or f"c{next(_ids):021d}"
    with ctx.engine.begin() as conn:
        conn.execute(
            insert(clicks).values(
                workspace_id=ws,
                link_id=link,
                click_id=click_id,
                occurred_at=at,
                visitor_hash=visitor,
                is_bot=bot,
                is_unique=True,
            )
        )
    return click_id


def commission_minor(ctx: Context, partnership: int) -> int:
    """The partnership's ledger total from conversions (commission, lead and reversal lines)."""
    with ctx.engine.connect() as conn:
        total = conn.execute(
            select(func.coalesce(func.sum(payout_lines.c.amount_minor), 0)).where(
                payout_lines.c.partnership_id == partnership,
                payout_lines.c.conversion_id.is_not(None),
            )
        ).scalar_one()
    return int(total)


def ledger_kinds(ctx: Context, partnership: int) -> list[tuple[str, int]]:
    with ctx.engine.connect() as conn:
        rows = conn.execute(
            select(payout_lines.c.kind, payout_lines.c.amount_minor)
            .where(payout_lines.c.partnership_id == partnership)
            .order_by(payout_lines.c.id)
        )
        return [(str(k), int(a)) for k, a in rows]


def conversion_count(ctx: Context) -> int:
    with ctx.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(conversions)).scalar_one())
