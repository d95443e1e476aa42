"""Campaign report over 10M clicks against DuckDB on the raw events.

Generates a fixed-seed world (2,000 links, 500 creators, 40 campaigns, 90
days, 10M clicks, 200k conversions by default) into a fresh SQLite database
through the real ingest code, then times:

1. ``services.reports.build_campaign_report`` for one campaign (median of
   ``--runs``): what a user waits for, answered from the hourly click rollups
   and the conversions table;
2. DuckDB computing the per-campaign x per-creator table (clicks, unique
   clicks, conversions, revenue) from a Parquet export of the same raw
   events (median of ``--runs``, export not timed).

and prints both times and the ratio DuckDB / report.

Ingest paths, and why:
- Clicks go through ``tracking.writer.ClickWriter.write`` in batches of
  ``--batch`` clicks: the same enrichment (visitor hash, user agent, bot flag),
  unique check, insert and hourly rollups as every redirect's click, minus the
  HTTP redirect in front of it. 10M clicks through HTTP would take hours at
  the measured ~15-20k redirects/s on this box, and measure the redirect, not
  the report.
- Conversions go through ``conversions.ingest.ingest_event`` (the code behind
  the S2S API and the webhooks: validation, attribution by click id, ledger
  lines), many events per transaction instead of one each: same rows, far
  fewer commits.

Usage::

    .venv/bin/python benchmarks/report.py                 # 10M clicks, ~15-30 min
    .venv/bin/python benchmarks/report.py --clicks 200000 # quick run (~1 min)
"""

from __future__ import annotations

import argparse
import csv
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Literal

import duckdb
from sqlalchemy import Engine

from perfluence.config import Environment, Settings
from perfluence.conversions.ingest import ingest_event
from perfluence.core.model import CampaignGoal, CampaignStatus, PartnershipStatus, Platform
from perfluence.core.money import Money
from perfluence.core.terms import ContractTerms, PaymentModel
from perfluence.services import reporting, reports
from perfluence.services.context import Context
from perfluence.services.conversions import TrackRequest, event_from_request
from perfluence.store import campaigns as campaign_store
from perfluence.store import creators as creator_store
from perfluence.store import links as link_store
from perfluence.store import migrate
from perfluence.store import partnerships as partnership_store
from perfluence.store.engine import make_engine
from perfluence.store.workspaces import insert_workspace
from perfluence.tracking.clickid import click_id_at
from perfluence.tracking.events import RawClick
from perfluence.tracking.writer import ClickWriter

SEED = 20261123
START = date(2026, 1, 1)
DAYS = 90
CREATED = datetime(2025, 12, 1, tzinfo=UTC)
USER_AGENTS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15",
    "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)",
)


