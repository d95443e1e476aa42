from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from sqlalchemy import select

from perfluence.core.model import Campaign, CampaignGoal, CampaignStatus, TargetMetric
from perfluence.core.money import Money
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services import campaigns, workspaces
from perfluence.services.context import Context
from perfluence.store.tables import campaigns as campaigns_table


@pytest.fixture
def ws(ctx: Context) -> str:
    workspaces.create_workspace(ctx, "shop", "Shop", currency="DKK")
    return "shop"


def _spring(ctx: Context, ws: str, **overrides: object) -> Campaign:
    args: dict[str, object] = {
        "name": "Spring 2026",
        "goal": "sales",
        "starts_on": "2026-03-01",
        "ends_on": "2026-04-30",
        "budget": "50000",
        "markets": ["dk", "SE", "dk"],
        "targets": ["roas=4", "cpa=150", "ctr=1.5%", "reach=250000", "roi=150%"],
        "brief": "  Show the spring menu.  ",
    }
    args.update(overrides)
    return campaigns.create_campaign(ctx, ws, "spring-2026", **args)  # type: ignore[arg-type]


def test_create_campaign_keeps_exact_values(ctx: Context, ws: str) -> None:
    c = _spring(ctx, ws)
    assert c == campaigns.get_campaign(ctx, ws, "spring-2026")
    assert c.goal is CampaignGoal.SALES
    assert c.status is CampaignStatus.DRAFT
    assert (c.starts_on, c.ends_on) == (date(2026, 3, 1), date(2026, 4, 30))
    assert c.budget == Money("50000", "DKK")
    assert c.markets == ("DK", "SE")
    assert c.brief == "Show the spring menu."
    assert c.kpi_targets == {
        TargetMetric.ROAS: Decimal(4),
        TargetMetric.CPA: Decimal(150),
        TargetMetric.CTR: Decimal("0.015"),
        TargetMetric.REACH: Decimal(250000),
        TargetMetric.ROI: Decimal(150),
    }
    assert c.attribution_window_days == ctx.settings.attribution_window_days
    assert c.reference_cpm is None
    with ctx.engine.connect() as conn:
        stored = conn.execute(select(campaigns_table.c.kpi_targets)).scalar_one()
    assert all(isinstance(v, str) for v in stored.values())


def test_currency_reference_cpm_and_window(ctx: Context, ws: str) -> None:
    c = _spring(
        ctx,
        ws,
        currency="sek",
        reference_cpm="85.50",
        attribution_window_days=14,
        budget=Decimal("1000.25"),
    )
    assert c.budget == Money("1000.25", "SEK")
    assert c.reference_cpm == Money("85.50", "SEK")
    assert c.attribution_window_days == 14


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"ends_on": "2026-02-28"}, "end"),
        ({"starts_on": "1 March"}, "start"),
        ({"goal": "fame"}, "goal"),
        ({"status": "running"}, "status"),
        ({"budget": "-1"}, "budget"),
        ({"budget": "10.005"}, "budget"),
        ({"budget": 1.5}, "budget"),
        ({"markets": ["Danmark"]}, "market"),
        ({"targets": ["roas"]}, "target"),
        ({"targets": ["likes=5"]}, "target"),
        ({"targets": ["roas=4", "roas=5"]}, "target"),
        ({"targets": ["ctr=2"]}, "target ctr"),
        ({"targets": ["reach=10.5"]}, "target reach"),
        ({"targets": ["cpa=0"]}, "target cpa"),
        ({"targets": ["roas=4%"]}, "target roas"),
        ({"targets": {"cpc": 0.4}}, "target cpc"),
        ({"attribution_window_days": 400}, "attribution_window_days"),
        ({"name": ""}, "name"),
    ],
)
def test_invalid_campaigns_are_refused_naming_the_field(
    ctx: Context, ws: str, overrides: dict[str, object], field: str
) -> None:
    with pytest.raises(PerfluenceError) as err:
        _spring(ctx, ws, **overrides)
    assert err.value.field == field
    assert campaigns.list_campaigns(ctx, ws) == []


def test_bad_slug_and_duplicate_slug(ctx: Context, ws: str) -> None:
    with pytest.raises(PerfluenceError) as err:
        campaigns.create_campaign(
            ctx,
            ws,
            "Spring 2026",
            name="x",
            goal="sales",
            starts_on="2026-01-01",
            ends_on="2026-01-02",
        )
    assert err.value.field == "campaign"
    first = _spring(ctx, ws)
    with pytest.raises(PerfluenceError) as err:
        _spring(ctx, ws, name="Other")
    assert err.value.code is ErrorCode.DUPLICATE
    assert campaigns.list_campaigns(ctx, ws) == [first]


def test_reserved_slug_is_refused(ctx: Context, ws: str) -> None:
    # /w/{ws}/campaigns/new is the dashboard's create form: a campaign there could never be opened.
    with pytest.raises(PerfluenceError) as err:
        campaigns.create_campaign(
            ctx, ws, "new", name="New", goal="sales", starts_on="2026-01-01", ends_on="2026-01-02"
        )
    assert err.value.code is ErrorCode.INVALID
    assert err.value.field == "slug"
    assert "reserved" in str(err.value)
    assert campaigns.list_campaigns(ctx, ws) == []


def test_list_and_status_are_per_workspace(ctx: Context, ws: str) -> None:
    workspaces.create_workspace(ctx, "other", "Other", currency="EUR")
    _spring(ctx, ws)
    campaigns.create_campaign(
        ctx,
        ws,
        "winter",
        name="Winter",
        goal="awareness",
        starts_on="2026-11-01",
        ends_on="2026-12-31",
    )
    other = campaigns.create_campaign(
        ctx,
        "other",
        "winter",
        name="Theirs",
        goal="leads",
        starts_on="2026-11-01",
        ends_on="2026-12-31",
    )
    assert other.currency == "EUR"
    assert [c.slug for c in campaigns.list_campaigns(ctx, ws)] == ["winter", "spring-2026"]
    active = campaigns.set_campaign_status(ctx, ws, "winter", "active")
    assert active.status is CampaignStatus.ACTIVE
    assert [c.slug for c in campaigns.list_campaigns(ctx, ws, status="active")] == ["winter"]
    assert campaigns.get_campaign(ctx, "other", "winter").status is CampaignStatus.DRAFT
    with pytest.raises(PerfluenceError) as err:
        campaigns.get_campaign(ctx, ws, "autumn")
    assert err.value.code is ErrorCode.NOT_FOUND
    assert "'autumn'" in err.value.message
