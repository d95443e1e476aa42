"""A workspace with tracking links to click on, and raw clicks to click with."""

from __future__ import annotations

from datetime import UTC, date, datetime
from itertools import count

from sqlalchemy import Engine, insert, select

from perfluence.store.tables import (
    campaigns,
    click_rollups_hourly,
    clicks,
    creators,
    partnerships,
    tracking_links,
    workspaces,
)
from perfluence.tracking.events import RawClick

T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1"
)
FACEBOOK_PREVIEW = "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"
_ids = count(1)


def seed_links(engine: Engine, n: int = 2) -> tuple[int, list[int]]:
    """Workspace → creator → campaign → partnership → ``n`` links; returns their ids."""
    with engine.begin() as conn:
        ws = conn.execute(
            insert(workspaces).values(
                slug="shop", name="Shop", default_currency="DKK", created_at=T0
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        creator = conn.execute(
            insert(creators).values(
                workspace_id=ws, handle="emma", name="Emma", currency="DKK", created_at=T0
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        campaign = conn.execute(
            insert(campaigns).values(
                workspace_id=ws,
                slug="spring",
                name="Spring",
                goal="sales",
                starts_on=date(2026, 3, 1),
                ends_on=date(2026, 3, 31),
                currency="DKK",
                markets=["DK"],
                kpi_targets={},
                created_at=T0,
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        partnership = conn.execute(
            insert(partnerships).values(
                workspace_id=ws,
                campaign_id=campaign,
                creator_id=creator,
                payment_model="cpa",
                terms={},
                currency="DKK",
                created_at=T0,
            )
        ).inserted_primary_key[0]  # type: ignore[index]
        links = [
            conn.execute(
                insert(tracking_links).values(
                    workspace_id=ws,
                    partnership_id=partnership,
                    slug=f"emma-{i}",
                    destination_url="https://shop.example/",
                    utm={},
                    created_at=T0,
                    updated_at=T0,
                )
            ).inserted_primary_key[0]  # type: ignore[index]
            for i in range(n)
        ]
    return int(ws), [int(link) for link in links]


def raw_click(
    workspace_id: int,
    link_id: int,
    *,
    at: datetime = T0,
    ip: str = "203.0.113.7",
    ua: str = IPHONE,
    click_id: str | None = None,
    referrer: str = "https://www.instagram.com/",
) -> RawClick:
    return RawClick(
        occurred_at=at.timestamp(),
        link_id=link_id,
        workspace_id=workspace_id,
        click_id=click_id or f"clk{next(_ids):012d}",
        ip=ip,
        user_agent=ua,
        referrer=referrer,
        country_header="",
        sub_id="",
    )


def stored_click_ids(engine: Engine) -> list[str]:
    """Click ids in the order they were inserted."""
    with engine.connect() as conn:
        return list(conn.execute(select(clicks.c.click_id).order_by(clicks.c.id)).scalars())


def rollups(engine: Engine) -> dict[tuple[int, datetime], tuple[int, int, int]]:
    t = click_rollups_hourly
    with engine.connect() as conn:
        return {
            (r.link_id, r.hour): (r.clicks, r.unique_clicks, r.bot_clicks)
            for r in conn.execute(select(t))
        }


def rollups_from_events(engine: Engine) -> dict[tuple[int, datetime], tuple[int, int, int]]:
    """The hourly rollups recomputed from the click rows, to compare with the stored ones."""
    found: dict[tuple[int, datetime], list[int]] = {}
    with engine.connect() as conn:
        for r in conn.execute(select(clicks)):
            key = (r.link_id, r.occurred_at.replace(minute=0, second=0, microsecond=0))
            entry = found.setdefault(key, [0, 0, 0])
            entry[0] += 1
            entry[1] += int(r.is_unique)
            entry[2] += int(r.is_bot)
    return {k: (v[0], v[1], v[2]) for k, v in found.items()}
