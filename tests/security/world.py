"""A small shop with one identifiable customer and one identifiable creator, for erasure tests.

Workspace ``kaffe``: creators ``emma-lund`` (the one to forget) and ``bo`` in
campaign ``autumn``; raw clicks with hourly rollups; the customer
``kunde.hansen@example.dk`` buys twice from emma (once through a signed Shopify
webhook carrying her name and address, once through the track API with a
code) and gets a partial refund; another customer buys from bo.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import insert, select

from perfluence.analytics.rollups import rebuild_click_rollups
from perfluence.core.money import Money
from perfluence.services import (
    campaigns,
    codes,
    conversions,
    creators,
    links,
    partnerships,
    webhook_endpoints,
    workspaces,
)
from perfluence.services.context import Context
from perfluence.services.conversions import TrackRequest
from perfluence.services.creators import NewAccount
from perfluence.store.tables import clicks, post_comments, posts, tracking_links
from perfluence.store.tables import creators as creators_table
from tests.conftest import FrozenClock
from tests.unit.webhook_fuzz import base64_signature

WS = "kaffe"
SECRET = "whsec-kaffe-0123456789abcdef-shopify"
CUSTOMER_EMAIL = "kunde.hansen@example.dk"
CUSTOMER_NAME = ("Kirsten", "Hansenius")
CUSTOMER_STREET = "Strandvejen 414"
SHOPIFY_ORDER_ID = 8811223344556
SHOPIFY_ORDER_NAME = "#KAFFE-90417"
API_ORDER = "KAFFE-API-90533"
OTHER_ORDER = "KAFFE-API-77001"
CUSTOMER_CLICK = "0PnjEGiWL0i0cjr0lZmIfA"
CUSTOMER_VISITOR = "c0ffee" + "5" * 58
OTHER_VISITOR = "b0b" + "7" * 61
CREATOR_HANDLE = "emma-lund"
CREATOR_NAME = "Emma Lundqvist"
CREATOR_EMAIL = "emma.lundqvist@example.dk"
CREATOR_IBAN = "DK5000400440116243"
CREATOR_ACCOUNT = "emmalund.eats"
CREATOR_CODE = "EMMALUND15"
CREATOR_SLUG = "emma-lund-autumn"
CREATOR_POST = "17912345678901234"
FIXTURE = Path(__file__).parents[1] / "data" / "webhooks" / "shopify" / "orders_create.json"


@dataclass(frozen=True)
class World:
    workspace_id: int
    emma_pid: int
    bo_pid: int


def _shopify_order(at: datetime) -> bytes:
    order: dict[str, Any] = json.loads(FIXTURE.read_text())
    first, last = CUSTOMER_NAME
    order |= {
        "id": SHOPIFY_ORDER_ID,
        "name": SHOPIFY_ORDER_NAME,
        "email": CUSTOMER_EMAIL,
        "contact_email": CUSTOMER_EMAIL,
        "processed_at": at.isoformat(),
        "created_at": at.isoformat(),
        "note_attributes": [{"name": "pf_cid", "value": CUSTOMER_CLICK}],
        "discount_codes": [],
    }
    order["customer"] |= {"email": CUSTOMER_EMAIL, "first_name": first, "last_name": last}
    for key in ("billing_address", "shipping_address"):
        if isinstance(order.get(key), dict):
            order[key] |= {"first_name": first, "last_name": last, "address1": CUSTOMER_STREET}
    return json.dumps(order).encode()


def _clicks(ctx: Context, world: World, at: datetime) -> None:
    """The customer's two clicks on emma's link (one carried by the order), bo's visitor's one."""
    with ctx.engine.begin() as conn:
        link_of = {
            pid: conn.execute(
                select(tracking_links.c.id).where(tracking_links.c.partnership_id == pid)
            ).scalar_one()
            for pid in (world.emma_pid, world.bo_pid)
        }
        rows = [
            (CUSTOMER_CLICK, world.emma_pid, at - timedelta(hours=2), CUSTOMER_VISITOR, True),
            (
                "0PnjEGiWL0i0cjr0lZmIfB",
                world.emma_pid,
                at - timedelta(days=2),
                CUSTOMER_VISITOR,
                True,
            ),
            ("0PnjEGiWL0i0cjr0lZmIfC", world.bo_pid, at - timedelta(hours=5), OTHER_VISITOR, True),
            ("0PnjEGiWL0i0cjr0lZmIfD", world.bo_pid, at - timedelta(hours=4), OTHER_VISITOR, False),
        ]
        for click_id, pid, when, visitor, unique in rows:
            conn.execute(
                insert(clicks).values(
                    workspace_id=world.workspace_id,
                    link_id=link_of[pid],
                    click_id=click_id,
                    occurred_at=when,
                    visitor_hash=visitor,
                    device="mobile",
                    os="iOS",
                    browser="Safari",
                    referrer_host="www.instagram.com",
                    country="DK",
                    is_bot=False,
                    is_unique=unique,
                )
            )
        rebuild_click_rollups(conn, world.workspace_id)


def _content(ctx: Context, world: World, at: datetime) -> None:
    """A post of emma's with a caption and a comment that name her."""
    with ctx.engine.begin() as conn:
        creator_id = conn.execute(
            select(creators_table.c.id).where(creators_table.c.handle == CREATOR_HANDLE)
        ).scalar_one()
        post_id = conn.execute(
            insert(posts).values(
                workspace_id=world.workspace_id,
                partnership_id=world.emma_pid,
                creator_id=creator_id,
                platform="instagram",
                external_id=CREATOR_POST,
                url=f"https://www.instagram.com/p/{CREATOR_POST}/",
                published_at=at,
                caption=f"Autumn coffee with @{CREATOR_ACCOUNT} #ad code {CREATOR_CODE}",
                impressions=12_000,
                reach=9_000,
                likes=700,
                comments=40,
                shares=12,
                saves=30,
                updated_at=at,
            )
        ).inserted_primary_key
        assert post_id is not None
        conn.execute(
            insert(post_comments).values(
                workspace_id=world.workspace_id,
                post_id=post_id[0],
                external_id="c-1",
                language="en",
                text=f"love it {CREATOR_NAME}!",
                created_at=at,
            )
        )


