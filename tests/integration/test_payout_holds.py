"""A partnership held by vetting (missing ad disclosure) stays off statements until fixed."""

from __future__ import annotations

from perfluence.core.money import Money
from perfluence.services import campaigns, compliance, payouts, posts
from perfluence.services.context import Context
from tests.conftest import FrozenClock
from tests.integration.payout_world import WS, make_world, partner, record, utc

TERMS = {"model": "cps", "currency": "DKK", "commission_rate": "0.10", "hold_days": 0}


def test_non_compliant_post_holds_pay_until_the_caption_is_fixed(
    ctx: Context, clock: FrozenClock
) -> None:
    make_world(ctx)
    campaigns.create_campaign(
        ctx,
        WS,
        "launch",
        name="Launch",
        goal="sales",
        starts_on="2026-03-01",
        ends_on="2026-03-31",
        markets=["DK"],
    )
    pid = partner(ctx, "bo", TERMS, campaign="launch")
    record(ctx, pid, "sale", Money("1000.00", "DKK"), utc("2026-03-05"))
    post = posts.add_post(
        ctx, WS, "bo", "instagram", "p1", campaign="launch", caption="Min nye yndlingsjakke #ad"
    )
    compliance.check_posts(ctx, WS, campaign="launch")

    held = payouts.preview_statement(ctx, WS, "bo", "2026-03-01", "2026-03-31")
    assert held.statement.lines == ()
    assert "launch" in held.held
    assert any("disclosure" in reason for reason in held.held["launch"])

    posts.update_post(ctx, WS, post.id, changes={"caption": "Reklame: min nye yndlingsjakke"})
    compliance.check_posts(ctx, WS, campaign="launch")
    paid = payouts.preview_statement(ctx, WS, "bo", "2026-03-01", "2026-03-31")
    assert paid.held == {}
    assert paid.statement.total == Money("100.00", "DKK")
