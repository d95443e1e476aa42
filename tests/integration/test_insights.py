"""Insights on both dialects: breakdowns that add up, funnel, attribution models, baselines, CLI.

Three worlds: ``tests/data/kpi_small`` (hand-sized, every figure known), the
demo at a small scale, and a two-creator journey built below whose credit
under every model is worked out by hand.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from typer.testing import CliRunner

from perfluence import cli
from perfluence.analytics import attribution_memo as memo
from perfluence.analytics.rollups import rebuild_click_rollups
from perfluence.config import Settings, get_settings
from perfluence.core.campaign_report import sum_figures
from perfluence.core.csvrows import CsvImportError
from perfluence.core.insights_model import Dimension, TargetStatus
from perfluence.core.lift import LiftOutcome
from perfluence.core.money import Money, sum_money
from perfluence.services import demo, insights, reporting
from perfluence.services.context import Context
from perfluence.store import events
from perfluence.store.tables import baseline_series, conversions, tracking_links
from tests.integration import kpi_small
from tests.integration.factories import (
    make_campaign,
    make_creator,
    make_partnership,
    make_workspace,
)

runner = CliRunner()


def dkk(amount: str) -> Money:
    return Money(amount, "DKK")


@pytest.fixture
def small(ctx: Context) -> Context:
    with ctx.engine.begin() as conn:
        ws = kpi_small.load(conn)
        rebuild_click_rollups(conn, ws)
    return ctx


# --- totals equal the sum of their parts ---------------------------------------------


def _assert_adds_up(ctx: Context, workspace: str, campaign: str) -> None:
    report = reporting.campaign_kpis(ctx, workspace, campaign)
    for dimension in Dimension:
        result = insights.kpis_by(ctx, workspace, campaign, dimension)
        summed = sum_figures((r.figures for r in result.rows), result.currency)
        assert result.totals.additive() == summed.additive(), dimension
        assert result.totals.additive() == report.totals.additive(), dimension


@pytest.mark.parametrize("campaign", ["spring", "other"])
def test_small_every_dimension_adds_up_to_the_campaign(small: Context, campaign: str) -> None:
    _assert_adds_up(small, "kpi", campaign)


def test_small_by_creator_rows_are_the_report_rows(small: Context) -> None:
    report = reporting.campaign_kpis(small, "kpi", "spring")
    by_creator = insights.kpis_by(small, "kpi", "spring", "creator")
    rows = {r.label: r.figures.additive() for r in by_creator.rows}
    for c in report.creators:
        assert rows[f"@{c.handle}"] == c.figures.additive()
    if not report.campaign_level.cost.is_zero():
        assert rows["campaign level"] == report.campaign_level.additive()


def test_small_by_link_and_day_place_what_they_can(small: Context) -> None:
    by_link = {r.key: r.figures for r in insights.kpis_by(small, "kpi", "spring", "link").rows}
    # Clicks all come through links; the code-attributed sales are not tied to one.
    assert by_link["spring-anna"].clicks == 10
    assert by_link[None].clicks == 0
    report = reporting.campaign_kpis(small, "kpi", "spring")
    assert by_link[None].sales == report.totals.sales
    assert by_link["spring-anna"].sales == 0
    by_day = insights.kpis_by(small, "kpi", "spring", Dimension.DAY)
    assert [r.key for r in by_day.rows if r.key] == sorted(r.key for r in by_day.rows if r.key)
    assert by_day.rows[-1].key is None  # the undated group (followers) comes last


def test_small_timeseries_is_zero_filled_and_sums_to_the_totals(small: Context) -> None:
    series = insights.campaign_timeseries(small, "kpi", "spring")
    report = reporting.campaign_kpis(small, "kpi", "spring")
    days = [p.day for p in series.points]
    assert days == [days[0] + timedelta(days=i) for i in range(len(days))]
    assert days[0] <= date(2026, 2, 1)
    assert days[-1] >= date(2026, 2, 28)
    assert sum(p.clicks for p in series.points) == report.totals.human_clicks
    assert sum(p.unique_clicks for p in series.points) == report.totals.unique_clicks
    assert sum(p.conversions for p in series.points) == report.totals.conversions
    assert sum_money((p.revenue for p in series.points), "DKK") == report.totals.revenue
    assert sum_money((p.cost for p in series.points), "DKK") == report.totals.cost


def test_small_funnel_compares_with_the_targets(small: Context) -> None:
    funnel = insights.campaign_funnel(small, "kpi", "spring")
    by_name = {m.metric: m for m in funnel.metrics}
    assert by_name["cpa"].target == dkk("150.00")
    assert not by_name["cpa"].higher_is_better
    assert by_name["roas"].target == Decimal("4.0")
    assert by_name["roas"].status in (TargetStatus.MET, TargetStatus.MISSED)
    assert by_name["impressions"].status is TargetStatus.NO_TARGET
    assert next(m.stage.value for m in funnel.metrics) == "top"
    assert [m.stage.value for m in funnel.metrics][-1] == "bottom"


def test_small_uncertainty_flags_thin_creators_and_tiers_cannot_tell(small: Context) -> None:
    result = insights.creator_uncertainty(small, "kpi", "spring")
    assert {e.handle for e in result.creators} == {"anna", "bo", "cecilie"}
    assert all(e.not_enough_data for e in result.creators)  # a handful of clicks each
    assert [e.rank for e in result.creators] == [1, 2, 3]
    tiers = insights.tier_comparison(small, "kpi", "spring")
    assert not tiers.significant
    advice = insights.recommendations(small, "kpi", "spring")
    assert {r.action.value for r in advice.creators} == {"keep"}
    assert advice.moves == ()


def test_unknown_dimension_and_campaign_are_refused(small: Context) -> None:
    with pytest.raises(Exception, match="unknown dimension"):
        insights.kpis_by(small, "kpi", "spring", "galaxy")
    with pytest.raises(Exception, match="not found"):
        insights.campaign_funnel(small, "kpi", "winter")


# --- the demo ---------------------------------------------------------------------------


@pytest.fixture
def demo_world(ctx: Context) -> Context:
    demo.seed_demo(ctx, scale=0.02)
    return ctx


def test_demo_every_dimension_adds_up_and_models_agree_on_totals(demo_world: Context) -> None:
    for campaign in ("autumn-launch", "black-week", "newsletter-signups"):
        _assert_adds_up(demo_world, "demo", campaign)
        compared = insights.attribution_comparison(demo_world, "demo", campaign)
        revenues = {t.revenue for t in compared.totals}
        assert len(revenues) == 1, campaign
        advice = insights.recommendations(demo_world, "demo", campaign)
        assert sum_money((m.amount for m in advice.moves), advice.currency).is_zero()
        ranked = insights.creator_uncertainty(demo_world, "demo", campaign).creators
        flags = [e.not_enough_data for e in ranked]
        assert flags == sorted(flags)  # creators with enough data first


# --- attribution models side by side ------------------------------------------------------

T0 = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)


@pytest.fixture
def journeys(ctx: Context) -> Context:
    """v1 clicks Anna's link, then Bo's, then buys carrying Bo's click; v2 and v3 do not buy."""
    with ctx.engine.begin() as conn:
        ws = make_workspace(conn, "shop")
        campaign = make_campaign(conn, ws, "multi")
        anna = make_partnership(conn, ws, campaign, make_creator(conn, ws, "anna"))
        bo_terms = {"version": 1, "model": "cps", "currency": "DKK", "commission_rate": "0.2"}
        bo = make_partnership(conn, ws, campaign, make_creator(conn, ws, "bo"), terms=bo_terms)
        links = {}
        for pid, slug in ((anna, "l-anna"), (bo, "l-bo")):
            links[pid] = conn.execute(
                tracking_links.insert().values(
                    workspace_id=ws,
                    partnership_id=pid,
                    slug=slug,
                    destination_url="https://shop.example/",
                    utm={},
                    created_at=T0,
                    updated_at=T0,
                )
            ).inserted_primary_key[0]  # type: ignore[index]
        clicks = [
            ("k1", anna, "v1", T0 - timedelta(days=3)),
            ("k2", bo, "v1", T0 - timedelta(days=1)),
            ("k3", anna, "v2", T0 - timedelta(days=2)),
            ("k4", bo, "v3", T0 - timedelta(days=2)),
        ]
        events.insert_clicks(
            conn,
            [
                {
                    "workspace_id": ws,
                    "link_id": links[pid],
                    "click_id": cid,
                    "occurred_at": at,
                    "visitor_hash": visitor,
                    "device": None,
                    "os": None,
                    "browser": None,
                    "referrer_host": None,
                    "country": "DK",
                    "is_bot": False,
                    "is_unique": True,
                }
                for cid, pid, visitor, at in clicks
            ],
        )
        sale = {
            "workspace_id": ws,
            "kind": "sale",
            "source": "api",
            "currency": "DKK",
            "code": None,
            "reverses_id": None,
            "attribution_reason": None,
            "seconds_from_click": None,
            "status": "approved",
            "flags": {},
            "created_at": T0,
        }
        events.insert_conversions(
            conn,
            [
                {
                    **sale,  # type: ignore[typeddict-item]
                    "external_id": "S1",
                    "occurred_at": T0,
                    "amount_minor": 100_000,
                    "click_id": "k2",
                    "customer_ref": "c1",
                    "partnership_id": bo,
                    "link_id": links[bo],
                    "attribution_method": "click_id",
                },
                {
                    **sale,  # type: ignore[typeddict-item]
                    "external_id": "S2",
                    "occurred_at": T0,
                    "amount_minor": 20_000,
                    "click_id": None,
                    "customer_ref": "c2",
                    "partnership_id": anna,
                    "link_id": None,
                    "attribution_method": "code",
                },
            ],
        )
        rebuild_click_rollups(conn, ws)
    return ctx


