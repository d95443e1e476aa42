from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from sqlalchemy import Engine, inspect, select

from perfluence.errors import PerfluenceError
from perfluence.services import workspaces
from perfluence.services.context import Context
from perfluence.store import migrate
from perfluence.store.tables import fx_rates, metadata


def test_migrations_reach_head_and_create_every_table(migrated_engine: Engine) -> None:
    assert migrate.current_revision(migrated_engine) == migrate.head_revision()
    present = set(inspect(migrated_engine).get_table_names())
    assert {t.name for t in metadata.sorted_tables} <= present


def test_workspace_round_trip_keeps_aware_utc_time(ctx: Context) -> None:
    ws = workspaces.create_workspace(ctx, "cafe-noir", "Café Noir", currency="dkk", language="da")
    assert ws.default_currency == "DKK"
    assert ws.created_at == ctx.now()
    assert ws.created_at.tzinfo is UTC
    assert workspaces.get_workspace(ctx, "cafe-noir") == ws


def test_duplicate_workspace_is_refused_and_first_is_kept(ctx: Context) -> None:
    workspaces.create_workspace(ctx, "shop", "Shop")
    with pytest.raises(PerfluenceError) as err:
        workspaces.create_workspace(ctx, "shop", "Other name")
    assert err.value.code.value == "duplicate"
    assert workspaces.get_workspace(ctx, "shop").name == "Shop"


def test_decimal_rates_survive_storage_exactly(ctx: Context) -> None:
    with ctx.engine.begin() as conn:
        conn.execute(
            fx_rates.insert().values(
                rate_date=datetime(2026, 1, 2, tzinfo=UTC).date(),
                currency="SEK",
                rate=Decimal("11.12345"),
            )
        )
    with ctx.engine.connect() as conn:
        rate = conn.execute(select(fx_rates.c.rate)).scalar_one()
    assert rate == Decimal("11.12345")
    assert isinstance(rate, Decimal)


def test_unknown_workspace_names_the_slug(ctx: Context) -> None:
    with pytest.raises(PerfluenceError, match="'nope' not found"):
        workspaces.get_workspace(ctx, "nope")


def test_workspace_fallback_is_validated_set_and_removed(ctx: Context) -> None:
    with pytest.raises(PerfluenceError) as err:
        workspaces.create_workspace(ctx, "shop", "Shop", fallback_url="//evil.example")
    assert err.value.field == "fallback_url"
    workspaces.create_workspace(ctx, "shop", "Shop", fallback_url=" https://Shop.example/ ")
    assert workspaces.get_workspace(ctx, "shop").fallback_url == "https://shop.example/"
    with pytest.raises(PerfluenceError) as err:
        workspaces.set_fallback_url(ctx, "shop", "javascript:alert(1)")
    assert err.value.code.value == "invalid"
    assert workspaces.get_workspace(ctx, "shop").fallback_url == "https://shop.example/"
    assert workspaces.set_fallback_url(ctx, "shop", None).fallback_url is None
    with pytest.raises(PerfluenceError) as err:
        workspaces.set_fallback_url(ctx, "nope", "https://x.example/")
    assert err.value.code.value == "not_found"
