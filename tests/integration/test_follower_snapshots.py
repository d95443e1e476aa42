"""Every follower count written through the creator services leaves a dated snapshot."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from perfluence.services import creators, posts, workspaces
from perfluence.services.context import Context
from perfluence.services.creator_import import import_creators
from perfluence.store.creators import account_owners
from perfluence.store.post_metrics import follower_history, metric_history
from tests.conftest import FrozenClock


def _history(ctx: Context, platform: str, handle: str) -> list[tuple[date, int]]:
    with ctx.engine.connect() as conn:
        ws = workspaces.get_workspace(ctx, "shop")
        account_id = account_owners(conn, ws.id)[(platform, handle)][0]
        return follower_history(conn, [account_id])[account_id]


def test_adding_and_reimporting_records_growth(
    ctx: Context, clock: FrozenClock, tmp_path: Path
) -> None:
    workspaces.create_workspace(ctx, "shop", "Shop")
    creators.add_creator(
        ctx,
        "shop",
        "emma",
        name="Emma",
        accounts=[creators.NewAccount("instagram", followers=12_000)],
    )
    first_day = clock().date()
    clock.advance(days=3)
    csv = tmp_path / "update.csv"
    csv.write_text(
        "handle,name,platform,platform_handle,followers\nemma,Emma,instagram,emma,15500\n"
    )
    import_creators(ctx, "shop", csv, update=True)
    assert _history(ctx, "instagram", "emma") == [(first_day, 12_000), (clock().date(), 15_500)]


def test_post_metrics_changed_through_the_api_service_keep_their_history(
    ctx: Context, clock: FrozenClock
) -> None:
    workspaces.create_workspace(ctx, "shop", "Shop")
    creators.add_creator(ctx, "shop", "emma", name="Emma")
    post = posts.add_post(ctx, "shop", "emma", "instagram", "p1", metrics={"likes": 10})
    clock.advance(hours=5)
    posts.update_post(ctx, "shop", post.id, changes={"likes": 25})
    posts.update_post(ctx, "shop", post.id, changes={"caption": "Reklame: new caption"})
    with ctx.engine.connect() as conn:
        likes = [s.metrics["likes"] for s in metric_history(conn, post.id)]
    assert likes == [10, 25]
