"""A campaign's conflict rule and attribution window: set, changed, and used by ingest."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal

import pytest
from typer.testing import CliRunner

from perfluence import cli
from perfluence.config import Settings, get_settings
from perfluence.core.attribution import ConflictRule
from perfluence.core.model import CampaignStatus
from perfluence.core.money import Money
from perfluence.errors import EXIT_CODE, ErrorCode, PerfluenceError
from perfluence.services import campaigns, workspaces
from perfluence.services import conversions as svc
from perfluence.services.context import Context
from tests.integration.conversion_world import NOW, build_world, click

runner = CliRunner()


def _create(ctx: Context, **extra: object) -> None:
    campaigns.create_campaign(
        ctx,
        "shop",
        "spring",
        name="Spring",
        goal="sales",
        starts_on="2026-03-01",
        ends_on="2026-04-30",
        **extra,  # type: ignore[arg-type]
    )


def test_conflict_rule_defaults_to_code_wins_and_can_be_chosen(ctx: Context) -> None:
    workspaces.create_workspace(ctx, "shop", "Shop", currency="DKK")
    _create(ctx)
    assert campaigns.get_campaign(ctx, "shop", "spring").conflict_rule is ConflictRule.CODE_WINS
    campaigns.create_campaign(
        ctx,
        "shop",
        "autumn",
        name="Autumn",
        goal="sales",
        starts_on="2026-09-01",
        ends_on="2026-09-30",
        conflict_rule="SPLIT",
        attribution_window_days=7,
    )
    autumn = campaigns.get_campaign(ctx, "shop", "autumn")
    assert (autumn.conflict_rule, autumn.attribution_window_days) == (ConflictRule.SPLIT, 7)


def test_update_changes_only_what_is_given(ctx: Context) -> None:
    workspaces.create_workspace(ctx, "shop", "Shop", currency="DKK")
    _create(ctx, attribution_window_days=30)
    before = campaigns.get_campaign(ctx, "shop", "spring")
    after = campaigns.update_campaign(ctx, "shop", "spring", conflict_rule="click_wins")
    assert after.conflict_rule is ConflictRule.CLICK_WINS
    assert (after.status, after.attribution_window_days) == (before.status, 30)
    after = campaigns.update_campaign(
        ctx, "shop", "spring", attribution_window_days=14, status="active"
    )
    assert (after.conflict_rule, after.attribution_window_days, after.status) == (
        ConflictRule.CLICK_WINS,
        14,
        CampaignStatus.ACTIVE,
    )
    assert campaigns.get_campaign(ctx, "shop", "spring") == after


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"conflict_rule": "first_wins"}, "conflict_rule"),
        ({"attribution_window_days": 0}, "attribution_window_days"),
        ({"attribution_window_days": 366}, "attribution_window_days"),
        ({"status": "done", "conflict_rule": "split"}, "status"),
    ],
)
def test_bad_settings_are_refused_and_nothing_changes(
    ctx: Context, changes: dict[str, object], field: str
) -> None:
    workspaces.create_workspace(ctx, "shop", "Shop", currency="DKK")
    _create(ctx)
    before = campaigns.get_campaign(ctx, "shop", "spring")
    with pytest.raises(PerfluenceError) as err:
        campaigns.update_campaign(ctx, "shop", "spring", **changes)  # type: ignore[arg-type]
    assert (err.value.code, err.value.field) == (ErrorCode.INVALID, field)
    assert campaigns.get_campaign(ctx, "shop", "spring") == before


def test_unknown_campaign_is_not_found(ctx: Context) -> None:
    workspaces.create_workspace(ctx, "shop", "Shop", currency="DKK")
    with pytest.raises(PerfluenceError) as err:
        campaigns.update_campaign(ctx, "shop", "nope", conflict_rule="split")
    assert err.value.code is ErrorCode.NOT_FOUND


def _sale(external_id: str, click_id: str) -> svc.TrackRequest:
    return svc.TrackRequest(
        kind="sale",
        external_id=external_id,
        amount=Money(Decimal("500.00"), "DKK"),
        occurred_at=None,
        click_id=click_id,
        code="NOAH10",
    )


def test_ingest_uses_the_rule_and_window_set_through_the_service(ctx: Context) -> None:
    w = build_world(ctx)  # code_wins, 30 days
    cid = click(ctx, w.ws, w.emma_link, NOW - timedelta(hours=1))
    assert svc.track(ctx, w.ws, "api", _sale("o-1", cid)).partnership_id == w.noah
    campaigns.update_campaign(ctx, "shop", "spring", conflict_rule="click_wins")
    assert svc.track(ctx, w.ws, "api", _sale("o-2", cid)).partnership_id == w.emma
    # A click older than a one-day window is no evidence: the code decides.
    old = click(ctx, w.ws, w.emma_link, NOW - timedelta(days=2), visitor="v-2")
    campaigns.update_campaign(ctx, "shop", "spring", attribution_window_days=1)
    late = svc.track(ctx, w.ws, "api", _sale("o-3", old))
    assert (late.partnership_id, late.attribution_method) == (w.noah, "code")


@pytest.fixture
def cli_env(ctx: Context, settings: Settings, monkeypatch: pytest.MonkeyPatch) -> Iterator[Context]:
    workspaces.create_workspace(ctx, "shop", "Shop", currency="DKK")
    assert settings.database_url is not None
    monkeypatch.setenv("PERFLUENCE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PERFLUENCE_WORKSPACE", "shop")
    monkeypatch.setenv("PERFLUENCE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield ctx
    get_settings.cache_clear()


def _invoke(*args: str) -> str:
    result = runner.invoke(cli.app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_cli_add_set_and_show(cli_env: Context) -> None:
    _invoke(
        "campaigns", "add", "spring", "--name", "Spring", "--goal", "sales",
        "--start", "2026-03-01", "--end", "2026-04-30",
        "--conflict-rule", "most_recent", "--window-days", "14",
    )  # fmt: skip
    c = campaigns.get_campaign(cli_env, "shop", "spring")
    assert (c.conflict_rule, c.attribution_window_days) == (ConflictRule.MOST_RECENT, 14)
    out = _invoke("campaigns", "set", "spring", "--conflict-rule", "split", "--window-days", "7")
    assert "conflict rule split, attribution window 7 days" in out
    shown = _invoke("campaigns", "show", "spring")
    assert "conflict rule" in shown
    assert "split" in shown
    assert "7 days" in shown


def _exit_code(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    monkeypatch.setattr(sys, "argv", ["perfluence", *args])
    with pytest.raises(SystemExit) as exit_info:
        cli.main()
    code = exit_info.value.code
    return code if isinstance(code, int) else 1


def test_cli_set_without_changes_or_with_a_bad_rule_fails(
    cli_env: Context, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    _invoke(
        "campaigns", "add", "spring", "--name", "Spring", "--goal", "sales",
        "--start", "2026-03-01", "--end", "2026-04-30",
    )  # fmt: skip
    invalid = EXIT_CODE[ErrorCode.INVALID]
    assert _exit_code(monkeypatch, "campaigns", "set", "spring") == invalid
    assert "nothing to change" in capsys.readouterr().err
    bad_rule = ("campaigns", "set", "spring", "--conflict-rule", "coin_flip")
    assert _exit_code(monkeypatch, *bad_rule) == invalid
    assert "click_wins, code_wins, most_recent, split" in capsys.readouterr().err
    rule = campaigns.get_campaign(cli_env, "shop", "spring").conflict_rule
    assert rule is ConflictRule.CODE_WINS
