"""API keys (minted once, hashed at rest, scoped, revocable) and the ``keys``/``webhooks`` CLI."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator

import pytest
from sqlalchemy import select
from typer.testing import CliRunner

from perfluence import cli
from perfluence.config import Settings, get_settings
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services import api_keys, webhook_endpoints
from perfluence.services.api_keys import ApiScope
from perfluence.services.context import Context
from perfluence.store.tables import api_keys as api_keys_table
from perfluence.store.tables import webhook_endpoints as endpoints_table
from tests.conftest import FrozenClock
from tests.integration.factories import make_workspace

KEY_SHAPE = re.compile(r"pfk_([a-z0-9]{8})_[A-Za-z0-9_-]{43}")
runner = CliRunner()


@pytest.fixture
def two_shops(ctx: Context) -> Context:
    with ctx.engine.begin() as conn:
        make_workspace(conn, "kaffe")
        make_workspace(conn, "butik")
    return ctx


def test_a_new_key_is_shown_once_and_only_its_hash_is_stored(two_shops: Context) -> None:
    new = api_keys.create_api_key(two_shops, "kaffe", " shop ", ["track", "read", "track"])
    shape = KEY_SHAPE.fullmatch(new.token)
    assert shape is not None
    assert new.key.prefix == shape.group(1)
    assert new.key.name == "shop"
    assert new.key.scopes == (ApiScope.READ, ApiScope.TRACK)
    assert new.token not in repr(new)
    with two_shops.engine.connect() as conn:
        (row,) = conn.execute(select(api_keys_table)).mappings()
    assert row["prefix"] == new.key.prefix
    assert row["key_hash"] == hashlib.sha256(new.token.encode()).hexdigest()
    assert new.token not in str(dict(row))
    assert api_keys.list_api_keys(two_shops, "kaffe") == [new.key]


def test_a_key_authenticates_as_its_workspace_with_its_scopes(two_shops: Context) -> None:
    token = api_keys.create_api_key(two_shops, "butik", "shop", ["track"]).token
    principal = api_keys.authenticate(two_shops, f"  {token} ")
    assert principal.workspace_slug == "butik"
    assert principal.scopes == {ApiScope.TRACK}
    principal.require(ApiScope.TRACK)
    with pytest.raises(PerfluenceError) as refused:
        principal.require(ApiScope.READ)
    assert refused.value.code is ErrorCode.FORBIDDEN


def test_two_keys_never_share_a_prefix_or_a_secret(two_shops: Context) -> None:
    tokens = [
        api_keys.create_api_key(two_shops, "kaffe", f"k{i}", ["read"]).token for i in range(20)
    ]
    assert len({t.split("_")[1] for t in tokens}) == 20
    assert len({t.split("_", 2)[2] for t in tokens}) == 20


@pytest.mark.parametrize(
    "mangle",
    [
        lambda t: t[:-1] + ("A" if t[-1] != "A" else "B"),  # one character off
        lambda t: t[:-1],  # truncated
        lambda t: t.replace("pfk_", "pfx_"),
        lambda t: t.upper(),
        lambda t: "",
    ],
)
def test_anything_but_the_exact_key_is_refused(two_shops: Context, mangle: object) -> None:
    token = api_keys.create_api_key(two_shops, "kaffe", "shop", ["track"]).token
    assert callable(mangle)
    with pytest.raises(PerfluenceError) as refused:
        api_keys.authenticate(two_shops, mangle(token))
    assert refused.value.code is ErrorCode.UNAUTHENTICATED


def test_a_revoked_key_stops_working_and_keeps_its_first_revocation_time(
    two_shops: Context, clock: FrozenClock
) -> None:
    new = api_keys.create_api_key(two_shops, "kaffe", "shop", ["track"])
    clock.advance(hours=1)
    revoked = api_keys.revoke_api_key(two_shops, "kaffe", new.key.prefix)
    assert revoked.revoked_at == clock()
    clock.advance(hours=1)
    again = api_keys.revoke_api_key(two_shops, "kaffe", f"pfk_{new.key.prefix}")
    assert again.revoked_at == revoked.revoked_at
    with pytest.raises(PerfluenceError, match="revoked"):
        api_keys.authenticate(two_shops, new.token)


def test_a_workspace_cannot_revoke_or_list_another_workspaces_key(two_shops: Context) -> None:
    new = api_keys.create_api_key(two_shops, "kaffe", "shop", ["track"])
    assert api_keys.list_api_keys(two_shops, "butik") == []
    with pytest.raises(PerfluenceError) as refused:
        api_keys.revoke_api_key(two_shops, "butik", new.key.prefix)
    assert refused.value.code is ErrorCode.NOT_FOUND
    api_keys.authenticate(two_shops, new.token)


@pytest.mark.parametrize(
    ("name", "scopes", "field"),
    [("shop", ["admin"], "scope"), ("shop", [], "scope"), ("  ", ["read"], "name")],
)
def test_bad_names_and_scopes_are_refused(
    two_shops: Context, name: str, scopes: list[str], field: str
) -> None:
    with pytest.raises(PerfluenceError) as refused:
        api_keys.create_api_key(two_shops, "kaffe", name, scopes)
    assert refused.value.field == field
    assert api_keys.list_api_keys(two_shops, "kaffe") == []


# --- CLI --------------------------------------------------------------------------------


@pytest.fixture
def cli_env(
    two_shops: Context, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Context]:
    assert settings.database_url is not None
    monkeypatch.setenv("PERFLUENCE_DATABASE_URL", settings.database_url)
    monkeypatch.setenv("PERFLUENCE_WORKSPACE", "kaffe")
    monkeypatch.setenv("PERFLUENCE_ENV", "test")
    monkeypatch.setenv("PERFLUENCE_DATA_DIR", str(settings.data_dir))
    monkeypatch.setenv("PERFLUENCE_BASE_URL", "https://go.kaffe.example")
    monkeypatch.setenv("COLUMNS", "200")
    get_settings.cache_clear()
    yield two_shops
    get_settings.cache_clear()


def test_keys_create_prints_the_key_once_and_list_never_does(cli_env: Context) -> None:
    created = runner.invoke(cli.app, ["keys", "create", "--name", "shop", "--scope", "track"])
    assert created.exit_code == 0, created.output
    token = created.stdout.strip()
    assert KEY_SHAPE.fullmatch(token), created.stdout
    assert "cannot be shown again" in created.stderr
    principal = api_keys.authenticate(cli_env, token)
    assert principal.workspace_slug == "kaffe"

    listed = runner.invoke(cli.app, ["keys", "list"])
    assert listed.exit_code == 0, listed.output
    assert token.split("_")[1] in listed.output
    assert token.split("_", 2)[2] not in listed.output
    assert "track" in listed.output

    revoked = runner.invoke(cli.app, ["keys", "revoke", token.split("_")[1]])
    assert revoked.exit_code == 0, revoked.output
    with pytest.raises(PerfluenceError):
        api_keys.authenticate(cli_env, token)


def test_keys_create_refuses_an_unknown_scope(cli_env: Context) -> None:
    result = runner.invoke(cli.app, ["keys", "create", "--name", "x", "--scope", "admin"])
    assert result.exit_code != 0
    assert api_keys.list_api_keys(cli_env, "kaffe") == []


SECRET = "shpss_0123456789abcdef0123456789abcdef"


def test_webhooks_set_reads_the_secret_from_stdin_and_never_prints_it(cli_env: Context) -> None:
    result = runner.invoke(cli.app, ["webhooks", "set", "shopify"], input=SECRET + "\n")
    assert result.exit_code == 0, result.output
    assert SECRET not in result.output
    assert "https://go.kaffe.example/webhooks/shopify/kaffe" in result.output
    with cli_env.engine.connect() as conn:
        stored = conn.execute(select(endpoints_table.c.secret)).scalar_one()
    assert stored == SECRET

    listed = runner.invoke(cli.app, ["webhooks", "list"])
    assert listed.exit_code == 0, listed.output
    assert SECRET not in listed.output
    assert "••••••••cdef" in listed.output
    assert "https://go.kaffe.example/webhooks/shopify/kaffe" in listed.output

    removed = runner.invoke(cli.app, ["webhooks", "remove", "shopify"])
    assert removed.exit_code == 0, removed.output
    assert webhook_endpoints.list_webhook_endpoints(cli_env, "kaffe") == []


def test_webhooks_set_takes_the_secret_as_an_option_and_rotates_it(cli_env: Context) -> None:
    for secret in (SECRET, "whsec_" + "r" * 32):
        result = runner.invoke(
            cli.app, ["webhooks", "set", "stripe", "--secret", secret, "-w", "butik"]
        )
        assert result.exit_code == 0, result.output
    (endpoint,) = webhook_endpoints.list_webhook_endpoints(cli_env, "butik")
    assert endpoint.masked_secret.endswith("rrrr")
    assert endpoint.rotated_at is not None
    assert webhook_endpoints.list_webhook_endpoints(cli_env, "kaffe") == []


def test_webhooks_refuses_an_unknown_platform(cli_env: Context) -> None:
    result = runner.invoke(cli.app, ["webhooks", "set", "magento", "--secret", SECRET])
    assert result.exit_code != 0
    assert webhook_endpoints.list_webhook_endpoints(cli_env, "kaffe") == []
