"""``perfluence demo``: a complete, deterministic workspace to look around in.

One seed gives one world (``services.demo_world``) and its events
(``services.demo_traffic``); they are written with bulk inserts in a single
transaction, and the click rollups are rebuilt from the clicks at the end. An
existing demo workspace is reused as it is unless a reset is asked for.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from typing import Final

from sqlalchemy import Connection

from perfluence.analytics.rollups import rebuild_click_rollups
from perfluence.core.codes import validate_code
from perfluence.core.links import default_utm
from perfluence.core.model import CampaignGoal, CampaignStatus, PartnershipStatus
from perfluence.core.money import Money
from perfluence.services import database
from perfluence.services.campaigns import validate_targets
from perfluence.services.context import Context
from perfluence.services.creators import NewAccount, creator_row, tier_thresholds
from perfluence.services.demo_traffic import (
    Linked,
    plan_clicks,
    plan_conversions,
    plan_costs,
    plan_ledger,
    plan_refunds,
)
from perfluence.services.demo_world import DEMO_NOW, World, plan_world
from perfluence.services.workspaces import validate_slug
from perfluence.store import campaigns as campaign_store
from perfluence.store import codes as code_store
from perfluence.store import conversions as conversion_store
from perfluence.store import creators as creator_store
from perfluence.store import events, seed
from perfluence.store import links as link_store
from perfluence.store import partnerships as partnership_store
from perfluence.store import payouts as payout_store
from perfluence.store.events import ClickRow, ConversionRow
from perfluence.store.workspaces import find_workspace, insert_workspace

DEFAULT_SEED: Final = 7
DEFAULT_WORKSPACE: Final = "demo"
STEPS: Final = ("creators", "campaigns", "posts", "clicks", "conversions", "costs", "rollups")

Progress = Callable[[str], None]


@dataclass(frozen=True, slots=True)
class DemoSummary:
    workspace: str
    created: bool  # False when an existing workspace was reused as it was
    seed: int | None
    creators: int
    campaigns: int
    partnerships: int
    posts: int
    clicks: int
    conversions: int  # sales, leads and refunds


def _no_progress(_step: str) -> None:
    return None


def seed_demo(
    ctx: Context,
    *,
    workspace: str = DEFAULT_WORKSPACE,
    seed_value: int = DEFAULT_SEED,
    scale: float = 1.0,
    reset: bool = False,
    progress: Progress = _no_progress,
) -> DemoSummary:
    """Create the demo workspace (after migrating), or reuse it when it exists.

    ``scale`` multiplies the number of clicks (and so of conversions): 1.0
    gives about 75,000 clicks; tests use a small fraction.
    """
    validate_slug(workspace, "workspace")
    database.upgrade(ctx)
    with ctx.engine.begin() as conn:
        existing = find_workspace(conn, workspace)
        if existing is not None and not reset:
            return _summary(conn, existing.id, workspace, created=False, seed_value=None)
        if existing is not None:
            seed.purge_workspace(conn, existing.id)
        workspace_id = insert_workspace(
            conn,
            slug=workspace,
            name="Nordlys (demo)",
            default_currency="DKK",
            default_language="en",
            fallback_url="https://nordlys.example/",
            created_at=DEMO_NOW,
        )
        rng = random.Random(seed_value)  # noqa: S311 - reproducible demo data, not secrets
        world = plan_world(rng, workspace, tier_thresholds(ctx.settings))
        progress("creators")
        creator_ids = _write_creators(conn, workspace_id, world)
        progress("campaigns")
        linked = _write_campaigns(conn, workspace_id, world, creator_ids)
        progress("posts")
        _write_posts(conn, workspace_id, linked, creator_ids)
        progress("clicks")
        clicks = plan_clicks(rng, linked, workspace_id, scale)
        events.insert_clicks(conn, [row for _, row in clicks])
        progress("conversions")
        conversions = plan_conversions(rng, linked, clicks, workspace_id)
        events.insert_conversions(conn, conversions)
        sale_ids = seed.conversion_ids(conn, workspace_id, "sale")
        refunds = plan_refunds(rng, conversions, sale_ids)
        events.insert_conversions(conn, refunds)
        progress("costs")
        events.insert_costs(conn, plan_costs(rng, linked, workspace_id))
        ids = {
            (kind, ext): pk
            for kind in ("sale", "lead", "refund")
            for ext, pk in seed.conversion_ids(conn, workspace_id, kind).items()
        }
        _write_credits_and_ledger(conn, workspace_id, linked, clicks, [*conversions, *refunds], ids)
        progress("rollups")
        rebuild_click_rollups(conn, workspace_id)
        return _summary(conn, workspace_id, workspace, created=True, seed_value=seed_value)


def _write_credits_and_ledger(
    conn: Connection,
    workspace_id: int,
    linked: list[Linked],
    clicks: list[tuple[int, ClickRow]],
    conversions: list[ConversionRow],
    ids: dict[tuple[str, str], int],
) -> None:
    """Credit rows and ledger lines as ingest writes them: one whole credit per conversion."""
    conversion_store.insert_many_credits(
        conn,
        workspace_id,
        [
            (
                ids[(c["kind"], c["external_id"])],
                conversion_store.Credit(
                    c["partnership_id"] or 0,
                    Decimal(1),
                    Money.from_minor(c["amount_minor"], c["currency"]),
                ),
            )
            for c in conversions
        ],
    )
    payout_store.insert_ledger_rows(
        conn,
        [
            payout_store.ledger_row(
                workspace_id,
                line.partnership_id,
                line.entry,
                DEMO_NOW,
                conversion_id=line.conversion_id,
                covers=line.covers,
            )
            for line in plan_ledger(linked, clicks, conversions, ids)
        ],
    )


def _summary(
    conn: Connection, workspace_id: int, workspace: str, *, created: bool, seed_value: int | None
) -> DemoSummary:
    counts = seed.workspace_counts(conn, workspace_id)
    return DemoSummary(
        workspace=workspace,
        created=created,
        seed=seed_value,
        creators=counts["creators"],
        campaigns=counts["campaigns"],
        partnerships=counts["partnerships"],
        posts=counts["posts"],
        clicks=counts["clicks"],
        conversions=counts["conversions"],
    )


def _write_creators(conn: Connection, workspace_id: int, world: World) -> dict[str, int]:
    rows = [
        creator_row(
            k.handle,
            name=k.name,
            email=f"{k.handle.replace('_', '.')}@creators.example",
            country=k.country,
            currency=k.currency,
            notes=None,
        )
        for k in world.creators
    ]
    ids = creator_store.insert_creators(conn, workspace_id, rows, DEMO_NOW)
    accounts = [
        (
            ids[k.handle],
            NewAccount(
                platform=a.platform,
                handle=a.handle,
                followers=a.followers,
                url=f"https://www.{a.platform.value}.com/@{a.handle}",
                audience=a.audience,
            ).validated(k.handle),
        )
        for k in world.creators
        for a in k.accounts
    ]
    creator_store.insert_accounts(conn, workspace_id, accounts, DEMO_NOW)
    return ids


def _write_campaigns(
    conn: Connection, workspace_id: int, world: World, creator_ids: dict[str, int]
) -> list[Linked]:
    """Campaigns, partnerships, links and codes through their own store modules."""
    plans = dict(sorted({p.campaign.slug: p.campaign for p in world.partnerships}.items()))
    campaign_ids = {
        c.slug: campaign_store.insert_campaign(
            conn,
            workspace_id,
            campaign_store.CampaignRow(
                slug=c.slug,
                name=c.name,
                goal=CampaignGoal(c.goal),
                status=CampaignStatus.ENDED
                if c.ends_on < DEMO_NOW.date()
                else CampaignStatus.ACTIVE,
                starts_on=c.starts_on,
                ends_on=c.ends_on,
                budget=Money.from_minor(c.budget_minor, c.currency),
                markets=c.markets,
                brief=c.brief,
                kpi_targets=validate_targets(c.targets),
                attribution_window_days=30,
                reference_cpm=Money.from_minor(c.reference_cpm_minor, c.currency),
            ),
            DEMO_NOW,
        )
        for c in plans.values()
    }
    linked = []
    for p in world.partnerships:
        campaign_id = campaign_ids[p.campaign.slug]
        partnership_id = partnership_store.insert_partnership(
            conn,
            workspace_id=workspace_id,
            campaign_id=campaign_id,
            creator_id=creator_ids[p.creator.handle],
            terms=p.terms,
            status=PartnershipStatus.ACTIVE,
            created_at=DEMO_NOW,
        )
        link_id = link_store.insert_link(
            conn,
            workspace_id=workspace_id,
            partnership_id=partnership_id,
            slug=p.link_slug,
            destination_url=p.campaign.landing,
            utm=default_utm(p.posts[0].platform.value, p.campaign.slug, p.creator.handle),
            click_cap=None,
            fallback_url=None,
            now=DEMO_NOW,
        )
        linked.append(Linked(p, campaign_id, partnership_id, link_id))
    code_store.insert_codes(
        conn,
        workspace_id,
        [
            code_store.CodeRow(
                item.partnership_id,
                validate_code(item.plan.code),
                f"{item.plan.campaign.name}: {item.plan.creator.name}",
            )
            for item in linked
        ],
        DEMO_NOW,
    )
    return linked


def _write_posts(
    conn: Connection, workspace_id: int, linked: list[Linked], creator_ids: dict[str, int]
) -> None:
    events.insert_posts(
        conn,
        [
            {
                "workspace_id": workspace_id,
                "partnership_id": item.partnership_id,
                "creator_id": creator_ids[item.plan.creator.handle],
                "platform": post.platform.value,
                "external_id": post.external_id,
                "url": post.url,
                "published_at": post.published_at,
                "caption": post.caption,
                "impressions": post.impressions,
                "reach": post.reach,
                "views": post.views,
                "likes": post.likes,
                "comments": post.comments,
                "shares": post.shares,
                "saves": post.saves,
                "updated_at": DEMO_NOW,
            }
            for item in linked
            for post in item.plan.posts
        ],
    )
