"""The payout ledger (``payout_lines``) and what statements need to know about it.

Ledger lines are append-only: the one update a line ever gets is being
assigned to a statement (``payout_id`` with the line's amount in the
statement currency and the rate used), and only while it has no statement
(``store.payout_statements``). Also creators' bank details for SEPA.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import Connection, Row, and_, exists, func, insert, or_, select, update

from perfluence.core.model import NormalisedLine
from perfluence.core.money import Money
from perfluence.core.payouts import VARIABLE_KINDS, LedgerEntry, LineKind
from perfluence.core.statements import SourceLine
from perfluence.store.conversions import lines_of
from perfluence.store.tables import (
    campaigns,
    click_rollups_hourly,
    conversion_credits,
    conversions,
    creators,
    partnerships,
    payout_lines,
    tracking_links,
)


def ledger_row(
    workspace_id: int,
    partnership_id: int,
    entry: LedgerEntry,
    created_at: datetime,
    *,
    conversion_id: int | None = None,
    covers: tuple[date, date] | None = None,
) -> dict[str, object]:
    """The ``payout_lines`` row of one ledger entry, not yet on a statement."""
    return {
        "workspace_id": workspace_id,
        "payout_id": None,
        "partnership_id": partnership_id,
        "conversion_id": conversion_id,
        "kind": str(entry.kind),
        "description": entry.description,
        "amount_minor": entry.amount.minor_units,
        "currency": entry.amount.currency,
        "payable_on": entry.payable_on,
        "created_at": created_at,
        "basis_minor": None if entry.basis is None else entry.basis.minor_units,
        "rate": entry.rate,
        "covers_from": None if covers is None else covers[0],
        "covers_to": None if covers is None else covers[1],
        "statement_amount_minor": None,
        "fx_rate": None,
    }


def insert_ledger_entries(
    conn: Connection,
    workspace_id: int,
    partnership_id: int,
    entries: Sequence[LedgerEntry],
    created_at: datetime,
    *,
    conversion_id: int | None = None,
) -> int:
    """Append what ``core.payouts.accrue_conversion`` returned for one stored conversion."""
    return insert_ledger_rows(
        conn,
        [
            ledger_row(workspace_id, partnership_id, e, created_at, conversion_id=conversion_id)
            for e in entries
        ],
    )


def insert_ledger_rows(conn: Connection, rows: Sequence[dict[str, object]]) -> int:
    """Append rows made by ``ledger_row`` in one statement."""
    if rows:
        conn.execute(insert(payout_lines), list(rows))
    return len(rows)


def _source(row: Row[tuple[object, ...]]) -> SourceLine:
    m = row._mapping
    cur = m["currency"]
    return SourceLine(
        partnership_id=m["partnership_id"],
        kind=m["kind"],
        amount=Money.from_minor(int(m["amount_minor"]), cur),
        payable_on=m["payable_on"],
        description=m["description"],
        line_id=int(m["id"]),
        conversion_id=m["conversion_id"],
        basis=None if m["basis_minor"] is None else Money.from_minor(int(m["basis_minor"]), cur),
        rate=m["rate"],
        covers_from=m["covers_from"],
        covers_to=m["covers_to"],
    )


def unassigned_lines(
    conn: Connection, partnership_ids: Sequence[int], through: date
) -> list[SourceLine]:
    """Lines of these partnerships payable by ``through`` and on no statement, in id order."""
    if not partnership_ids:
        return []
    query = (
        select(payout_lines)
        .where(
            payout_lines.c.partnership_id.in_(sorted(partnership_ids)),
            payout_lines.c.payout_id.is_(None),
            payout_lines.c.payable_on <= through,
        )
        .order_by(payout_lines.c.id)
    )
    return [_source(r) for r in conn.execute(query)]


def partnership_lines(conn: Connection, partnership_id: int) -> list[SourceLine]:
    """Every ledger line of a partnership, on a statement or not, in id order."""
    query = (
        select(payout_lines)
        .where(payout_lines.c.partnership_id == partnership_id)
        .order_by(payout_lines.c.id)
    )
    return [_source(r) for r in conn.execute(query)]


def click_coverage(conn: Connection, partnership_ids: Sequence[int]) -> dict[int, date]:
    """Per partnership, the last day its click lines pay for.

    A click line that does not record its days (written by a bulk load) is
    taken to cover every day up to its ``payable_on``.
    """
    if not partnership_ids:
        return {}
    last_day = func.coalesce(payout_lines.c.covers_to, payout_lines.c.payable_on)
    query = (
        select(payout_lines.c.partnership_id, func.max(last_day))
        .where(
            payout_lines.c.partnership_id.in_(sorted(partnership_ids)),
            payout_lines.c.kind == LineKind.CLICK.value,
        )
        .group_by(payout_lines.c.partnership_id)
    )
    return {int(p): d for p, d in conn.execute(query) if d is not None}


def unique_clicks(
    conn: Connection, partnership_id: int, start: date | None, end: date
) -> tuple[int, date | None]:
    """Unique clicks of a partnership's links from ``start`` (open: the first) to ``end``.

    Also the first day with a click in that span, so an open span can say where it began.
    """
    since = _midnight(start) if start is not None else None
    conditions = [
        tracking_links.c.partnership_id == partnership_id,
        click_rollups_hourly.c.hour < _midnight(end + timedelta(days=1)),
    ]
    if since is not None:
        conditions.append(click_rollups_hourly.c.hour >= since)
    query = (
        select(
            func.coalesce(func.sum(click_rollups_hourly.c.unique_clicks), 0),
            func.min(click_rollups_hourly.c.hour),
        )
        .select_from(
            click_rollups_hourly.join(
                tracking_links, tracking_links.c.id == click_rollups_hourly.c.link_id
            )
        )
        .where(and_(*conditions), click_rollups_hourly.c.unique_clicks > 0)
    )
    total, first = conn.execute(query).one()
    return int(total), None if first is None else first.date()


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


def flat_fee_dates(conn: Connection, partnership_ids: Sequence[int]) -> dict[int, frozenset[date]]:
    """Per partnership, the due dates of the flat-fee lines already in the ledger."""
    out: dict[int, set[date]] = {p: set() for p in partnership_ids}
    if partnership_ids:
        query = select(payout_lines.c.partnership_id, payout_lines.c.payable_on).where(
            payout_lines.c.partnership_id.in_(sorted(partnership_ids)),
            payout_lines.c.kind == LineKind.FLAT_FEE.value,
        )
        for p, d in conn.execute(query):
            out[int(p)].add(d)
    return {p: frozenset(days) for p, days in out.items()}


def paid_variable(
    conn: Connection, partnership_ids: Sequence[int]
) -> list[tuple[int, date, Money]]:
    """Variable pay already on statements: (partnership, payable_on, amount) sums."""
    if not partnership_ids:
        return []
    query = (
        select(
            payout_lines.c.partnership_id,
            payout_lines.c.payable_on,
            payout_lines.c.currency,
            func.sum(payout_lines.c.amount_minor),
        )
        .where(
            payout_lines.c.partnership_id.in_(sorted(partnership_ids)),
            payout_lines.c.payout_id.is_not(None),
            payout_lines.c.kind.in_(sorted(k.value for k in VARIABLE_KINDS)),
        )
        .group_by(payout_lines.c.partnership_id, payout_lines.c.payable_on, payout_lines.c.currency)
    )
    return [(int(p), d, Money.from_minor(int(s), c)) for p, d, c, s in conn.execute(query)]


@dataclass(frozen=True, slots=True)
class PartnershipRow:
    id: int
    campaign_slug: str
    campaign_starts_on: date
    terms_json: dict[str, object]


def creator_partnerships(conn: Connection, creator_id: int) -> list[PartnershipRow]:
    query = (
        select(partnerships.c.id, campaigns.c.slug, campaigns.c.starts_on, partnerships.c.terms)
        .join(campaigns, campaigns.c.id == partnerships.c.campaign_id)
        .where(partnerships.c.creator_id == creator_id)
        .order_by(campaigns.c.slug)
    )
    return [PartnershipRow(int(i), s, d, t) for i, s, d, t in conn.execute(query)]


def set_bank_details(
    conn: Connection, creator_id: int, iban: str, bic: str | None, holder: str | None
) -> None:
    conn.execute(
        update(creators)
        .where(creators.c.id == creator_id)
        .values(iban=iban, bic=bic, account_holder=holder)
    )


def creator_currency(conn: Connection, creator_id: int) -> str:
    return str(
        conn.execute(select(creators.c.currency).where(creators.c.id == creator_id)).scalar_one()
    )


def creditor(
    conn: Connection, creator_id: int
) -> tuple[str, str, str | None, str | None, str | None]:
    """(handle, name, IBAN, BIC, account holder) of a creator."""
    row = conn.execute(
        select(
            creators.c.handle,
            creators.c.name,
            creators.c.iban,
            creators.c.bic,
            creators.c.account_holder,
        ).where(creators.c.id == creator_id)
    ).one()
    return row[0], row[1], row[2], row[3], row[4]


@dataclass(frozen=True, slots=True)
class ConversionEvent:
    id: int
    kind: str
    occurred_at: datetime
    amount: Money
    country: str | None
    reverses_id: int | None
    lines: tuple[NormalisedLine, ...] = ()  # a sale's order lines, for per-product rates


def partnership_conversions(conn: Connection, partnership_id: int) -> list[ConversionEvent]:
    """Sales and leads credited to a partnership and the refunds of those sales, in time order.

    The amount is the partnership's credited part (``conversion_credits``: half
    of a conversion split under the ``split`` conflict rule); a conversion
    without credit rows counts whole for its ``partnership_id``, a refund
    without them for its sale's partnership. Rejected conversions count nowhere.
    """
    mine = and_(
        conversion_credits.c.conversion_id == conversions.c.id,
        conversion_credits.c.partnership_id == partnership_id,
    )
    anyone = conversion_credits.alias("any_credit")
    credited_any = (
        exists().where(anyone.c.conversion_id == conversions.c.id).correlate_except(anyone)
    )
    own = select(conversions.c.id).where(
        conversions.c.kind.in_(["sale", "lead"]),
        conversions.c.status != "rejected",
        or_(
            exists().where(mine).correlate_except(conversion_credits),
            and_(conversions.c.partnership_id == partnership_id, ~credited_any),
        ),
    )
    query = (
        select(conversions, conversion_credits.c.amount_minor.label("credited_minor"))
        .select_from(conversions.outerjoin(conversion_credits, mine))
        .where(
            conversions.c.status != "rejected",
            or_(
                conversions.c.id.in_(own),
                and_(
                    conversions.c.kind == "refund",
                    conversions.c.reverses_id.in_(own),
                    or_(conversion_credits.c.conversion_id.is_not(None), ~credited_any),
                ),
            ),
        )
        .order_by(conversions.c.occurred_at, conversions.c.id)
    )
    out = []
    for r in conn.execute(query):
        m = r._mapping
        flags = m["flags"] if isinstance(m["flags"], dict) else {}
        country = m.get("country") or flags.get("country")
        minor = m["credited_minor"] if m["credited_minor"] is not None else m["amount_minor"]
        out.append(
            ConversionEvent(
                id=int(m["id"]),
                kind=m["kind"],
                occurred_at=m["occurred_at"],
                amount=Money.from_minor(int(minor), m["currency"]),
                country=str(country) if country else None,
                reverses_id=m["reverses_id"],
                lines=lines_of(m["lines"]),
            )
        )
    return out
