"""Tracking links on both dialects: creation, UTM, slugs, changes, what the redirect loads."""

from __future__ import annotations

from dataclasses import dataclass
from random import Random
from typing import Any

import pytest
from sqlalchemy import select, update

from perfluence.core.links import SLUG_LENGTH, new_slug, tracking_url
from perfluence.core.model import LinkStatus
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services import links
from perfluence.services.context import Context
from perfluence.store.tables import tracking_links
from tests.conftest import FrozenClock
from tests.integration.factories import (
    make_campaign,
    make_creator,
    make_partnership,
    make_social_account,
    make_workspace,
)


@dataclass(frozen=True)
class World:
    ws: int
    other_ws: int


@pytest.fixture
def world(ctx: Context) -> World:
    with ctx.engine.begin() as conn:
        ws = make_workspace(conn, "kaffe", fallback_url="https://kaffe.dk/")
        emma = make_creator(conn, ws, "emma", platform="instagram", followers=12_000)
        make_social_account(conn, ws, emma, "tiktok", "emma.tt", followers=80_000)
        noah = make_creator(conn, ws, "noah", platform=None)
        make_creator(conn, ws, "olga")
        summer = make_campaign(conn, ws, "summer")
        winter = make_campaign(conn, ws, "winter")
        make_partnership(conn, ws, summer, emma)
        make_partnership(conn, ws, winter, emma)
        make_partnership(conn, ws, summer, noah)
        other = make_workspace(conn, "other")
        other_emma = make_creator(conn, other, "emma")
        make_partnership(conn, other, make_campaign(conn, other, "summer"), other_emma)
    return World(ws, other)


def test_a_link_gets_default_utm_from_the_biggest_platform(ctx: Context, world: World) -> None:
    link = links.create_link(ctx, "kaffe", "summer", "@Emma", "https://kaffe.dk/menu?x=1#cake")
    assert len(link.slug) == SLUG_LENGTH
    assert link.status is LinkStatus.ACTIVE
    assert (link.campaign_slug, link.creator_handle) == ("summer", "emma")
    assert link.destination_url == "https://kaffe.dk/menu?x=1#cake"
    assert dict(link.utm) == {
        "utm_source": "tiktok",
        "utm_medium": "influencer",
        "utm_campaign": "summer",
        "utm_content": "emma",
    }
    assert link.tracking_destination == (
        "https://kaffe.dk/menu?x=1&utm_source=tiktok&utm_medium=influencer"
        "&utm_campaign=summer&utm_content=emma#cake"
    )
    assert link.created_at == link.updated_at == ctx.now()
    assert links.get_link(ctx, "kaffe", link.slug) == link


def test_a_creator_without_accounts_gets_the_generic_source(ctx: Context, world: World) -> None:
    link = links.create_link(ctx, "kaffe", "summer", "noah", "https://kaffe.dk/")
    assert link.utm["utm_source"] == "influencer"


def test_utm_overrides_replace_remove_and_add(ctx: Context, world: World) -> None:
    link = links.create_link(
        ctx,
        "kaffe",
        "summer",
        "emma",
        "https://kaffe.dk/?utm_medium=newsletter",
        utm={"utm_source": "ig story", "utm_content": "", "utm_term": "latte"},
    )
    assert list(link.utm.items()) == [
        ("utm_source", "ig story"),
        ("utm_medium", "influencer"),
        ("utm_campaign", "summer"),
        ("utm_term", "latte"),
    ]
    # The destination's own utm_medium wins over the link's.
    assert link.tracking_destination == (
        "https://kaffe.dk/?utm_medium=newsletter&utm_source=ig%20story"
        "&utm_campaign=summer&utm_term=latte"
    )


def test_custom_slug_and_duplicates(ctx: Context, world: World) -> None:
    links.create_link(ctx, "kaffe", "summer", "emma", "https://kaffe.dk/", slug="Emma-Summer")
    with pytest.raises(PerfluenceError) as info:
        links.create_link(ctx, "other", "summer", "emma", "https://x.dk/", slug="Emma-Summer")
    assert (info.value.code, info.value.field) == (ErrorCode.DUPLICATE, "slug")
    with pytest.raises(PerfluenceError) as info:
        links.create_link(ctx, "kaffe", "summer", "emma", "https://kaffe.dk/", slug="admin")
    assert (info.value.code, info.value.field) == (ErrorCode.INVALID, "slug")


def test_a_random_slug_that_is_taken_is_drawn_again(ctx: Context, world: World) -> None:
    taken = new_slug(Random(42))
    first = links.create_link(ctx, "kaffe", "summer", "emma", "https://kaffe.dk/", rng=Random(42))
    assert first.slug == taken
    second = links.create_link(ctx, "kaffe", "winter", "emma", "https://kaffe.dk/", rng=Random(42))
    assert second.slug != taken
    assert len(second.slug) == SLUG_LENGTH


