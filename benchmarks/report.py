"""Campaign report over 10M clicks against DuckDB on the raw events.

Generates a fixed-seed world (2,000 links, 500 creators, 40 campaigns, 90
days, 10M clicks, 200k conversions by default, a fee per creator, a cost per
campaign and a refund of every 20th sale) through the real ingest code,
exports the raw events to Parquet, and times (median of ``--runs``):

1. DuckDB computing the per-campaign x per-creator table (human clicks, unique
   clicks, conversions, net revenue, cost as the KPI report defines them) from
   the Parquet files, for all campaigns and for one;
2. ``services.reporting.campaign_kpis`` for one campaign (the KPI table) and
   ``services.reports.build_campaign_report`` rendered to CSV, without and
   with the attribution models (the latter first after loading, then again);

checks that every campaign's KPI table equals DuckDB's rows, and prints the
times and the ratios. The figures are in docs/performance.md.

Ingest paths:
- Clicks: ``tracking.writer.ClickWriter.write`` in batches of ``--batch``
  ``RawClick``s: the enrichment, unique check, insert and hourly rollups of
  every redirect's click, one transaction per batch, minus the HTTP request.
- Conversions: ``conversions.ingest.ingest_event`` (the code behind the S2S
  API and the webhooks), a thousand events per transaction.

Usage::

    .venv/bin/python benchmarks/report.py                      # 10M clicks
    .venv/bin/python benchmarks/report.py --clicks 200000 --dir /tmp/b
    .venv/bin/python benchmarks/report.py --reuse /tmp/b       # time again, no load
    .venv/bin/python benchmarks/report.py --clicks 200000 --database-url URL  # PostgreSQL
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
from typing import Literal, TypeVar

import duckdb
from sqlalchemy import Connection, Engine

from perfluence.config import Environment, Settings
from perfluence.conversions.ingest import ingest_event
from perfluence.core.campaign_report import CampaignKpis
from perfluence.core.model import CampaignGoal, CampaignStatus, PartnershipStatus, Platform
from perfluence.core.money import Money
from perfluence.core.terms import ContractTerms, PaymentModel
from perfluence.services import reporting, reports
from perfluence.services.context import Context
from perfluence.services.conversions import TrackRequest, event_from_request
from perfluence.store import campaigns as campaign_store
from perfluence.store import costs as cost_store
from perfluence.store import creators as creator_store
from perfluence.store import links as link_store
from perfluence.store import migrate
from perfluence.store import partnerships as partnership_store
from perfluence.store.engine import make_engine
from perfluence.store.workspaces import insert_workspace
from perfluence.tracking.clickid import click_id_at
from perfluence.tracking.events import RawClick
from perfluence.tracking.writer import ClickWriter

_T = TypeVar("_T")
SEED = 20261123
START = date(2026, 1, 1)
DAYS = 90
CREATED = datetime(2025, 12, 1, tzinfo=UTC)
BOT_AGENT = "facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"
USER_AGENTS = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 "
    "(KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1",
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Mobile Safari/537.36",
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/124.0 Safari/537.36",
    "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_4) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Safari/605.1.15",
    BOT_AGENT,
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
            # A flat fee per creator: cost that is not a payout line.
            cost_store.insert_cost(
                conn,
                workspace_id=ws,
                campaign_id=campaign_id,
                partnership_id=partnership,
                kind="fee",
                amount=Money.from_minor(rng.randrange(50_000, 500_000), "DKK"),
                incurred_on=START,
                description=None,
                created_at=CREATED,
            )
        for campaign_id in campaign_ids:  # and one cost of the campaign itself
            cost_store.insert_cost(
                conn,
                workspace_id=ws,
                campaign_id=campaign_id,
                partnership_id=None,
                kind="agency",
                amount=Money.from_minor(2_500_000, "DKK"),
                incurred_on=START,
                description=None,
                created_at=CREATED,
            )
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
    # Buyers are people: one visitor in five is a link-preview bot (BOT_AGENT) and never buys.
    share = conversions / max(total * 0.8, 1) * 1.03
    converters: list[tuple[str, float]] = []
    done = 0
    started = time.perf_counter()
    for day in clicks_by_day(total, link_ids, 1, rng):
        for start in range(0, len(day), batch):
            part = day[start : start + batch]
            if writer.write(part, []).lost:
                raise SystemExit("the click writer lost clicks; see the log")
            converters.extend(
                (c.click_id, c.occurred_at)
                for c in part
                if c.user_agent is not BOT_AGENT and rng.random() < share
            )
            done += len(part)
        rate = done / (time.perf_counter() - started)
        print(f"  clicks: {done:,} / {total:,} ({rate:,.0f}/s)", file=sys.stderr)
    writer.close()
    return converters[:conversions]


def _track(conn: Connection, request: TrackRequest, now: datetime) -> None:
    ingest_event(conn, 1, event_from_request(request, now), now)


def load_conversions(ctx: Context, converters: list[tuple[str, float]], per_tx: int) -> int:
    """Leads and sales carrying a converter's click id; then refunds of every 20th sale.

    Returns the refunds stored.
    """
    rng = random.Random(SEED + 2)
    now = datetime.combine(START + timedelta(days=DAYS), datetime.min.time(), UTC)
    refunds: list[TrackRequest] = []
    started = time.perf_counter()
    for start in range(0, len(converters), per_tx):
        with ctx.engine.begin() as conn:
            for i, (click_id, moment) in enumerate(converters[start : start + per_tx], start):
                kind: Literal["lead", "sale"] = "lead" if i % 10 == 0 else "sale"
                occurred = datetime.fromtimestamp(moment + rng.randrange(60, 7200), UTC)
                amount = Money.from_minor(rng.randrange(10_000, 200_000), "DKK")
                _track(conn, TrackRequest(kind, f"o{i:07d}", amount, occurred, click_id), now)
                if i % 20 == 5:  # a sale, refunded in full or in half three days later
                    back = (
                        amount if i % 40 == 5 else Money.from_minor(amount.minor_units // 2, "DKK")
                    )
                    refunds.append(
                        TrackRequest(
                            "refund",
                            f"r{i:07d}",
                            back,
                            occurred + timedelta(days=3),
                            reverses_external_id=f"o{i:07d}",
                        )
                    )
        done = min(start + per_tx, len(converters))
        if done % (per_tx * 10) == 0 or done == len(converters):
            rate = done / (time.perf_counter() - started)
            print(f"  conversions: {done:,} / {len(converters):,} ({rate:,.0f}/s)", file=sys.stderr)
    for start in range(0, len(refunds), per_tx):
        with ctx.engine.begin() as conn:
            for request in refunds[start : start + per_tx]:
                _track(conn, request, now)
    print(f"  refunds: {len(refunds):,}", file=sys.stderr)
    return len(refunds)


# The raw events and the few dimension rows DuckDB needs, as they are stored, with the
# column types DuckDB gives them (so an empty table still has them).
_FLAG = "CASE WHEN {0} THEN 'true' ELSE 'false' END AS {0}"
EXPORTS: dict[str, tuple[str, dict[str, str]]] = {
    "clicks": (
        "SELECT click_id, link_id, occurred_at, visitor_hash, "
        f"{_FLAG.format('is_bot')}, {_FLAG.format('is_unique')} FROM clicks ORDER BY id",
        {
            "click_id": "VARCHAR",
            "link_id": "BIGINT",
            "occurred_at": "VARCHAR",
            "visitor_hash": "VARCHAR",
            "is_bot": "BOOLEAN",
            "is_unique": "BOOLEAN",
        },
    ),
    "links": (
        "SELECT l.id AS link_id, p.campaign_id, p.creator_id FROM tracking_links l "
        "JOIN partnerships p ON p.id = l.partnership_id",
        {"link_id": "BIGINT", "campaign_id": "BIGINT", "creator_id": "BIGINT"},
    ),
    "partnerships": (
        "SELECT id, campaign_id, creator_id FROM partnerships",
        {"id": "BIGINT", "campaign_id": "BIGINT", "creator_id": "BIGINT"},
    ),
    "conversions": (
        "SELECT id, kind, status, occurred_at, amount_minor, currency, partnership_id, "
        "reverses_id FROM conversions",
        {
            "id": "BIGINT",
            "kind": "VARCHAR",
            "status": "VARCHAR",
            "occurred_at": "VARCHAR",
            "amount_minor": "BIGINT",
            "currency": "VARCHAR",
            "partnership_id": "BIGINT",
            "reverses_id": "BIGINT",
        },
    ),
    "credits": (
        "SELECT conversion_id, partnership_id, share, amount_minor FROM conversion_credits",
        {
            "conversion_id": "BIGINT",
            "partnership_id": "BIGINT",
            "share": "DECIMAL(18, 6)",
            "amount_minor": "BIGINT",
        },
    ),
    "costs": (
        "SELECT campaign_id, partnership_id, amount_minor, currency FROM costs",
        {
            "campaign_id": "BIGINT",
            "partnership_id": "BIGINT",
            "amount_minor": "BIGINT",
            "currency": "VARCHAR",
        },
    ),
    "payout_lines": (
        "SELECT partnership_id, conversion_id, kind, amount_minor, currency FROM payout_lines",
        {
            "partnership_id": "BIGINT",
            "conversion_id": "BIGINT",
            "kind": "VARCHAR",
            "amount_minor": "BIGINT",
            "currency": "VARCHAR",
        },
    ),
}
PERFORMANCE_KINDS = "('click', 'lead', 'commission', 'reversal', 'adjustment')"

# The campaign report's definitions (docs/analytics.md) on the raw events: clicks are human
# clicks; conversions are sales and leads (credit shares), revenue is sales minus refunds as
# credited; cost is the costs booked plus the performance payout lines. ``{where}`` narrows
# it to one campaign.
DUCKDB_TABLE = """
WITH links AS (SELECT * FROM '{dir}/links.parquet'),
ships AS (SELECT * FROM '{dir}/partnerships.parquet'),
traffic AS (
    SELECT l.campaign_id, l.creator_id,
           count(*) FILTER (WHERE NOT c.is_bot) AS clicks,
           count(*) FILTER (WHERE c.is_unique) AS unique_clicks
    FROM '{dir}/clicks.parquet' c JOIN links l USING (link_id)
    {where}
    GROUP BY ALL
), sales AS (
    SELECT p.campaign_id, p.creator_id,
           sum(cr.share) FILTER (WHERE v.kind IN ('sale', 'lead'))
               AS conversions,
           sum(CASE WHEN v.kind = 'sale' THEN cr.amount_minor
                    WHEN v.kind = 'refund' THEN -cr.amount_minor ELSE 0 END) AS revenue_minor
    FROM '{dir}/conversions.parquet' v
    JOIN '{dir}/credits.parquet' cr ON cr.conversion_id = v.id
    JOIN ships p ON p.id = cr.partnership_id
    WHERE v.status <> 'rejected' {and_where}
    GROUP BY ALL
), cost AS (
    SELECT campaign_id, creator_id, sum(amount_minor) AS cost_minor FROM (
        SELECT k.campaign_id, p.creator_id, k.amount_minor
        FROM '{dir}/costs.parquet' k LEFT JOIN ships p ON p.id = k.partnership_id
        UNION ALL
        SELECT p.campaign_id, p.creator_id, pl.amount_minor
        FROM '{dir}/payout_lines.parquet' pl JOIN ships p ON p.id = pl.partnership_id
        WHERE pl.kind IN {kinds}
    ) AS lines
    {where_cost}
    GROUP BY ALL
)
SELECT campaign_id, creator_id, coalesce(t.clicks, 0) AS clicks,
       coalesce(t.unique_clicks, 0) AS unique_clicks,
       coalesce(s.conversions, 0) AS conversions,
       coalesce(s.revenue_minor, 0) AS revenue_minor, coalesce(k.cost_minor, 0) AS cost_minor