def test_every_model_credits_the_journey_as_worked_out_by_hand(journeys: Context) -> None:
    result = insights.attribution_comparison(journeys, "shop", "multi")
    assert result.conversions == 2
    credit = {
        row.handle: {c.model: (c.revenue, c.payout, c.payout_change) for c in row.by_model}
        for row in result.creators
    }
    anna, bo = credit["anna"], credit["bo"]
    # S2 (200.00, code only) is Anna's under every model.
    assert anna["as_credited"][0] == dkk("200.00")
    assert bo["as_credited"][0] == dkk("1000.00")
    assert anna["last_click"][0] == dkk("200.00")
    assert anna["first_click"][0] == dkk("1200.00")
    assert anna["linear"][0] == dkk("700.00")
    assert anna["position_based"][0] == dkk("700.00")  # two touches: half each
    # Time decay: weights 2^(−3/7) = 0.7430 and 2^(−1/7) = 0.9057 of 1,000.00 → 450.65 / 549.35.
    assert anna["time_decay"][0] == dkk("650.65")
    assert bo["time_decay"][0] == dkk("549.35")
    # Markov: P = 1/3; without Anna 1/6 (effect 1/2), without Bo 0 (effect 1): 1/3 and 2/3.
    assert anna["markov"][0] == dkk("533.33")
    assert bo["markov"][0] == dkk("666.67")
    # Bo earns 20 %, Anna 10 %: under first click Bo's 200.00 commission goes.
    assert bo["first_click"][1:] == (dkk("0.00"), dkk("-200.00"))
    assert anna["first_click"][1:] == (dkk("120.00"), dkk("100.00"))
    for total in result.totals:
        assert total.revenue == dkk("1200.00")


