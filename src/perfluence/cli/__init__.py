"""``perfluence`` command line: Typer commands that call services, never SQL.

Every ``PerfluenceError`` becomes one red line on stderr and the exit code that
``errors.EXIT_CODE`` assigns; no traceback reaches the user.
"""

from __future__ import annotations

import sys

import typer
from pydantic import ValidationError

from perfluence.cli import (
    audit,
    campaigns,
    codes,
    comments,
    conversions,
    costs,
    creators,
    db,
    demo,
    fx,
    insights,
    keys,
    links,
    partnerships,
    payouts,
    posts,
    privacy,
    report,
    retention,
    serve,
    users,
    vetting,
    webhooks,
)
from perfluence.cli.console import err_console
from perfluence.errors import PerfluenceError

app = typer.Typer(
    name="perfluence",
    help="Performance-based influencer marketing: links, codes, conversions, payouts, reports.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(db.app, name="db")
app.add_typer(creators.app, name="creators")
app.add_typer(campaigns.app, name="campaigns")
app.add_typer(partnerships.app, name="partnerships")
app.add_typer(fx.app, name="fx")
app.add_typer(links.app, name="links")
app.add_typer(codes.app, name="codes")
app.add_typer(conversions.app, name="conversions")
app.add_typer(payouts.app, name="payouts")
app.add_typer(costs.app, name="costs")
app.add_typer(keys.app, name="keys")
app.add_typer(webhooks.app, name="webhooks")
app.add_typer(users.app, name="users")
app.add_typer(insights.app, name="insights")
app.add_typer(posts.app, name="posts")
app.add_typer(comments.app, name="comments")
app.add_typer(vetting.app, name="vetting")
app.add_typer(privacy.app, name="privacy")
app.add_typer(retention.app, name="retention")
app.add_typer(audit.app, name="audit")
app.command("init")(db.init)
app.command("demo")(demo.demo)
app.command("serve")(serve.serve)
app.command("portal-link")(users.portal_link)
app.command("report")(report.report)


def main() -> None:
    try:
        app(standalone_mode=True)
    except PerfluenceError as exc:
        err_console.print(f"[bold red]error[/] ({exc.code.value}): {exc}")
        sys.exit(exc.exit_code)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        err_console.print(f"[bold red]error[/] (configuration): {where}: {first['msg']}")
        sys.exit(9)
