"""Post metrics from CSV and the platforms' JSON exports: idempotent, with history."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from perfluence.core.csvrows import CsvImportError
from perfluence.core.post_exports import parse_instagram, parse_tiktok, parse_youtube
from perfluence.errors import PerfluenceError
from perfluence.services import post_metrics, sentiment
from perfluence.services.context import Context
from perfluence.store.tables import follower_snapshots, post_metric_snapshots, posts
from tests.conftest import DATA, FrozenClock
from tests.integration.factories import (
    make_campaign,
    make_creator,
    make_partnership,
    make_social_account,
    make_workspace,
)

EXPORTS = DATA / "exports"


@pytest.fixture
def world(ctx: Context) -> dict[str, int]:
    with ctx.engine.begin() as conn:
        ws = make_workspace(conn, "kaffe")
        emma = make_creator(conn, ws, "emma", followers=12_000)
        bo = make_creator(conn, ws, "bo", platform="tiktok", followers=40_000)
        linnea = make_creator(conn, ws, "linnea.s", platform="tiktok", followers=90_000)
        make_social_account(conn, ws, emma, "youtube", "emma", followers=3_000)
        spring = make_campaign(conn, ws, "spring")
        return {
            "ws": ws,
            "emma": emma,
            "bo": bo,
            "linnea": linnea,
            "spring": spring,
            "emma_spring": make_partnership(conn, ws, spring, emma),
            "bo_spring": make_partnership(conn, ws, spring, bo),
            "linnea_spring": make_partnership(conn, ws, spring, linnea),
        }


def _count(ctx: Context, table: object) -> int:
    with ctx.engine.connect() as conn:
        return int(conn.execute(select(func.count()).select_from(table)).scalar_one())  # type: ignore[arg-type]


def test_instagram_graph_api_export(ctx: Context, world: dict[str, int]) -> None:
    result = post_metrics.import_posts(
        ctx,
        "kaffe",
        EXPORTS / "instagram_media.json",
        fmt="instagram",
        creator="@Emma",
        campaign="spring",
    )
    assert (result.created, result.updated, result.unchanged) == (2, 0, 0)
    found = {p.external_id: p for p in post_metrics.list_posts(ctx, "kaffe", creator="emma")}
    feed = found["17895695668004550"]
    assert feed.platform == "instagram"
    assert feed.campaign_slug == "spring"
    assert feed.published_at == datetime(2026, 3, 5, 9, 12, 44, tzinfo=UTC)
    assert feed.url == "https://www.instagram.com/p/C4xYz1aN2bQ/"
    assert feed.caption is not None
    assert feed.caption.startswith("Reklame for @kaffebaren")
    assert dict(feed.metrics) == {
        "impressions": 24_310,
        "reach": 18_220,
        "views": 0,
        "likes": 1_480,
        "comments": 96,
        "shares": 57,
        "saves": 212,
    }
    reel = found["18031247725089311"]
    assert reel.metrics["views"] == 45_102
    assert reel.metrics["impressions"] == 0  # not in the export (deprecated for reels)


def test_reimport_is_idempotent_and_keeps_history(
    ctx: Context, world: dict[str, int], clock: FrozenClock
) -> None:
    def load(source: Path | bytes) -> post_metrics.PostImport:
        return post_metrics.import_posts(
            ctx, "kaffe", source, fmt="instagram", creator="emma", campaign="spring"
        )

    load(EXPORTS / "instagram_media.json")
    again = load(EXPORTS / "instagram_media.json")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert _count(ctx, posts) == 2
    assert _count(ctx, post_metric_snapshots) == 2
    clock.advance(days=1)
    grown = (
        (EXPORTS / "instagram_media.json")
        .read_bytes()
        .replace(b'"like_count": 1480', b'"like_count": 1600')
    )
    later = load(grown)
    assert (later.created, later.updated, later.unchanged) == (0, 1, 1)
    history = post_metrics.post_history(ctx, "kaffe", "instagram", "17895695668004550")
    assert [s.metrics["likes"] for s in history] == [1_480, 1_600]
    assert [s.metrics["reach"] for s in history] == [18_220, 18_220]
    assert history[1].recorded_at == clock.current


def test_tiktok_display_and_business_exports_update_one_post(
    ctx: Context, world: dict[str, int]
) -> None:
    first = post_metrics.import_posts(
        ctx, "kaffe", EXPORTS / "tiktok_display_video_list.json", fmt="tiktok", creator="linnea.s"
    )
    assert first.created == 2
    video = "7338193452870288647"
    post = {p.external_id: p for p in post_metrics.list_posts(ctx, "kaffe")}[video]
    assert post.published_at == datetime.fromtimestamp(1772700000, UTC)
    assert (post.metrics["views"], post.metrics["likes"], post.metrics["shares"]) == (
        58_210,
        4_120,
        178,
    )
    assert post.caption is not None
    assert post.caption.startswith("Reklam | Min morgonrutin")
    second = post_metrics.import_posts(
        ctx,
        "kaffe",
        EXPORTS / "tiktok_business_video_list.json",
        fmt="tiktok",
        creator="linnea.s",
        campaign="spring",
    )
    assert (second.created, second.updated) == (0, 1)
    post = {p.external_id: p for p in post_metrics.list_posts(ctx, "kaffe")}[video]
    assert dict(post.metrics) == {
        "impressions": 0,
        "reach": 47_110,
        "views": 61_002,
        "likes": 4_388,
        "comments": 251,
        "shares": 190,
        "saves": 0,
    }
    assert post.campaign_slug == "spring"


def test_youtube_analytics_report(ctx: Context, world: dict[str, int]) -> None:
    result = post_metrics.import_posts(
        ctx, "kaffe", EXPORTS / "youtube_analytics_report.json", fmt="youtube", creator="emma"
    )
    assert result.created == 2
    post = {p.external_id: p for p in post_metrics.list_posts(ctx, "kaffe")}["dQw4w9WgXcQ"]
    assert post.url == "https://www.youtube.com/watch?v=dQw4w9WgXcQ"
    assert (
        post.metrics["views"],
        post.metrics["likes"],
        post.metrics["comments"],
        post.metrics["shares"],
    ) == (120_443, 5_120, 611, 230)


def test_csv_import(ctx: Context, world: dict[str, int]) -> None:
    result = post_metrics.import_posts(ctx, "kaffe", EXPORTS / "posts.csv")
    assert result.created == 3
    found = {p.external_id: p for p in post_metrics.list_posts(ctx, "kaffe")}
    first = found["17895695668004550"]
    assert first.metrics["impressions"] == 24_310  # "24 310" as a spreadsheet writes it
    assert first.paid_partnership_label is False
    assert found["C9old"].campaign_slug is None
    assert found["C9old"].published_at == datetime(2026, 2, 1, 10, tzinfo=UTC)
    assert found["7338000000000000001"].paid_partnership_label is True
    assert found["7338000000000000001"].published_at == datetime.fromtimestamp(1772700000, UTC)
    # The Instagram export of the same post updates it (its caption is longer) rather than
    # adding one, and keeps its campaign.
    again = post_metrics.import_posts(
        ctx, "kaffe", EXPORTS / "instagram_media.json", fmt="instagram", creator="emma"
    )
    assert (again.created, again.updated) == (1, 1)
    assert _count(ctx, posts) == 4
    updated = {p.external_id: p for p in post_metrics.list_posts(ctx, "kaffe")}[first.external_id]
    assert updated.campaign_slug == "spring"
    assert updated.caption is not None
    assert updated.caption.endswith("#kaffe #morgenkaffe #kbh")
    assert updated.metrics == first.metrics


def test_a_bad_csv_stores_nothing_and_names_every_problem(
    ctx: Context, world: dict[str, int]
) -> None:
    with pytest.raises(CsvImportError) as err:
        post_metrics.import_posts(ctx, "kaffe", EXPORTS / "posts_bad.csv")
    where = {(p.row, p.column) for p in err.value.problems}
    assert (3, "creator") in where  # nobody
    assert (4, "platform") in where  # myspace
    assert (5, "likes") in where  # -4
    assert (5, "published_at") in where  # yesterday
    assert (5, "external_id") in where  # A1 twice
    assert (6, "campaign") in where  # no partnership in 'nope'
    assert _count(ctx, posts) == 0


def test_a_bad_json_item_stores_nothing(ctx: Context, world: dict[str, int]) -> None:
    bad = (
        b'{"data": [{"id": "1", "like_count": 3}, {"id": "2", "like_count": "many"},'
        b' {"caption": "x"}]}'
    )
    with pytest.raises(CsvImportError) as err:
        post_metrics.import_posts(ctx, "kaffe", bad, fmt="instagram", creator="emma")
    assert {(p.row, p.column) for p in err.value.problems} == {(2, "like_count"), (3, "id")}
    assert _count(ctx, posts) == 0
    with pytest.raises(PerfluenceError, match="needs --creator"):
        post_metrics.import_posts(ctx, "kaffe", bad, fmt="instagram")
    with pytest.raises(CsvImportError, match="not JSON"):
        post_metrics.import_posts(ctx, "kaffe", b"{", fmt="tiktok", creator="emma")
    with pytest.raises(PerfluenceError, match="format 'xml'"):
        post_metrics.import_posts(ctx, "kaffe", bad, fmt="xml", creator="emma")


def test_a_post_cannot_move_to_another_creator(ctx: Context, world: dict[str, int]) -> None:
    post_metrics.import_posts(
        ctx, "kaffe", EXPORTS / "youtube_analytics_report.json", fmt="youtube", creator="emma"
    )
    with pytest.raises(CsvImportError, match="belongs to 'emma'"):
        post_metrics.import_posts(
            ctx, "kaffe", EXPORTS / "youtube_analytics_report.json", fmt="youtube", creator="bo"
        )


def test_follower_snapshots(ctx: Context, world: dict[str, int]) -> None:
    assert (
        post_metrics.import_follower_snapshots(ctx, "kaffe", EXPORTS / "follower_snapshots.csv")
        == 8
    )
    assert (
        post_metrics.import_follower_snapshots(ctx, "kaffe", EXPORTS / "follower_snapshots.csv")
        == 0
    )
    assert post_metrics.record_follower_snapshot(
        ctx, "kaffe", "instagram", "emma", 18_560, date(2026, 3, 8)
    )
    assert not post_metrics.record_follower_snapshot(
        ctx, "kaffe", "instagram", "@Emma", "18 560", date(2026, 3, 8)
    )
    assert _count(ctx, follower_snapshots) == 8
    with pytest.raises(PerfluenceError, match="account 'nobody' not found"):
        post_metrics.record_follower_snapshot(ctx, "kaffe", "instagram", "nobody", 1)


def test_comments_csv_and_instagram_json(ctx: Context, world: dict[str, int]) -> None:
    post_metrics.import_posts(ctx, "kaffe", EXPORTS / "posts.csv")
    first = sentiment.import_comments(ctx, "kaffe", EXPORTS / "comments.csv")
    assert (first.created, first.already_stored) == (6, 0)
    again = sentiment.import_comments(ctx, "kaffe", EXPORTS / "comments.csv")
    assert (again.created, again.already_stored) == (0, 6)
    ig = sentiment.import_comments(
        ctx,
        "kaffe",
        EXPORTS / "instagram_comments.json",
        fmt="instagram",
        platform="instagram",
        post="17895695668004550",
    )
    assert ig.created == 2
    report = sentiment.comment_sentiment(
        ctx, "kaffe", campaign="spring", brand_terms=["Kaffebaren"]
    )
    assert report.overall.comments == 8
    # c1 +, c2 -, c3 0, c4 -, c5 +, c6 -, ig1 +, ig2 0
    assert (report.overall.positive, report.overall.negative, report.overall.neutral) == (3, 3, 2)
    assert report.brand_mentions == 2
    assert report.comments_mentioning_brand == 2
    assert report.comparison is not None
    # The campaign starts 2026-03-01: c4-c6 are before it.
    assert (report.comparison.before.comments, report.comparison.during.comments) == (3, 5)
    with pytest.raises(CsvImportError, match="post not found"):
        sentiment.import_comments(
            ctx, "kaffe", b"platform,post,comment_id,text\ninstagram,zz,1,hej\n"
        )


# --- the parsers alone (no database) ------------------------------------------------


def test_instagram_total_value_shape_and_legacy_names() -> None:
    doc = (
        b'{"data": [{"id": "1", "timestamp": "2026-03-05T09:12:44Z", "insights": {"data": ['
        b'{"name": "reach", "period": "lifetime", "total_value": {"value": 50}},'
        b'{"name": "plays", "period": "lifetime", "values": [{"value": 70}]}]}}]}'
    )
    (post,) = parse_instagram(doc, "x.json")
    assert post.metrics == {"reach": 50, "views": 70}
    assert post.published_at == datetime(2026, 3, 5, 9, 12, 44, tzinfo=UTC)


def test_tiktok_business_times_are_text() -> None:
    (post,) = parse_tiktok(
        b'{"data": {"videos": [{"item_id": 42, "create_time": "1772700000", "likes": 3.0}]}}',
        "x.json",
    )
    assert post.external_id == "42"
    assert post.published_at == datetime.fromtimestamp(1772700000, UTC)
    assert post.metrics == {"likes": 3}


def test_youtube_report_needs_the_video_dimension_and_whole_rows() -> None:
    with pytest.raises(CsvImportError, match="'video' dimension"):
        parse_youtube(b'{"columnHeaders": [{"name": "day"}], "rows": []}', "x.json")
    with pytest.raises(CsvImportError) as err:
        parse_youtube(
            b'{"columnHeaders": [{"name": "video"}, {"name": "views"}],'
            b' "rows": [["a", 1], ["b"], ["c", 2.5]]}',
            "x.json",
        )
    assert [(p.row, p.column) for p in err.value.problems] == [(2, None)]
    with pytest.raises(CsvImportError) as err:
        parse_youtube(
            b'{"columnHeaders": [{"name": "video"}, {"name": "views"}], "rows": [["c", 2.5]]}',
            "x.json",
        )
    assert [(p.row, p.column, p.value) for p in err.value.problems] == [(1, "views", "2.5")]
    with pytest.raises(CsvImportError, match="expected a list of posts"):
        parse_tiktok(b'{"data": {}}', "x.json")
