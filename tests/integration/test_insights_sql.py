"""Compiled SQL of the insight queries, kept for SQLite and PostgreSQL.

Regenerate with ``PERFLUENCE_UPDATE_SNAPSHOTS=1 pytest tests/integration/test_insights_sql.py``
after changing a query (or ``analytics.credited``, which the conversion and
refund queries build on) and review the diff.
"""

from __future__ import annotations

import os
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Select
from sqlalchemy.dialects import postgresql, sqlite

from perfluence.analytics import attribution_compare as aq
from perfluence.analytics import baseline as bq
from perfluence.analytics import dimensions as dq
from perfluence.analytics import timeseries as ts
from perfluence.analytics.campaign_kpis import CampaignKpiParams
from perfluence.store.tables import posts

SNAPSHOTS = Path(__file__).parent / "snapshots"
UPDATE_SNAPSHOTS = os.environ.get("PERFLUENCE_UPDATE_SNAPSHOTS") == "1"
PARAMS = CampaignKpiParams(workspace_id=1, campaign_id=2)
SERIES = bq.SeriesParams(1, "sessions", date(2026, 1, 1), date(2026, 1, 31))
QUERIES: dict[str, Select[Any]] = {
    "insights_partnerships": dq.partnerships_query(PARAMS),
    "insights_links": dq.links_query(PARAMS),
    "insights_posts_grain": dq.posts_grain_query(PARAMS),
    "insights_traffic_grain": dq.traffic_grain_query(PARAMS),
    "insights_daily_traffic": ts.daily_traffic_query(PARAMS),
    "insights_conversions_grain": dq.conversions_grain_query(PARAMS),
    "insights_refunds_grain": dq.refunds_grain_query(PARAMS),
    "insights_cost_grain": dq.cost_grain_query(PARAMS),
    "insights_sales_paths": aq.sales_query(PARAMS),
    "insights_clicks_paths": aq.clicks_query(PARAMS, ["visitor-a", "visitor-b"]),
    "insights_journeys": aq.journeys_query(PARAMS),
    "insights_imported_series": bq.imported_series_query(SERIES),
}
DIALECTS = {"sqlite": sqlite.dialect(), "postgresql": postgresql.dialect()}


@pytest.mark.parametrize("dialect", sorted(DIALECTS))
@pytest.mark.parametrize("name", sorted(QUERIES))
def test_compiled_sql_matches_snapshot(name: str, dialect: str) -> None:
    path = SNAPSHOTS / f"{name}.{dialect}.sql"
    compiled = QUERIES[name].compile(
        dialect=DIALECTS[dialect], compile_kwargs={"literal_binds": True}
    )
    sql = f"{compiled}\n"
    if UPDATE_SNAPSHOTS:
        path.write_text(sql, encoding="utf-8")
    assert path.exists(), f"no snapshot {path.name}; run with PERFLUENCE_UPDATE_SNAPSHOTS=1"
    assert sql == path.read_text(encoding="utf-8")


def test_utc_day_compiles_per_dialect() -> None:
    day = dq.utc_day(posts.c.published_at)
    assert str(day.compile(dialect=DIALECTS["sqlite"])) == "substr(posts.published_at, 1, 10)"
    assert (
        str(day.compile(dialect=DIALECTS["postgresql"]))
        == "to_char(posts.published_at, 'YYYY-MM-DD')"
    )