def _click(ctx: Context, click_id: str, slug: str, visitor: str, at: datetime) -> None:
    with ctx.engine.begin() as conn:
        ws, link = conn.execute(
            select(tracking_links.c.workspace_id, tracking_links.c.id).where(
                tracking_links.c.slug == slug
            )
        ).one()
        events.insert_clicks(
            conn,
            [
                {
                    "workspace_id": ws,
                    "link_id": link,
                    "click_id": click_id,
                    "occurred_at": at,
                    "visitor_hash": visitor,
                    "device": None,
                    "os": None,
                    "browser": None,
                    "referrer_host": None,
                    "country": "DK",
                    "is_bot": False,
                    "is_unique": True,
                }
            ],
        )


def test_the_comparison_is_kept_until_new_clicks_or_sales_move_its_marks(
    journeys: Context,
) -> None:
    first = insights.attribution_comparison(journeys, "shop", "multi")
    assert insights.attribution_comparison(journeys, "shop", "multi") == first
    # A visitor who never buys changes the Markov chain: the kept result must not be used.
    _click(journeys, "k5", "l-bo", "v5", T0 - timedelta(days=1))
    more_clicks = insights.attribution_comparison(journeys, "shop", "multi")
    memo.forget(journeys.engine)
    assert insights.attribution_comparison(journeys, "shop", "multi") == more_clicks
    assert more_clicks != first
    # A sale rejected after the fact leaves the comparison.
    with journeys.engine.begin() as conn:
        conn.execute(
            update(conversions).where(conversions.c.external_id == "S2").values(status="rejected")
        )
    assert insights.attribution_comparison(journeys, "shop", "multi").conversions == 1