def test_slugs_run_out_loudly_rather_than_looping(ctx: Context, world: World) -> None:
    class Stuck(Random):
        def choice(self, seq):  # type: ignore[no-untyped-def]
            return seq[0]

    links.create_link(ctx, "kaffe", "summer", "emma", "https://kaffe.dk/", rng=Stuck())
    with pytest.raises(PerfluenceError) as info:
        links.create_link(ctx, "kaffe", "summer", "emma", "https://kaffe.dk/", rng=Stuck())
    assert info.value.code is ErrorCode.UNAVAILABLE


@pytest.mark.parametrize(
    ("campaign", "creator", "field"),
    [("autumn", "emma", "campaign"), ("summer", "zoe", "creator"), ("winter", "olga", "creator")],
)
def test_unknown_partnerships_are_not_found(
    ctx: Context, world: World, campaign: str, creator: str, field: str
) -> None:
    with pytest.raises(PerfluenceError) as info:
        links.create_link(ctx, "kaffe", campaign, creator, "https://kaffe.dk/")
    assert (info.value.code, info.value.field) == (ErrorCode.NOT_FOUND, field)


@pytest.mark.parametrize(
    ("destination", "kwargs", "field"),
    [
        ("javascript:alert(1)", {}, "destination"),
        ("/menu", {}, "destination"),
        ("https://kaffe.dk/", {"click_cap": 0}, "click_cap"),
        ("https://kaffe.dk/", {"click_cap": True}, "click_cap"),
        ("https://kaffe.dk/", {"fallback_url": "data:text/html,hi"}, "fallback_url"),
        ("https://kaffe.dk/", {"utm": {"pf_cid": "x"}}, "utm"),
        ("https://kaffe.dk/", {"slug": "a b"}, "slug"),
    ],
)
def test_bad_input_stores_nothing(
    ctx: Context, world: World, destination: str, kwargs: dict[str, Any], field: str
) -> None:
    with pytest.raises(PerfluenceError) as info:
        links.create_link(ctx, "kaffe", "summer", "emma", destination, **kwargs)
    assert (info.value.code, info.value.field) == (ErrorCode.INVALID, field)
    assert links.list_links(ctx, "kaffe") == []


def test_pause_resume_and_listing(ctx: Context, world: World, clock: FrozenClock) -> None:
    a = links.create_link(ctx, "kaffe", "summer", "emma", "https://kaffe.dk/", slug="aaa")
    links.create_link(ctx, "kaffe", "winter", "emma", "https://kaffe.dk/", slug="bbb")
    links.create_link(ctx, "kaffe", "summer", "noah", "https://kaffe.dk/", slug="ccc")
    links.create_link(ctx, "other", "summer", "emma", "https://other.dk/", slug="ddd")
    clock.advance(hours=1)
    paused = links.pause_link(ctx, "kaffe", "aaa")
    assert paused.status is LinkStatus.PAUSED
    assert paused.updated_at == ctx.now() > a.updated_at
    clock.advance(hours=1)
    assert links.pause_link(ctx, "kaffe", "aaa").updated_at == paused.updated_at  # no change
    assert [link.slug for link in links.list_links(ctx, "kaffe")] == ["aaa", "ccc", "bbb"]
    assert [link.slug for link in links.list_links(ctx, "kaffe", status="paused")] == ["aaa"]
    assert [link.slug for link in links.list_links(ctx, "kaffe", campaign="summer")] == [
        "aaa",
        "ccc",
    ]
    assert [link.slug for link in links.list_links(ctx, "kaffe", creator="@EMMA")] == [
        "aaa",
        "bbb",
    ]
    resumed = links.resume_link(ctx, "kaffe", "aaa")
    assert resumed.status is LinkStatus.ACTIVE
    assert resumed.updated_at == ctx.now()
    with pytest.raises(PerfluenceError) as info:
        links.list_links(ctx, "kaffe", status="deleted")
    assert info.value.field == "status"


def test_links_of_another_workspace_are_not_found(ctx: Context, world: World) -> None:
    links.create_link(ctx, "other", "summer", "emma", "https://other.dk/", slug="theirs")
    for change in (links.pause_link, links.resume_link, links.get_link):
        with pytest.raises(PerfluenceError) as info:
            change(ctx, "kaffe", "theirs")
        assert info.value.code is ErrorCode.NOT_FOUND
    assert links.get_link(ctx, "other", "theirs").status is LinkStatus.ACTIVE


