"""``perfluence privacy ...``: erase a customer's or a creator's identifiers on request.

Figures stay (conversions keep their money, creators their statements); what
identifies the person goes, for good. ``--dry-run`` counts what a real run
would change and changes nothing. What is erased and what is kept, and why:
docs/security.md.
"""

from __future__ import annotations

from typing import Annotated

import typer

from perfluence.cli.console import cli_context, console, err_console, workspace_option_default
from perfluence.services import privacy

app = typer.Typer(
    help="GDPR erasure: forget a customer or a creator (their figures stay).",
    no_args_is_help=True,
)

Workspace = Annotated[
    str, typer.Option("--workspace", "-w", help="Workspace slug (default: PERFLUENCE_WORKSPACE).")
]
DryRun = Annotated[
    bool, typer.Option("--dry-run", help="Count what would be erased; change nothing.")
]


def _repeat(when: object) -> None:
    if when is not None:
        err_console.print(f"this identifier was forgotten before, on {when:%Y-%m-%d %H:%M} UTC")


@app.command("forget-customer")
def forget_customer(
    workspace: Workspace = "",
    email: Annotated[
        str | None, typer.Option("--email", help="The customer's e-mail address.")
    ] = None,
    customer_ref: Annotated[
        str | None, typer.Option("--customer-ref", help="The customer ref conversions carry.")
    ] = None,
    order: Annotated[
        str | None,
        typer.Option("--order", help="One of their orders: order id, order name or payment id."),
    ] = None,
    dry_run: DryRun = False,
) -> None:
    """Erase a customer's identifiers from every conversion and click; the money stays."""
    ws = workspace or workspace_option_default()
    with cli_context() as ctx:
        done = privacy.forget_customer(
            ctx, ws, email=email, customer_ref=customer_ref, order=order, dry_run=dry_run
        )
    _repeat(done.repeat_of)
    verb = "would erase" if dry_run else "erased"
    console.print(
        f"{verb} the customer's identifiers in workspace {ws}: "
        f"{done.conversions} conversion(s), {done.clicks} click(s) unlinked",
        soft_wrap=True,
    )


@app.command("forget-creator")
def forget_creator(
    handle: Annotated[str, typer.Argument(help="The creator's handle.")],
    workspace: Workspace = "",
    dry_run: DryRun = False,
) -> None:
    """Erase a creator's identifiers; figures stay, and payment records where the law says."""
    ws = workspace or workspace_option_default()
    with cli_context() as ctx:
        done = privacy.forget_creator(ctx, ws, handle, dry_run=dry_run)
    _repeat(done.repeat_of)
    if done.tombstone is None:
        console.print(f"nothing left to erase for {handle!r} in workspace {ws}")
        return
    verb = "would erase" if dry_run else "erased"
    console.print(
        f"{verb} creator {handle!r} in workspace {ws} (now {done.tombstone}): "
        f"{done.accounts} account(s), {done.posts} post(s), {done.codes} code(s), "
        f"{done.links} link(s) paused, {done.partnerships} partnership(s) ended, "
        f"{done.conversions} conversion reason(s) rewritten",
        soft_wrap=True,
    )
    if done.kept_for_bookkeeping:
        console.print(
            "kept for bookkeeping (approved or paid statements): "
            + ", ".join(done.kept_for_bookkeeping)
        )