FROM traffic t FULL JOIN sales s USING (campaign_id, creator_id)
FULL JOIN cost k USING (campaign_id, creator_id)
ORDER BY campaign_id, creator_id
"""


def duckdb_query(work: Path, campaign_id: int | None) -> str:
    if campaign_id is None:
        narrow: dict[str, str] = {"where": "", "and_where": "", "where_cost": ""}
    else:
        narrow = {
            "where": f"WHERE l.campaign_id = {campaign_id}",
            "and_where": f"AND p.campaign_id = {campaign_id}",
            "where_cost": f"WHERE campaign_id = {campaign_id}",
        }
    return DUCKDB_TABLE.format(dir=work, kinds=PERFORMANCE_KINDS, **narrow)


def export_parquet(engine: Engine, out: Path) -> None:
    """Raw events to Parquet through CSV (DuckDB's database extensions would need a download)."""
    con = duckdb.connect()
    with engine.connect() as source:
        for name, (query, types) in EXPORTS.items():
            csv_path = out / f"{name}.csv"
            with csv_path.open("w", newline="") as handle:
                writer = csv.writer(handle)
                result = source.exec_driver_sql(query)
                writer.writerow(list(result.keys()))
                while rows := result.fetchmany(100_000):
                    writer.writerows(rows)
            con.execute(
                f"COPY (SELECT * FROM read_csv('{csv_path}', header=true, columns={types!r})) "
                f"TO '{out / name}.parquet' (FORMAT parquet)"
            )
            csv_path.unlink()


def median_seconds(fn: Callable[[], _T], runs: int) -> tuple[float, _T]:
    times, result = [], None
    for _ in range(max(runs, 1)):
        started = time.perf_counter()
        result = fn()
        times.append(time.perf_counter() - started)
    assert result is not None
    return statistics.median(times), result


Row = tuple[int, int, Decimal, int, int]  # clicks, unique clicks, conversions, revenue, cost


def perfluence_rows(kpis: CampaignKpis) -> dict[int | None, Row]:
    """The KPI table's figures per creator (``None``: campaign level), in minor units."""
    out: dict[int | None, Row] = {}
    for creator_id, f in [
        *((c.creator_id, c.figures) for c in kpis.creators),
        (None, kpis.campaign_level),
    ]:
        out[creator_id] = (
            f.human_clicks,
            f.unique_clicks,
            Decimal(f.conversions),
            f.revenue.minor_units,
            f.cost.minor_units,
        )
    return out


def duckdb_rows(table: list[tuple[object, ...]]) -> dict[tuple[int, int | None], Row]:
    out: dict[tuple[int, int | None], Row] = {}
    for campaign_id, creator_id, clicks, unique, conversions, revenue, cost in table:
        out[(int(campaign_id), None if creator_id is None else int(creator_id))] = (  # type: ignore[call-overload]
            int(clicks),  # type: ignore[call-overload]
            int(unique),  # type: ignore[call-overload]
            Decimal(str(conversions)).normalize(),
            int(revenue),  # type: ignore[call-overload]
            int(cost),  # type: ignore[call-overload]
        )
    return out


def agree(ours: dict[int | None, Row], theirs: dict[int | None, Row], campaign: str) -> None:
    """Every row the same, where an empty row (a creator without any event) equals a missing one."""
    empty: Row = (0, 0, Decimal(0), 0, 0)
    for key in set(ours) | set(theirs):
        mine = ours.get(key, empty)
        other = theirs.get(key, empty)
        if (*mine[:2], mine[2].normalize(), *mine[3:]) != (
            *other[:2],
            other[2].normalize(),
            *other[3:],
        ):
            raise SystemExit(f"{campaign}, creator {key}: perfluence {mine} != DuckDB {other}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clicks", type=int, default=10_000_000)
    parser.add_argument("--conversions", type=int, default=None, help="default: clicks / 50")
    parser.add_argument("--links", type=int, default=2_000)
    parser.add_argument("--creators", type=int, default=500)
    parser.add_argument("--campaigns", type=int, default=40)
    parser.add_argument("--batch", type=int, default=10_000, help="clicks per writer batch")
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--dir", type=Path, default=None, help="work directory (default: temp)")
    parser.add_argument(
        "--reuse", type=Path, default=None, metavar="DIR", help="time the data loaded in DIR"
    )
    parser.add_argument(
        "--database-url", default=None, help="an empty PostgreSQL database (default: SQLite in DIR)"
    )
    args = parser.parse_args()
    conversions = args.conversions if args.conversions is not None else args.clicks // 50
    work = args.reuse or args.dir or Path(tempfile.mkdtemp(prefix="perfluence-bench-report-"))
    work.mkdir(parents=True, exist_ok=True)
    db_path = work / "bench.db"
    url = args.database_url or f"sqlite:///{db_path}"
    settings = Settings(env=Environment.TEST, data_dir=work, database_url=url)
    end_of_data = datetime.combine(START + timedelta(days=DAYS), datetime.min.time(), UTC)
    if args.reuse is None and args.database_url is None:
        db_path.unlink(missing_ok=True)
    engine = make_engine(url)
    ctx = Context(settings=settings, engine=engine, clock=lambda: end_of_data)
    if args.reuse is None:
        migrate.upgrade(engine)
        load(ctx, args, conversions, work)
    else:
        print(f"reusing {url}", file=sys.stderr)
        migrate.upgrade(engine)  # indexes added since the load
    if not (work / "clicks.parquet").exists():
        started = time.perf_counter()
        export_parquet(engine, work)
        print(f"Parquet export: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    time_everything(ctx, engine, work, args.runs)


def load(ctx: Context, args: argparse.Namespace, conversions: int, work: Path) -> None:
    print(f"work dir {work}; {args.clicks:,} clicks, {conversions:,} conversions", file=sys.stderr)
    for stale in work.glob("*.parquet"):
        stale.unlink()
    started = time.perf_counter()
    links = build_world(ctx, args.links, args.creators, args.campaigns)
    converters = load_clicks(ctx, args.clicks, [lid for lid, _ in links], args.batch, conversions)
    click_seconds = time.perf_counter() - started
    started = time.perf_counter()
    refunds = load_conversions(ctx, converters, 1_000)
    conversion_seconds = time.perf_counter() - started
    print(
        f"load: {args.clicks:,} clicks in {click_seconds:.0f} s "
        f"({args.clicks / click_seconds:,.0f}/s), {len(converters):,} conversions and "
        f"{refunds:,} refunds in {conversion_seconds:.0f} s "
        f"({(len(converters) + refunds) / conversion_seconds:,.0f}/s)"
    )


def time_everything(ctx: Context, engine: Engine, work: Path, runs: int) -> None:
    # Statistics let SQLite go campaign -> links -> rollups; a long-lived store gets them from
    # "PRAGMA optimize" (docs/performance.md), a freshly loaded one needs them once.
    with engine.connect() as conn:
        # PostgreSQL's VACUUM (which also lets it read the rollup index alone) cannot run in a
        # transaction; SQLite's ANALYZE can.
        auto = conn.execution_options(isolation_level="AUTOCOMMIT")
        auto.exec_driver_sql("ANALYZE" if conn.dialect.name == "sqlite" else "VACUUM ANALYZE")
        clicks = conn.exec_driver_sql("SELECT count(*) FROM clicks").scalar() or 0
        rollups = conn.exec_driver_sql("SELECT count(*) FROM click_rollups_hourly").scalar() or 0
        sales = conn.exec_driver_sql("SELECT count(*) FROM conversions").scalar() or 0
    overview = reporting.campaign_overview(ctx, "bench")
    ids = {row.slug: row.campaign_id for row in overview}
    one, one_id = "camp00", ids["camp00"]
    con = duckdb.connect()
    all_q, one_q = duckdb_query(work, None), duckdb_query(work, one_id)
    duck_all_s, table = median_seconds(lambda: con.execute(all_q).fetchall(), runs)
    duck_one_s, _ = median_seconds(lambda: con.execute(one_q).fetchall(), runs)
    kpis_s, kpis = median_seconds(lambda: reporting.campaign_kpis(ctx, "bench", one), runs)

    def report(attribution: bool) -> Callable[[], bytes]:
        def run() -> bytes:
            built = reports.build_campaign_report(
                ctx, "bench", one, lang="da", attribution=attribution
            )
            return reports.render(built, "csv")

        return run

    lean_s, _ = median_seconds(report(False), runs)
    started = time.perf_counter()
    report(True)()
    cold_s = time.perf_counter() - started
    warm_s, _ = median_seconds(report(True), runs)
    # Every campaign's KPI table against DuckDB's rows: the numbers must be the same.
    theirs = duckdb_rows(table)
    started = time.perf_counter()
    for slug, campaign_id in ids.items():
        mine = kpis if slug == one else reporting.campaign_kpis(ctx, "bench", slug)
        agree(
            perfluence_rows(mine),
            {k[1]: v for k, v in theirs.items() if k[0] == campaign_id},
            slug,
        )
    all_s = time.perf_counter() - started
    print(
        f"{engine.dialect.name}: {clicks:,} clicks, {rollups:,} hourly rollup rows, "
        f"{sales:,} conversions; tables agree ({len(theirs):,} campaign x creator rows)"
    )
    print(f"DuckDB, table of all {len(ids)} campaigns from Parquet: {duck_all_s * 1000:8.1f} ms")
    print(f"DuckDB, table of {one} from Parquet:           {duck_one_s * 1000:8.1f} ms")
    print(f"perfluence, KPI table of {one}:                {kpis_s * 1000:8.1f} ms")
    print(f"perfluence, report of {one} w/o attribution:   {lean_s * 1000:8.1f} ms")
    print(f"perfluence, complete report of {one}, first:   {cold_s * 1000:8.1f} ms")
    print(f"perfluence, complete report of {one}, again:   {warm_s * 1000:8.1f} ms")
    print(f"perfluence, KPI tables of all {len(ids)} campaigns:     {all_s * 1000:8.1f} ms (once)")
    print(
        f"ratio DuckDB all campaigns / perfluence KPI table = {duck_all_s / kpis_s:.2f}; "
        f"/ report w/o attribution = {duck_all_s / lean_s:.2f}; "
        f"/ complete report (again) = {duck_all_s / warm_s:.2f}"
    )


if __name__ == "__main__":
    main()