def build(ctx: Context, clock: FrozenClock) -> World:
    at = clock()
    workspaces.create_workspace(ctx, WS, "Kaffe", currency="DKK", language="en")
    creators.add_creator(
        ctx,
        WS,
        CREATOR_HANDLE,
        name=CREATOR_NAME,
        email=CREATOR_EMAIL,
        notes=f"{CREATOR_NAME} prefers e-mail to {CREATOR_EMAIL}",
        accounts=[
            NewAccount(
                "instagram",
                CREATOR_ACCOUNT,
                followers=25_000,
                url=f"https://www.instagram.com/{CREATOR_ACCOUNT}/",
            )
        ],
    )
    creators.add_creator(ctx, WS, "bo", name="Bo Berg", accounts=[NewAccount("tiktok", "bo")])
    campaigns.create_campaign(
        ctx, WS, "autumn", name="Autumn", goal="sales", starts_on="2026-02-01",
        ends_on="2026-04-30", budget=20_000,
    )  # fmt: skip
    terms = {"model": "cps", "commission_rate": "10%", "hold_days": 0}
    emma = partnerships.create_partnership(ctx, WS, "autumn", CREATOR_HANDLE, terms)
    bo = partnerships.create_partnership(ctx, WS, "autumn", "bo", terms)
    links.create_link(
        ctx, WS, "autumn", CREATOR_HANDLE, "https://kaffe.example/autumn",
        slug=CREATOR_SLUG, utm={"utm_source": "instagram", "utm_content": CREATOR_HANDLE},
    )  # fmt: skip
    links.create_link(ctx, WS, "autumn", "bo", "https://kaffe.example/autumn", slug="bo-autumn")
    codes.create_code(ctx, WS, "autumn", CREATOR_HANDLE, code=CREATOR_CODE)
    ws = workspaces.get_workspace(ctx, WS)
    world = World(ws.id, emma.id, bo.id)
    _clicks(ctx, world, at)
    _content(ctx, world, at)
    webhook_endpoints.set_webhook_secret(ctx, WS, "shopify", SECRET)
    body = _shopify_order(at)
    headers = {
        "content-type": "application/json",
        "x-shopify-topic": "orders/create",
        "x-shopify-hmac-sha256": base64_signature(body, SECRET),
        "x-shopify-shop-domain": "kaffe.myshopify.com",
    }
    receipt = webhook_endpoints.receive_delivery(ctx, "shopify", WS, body, headers)
    assert receipt.created == 1, receipt
    clock.advance(days=1)
    conversions.track(
        ctx, ws.id, "api",
        TrackRequest(kind="sale", external_id=API_ORDER, amount=Money(Decimal("640.00"), "DKK"),
                     occurred_at=clock(), code=CREATOR_CODE, customer_ref=CUSTOMER_EMAIL),
    )  # fmt: skip
    conversions.track(
        ctx, ws.id, "api",
        TrackRequest(kind="refund", external_id=f"{API_ORDER}-r1",
                     amount=Money(Decimal("140.00"), "DKK"), occurred_at=clock(),
                     reverses_external_id=API_ORDER, customer_ref=CUSTOMER_EMAIL),
    )  # fmt: skip
    conversions.track(
        ctx, ws.id, "api",
        TrackRequest(kind="sale", external_id=OTHER_ORDER, amount=Money(Decimal("300.00"), "DKK"),
                     occurred_at=clock(), click_id="0PnjEGiWL0i0cjr0lZmIfC",
                     customer_ref="someone-else-42"),
    )  # fmt: skip
    return world


CUSTOMER_IDENTIFIERS = (
    CUSTOMER_EMAIL,
    str(SHOPIFY_ORDER_ID),
    SHOPIFY_ORDER_NAME,
    API_ORDER,
    CUSTOMER_VISITOR,
    *CUSTOMER_NAME,
    CUSTOMER_STREET,
)
CREATOR_IDENTIFIERS = (
    CREATOR_HANDLE,
    CREATOR_NAME,
    CREATOR_EMAIL,
    CREATOR_ACCOUNT,
    CREATOR_CODE,
    CREATOR_SLUG,
    CREATOR_POST,
)
