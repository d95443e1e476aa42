from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from perfluence.config import DEV_SECRET, Environment, Settings

DOCS = Path(__file__).parents[2] / "docs" / "configuration.md"


def test_secret_is_hidden_in_repr_and_str() -> None:
    settings = Settings(secret_key=SecretStr("x" * 40), env=Environment.DEV)
    assert "x" * 40 not in repr(settings)
    assert "x" * 40 not in str(settings)


def test_default_secret_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="PERFLUENCE_SECRET_KEY"):
        Settings(env=Environment.PROD, secret_key=SecretStr(DEV_SECRET))


def test_short_secret_refused_in_production() -> None:
    with pytest.raises(ValidationError, match="at least 32"):
        Settings(env=Environment.PROD, secret_key=SecretStr("short"))


def test_production_accepts_a_private_secret() -> None:
    settings = Settings(env=Environment.PROD, secret_key=SecretStr("s" * 48))
    assert settings.env is Environment.PROD


def test_environment_variables_are_read(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERFLUENCE_PORT", "8123")
    monkeypatch.setenv("PERFLUENCE_DATA_DIR", "/srv/perfluence")
    settings = Settings()
    assert settings.port == 8123
    assert settings.resolved_database_url == "sqlite:////srv/perfluence/perfluence.db"


def test_invalid_value_fails_fast(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PERFLUENCE_PORT", "not-a-port")
    with pytest.raises(ValidationError):
        Settings()


def test_database_url_wins_over_data_dir() -> None:
    settings = Settings(database_url="postgresql+psycopg://u@db/perfluence")
    assert settings.resolved_database_url == "postgresql+psycopg://u@db/perfluence"


def test_every_setting_has_a_docs_heading() -> None:
    headings = set(re.findall(r"^### `(PERFLUENCE_[A-Z_]+)`", DOCS.read_text(), re.MULTILINE))
    expected = {f"PERFLUENCE_{name.upper()}" for name in Settings.model_fields}
    assert expected - headings == set(), "settings without a heading in docs/configuration.md"
    assert headings - expected == set(), "docs/configuration.md documents unknown settings"
