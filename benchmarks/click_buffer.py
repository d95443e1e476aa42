"""Click capture cost: nanoseconds per ``ClickBuffer.put`` and clicks/s written to SQLite.

``put`` is what the redirect pays per click; the writer's rate (enrich, unique
check, insert, hourly rollups, one transaction per batch) is what bounds how
many clicks per second one process can keep. ``--visitors 1`` is the traffic of
``benchmarks/redirect.py`` (one IP and user agent); the default mix has 5 000.

    python benchmarks/click_buffer.py [--clicks 200000] [--visitors 5000]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import tempfile
import time
from datetime import UTC, date, datetime
from pathlib import Path

from sqlalchemy import Engine, insert

from perfluence.config import Environment, Settings
from perfluence.store import migrate
from perfluence.store.engine import make_engine
from perfluence.store.tables import campaigns, creators, partnerships, tracking_links, workspaces
from perfluence.tracking.buffer import ClickBuffer
from perfluence.tracking.events import RawClick

USER_AGENTS = [
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.0 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 "
    "(KHTML, like Gecko) Chrome/124.0.6367.82 Mobile Safari/537.36",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
]


def seed(engine: Engine, links: int) -> tuple[int, list[int]]:
    now = datetime.now(UTC)
    with engine.begin() as conn:
        ws = conn.execute(
            insert(workspaces).values(
                slug="bench", name="Bench", default_currency="EUR", created_at=now
            )
        ).inserted_primary_key[0]
        creator = conn.execute(
            insert(creators).values(
                workspace_id=ws, handle="c", name="C", currency="EUR", created_at=now
            )
        ).inserted_primary_key[0]
        campaign = conn.execute(
            insert(campaigns).values(
                workspace_id=ws,
                slug="c",
                name="C",
                goal="sales",
                starts_on=date(2026, 1, 1),
                ends_on=date(2026, 12, 31),
                currency="EUR",
                markets=[],
                kpi_targets={},
                created_at=now,
            )
        ).inserted_primary_key[0]
        partnership = conn.execute(
            insert(partnerships).values(
                workspace_id=ws,
                campaign_id=campaign,
                creator_id=creator,
                payment_model="cpa",
                terms={},
                currency="EUR",
                created_at=now,
            )
        ).inserted_primary_key[0]
        ids = [
            conn.execute(
                insert(tracking_links).values(
                    workspace_id=ws,
                    partnership_id=partnership,
                    slug=f"l{i}",
                    destination_url="https://example.com/",
                    utm={},
                    created_at=now,
                    updated_at=now,
                )
            ).inserted_primary_key[0]
            for i in range(links)
        ]
    return int(ws), [int(i) for i in ids]


def make_clicks(n: int, ws: int, links: list[int], visitors: int) -> list[RawClick]:
    rng = random.Random(7)
    start = time.time()
    return [
        RawClick(
            occurred_at=start + i / 1000,
            link_id=rng.choice(links),
            workspace_id=ws,
            click_id=f"bench{i:015d}",
            ip=f"10.{rng.randrange(visitors) % 256}.{rng.randrange(visitors) // 256 % 256}.1",
            user_agent=rng.choice(USER_AGENTS),
            referrer="https://www.instagram.com/",
            country_header="",
            sub_id="",
        )
        for i in range(n)
    ]


async def measure(
    settings: Settings, engine: Engine, clicks: list[RawClick]
) -> tuple[float, float, float, dict[str, int]]:
    """ns per put, clicks written per second, CPU µs per click written, the buffer's stats."""
    buffer = ClickBuffer(engine, settings)
    put = buffer.put
    begin = time.perf_counter_ns()
    for click in clicks:
        put(click)
    ns_per_put = (time.perf_counter_ns() - begin) / len(clicks)
    begin = time.perf_counter_ns()
    cpu = time.process_time()
    await buffer.start()
    await buffer.stop()
    cpu = time.process_time() - cpu
    seconds = (time.perf_counter_ns() - begin) / 1e9
    return ns_per_put, len(clicks) / seconds, cpu / len(clicks) * 1e6, buffer.stats


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clicks", type=int, default=200_000)
    parser.add_argument("--visitors", type=int, default=5_000)
    parser.add_argument("--links", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        settings = Settings(
            env=Environment.TEST, data_dir=Path(tmp), click_buffer_size=max(args.clicks, 1_000)
        )
        engine = make_engine(settings.resolved_database_url)
        migrate.upgrade(engine)
        ws, links = seed(engine, args.links)
        clicks = make_clicks(args.clicks, ws, links, args.visitors)
        ns_per_put, rate, cpu_us, stats = asyncio.run(measure(settings, engine, clicks))
        engine.dispose()
    print(f"clicks:          {args.clicks}")
    print(f"put():           {ns_per_put:,.0f} ns/click")
    print(f"flushed:         {rate:,.0f} clicks/s to SQLite (batch {settings.click_batch_size})")
    # CPU time barely moves when other work shares the machine; clicks/s does.
    print(f"writer CPU:      {cpu_us:.1f} µs/click ({1e6 / cpu_us:,.0f} clicks per CPU-second)")
    print(f"stats:           {stats}")
    if stats["stored"] != args.clicks:
        raise SystemExit(f"lost clicks: stored {stats['stored']} of {args.clicks}")


if __name__ == "__main__":
    main()