def build_world(ctx: Context, links: int, creators: int, campaigns: int) -> list[tuple[int, int]]:
    """Workspace, creators, campaigns, one partnership and link each; [(link id, campaign id)]."""
    end = START + timedelta(days=DAYS - 1)
    with ctx.engine.begin() as conn:
        ws = insert_workspace(
            conn,
            slug="bench",
            name="Bench",
            default_currency="DKK",
            default_language="da",
            fallback_url=None,
            created_at=CREATED,
        )
        rows = [
            creator_store.CreatorRow(f"c{i:04d}", f"Creator {i}", None, "DK", "DKK", None)
            for i in range(creators)
        ]
        creator_ids = creator_store.insert_creators(conn, ws, rows, CREATED)
        rng = random.Random(SEED)
        creator_store.insert_accounts(
            conn,
            ws,
            [
                (
                    creator_ids[r.handle],
                    creator_store.AccountRow(
                        Platform.INSTAGRAM, r.handle, None, int(10 ** rng.uniform(2.5, 6.3)), None
                    ),
                )
                for r in rows
            ],
            CREATED,
        )
        campaign_ids = [
            campaign_store.insert_campaign(
                conn,
                ws,
                campaign_store.CampaignRow(
                    slug=f"camp{j:02d}",
                    name=f"Campaign {j}",
                    goal=CampaignGoal.SALES,
                    status=CampaignStatus.ENDED,
                    starts_on=START,
                    ends_on=end,
                    budget=Money("500000", "DKK"),
                    markets=("DK",),
                    brief=None,
                    kpi_targets={},
                    attribution_window_days=30,
                    reference_cpm=None,
                ),
                CREATED,
            )
            for j in range(campaigns)
        ]
        per_campaign = links // campaigns
        out = []
        handles = [r.handle for r in rows]
        for i in range(links):
            campaign_id = campaign_ids[i // per_campaign % campaigns]
            partnership = partnership_store.insert_partnership(
                conn,
                workspace_id=ws,
                campaign_id=campaign_id,
                creator_id=creator_ids[handles[i % creators]],
                terms=ContractTerms(PaymentModel.CPS, "DKK", commission_rate=Decimal("0.10")),
                status=PartnershipStatus.ACTIVE,
                created_at=CREATED,
            )
            link_id = link_store.insert_link(
                conn,
                workspace_id=ws,
                partnership_id=partnership,
                slug=f"l{i:05d}",
                destination_url="https://shop.example/",
                utm={},
                click_cap=None,
                fallback_url=None,
                now=CREATED,
            )
            out.append((link_id, campaign_id))
    return out


def clicks_by_day(
    total: int, link_ids: list[int], ws: int, rng: random.Random
) -> Iterator[list[RawClick]]:
    """Each day's clicks in time order; popular links get most (a long tail, as in life)."""
    weights = [1 / (rank + 10) for rank in range(len(link_ids))]
    visitors = max(total // 4, 100)
    origin = datetime.combine(START, datetime.min.time(), UTC).timestamp()
    made = 0
    for day in range(DAYS):
        n = total // DAYS + (1 if day < total % DAYS else 0)
        times = sorted(origin + day * 86_400 + rng.random() * 86_400 for _ in range(n))
        chosen = rng.choices(link_ids, weights=weights, k=n)
        batch = []
        for moment, link in zip(times, chosen, strict=True):
            v = rng.randrange(visitors)
            batch.append(
                RawClick(
                    occurred_at=moment,
                    link_id=link,
                    workspace_id=ws,
                    click_id=click_id_at(int(moment * 1000)),
                    ip=f"10.{v >> 16 & 255}.{v >> 8 & 255}.{v & 255}",
                    user_agent=USER_AGENTS[v % len(USER_AGENTS)],
                    referrer="https://www.instagram.com/",
                    country_header="",
                    sub_id="",
                )
            )
            made += 1
        yield batch


def load_clicks(
    ctx: Context, total: int, link_ids: list[int], batch: int, conversions: int
) -> list[tuple[str, float]]:
    """Write every click through the click writer; return (click id, time) of the converters."""
    rng = random.Random(SEED + 1)
    writer = ClickWriter(ctx.engine, ctx.settings, spool_dir=ctx.settings.data_dir / "spool")
    share = conversions / max(total, 1)
    converters: list[tuple[str, float]] = []
    done = 0
    started = time.perf_counter()
    for day in clicks_by_day(total, link_ids, 1, rng):
        for start in range(0, len(day), batch):
            part = day[start : start + batch]
            writer.write(part, [])
            converters.extend((c.click_id, c.occurred_at) for c in part if rng.random() < share)
            done += len(part)
        rate = done / (time.perf_counter() - started)
        print(f"  clicks: {done:,} / {total:,} ({rate:,.0f}/s)", file=sys.stderr)
    writer.close()
    return converters[:conversions]


def load_conversions(ctx: Context, converters: list[tuple[str, float]], per_tx: int) -> None:
    rng = random.Random(SEED + 2)
    now = datetime.combine(START + timedelta(days=DAYS), datetime.min.time(), UTC)
    for start in range(0, len(converters), per_tx):
        with ctx.engine.begin() as conn:
            for i, (click_id, moment) in enumerate(converters[start : start + per_tx], start):
                kind: Literal["lead", "sale"] = "lead" if i % 10 == 0 else "sale"
                occurred = datetime.fromtimestamp(moment + rng.randrange(60, 7200), UTC)
                request = TrackRequest(
                    kind=kind,
                    external_id=f"o{i:07d}",
                    amount=Money.from_minor(rng.randrange(10_000, 200_000), "DKK"),
                    occurred_at=occurred,
                    click_id=click_id,
                )
                ingest_event(conn, 1, event_from_request(request, now), now)
        if start % (per_tx * 20) == 0:
            print(f"  conversions: {start + per_tx:,}", file=sys.stderr)


EXPORTS = {
    "clicks": "SELECT c.click_id, c.link_id, c.occurred_at, c.visitor_hash, c.is_bot, "
    "c.is_unique FROM clicks c ORDER BY c.id",
    "links": "SELECT l.id AS link_id, p.campaign_id, p.creator_id FROM tracking_links l "
    "JOIN partnerships p ON p.id = l.partnership_id",
    "conversions": "SELECT id, kind, partnership_id, amount_minor, currency, status, "
    "reverses_id FROM conversions",
    "partnerships": "SELECT id, campaign_id, creator_id FROM partnerships",
}

DUCKDB_TABLE = """
WITH traffic AS (
    SELECT l.campaign_id, l.creator_id,
           count(*) FILTER (WHERE NOT c.is_bot) AS clicks,
           count(*) FILTER (WHERE c.is_unique) AS unique_clicks
    FROM '{dir}/clicks.parquet' c JOIN '{dir}/links.parquet' l USING (link_id)
    GROUP BY ALL
), sales AS (
    SELECT p.campaign_id, p.creator_id,
           count(*) FILTER (WHERE v.kind IN ('sale', 'lead')) AS conversions,
           sum(CASE WHEN v.kind = 'sale' THEN v.amount_minor
                    WHEN v.kind = 'refund' THEN -v.amount_minor ELSE 0 END) AS revenue_minor
    FROM '{dir}/conversions.parquet' v JOIN '{dir}/partnerships.parquet' p
      ON p.id = v.partnership_id
    WHERE v.status <> 'rejected'
    GROUP BY ALL
)
SELECT campaign_id, creator_id, coalesce(t.clicks, 0) AS clicks,
       coalesce(t.unique_clicks, 0) AS unique_clicks, coalesce(s.conversions, 0) AS conversions,
       coalesce(s.revenue_minor, 0) AS revenue_minor
FROM traffic t FULL JOIN sales s USING (campaign_id, creator_id)
ORDER BY campaign_id, creator_id
"""


def export_parquet(db_path: Path, out: Path) -> None:
    """Raw events to Parquet through CSV (DuckDB's sqlite extension would need a download)."""
    import sqlite3  # noqa: PLC0415 - the export reads the file directly, outside the app

    source = sqlite3.connect(db_path)
    con = duckdb.connect()
    for name, query in EXPORTS.items():
        csv_path = out / f"{name}.csv"
        with csv_path.open("w", newline="") as handle:
            writer = csv.writer(handle)
            cursor = source.execute(query)
            writer.writerow([d[0] for d in cursor.description])
            while rows := cursor.fetchmany(100_000):
                writer.writerows(rows)
        con.execute(
            f"COPY (SELECT * FROM read_csv('{csv_path}', header=true)) "
            f"TO '{out / name}.parquet' (FORMAT parquet)"
        )
        csv_path.unlink()
    source.close()


def median_seconds(fn: object, runs: int) -> tuple[float, object]:
    times, result = [], None
    for _ in range(runs):
        started = time.perf_counter()
        result = fn()  # type: ignore[operator]
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clicks", type=int, default=10_000_000)
    parser.add_argument("--conversions", type=int, default=None, help="default: clicks / 50")
    parser.add_argument("--links", type=int, default=2_000)
    parser.add_argument("--creators", type=int, default=500)
    parser.add_argument("--campaigns", type=int, default=40)
    parser.add_argument("--batch", type=int, default=5_000, help="clicks per writer batch")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=None, help="work directory (default: temp)")
    parser.add_argument("--reuse", action="store_true", help="time an already loaded --dir")
    args = parser.parse_args()
    conversions = args.conversions if args.conversions is not None else args.clicks // 50
    work = args.dir or Path(tempfile.mkdtemp(prefix="perfluence-bench-report-"))
    work.mkdir(parents=True, exist_ok=True)
    db_path = work / "bench.db"
    url = f"sqlite:///{db_path}"
    settings = Settings(env=Environment.TEST, data_dir=work, database_url=url)
    end_of_data = datetime.combine(START + timedelta(days=DAYS), datetime.min.time(), UTC)
    if args.reuse and db_path.exists():
        engine = make_engine(url)
        ctx = Context(settings=settings, engine=engine, clock=lambda: end_of_data)
        print(f"reusing {db_path}", file=sys.stderr)
    else:
        db_path.unlink(missing_ok=True)
        engine = make_engine(url)
        migrate.upgrade(engine)
        ctx = Context(settings=settings, engine=engine, clock=lambda: end_of_data)
        load(ctx, args, conversions, db_path, work)
    time_everything(ctx, engine, work, args.runs)


def load(
    ctx: Context, args: argparse.Namespace, conversions: int, db_path: Path, work: Path
) -> None:
    print(f"work dir {work}; {args.clicks:,} clicks, {conversions:,} conversions", file=sys.stderr)
    started = time.perf_counter()
    links = build_world(ctx, args.links, args.creators, args.campaigns)
    converters = load_clicks(ctx, args.clicks, [lid for lid, _ in links], args.batch, conversions)
    click_seconds = time.perf_counter() - started
    started = time.perf_counter()
    load_conversions(ctx, converters, 1_000)
    conversion_seconds = time.perf_counter() - started
    started = time.perf_counter()
    export_parquet(db_path, work)
    print(
        f"load: clicks {click_seconds:.0f} s, conversions {conversion_seconds:.0f} s, "
        f"Parquet export {time.perf_counter() - started:.0f} s"
    )


def time_everything(ctx: Context, engine: Engine, work: Path, runs: int) -> None:
    def report(attribution: bool) -> Callable[[], object]:
        def run() -> object:
            built = reports.build_campaign_report(
                ctx, "bench", "camp00", lang="da", attribution=attribution
            )
            return reports.render(built, "csv")

        return run

    def kpis() -> object:
        return reporting.campaign_kpis(ctx, "bench", "camp00")

    # Without statistics SQLite scans every rollup row; with them it goes campaign -> links ->
    # rollups by key. A long-lived store gets them from "PRAGMA optimize"; here, once.
    with engine.begin() as conn:
        conn.exec_driver_sql("ANALYZE")
        clicks = conn.exec_driver_sql("SELECT count(*) FROM clicks").scalar() or 0
        rollups = conn.exec_driver_sql("SELECT count(*) FROM click_rollups_hourly").scalar() or 0
    con = duckdb.connect()
    query = DUCKDB_TABLE.format(dir=work)
    duck_s, table = median_seconds(lambda: con.execute(query).fetchall(), runs)
    kpis_s, _ = median_seconds(kpis, runs)
    lean_s, _ = median_seconds(report(False), runs)
    full_s, _ = median_seconds(report(True), max(1, runs // 2))
    rows = len(table)  # type: ignore[arg-type]
    print(f"{clicks:,} clicks, {rollups:,} hourly rollup rows")
    print(f"DuckDB per-campaign x per-creator table ({rows} rows): {duck_s * 1000:.1f} ms")
    print(f"campaign KPI table (camp00, from rollups): {kpis_s * 1000:.1f} ms")
    print(f"campaign report without attribution models (csv): {lean_s * 1000:.1f} ms")
    print(f"campaign report, complete (csv): {full_s * 1000:.1f} ms")
    print(
        f"ratio DuckDB / KPI table = {duck_s / kpis_s:.2f}; DuckDB / report = "
        f"{duck_s / lean_s:.2f} (without attribution), {duck_s / full_s:.2f} (complete)"
    )


if __name__ == "__main__":
    main()
