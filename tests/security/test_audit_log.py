"""The audit log records who changed keys, webhook secrets, users, roles and passwords, every
login and failed login, and every privacy request, never a secret; ``perfluence audit list``
and ``perfluence privacy ...`` read and write it from the command line; the privacy API
needs its own scope and stays inside the key's workspace."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from typer.testing import CliRunner

from perfluence import cli
from perfluence.config import Settings, get_settings
from perfluence.errors import EXIT_CODE, ErrorCode, PerfluenceError
from perfluence.services import api_keys, audit, creators, users, webhook_endpoints, workspaces
from perfluence.services.context import Context
from perfluence.web.app import create_app
from tests.conftest import FrozenClock
from tests.security import scan, world
from tests.security.clients import Client

PASSWORD = "correct horse battery"
SECRET = "whsec-audit-0123456789abcdef"


def actions(ctx: Context) -> list[tuple[str, str, str]]:
    return [(e.actor, e.action, e.subject) for e in reversed(audit.list_entries(ctx))]


def test_keys_webhooks_users_and_logins_are_recorded_without_secrets(ctx: Context) -> None:
    workspaces.create_workspace(ctx, "kaffe", "Kaffe", currency="DKK", language="en")
    creators.add_creator(ctx, "kaffe", "emma", name="Emma")
    key = api_keys.create_api_key(ctx, "kaffe", "shop", ["track"])
    api_keys.revoke_api_key(ctx, "kaffe", key.key.prefix)
    webhook_endpoints.set_webhook_secret(ctx, "kaffe", "shopify", SECRET)
    webhook_endpoints.set_webhook_secret(ctx, "kaffe", "shopify", SECRET + "x")
    webhook_endpoints.remove_webhook_endpoint(ctx, "kaffe", "shopify")
    ana = users.create_user(ctx, "ana@kaffe.dk", PASSWORD, workspace="kaffe", role="member")
    users.grant(ctx, "ana@kaffe.dk", "kaffe", "owner")
    users.set_password(ctx, "ana@kaffe.dk", PASSWORD + "!")
    users.login(ctx, "ana@kaffe.dk", PASSWORD + "!")
    for email in ("ana@kaffe.dk", "nobody@kaffe.dk"):
        with pytest.raises(Exception, match="wrong e-mail or password"):
            users.login(ctx, email, "not the password")
    users.revoke_portal_links(ctx, "kaffe", "emma")

    u = f"user:{ana.id}"
    assert actions(ctx) == [
        ("cli", "api_key.created", f"api_key:{key.key.prefix}"),
        ("cli", "api_key.revoked", f"api_key:{key.key.prefix}"),
        ("cli", "webhook.secret_set", "webhook:shopify"),
        ("cli", "webhook.secret_rotated", "webhook:shopify"),
        ("cli", "webhook.removed", "webhook:shopify"),
        ("cli", "user.created", u),
        ("cli", "user.role_changed", u),
        ("cli", "user.password_changed", u),
        (u, "user.login", u),
        ("anonymous", "user.login_failed", u),
        ("anonymous", "user.login_failed", "user:unknown"),
        ("cli", "portal.links_revoked", actions(ctx)[-1][2]),
    ]
    role = audit.list_entries(ctx, action="user.role_changed")[0]
    assert role.details == {"role": "owner", "previous": "member"}
    assert role.workspace_slug == "kaffe"
    stored = scan.find(ctx.engine, [key.token, SECRET, PASSWORD, "nobody@kaffe.dk"])
    assert [hit for hit in stored if hit[0] == "audit_log"] == []


def test_secret_looking_details_are_refused(ctx: Context) -> None:
    with pytest.raises(ValueError, match="password"):
        audit.record_now(ctx, audit.AuditAction.USER_CREATED, "user:1", details={"password": "x"})


@pytest.fixture
def cli_env(
    ctx: Context, settings: Settings, clock: FrozenClock, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Context]:
    world.build(ctx, clock)
    assert settings.database_url is not None
    for name, value in {
        "DATABASE_URL": settings.database_url,
        "WORKSPACE": world.WS,
        "ENV": "test",
        "DATA_DIR": str(settings.data_dir),
    }.items():
        monkeypatch.setenv(f"PERFLUENCE_{name}", value)
    get_settings.cache_clear()
    yield ctx
    get_settings.cache_clear()


def _invoke(*args: str) -> str:
    result = CliRunner().invoke(cli.app, list(args), catch_exceptions=False)
    assert result.exit_code == 0, result.output
    return result.output


def test_the_cli_forgets_and_the_audit_list_shows_it(cli_env: Context) -> None:
    counted = _invoke("privacy", "forget-customer", "--email", world.CUSTOMER_EMAIL, "--dry-run")
    assert "would erase" in counted
    assert "3 conversion(s), 2 click(s)" in counted
    assert "erased" in _invoke("privacy", "forget-customer", "--order", world.API_ORDER)
    again = _invoke("privacy", "forget-customer", "--email", world.CUSTOMER_EMAIL)
    assert "0 conversion(s)" in again
    creator = _invoke("privacy", "forget-creator", world.CREATOR_HANDLE)
    assert "forgotten-" in creator
    listed = _invoke("audit", "list", "--action", "privacy.", "--limit", "10")
    assert listed.count("privacy.customer_forgotten") == 2
    assert "privacy.creator_forgotten" in listed
    assert world.CUSTOMER_EMAIL not in listed
    assert world.CREATOR_HANDLE not in listed


def test_the_cli_names_a_wrong_request_precisely(cli_env: Context) -> None:
    result = CliRunner().invoke(cli.app, ["privacy", "forget-creator", "nobody-here"])
    # ``perfluence`` (cli.main) turns the error into one line and its exit code.
    assert isinstance(result.exception, PerfluenceError)
    assert result.exception.exit_code == EXIT_CODE[ErrorCode.NOT_FOUND]
    assert "nobody-here" in str(result.exception)


@pytest.fixture
def api(ctx: Context, clock: FrozenClock) -> Iterator[tuple[Client, dict[str, str]]]:
    world.build(ctx, clock)
    workspaces.create_workspace(ctx, "other", "Other", currency="DKK", language="en")
    keys = {
        "read": api_keys.create_api_key(ctx, world.WS, "reports", ["read"]).token,
        "privacy": api_keys.create_api_key(ctx, world.WS, "dsr", ["privacy"]).token,
        "other": api_keys.create_api_key(ctx, "other", "dsr", ["privacy"]).token,
    }
    client = Client(create_app(ctx).app)
    yield client, keys
    client.close()


def _forget(client: Client, key: str, body: dict[str, str]) -> httpx.Response:
    return client.post(
        "/api/v1/privacy/forget-customer", json=body, headers={"authorization": f"Bearer {key}"}
    )


def test_the_privacy_api_needs_its_scope_and_stays_in_its_workspace(
    ctx: Context, api: tuple[Client, dict[str, str]]
) -> None:
    client, keys = api
    body = {"email": world.CUSTOMER_EMAIL}
    assert _forget(client, keys["read"], body).status_code == 403
    elsewhere = _forget(client, keys["other"], body)
    assert elsewhere.json() == {"conversions": 0, "clicks": 0, "repeat_of": None}
    assert scan.find(ctx.engine, [world.API_ORDER])
    done = _forget(client, keys["privacy"], body)
    assert done.status_code == 200
    assert done.json() == {"conversions": 3, "clicks": 2, "repeat_of": None}
    assert scan.find(ctx.engine, [world.API_ORDER]) == []
    (entry,) = audit.list_entries(ctx, workspace=world.WS, action="privacy.")
    assert entry.actor == f"api_key:{keys['privacy'].split('_')[1]}"
    refused = _forget(client, keys["privacy"], {"email": "x@y.dk", "order": "1"})
    assert (refused.status_code, refused.json()["error"]["code"]) == (422, "invalid")
    creator = client.post(
        "/api/v1/privacy/forget-creator",
        json={"handle": world.CREATOR_HANDLE},
        headers={"authorization": f"Bearer {keys['privacy']}"},
    )
    assert creator.status_code == 200
    assert creator.json()["kept_for_bookkeeping"] == []
