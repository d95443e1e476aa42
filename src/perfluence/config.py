"""Typed settings, read once: environment (``PERFLUENCE_*``) > ``.env`` > defaults.

Secrets are ``SecretStr`` so they never show in a repr or a log line, and the
development default secret is refused outside ``env=dev``/``test``.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum
from functools import lru_cache
from pathlib import Path
from typing import Self

from pydantic import Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_SECRET = "perfluence-dev-secret-change-me"  # noqa: S105 - the refused default, by design


class Environment(StrEnum):
    DEV = "dev"
    TEST = "test"
    PROD = "prod"


class Settings(BaseSettings):
    """Every setting perfluence reads. Documented in ``docs/configuration.md``."""

    model_config = SettingsConfigDict(
        env_prefix="PERFLUENCE_", env_file=".env", extra="ignore", frozen=True
    )

    env: Environment = Environment.DEV
    data_dir: Path = Path("var")
    database_url: str | None = None
    workspace: str = "default"
    secret_key: SecretStr = SecretStr(DEV_SECRET)
    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    base_url: str | None = None
    default_language: str = "en"
    default_currency: str = "EUR"
    # EMV = impressions × reference CPM / 1000; the reference is a workspace-wide convention.
    reference_cpm: Decimal = Decimal("8.00")
    tier_micro_from: int = 1_000
    tier_macro_from: int = 100_000
    tier_mega_from: int = 1_000_000
    attribution_window_days: int = Field(default=30, ge=1, le=365)
    click_flush_interval_ms: int = Field(default=50, ge=1, le=10_000)
    click_batch_size: int = Field(default=2_000, ge=1, le=100_000)
    click_buffer_size: int = Field(default=200_000, ge=1_000)
    durable: bool = False
    trusted_country_header: str | None = None
    geoip_database: Path | None = None
    link_cache_refresh_ms: int = Field(default=500, ge=50, le=60_000)
    # Requests to /l/{slug} per client address per minute before 429; 0 turns it off.
    tracking_rate_limit: int = Field(default=600, ge=0, le=1_000_000_000)
    # A request head (request line and headers) must arrive within this, or the connection closes.
    header_timeout_seconds: float = Field(default=10.0, gt=0, le=300)
    # Failures per client address (and per account for logins) before 429; 0 turns one off.
    login_failures_per_ip: int = Field(default=20, ge=0, le=100_000)
    login_failures_per_account: int = Field(default=10, ge=0, le=100_000)
    login_failure_window_seconds: int = Field(default=900, ge=1, le=86_400)
    credential_failures_per_ip: int = Field(default=30, ge=0, le=100_000)
    credential_failure_window_seconds: int = Field(default=60, ge=1, le=86_400)
    session_lifetime_days: int = Field(default=14, ge=1, le=365)
    # Raw clicks older than this are purged by `perfluence retention run` (0 keeps them).
    retention_clicks_days: int = Field(default=395, ge=0, le=36_500)
    retention_audit_days: int = Field(default=0, ge=0, le=36_500)

    @model_validator(mode="after")
    def _refuse_default_secret(self) -> Self:
        if self.env is Environment.PROD and self.secret_key.get_secret_value() == DEV_SECRET:
            raise ValueError(
                "PERFLUENCE_SECRET_KEY must be set to a private value when PERFLUENCE_ENV=prod"
            )
        if self.env is Environment.PROD and len(self.secret_key.get_secret_value()) < 32:
            raise ValueError("PERFLUENCE_SECRET_KEY must be at least 32 characters in prod")
        return self

    @property
    def resolved_database_url(self) -> str:
        """The database URL; SQLite at ``<data_dir>/perfluence.db`` unless one is given."""
        if self.database_url:
            return self.database_url
        return f"sqlite:///{(self.data_dir / 'perfluence.db').as_posix()}"

    @property
    def spool_dir(self) -> Path:
        return self.data_dir / "spool"

    @property
    def public_base_url(self) -> str:
        return (self.base_url or f"http://{self.host}:{self.port}").rstrip("/")


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
