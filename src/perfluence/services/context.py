"""The context every use case runs in: settings, the database engine and a clock.

Shells (CLI, web) open one context and pass it down; tests build one around a
test database and a frozen clock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy import Engine

from perfluence.config import Settings, get_settings
from perfluence.store.engine import make_engine


def utc_now() -> datetime:
    return datetime.now(UTC)


@dataclass
class Context:
    settings: Settings
    engine: Engine
    clock: Callable[[], datetime] = field(default=utc_now)

    def now(self) -> datetime:
        return self.clock()

    def close(self) -> None:
        self.engine.dispose()


def open_context(settings: Settings | None = None) -> Context:
    settings = settings or get_settings()
    return Context(settings=settings, engine=make_engine(settings.resolved_database_url))
