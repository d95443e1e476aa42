"""Vetting from stored data: benchmarks, anomalies, fit, conflicts, risk and payout holds."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import insert, update

from perfluence.core.disclosure import Verdict
from perfluence.core.kpis import Tier
from perfluence.errors import PerfluenceError
from perfluence.services import compliance, post_metrics, vetting
from perfluence.services.context import Context
from perfluence.store.tables import clicks, conversions, posts, social_accounts, tracking_links
from tests.integration.factories import (
    CREATED,
    make_campaign,
    make_creator,
    make_partnership,
    make_workspace,
)

D = Decimal


def _post(
    conn: object,
    ws: int,
    creator: int,
    external_id: str,
    engagements: int,
    *,
    platform: str = "instagram",
    partnership: int | None = None,
    caption: str | None = None,
    published: datetime | None = None,
) -> None:
    conn.execute(  # type: ignore[attr-defined]
        insert(posts).values(
            workspace_id=ws,
            partnership_id=partnership,
            creator_id=creator,
            platform=platform,
            external_id=external_id,
            caption=caption,
            published_at=published or datetime(2026, 2, 1, 12, tzinfo=UTC),
            likes=engagements,
            reach=engagements * 10,
            updated_at=CREATED,
        )
    )


@pytest.fixture
def world(ctx: Context) -> dict[str, int]:
    with ctx.engine.begin() as conn:
        ws = make_workspace(conn, "kaffe")
        ids = {"ws": ws}
        # Micro Instagram accounts, 10,000 followers each: rates 0.02, 0.04, 0.06 and emma's
        # (100 + 100 + 100) / 3 / 10000 = 0.01.
        for handle, engagements in (("a", 200), ("b", 400), ("c", 600)):
            ids[handle] = make_creator(conn, ws, handle, followers=10_000)
            _post(conn, ws, ids[handle], f"{handle}-1", engagements)
        emma = ids["emma"] = make_creator(conn, ws, "emma", followers=10_000)
        conn.execute(
            update(social_accounts)
            .where(social_accounts.c.creator_id == emma)
            .values(audience={"country": {"DK": "0.6", "SE": "0.4"}})
        )
        bo = ids["bo"] = make_creator(conn, ws, "bo", platform="tiktok", followers=40_000)
        spring = ids["spring"] = make_campaign(conn, ws, "spring", markets=("DK",))
        winter = make_campaign(
            conn, ws, "winter", starts_on=date(2025, 11, 1), ends_on=date(2026, 1, 31)
        )
        ids["emma_spring"] = make_partnership(conn, ws, spring, emma)
        ids["emma_winter"] = make_partnership(conn, ws, winter, emma)
        ids["bo_spring"] = make_partnership(conn, ws, spring, bo)
        _post(conn, ws, emma, "e-1", 100)
        _post(conn, ws, emma, "e-2", 100, published=datetime(2026, 2, 15, tzinfo=UTC))
        _post(
            conn,
            ws,
            emma,
            "e-3",
            100,
            partnership=ids["emma_spring"],
            caption="Reklame for Kaffebaren: min nye morgenkaffe",
            published=datetime(2026, 3, 2, tzinfo=UTC),
        )
        _post(
            conn,
            ws,
            bo,
            "b-1",
            900,
            platform="tiktok",
            partnership=ids["bo_spring"],
            caption="Ny favorit ☕ #kaffe",
            published=datetime(2026, 3, 3, tzinfo=UTC),
        )
        # emma's spring partnership: 10 sales, 6 flagged as self-referrals, 5 s after the click;
        # 20 clicks, 5 of them bots.
        for n in range(10):
            conn.execute(
                insert(conversions).values(
                    workspace_id=ws,
                    kind="sale",
                    source="api",
                    external_id=f"o{n}",
                    occurred_at=CREATED,
                    amount_minor=10_000,
                    currency="DKK",
                    partnership_id=ids["emma_spring"],
                    seconds_from_click=5,
                    flags=["self_referral"] if n < 6 else [],
                    created_at=CREATED,
                )
            )
        link = conn.execute(
            insert(tracking_links).values(
                workspace_id=ws,
                partnership_id=ids["emma_spring"],
                slug="emma-spring",
                destination_url="https://shop.example/",
                utm={},
                created_at=CREATED,
                updated_at=CREATED,
            )
        ).inserted_primary_key
        assert link is not None
        for n in range(20):
            conn.execute(
                insert(clicks).values(
                    workspace_id=ws,
                    link_id=link[0],
                    click_id=f"c{n:02d}",
                    occurred_at=CREATED + timedelta(minutes=n),
                    visitor_hash=f"{n:064d}",
                    is_bot=n < 5,
                    is_unique=True,
                )
            )
    # A jump of 3,000 followers on 2026-03-06 with no post near it.
    day, followers = date(2026, 3, 1), 10_000
    for gain in (0, 20, 21, 19, 22, 3_000, 20, 21):
        followers += gain
        post_metrics.record_follower_snapshot(ctx, "kaffe", "instagram", "emma", followers, day)
        day += timedelta(days=1)
    vetting.set_campaign_profile(
        ctx,
        "kaffe",
        "spring",
        brand="Kaffebaren",
        competitors=["Brew & Co"],
        audience_target={"country": {"DK": "1"}},
    )
    vetting.set_campaign_profile(ctx, "kaffe", "winter", brand="Brew & Co")
    return ids


def test_creator_vetting_equals_hand_computation(ctx: Context, world: dict[str, int]) -> None:
    report = vetting.creator_vetting(ctx, "kaffe", "@Emma", campaign="spring")
    (account,) = report.accounts
    assert account.tier is Tier.MICRO
    assert account.rate_by_followers == D("0.01")
    assert account.rate_by_reach == D("0.1")  # reach is 10 × engagements
    assert account.benchmark is not None
    spread = account.benchmark.by_followers
    assert spread is not None
    # 0.01 0.02 0.04 0.06: q1 0.01 + 0.75 × 0.01; median 0.03; q3 0.04 + 0.25 × 0.02
    assert (spread.n, spread.q1, spread.median, spread.q3) == (
        4,
        D("0.0175"),
        D("0.03"),
        D("0.045"),
    )
    assert [a.day for a in account.anomalies] == [date(2026, 3, 6)]
    assert report.audience_fit is not None
    assert report.audience_fit.score == D("0.6")  # 1 - ½ (|0.6 - 1| + |0.4 - 0|)
    assert [(c.brand, c.campaign) for c in report.conflicts] == [("Brew & Co", "winter")]
    inputs = report.inputs
    assert (inputs.conversions, inputs.flagged_conversions) == (10, 6)
    assert (inputs.clicks, inputs.bot_clicks) == (20, 5)
    assert inputs.median_seconds_to_convert == D(5)
    # fake 0.5 × 20 + low (0.0175 - 0.01) / 0.0175 × 10 + mismatch 0.4 × 10
    # + flagged min(1, 0.6 / 0.5) × 30 + bots 0.25 / 0.5 × 15 + fast 1 × 15
    expected = D(10) + (D("0.0075") / D("0.0175")) * 10 + 4 + 30 + D("7.5") + 15
    assert report.risk.score == expected.quantize(D("0.1"))
    assert report.risk.score == D("70.8")
    assert report.risk.hold


def test_without_a_campaign_all_partnerships_count(ctx: Context, world: dict[str, int]) -> None:
    report = vetting.creator_vetting(ctx, "kaffe", "emma")
    assert report.campaign is None
    assert report.audience_fit is None
    assert report.conflicts == ()
    assert report.inputs.conversions == 10


def test_campaign_risk_and_payout_holds(ctx: Context, world: dict[str, int]) -> None:
    before = vetting.payout_holds(ctx, "kaffe")
    assert set(before) == {world["emma_spring"]}
    checked = {c.post.external_id: c for c in compliance.check_posts(ctx, "kaffe")}
    assert checked["e-3"].verdict is not None
    assert checked["e-3"].verdict.verdict is Verdict.COMPLIANT
    assert checked["b-1"].verdict is not None
    assert checked["b-1"].verdict.verdict is Verdict.MISSING
    assert [p.post.external_id for p in compliance.non_compliant_posts(ctx, "kaffe")] == ["b-1"]
    holds = vetting.payout_holds(ctx, "kaffe")
    assert set(holds) == {world["emma_spring"], world["bo_spring"]}
    assert holds[world["bo_spring"]] == ["1 post(s) without a compliant ad disclosure"]
    assert vetting.is_payout_blocked(ctx, "kaffe", world["emma_winter"]) == []
    risks = vetting.campaign_risk(ctx, "kaffe", "spring")
    assert [(r.creator, r.hold) for r in risks] == [("emma", True), ("bo", True)]


def test_a_fixed_caption_lifts_the_hold(ctx: Context, world: dict[str, int]) -> None:
    compliance.check_posts(ctx, "kaffe")
    with ctx.engine.begin() as conn:
        conn.execute(update(posts).where(posts.c.external_id == "b-1").values(caption="Reklame ☕"))
    compliance.check_posts(ctx, "kaffe", campaign="spring")
    assert world["bo_spring"] not in vetting.payout_holds(ctx, "kaffe")


def test_unknown_names_are_refused(ctx: Context, world: dict[str, int]) -> None:
    with pytest.raises(PerfluenceError, match="creator 'nobody' not found"):
        vetting.creator_vetting(ctx, "kaffe", "nobody")
    with pytest.raises(PerfluenceError, match="campaign 'nope' not found"):
        vetting.campaign_risk(ctx, "kaffe", "nope")
    with pytest.raises(PerfluenceError, match="no disclosure rule for market 'FI'"):
        compliance.check_posts(ctx, "kaffe", markets=["FI"])
    with pytest.raises(PerfluenceError, match="add up to more than 1"):
        vetting.set_campaign_profile(
            ctx, "kaffe", "spring", audience_target={"country": {"DK": "0.8", "SE": "0.4"}}
        )
