"""Fixture factories shared by every test.

Storage tests take the ``ctx`` fixture and so run once per dialect: SQLite
always, PostgreSQL too when ``PERFLUENCE_TEST_DATABASE_URL`` is set (CI sets it).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, MetaData, text

from perfluence.config import Environment, Settings
from perfluence.services.context import Context
from perfluence.store import migrate
from perfluence.store.engine import make_engine
from perfluence.store.tables import metadata

PG_URL = os.environ.get("PERFLUENCE_TEST_DATABASE_URL")
DIALECTS = ["sqlite", *(["postgresql"] if PG_URL else [])]
DATA = Path(__file__).parent / "data"


@dataclass
class FrozenClock:
    """A clock that only moves when told to."""

    current: datetime = field(default_factory=lambda: datetime(2026, 3, 2, 12, 0, tzinfo=UTC))

    def __call__(self) -> datetime:
        return self.current

    def advance(self, **kwargs: float) -> datetime:
        self.current += timedelta(**kwargs)
        return self.current


def reset_postgres(engine: Engine) -> None:
    """Drop everything in the test database so migrations start from zero."""
    with engine.begin() as conn:
        reflected = MetaData()
        reflected.reflect(conn)
        reflected.drop_all(conn)
        conn.execute(text("DROP TABLE IF EXISTS alembic_version"))


@pytest.fixture(scope="session", params=DIALECTS)
def migrated_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    if request.param == "sqlite":
        path = tmp_path_factory.mktemp("db") / "perfluence.db"
        engine = make_engine(f"sqlite:///{path}")
    else:
        assert PG_URL is not None
        engine = make_engine(PG_URL)
        reset_postgres(engine)
    migrate.upgrade(engine)
    yield engine
    engine.dispose()


def _wipe(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in reversed(metadata.sorted_tables):
            conn.execute(table.delete())


@pytest.fixture
def clock() -> FrozenClock:
    return FrozenClock()


@pytest.fixture
def settings(tmp_path: Path, migrated_engine: Engine) -> Settings:
    return Settings(
        env=Environment.TEST,
        data_dir=tmp_path,
        database_url=migrated_engine.url.render_as_string(hide_password=False),
    )


@pytest.fixture
def ctx(settings: Settings, migrated_engine: Engine, clock: FrozenClock) -> Iterator[Context]:
    """A context on a migrated, empty database (each dialect in turn)."""
    _wipe(migrated_engine)
    yield Context(settings=settings, engine=migrated_engine, clock=clock)
    _wipe(migrated_engine)


@pytest.fixture
def dialect(migrated_engine: Engine) -> str:
    return migrated_engine.dialect.name
