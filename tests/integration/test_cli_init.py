from __future__ import annotations

import sys

import pytest

from perfluence import cli
from perfluence.config import get_settings
from perfluence.services.context import Context
from perfluence.services.workspaces import get_workspace, list_workspaces


def run_cli(monkeypatch: pytest.MonkeyPatch, *args: str) -> int:
    """Run the real entry point (with its error handling) and return the exit code."""
    monkeypatch.setattr(sys, "argv", ["perfluence", *args])
    get_settings.cache_clear()
    try:
        cli.main()
    except SystemExit as exc:
        return int(exc.code or 0)
    finally:
        get_settings.cache_clear()
    return 0


@pytest.fixture
def cli_env(ctx: Context, monkeypatch: pytest.MonkeyPatch) -> Context:
    monkeypatch.setenv("PERFLUENCE_DATABASE_URL", ctx.settings.resolved_database_url)
    monkeypatch.setenv("PERFLUENCE_DATA_DIR", str(ctx.settings.data_dir))
    return ctx


def test_init_creates_workspace_and_is_repeatable(
    cli_env: Context, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_cli(monkeypatch, "init", "--workspace", "kaffe", "--currency", "dkk")
    assert code == 0
    assert get_workspace(cli_env, "kaffe").default_currency == "DKK"
    assert run_cli(monkeypatch, "init", "--workspace", "kaffe") == 0
    assert "exists" in capsys.readouterr().out


def test_user_error_is_one_line_with_exit_code_and_no_traceback(
    cli_env: Context, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    code = run_cli(monkeypatch, "init", "--workspace", "x", "--currency", "XXQ")
    err = capsys.readouterr().err
    assert code == 2
    assert "unknown currency 'XXQ'" in err
    assert "Traceback" not in err


def test_bad_setting_is_reported_by_name(
    cli_env: Context, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("PERFLUENCE_PORT", "eighty")
    code = run_cli(monkeypatch, "db", "status")
    err = capsys.readouterr().err
    assert code == 9
    assert "port" in err
    assert "Traceback" not in err


def test_init_sets_the_fallback_and_refuses_a_bad_one(
    cli_env: Context, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(monkeypatch, "init", "-w", "kaffe", "--fallback", "https://kaffe.example/") == 0
    assert get_workspace(cli_env, "kaffe").fallback_url == "https://kaffe.example/"
    # On an existing workspace --fallback changes it.
    assert run_cli(monkeypatch, "init", "-w", "kaffe", "--fallback", "https://kaffe.example/x") == 0
    assert get_workspace(cli_env, "kaffe").fallback_url == "https://kaffe.example/x"
    capsys.readouterr()
    assert run_cli(monkeypatch, "init", "-w", "te", "--fallback", "javascript:alert(1)") == 2
    assert "fallback_url must use http or https" in capsys.readouterr().err
    assert [w.slug for w in list_workspaces(cli_env)] == ["kaffe"]