def test_destination_utm_cap_and_fallback_changes(
    ctx: Context, world: World, clock: FrozenClock
) -> None:
    links.create_link(ctx, "kaffe", "summer", "emma", "https://kaffe.dk/", slug="emma")
    clock.advance(minutes=5)
    moved = links.update_destination(ctx, "kaffe", "emma", "https://kaffe.dk/ny?x=1")
    assert moved.destination_url == "https://kaffe.dk/ny?x=1"
    assert moved.tracking_destination.startswith("https://kaffe.dk/ny?x=1&utm_source=tiktok&")
    assert moved.updated_at == ctx.now()
    retagged = links.update_utm(ctx, "kaffe", "emma", {"utm_content": "reel-1", "utm_medium": ""})
    assert dict(retagged.utm) == {
        "utm_source": "tiktok",
        "utm_campaign": "summer",
        "utm_content": "reel-1",
    }
    capped = links.set_click_cap(ctx, "kaffe", "emma", 500, "https://kaffe.dk/udsolgt")
    assert (capped.click_cap, capped.fallback_url) == (500, "https://kaffe.dk/udsolgt")
    uncapped = links.set_click_cap(ctx, "kaffe", "emma", None, None)
    assert (uncapped.click_cap, uncapped.fallback_url) == (None, None)
    for cap, fallback, field in [
        (0, None, "click_cap"),
        (-5, None, "click_cap"),
        (10, "javascript:alert(1)", "fallback_url"),
        (10, "//evil.example/", "fallback_url"),
    ]:
        with pytest.raises(PerfluenceError) as info:
            links.set_click_cap(ctx, "kaffe", "emma", cap, fallback)
        assert (info.value.code, info.value.field) == (ErrorCode.INVALID, field)
    with pytest.raises(PerfluenceError):
        links.update_destination(ctx, "kaffe", "emma", "https://user:pw@kaffe.dk/")
    assert links.get_link(ctx, "kaffe", "emma") == uncapped


def test_the_redirect_snapshot_covers_every_workspace_and_status(
    ctx: Context, world: World, clock: FrozenClock
) -> None:
    a = links.create_link(
        ctx,
        "kaffe",
        "summer",
        "emma",
        "https://kaffe.dk/?a=1#top",
        slug="aaa",
        click_cap=3,
        fallback_url="https://kaffe.dk/slut",
    )
    links.create_link(ctx, "other", "summer", "emma", "https://other.dk/", slug="bbb")
    clock.advance(minutes=1)
    links.pause_link(ctx, "other", "bbb")
    targets = {t.slug: t for t in links.active_links_snapshot(ctx)}
    assert set(targets) == {"aaa", "bbb"}
    aaa = targets["aaa"]
    assert (aaa.link_id, aaa.workspace_id, aaa.click_cap) == (a.id, world.ws, 3)
    assert aaa.destination == a.tracking_destination
    assert aaa.fallback_url == "https://kaffe.dk/slut"
    assert aaa.status is LinkStatus.ACTIVE
    assert tracking_url(aaa.destination, "CID").endswith("&pf_cid=CID#top")
    bbb = targets["bbb"]
    assert (bbb.status, bbb.workspace_id, bbb.fallback_url) == (
        LinkStatus.PAUSED,
        world.other_ws,
        None,
    )
    assert bbb.updated_at == ctx.now()
    changed = links.links_changed_since(ctx, ctx.now())
    assert [t.slug for t in changed] == ["bbb"]
    assert links.links_changed_since(ctx, clock.advance(seconds=1)) == []


def test_an_unknown_stored_status_is_not_served(ctx: Context, world: World) -> None:
    links.create_link(ctx, "kaffe", "summer", "emma", "https://kaffe.dk/", slug="odd")
    with ctx.engine.begin() as conn:
        conn.execute(update(tracking_links).values(status="archived"))
        assert conn.execute(select(tracking_links.c.status)).scalar_one() == "archived"
    [target] = links.active_links_snapshot(ctx)
    assert target.status is LinkStatus.PAUSED


def test_qr_codes_encode_the_public_short_url(ctx: Context, world: World) -> None:
    links.create_link(ctx, "kaffe", "summer", "emma", "https://kaffe.dk/", slug="emma-qr")
    png = links.link_qr(ctx, "kaffe", "emma-qr", "png")
    assert png.startswith(b"\x89PNG\r\n\x1a\n")
    svg = links.link_qr(ctx, "kaffe", "emma-qr", "SVG")
    assert b"<svg" in svg
    links.create_link(ctx, "kaffe", "summer", "noah", "https://kaffe.dk/", slug="noah-qr")
    assert links.link_qr(ctx, "kaffe", "noah-qr", "svg") != svg
    assert links.link_qr(ctx, "kaffe", "emma-qr", "svg") == svg
    assert links.public_url(ctx, "emma-qr") == "http://127.0.0.1:8000/l/emma-qr"
    with pytest.raises(PerfluenceError) as info:
        links.link_qr(ctx, "kaffe", "emma-qr", "gif")
    assert info.value.field == "format"
    with pytest.raises(PerfluenceError) as info:
        links.link_qr(ctx, "kaffe", "nope", "png")
    assert info.value.code is ErrorCode.NOT_FOUND
