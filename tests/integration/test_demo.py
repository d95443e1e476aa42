"""The demo data set: deterministic, plausible, complete (both dialects, small scale)."""

from __future__ import annotations

import random
import time
from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import Connection, func, select
from typer.testing import CliRunner

from perfluence.cli import app
from perfluence.config import get_settings
from perfluence.conversions import accrual
from perfluence.core.campaign_report import CampaignOverviewRow
from perfluence.core.kpis import DEFAULT_TIERS, Tier
from perfluence.core.money import Money
from perfluence.core.payouts import LedgerEntry
from perfluence.core.terms import PaymentModel, terms_from_dict
from perfluence.core.visitors import UniqueCandidate, flag_unique
from perfluence.services import demo, reporting
from perfluence.services.context import Context
from perfluence.services.demo_traffic import CLICKS_AT_SCALE_ONE, Linked, plan_clicks
from perfluence.services.demo_world import DEMO_NOW, DISCLOSURE, plan_world
from perfluence.services.payouts import new_click_lines
from perfluence.store import conversions as conversion_store
from perfluence.store.tables import (
    click_rollups_hourly,
    clicks,
    conversions,
    costs,
    partnerships,
    payout_lines,
    posts,
    workspaces,
)

SCALE = 0.05


def overview(ctx: Context) -> dict[str, dict[str, object]]:
    rows: list[CampaignOverviewRow] = reporting.campaign_overview(ctx, "demo")
    return {r.slug: r.figures.additive() for r in rows}


def test_same_seed_gives_the_same_data_and_totals(ctx: Context) -> None:
    started = time.perf_counter()
    first = demo.seed_demo(ctx, scale=SCALE)
    seconds = time.perf_counter() - started
    first_totals = overview(ctx)
    again = demo.seed_demo(ctx, scale=SCALE, reset=True)
    assert again == first
    assert first.created
    assert overview(ctx) == first_totals
    assert seconds < 20  # a few seconds in practice; generous for a busy machine


def test_another_seed_gives_other_data(ctx: Context) -> None:
    demo.seed_demo(ctx, scale=SCALE)
    seven = overview(ctx)
    demo.seed_demo(ctx, scale=SCALE, seed_value=8, reset=True)
    assert overview(ctx) != seven


def test_existing_workspace_is_reused_not_seeded_twice(ctx: Context) -> None:
    first = demo.seed_demo(ctx, scale=SCALE)
    second = demo.seed_demo(ctx, scale=SCALE)
    assert not second.created
    assert (second.clicks, second.conversions, second.creators) == (
        first.clicks,
        first.conversions,
        first.creators,
    )


def test_counts_models_refunds_and_flags_are_plausible(ctx: Context) -> None:
    summary = demo.seed_demo(ctx, scale=SCALE)
    assert (summary.creators, summary.campaigns) == (60, 3)
    assert 50 <= summary.partnerships <= 70
    expected_clicks = CLICKS_AT_SCALE_ONE * SCALE
    assert 0.7 * expected_clicks <= summary.clicks <= 1.4 * expected_clicks
    with ctx.engine.connect() as conn:
        models = set(conn.execute(select(partnerships.c.payment_model).distinct()).scalars())
        for row in conn.execute(select(partnerships.c.terms, partnerships.c.currency)):
            terms_from_dict(row.terms, currency=row.currency)  # every contract is valid
        click_rows = conn.execute(
            select(
                clicks.c.link_id,
                clicks.c.visitor_hash,
                clicks.c.occurred_at,
                clicks.c.is_bot,
                clicks.c.is_unique,
            ).order_by(clicks.c.occurred_at, clicks.c.id)
        ).all()
        rolled = conn.execute(select(func.sum(click_rollups_hourly.c.clicks))).scalar_one()
        sales = {
            r.id: r.amount_minor
            for r in conn.execute(
                select(conversions.c.id, conversions.c.amount_minor).where(
                    conversions.c.kind == "sale"
                )
            )
        }
        refunds = conn.execute(
            select(conversions.c.reverses_id, conversions.c.amount_minor).where(
                conversions.c.kind == "refund"
            )
        ).all()
        lead_campaigns = set(
            conn.execute(
                select(partnerships.c.campaign_id)
                .join(conversions, conversions.c.partnership_id == partnerships.c.id)
                .where(conversions.c.kind == "lead")
                .distinct()
            ).scalars()
        )
        captions = list(conn.execute(select(posts.c.caption)).scalars())
        cost_kinds = set(conn.execute(select(costs.c.kind).distinct()).scalars())
        line_kinds = set(conn.execute(select(payout_lines.c.kind).distinct()).scalars())
    assert models == {m.value for m in PaymentModel}
    bots = sum(r.is_bot for r in click_rows)
    assert 0.02 <= bots / len(click_rows) <= 0.10
    assert not any(r.is_bot and r.is_unique for r in click_rows)
    recomputed = flag_unique(
        [UniqueCandidate((r.link_id, r.visitor_hash), r.occurred_at, r.is_bot) for r in click_rows],
        {},
    )
    assert recomputed == [r.is_unique for r in click_rows]
    assert sum(not r.is_unique and not r.is_bot for r in click_rows) > 0  # repeat visitors
    assert rolled == len(click_rows)
    assert 0.03 <= len(refunds) / len(sales) <= 0.12
    assert all(0 < amount <= sales[reverses] for reverses, amount in refunds)
    assert any(amount < sales[reverses] for reverses, amount in refunds)  # some partial
    assert len(lead_campaigns) == 1
    assert all(any(word in c for word in DISCLOSURE.values()) for c in captions)
    assert {"fee", "gifting", "product", "agency"} <= cost_kinds
    assert {"click", "lead", "commission", "reversal"} <= line_kinds


