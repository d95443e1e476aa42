"""Exports of stored statements: CSV (every line) and SEPA pain.001 (EUR payments).

The CSV is byte-deterministic: fixed columns, statements in id order, lines
in (payable_on, id) order, exact decimals, ``\\n`` line ends.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date

from perfluence.core.statements import StatementStatus
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.reports.sepa import Party, Transfer, credit_transfer
from perfluence.services.context import Context
from perfluence.services.payouts import creditor, workspace_id
from perfluence.store import payout_statements as statements_repo

CSV_COLUMNS = (
    "statement", "creator", "period_start", "period_end", "status", "statement_currency",
    "fx_rate_date", "campaign", "kind", "payable_on", "description", "amount", "currency",
    "fx_rate", "statement_amount",
)  # fmt: skip


def _statements(
    ctx: Context, workspace: str, ids: Sequence[int]
) -> list[statements_repo.StatementRow]:
    if not ids:
        raise PerfluenceError(ErrorCode.INVALID, "name at least one statement to export")
    with ctx.engine.connect() as conn:
        ws_id = workspace_id(conn, workspace)
        found = {s.id: s for s in statements_repo.list_statements(conn, ws_id)}
    missing = [i for i in ids if i not in found]
    if missing:
        raise PerfluenceError(ErrorCode.NOT_FOUND, f"statement {missing[0]} not found")
    return [found[i] for i in sorted(set(ids))]


def export_csv(ctx: Context, workspace: str, ids: Sequence[int]) -> bytes:
    """Every line of the given statements, then per statement a carried and a total row."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(CSV_COLUMNS)
    with ctx.engine.connect() as conn:
        for s in _statements(ctx, workspace, ids):
            cur = s.total.currency
            head = [
                s.id,
                s.creator_handle,
                s.period_start.isoformat(),
                s.period_end.isoformat(),
                s.status.value,
                cur,
                "" if s.fx_rate_date is None else s.fx_rate_date.isoformat(),
            ]
            for ln in statements_repo.statement_lines(conn, s.id, cur):
                writer.writerow(
                    [
                        *head,
                        ln.campaign_slug,
                        ln.kind,
                        ln.payable_on.isoformat(),
                        ln.description,
                        format(ln.amount.amount, "f"),
                        ln.amount.currency,
                        format(ln.fx_rate, "f"),
                        format(ln.converted.amount, "f"),
                    ]
                )
            if not s.carried_in.is_zero():
                carried = format(s.carried_in.amount, "f")
                writer.writerow([*head, "", "carried", "", "balance carried in", carried, cur,
                                 "1", carried])  # fmt: skip
            total = format(s.total.amount, "f")
            writer.writerow([*head, "", "total", "", "statement total", total, cur, "1", total])
    return out.getvalue().encode("utf-8")


def export_sepa(
    ctx: Context,
    workspace: str,
    ids: Sequence[int],
    *,
    debtor_name: str,
    debtor_iban: str,
    debtor_bic: str | None = None,
    execution_date: date | None = None,
) -> bytes:
    """A pain.001.001.03 credit transfer paying approved EUR statements to creators' IBANs."""
    statements = _statements(ctx, workspace, ids)
    transfers = []
    with ctx.engine.connect() as conn:
        ws_id = workspace_id(conn, workspace)
        for s in statements:
            if s.total.currency != "EUR":
                raise PerfluenceError(
                    ErrorCode.CURRENCY_MISMATCH,
                    f"statement {s.id} is in {s.total.currency}; SEPA credit transfers pay EUR "
                    "only (export it as CSV and pay it another way)",
                )
            if s.status is not StatementStatus.APPROVED:
                raise PerfluenceError(
                    ErrorCode.INVALID,
                    f"statement {s.id} is {s.status}; only approved statements are paid",
                )
            who = creditor(conn, ws_id, s.creator_id)
            if who.iban is None:
                raise PerfluenceError(
                    ErrorCode.INVALID,
                    f"creator {who.handle!r} has no IBAN; set it with "
                    f"'perfluence payouts bank {who.handle} --iban ...'",
                    field="iban",
                )
            transfers.append(
                Transfer(
                    end_to_end_id=f"PF-{s.id}",
                    creditor=Party(who.holder or who.name, who.iban, who.bic),
                    amount=s.total,
                    remittance=f"Statement {s.id} {s.period_start.isoformat()} to "
                    f"{s.period_end.isoformat()}",
                )
            )
    now = ctx.now()
    return credit_transfer(
        message_id=f"PF-{now:%Y%m%d%H%M%S}-{statements[0].id}",
        created_at=now,
        execution_date=execution_date or now.date(),
        debtor=Party(debtor_name, debtor_iban, debtor_bic),
        transfers=transfers,
    )