# --- baselines and lift ------------------------------------------------------------------


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "series.csv"
    path.write_text(text, encoding="utf-8")
    return path


def test_import_then_lift_on_an_imported_series(small: Context, tmp_path: Path) -> None:
    # spring runs 1 to 28 February; 8 weeks before it a weekly pattern, then a step of +10.
    start = date(2026, 2, 1) - timedelta(days=56)
    pattern = (100, 110, 120, 130, 150, 220, 180)
    lines = ["date,value"]
    for i in range(56 + 28):
        day = start + timedelta(days=i)
        value = pattern[day.weekday()] + (10 if day >= date(2026, 2, 1) else 0) + (i % 3) - 1
        lines.append(f"{day.isoformat()},{value}")
    count = insights.import_baseline_csv(small, "kpi", "sessions", _csv(tmp_path, "\n".join(lines)))
    assert count == 84
    result = insights.baseline_lift(small, "kpi", "spring", "sessions")
    assert result.series == "sessions (imported)"
    assert (result.baseline_days, result.campaign_days) == (56, 28)
    assert result.outcome is LiftOutcome.EFFECT
    assert result.interval is not None
    assert result.interval.contains(Decimal(280))


def test_import_is_all_or_nothing_with_row_and_field_errors(small: Context, tmp_path: Path) -> None:
    bad = "date,value\n2026-01-01,5\n2026-13-01,4\n2026-01-03,lots\n2026-01-01,6\n"
    with pytest.raises(CsvImportError) as raised:
        insights.import_baseline_csv(small, "kpi", "sessions", _csv(tmp_path, bad))
    text = str(raised.value)
    assert "row 3" in text
    assert "date" in text
    assert "row 4" in text
    assert "value" in text
    assert "row 5" in text
    with small.engine.connect() as conn:
        assert conn.execute(select(func.count()).select_from(baseline_series)).scalar_one() == 0
    with pytest.raises(Exception, match="series name"):
        insights.import_baseline_csv(small, "kpi", "no spaces", _csv(tmp_path, "date,value\n"))


def test_store_series_without_enough_history_says_so(small: Context) -> None:
    result = insights.baseline_lift(small, "kpi", "spring", "sales")
    assert result.outcome is LiftOutcome.BASELINE_TOO_SHORT
    assert result.verdict.startswith("the data cannot show an effect: baseline too short")
    with pytest.raises(Exception, match="no series 'visits'"):
        insights.baseline_lift(small, "kpi", "spring", "visits")


# --- the CLI -----------------------------------------------------------------------------


@pytest.fixture
def cli_small(
    small: Context, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    assert settings.database_url is not None
    monkeypatch.setenv("PERFLUENCE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PERFLUENCE_WORKSPACE", "kpi")
    monkeypatch.setenv("PERFLUENCE_ENV", "test")
    monkeypatch.setenv("PERFLUENCE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("COLUMNS", "240")
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


@pytest.mark.usefixtures("cli_small")
@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (["funnel", "spring"], "conversion_rate"),
        (["by", "spring", "link"], "spring-anna"),
        (["creators", "spring"], "not enough data"),
        (["tiers", "spring"], "tier"),
        (["recommend", "spring"], "keep and watch"),
        (["attribution", "spring"], "markov"),
        (["lift", "spring"], "baseline too short"),
    ],
)
def test_cli_commands_print_their_tables(args: list[str], expected: str) -> None:
    result = runner.invoke(cli.app, ["insights", *args], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert expected in result.output