def test_engagement_falls_with_tier_and_reports_run(ctx: Context) -> None:
    demo.seed_demo(ctx, scale=SCALE)
    rates: dict[Tier, list[object]] = defaultdict(list)
    for row in reporting.campaign_overview(ctx, "demo"):
        kpis = reporting.campaign_kpis(ctx, "demo", row.slug)
        assert kpis.totals == row.figures
        for creator in kpis.creators:
            rates[creator.tier].append(creator.ratios.engagement_rate_by_followers)
    mean = {tier: sum(v) / len(v) for tier, v in rates.items()}  # type: ignore[arg-type]
    assert mean[Tier.NANO] > mean[Tier.MICRO] > mean[Tier.MACRO] > mean[Tier.MEGA]
    assert 0.03 < mean[Tier.NANO] < 0.08
    assert 0.005 < mean[Tier.MEGA] < 0.02


def test_full_scale_traffic_is_in_range_without_a_database() -> None:
    rng = random.Random(demo.DEFAULT_SEED)
    world = plan_world(rng, "demo", DEFAULT_TIERS)
    linked = [Linked(p, 1, i, i) for i, p in enumerate(world.partnerships)]
    planned = plan_clicks(rng, linked, 1, 1.0)
    assert 50_000 <= len(planned) <= 150_000


def test_cli_seeds_prints_tables_and_reuses(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PERFLUENCE_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("PERFLUENCE_DATABASE_URL", raising=False)
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    try:
        runner = CliRunner()
        first = runner.invoke(app, ["demo", "--scale", "0.02", "--no-serve"])
        second = runner.invoke(app, ["demo", "--scale", "0.02"])
    finally:
        get_settings.cache_clear()
    assert first.exit_code == 0, first.output
    assert "Seeded workspace demo (seed 7)" in first.output
    for title in ("Campaigns", "Autumn launch", "Black Week sales", "Newsletter signups", "total"):
        assert title in first.output
    assert second.exit_code == 0, second.output
    assert "already exists" in second.output


def _stored_lines(conn: Connection, conversion_id: int) -> list[tuple[object, ...]]:
    rows = conn.execute(
        select(
            payout_lines.c.kind,
            payout_lines.c.amount_minor,
            payout_lines.c.payable_on,
            payout_lines.c.description,
            payout_lines.c.basis_minor,
            payout_lines.c.rate,
        )
        .where(payout_lines.c.conversion_id == conversion_id)
        .order_by(payout_lines.c.id)
    )
    return [tuple(r) for r in rows]


def _as_rows(entries: list[LedgerEntry] | None) -> list[tuple[object, ...]]:
    assert entries is not None
    return [
        (
            str(e.kind),
            e.amount.minor_units,
            e.payable_on,
            e.description,
            None if e.basis is None else e.basis.minor_units,
            e.rate,
        )
        for e in entries
    ]


def test_demo_ledger_and_credits_are_what_ingest_writes(ctx: Context) -> None:
    demo.seed_demo(ctx, scale=0.02)
    checked = {"sale": 0, "lead": 0, "refund": 0}
    with ctx.engine.connect() as conn:
        ws = conn.execute(select(workspaces.c.id).where(workspaces.c.slug == "demo")).scalar_one()
        terms = {
            int(r.id): terms_from_dict(r.terms, currency=r.currency)
            for r in conn.execute(
                select(partnerships.c.id, partnerships.c.terms, partnerships.c.currency)
            )
        }
        ids = conn.execute(select(conversions.c.id).order_by(conversions.c.id)).scalars().all()
        for conversion_id in ids:
            stored = conversion_store.conversion_by_id(conn, ws, conversion_id)
            assert stored is not None
            assert stored.partnership_id is not None
            pid = stored.partnership_id
            assert conversion_store.credits_of(conn, ws, conversion_id) == [
                conversion_store.Credit(pid, Decimal(1), stored.amount)
            ]
            if stored.kind == "refund":
                assert stored.reverses_id is not None
                sale = conversion_store.conversion_by_id(conn, ws, stored.reverses_id)
                assert sale is not None
                expected = accrual.reversal_entries(
                    conn,
                    ws,
                    terms[pid],
                    pid,
                    sale,
                    refunded_before=Money.zero(sale.amount.currency),
                    refunded=stored.amount,
                    occurred_at=stored.occurred_at,
                    earlier_refunds=[],
                )
            else:
                expected = accrual.earning_entries(
                    conn, terms[pid], stored.kind, stored.amount, stored.occurred_at, None, ()
                )
            assert _stored_lines(conn, conversion_id) == _as_rows(expected)
            checked[stored.kind] += bool(expected)
    assert all(checked.values()), checked  # every kind earned (or took back) something


def test_demo_click_lines_leave_nothing_for_a_statement_to_pay_twice(ctx: Context) -> None:
    demo.seed_demo(ctx, scale=0.02)
    with ctx.engine.connect() as conn:
        rows = conn.execute(
            select(
                payout_lines.c.partnership_id,
                payout_lines.c.amount_minor,
                payout_lines.c.covers_to,
                partnerships.c.terms,
                partnerships.c.currency,
            )
            .join(partnerships, partnerships.c.id == payout_lines.c.partnership_id)
            .where(payout_lines.c.kind == "click")
        ).all()
        assert rows
        for r in rows:
            t = terms_from_dict(r.terms, currency=r.currency)
            assert t.cpc_rate is not None
            assert new_click_lines(conn, r.partnership_id, "c", t, r.covers_to) == []
            later = new_click_lines(conn, r.partnership_id, "c", t, DEMO_NOW.date())
            assert later == []  # the demo's clicks end before its "now"
