"""Foreign exchange: import ECB reference rates, load them, convert Money on a date.

Importing is an upsert: re-importing a file changes nothing, and a rate that
differs from the stored one for the same (date, currency) replaces it (the
ECB's file is the authority; it has corrected rates after publication before).
A file with any error imports nothing.
"""

from __future__ import annotations

import zipfile
from collections.abc import Callable, Collection
from datetime import date, timedelta
from decimal import Decimal
from io import BytesIO
from pathlib import Path

from perfluence.core.ecb import ImportSummary, parse_eurofxref
from perfluence.core.fx import BASE, MAX_LOOKBACK_DAYS, Converted, RateCoverage, RateTable
from perfluence.core.money import Money, normalise_currency
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services.context import Context
from perfluence.store import fx as repo

Progress = Callable[[int, int], None]  # (rates done, rates in the file)


def _text_of_zip(path: Path, data: bytes) -> bytes:
    try:
        with zipfile.ZipFile(BytesIO(data)) as archive:
            names = [n for n in archive.namelist() if n.lower().endswith(".csv")]
            if len(names) != 1:
                raise PerfluenceError(
                    ErrorCode.IMPORT_FAILED,
                    f"{path.name} must hold exactly one .csv file, not {len(names)}",
                )
            return archive.read(names[0])
    except zipfile.BadZipFile:
        raise PerfluenceError(ErrorCode.IMPORT_FAILED, f"{path.name} is not a zip file") from None


def _read_source(source: Path | str | bytes) -> str:
    """Text of the rates: a Path is read (``.zip`` as the ECB ships it), bytes are decoded.

    A str is the CSV text itself, unless it is one line ending in ``.csv`` or
    ``.zip``: then it is a file name.
    """
    if isinstance(source, str):
        one_line = "\n" not in source and "\r" not in source
        if one_line and source.strip().lower().endswith((".csv", ".zip")):
            return _read_source(Path(source.strip()))
        return source
    if isinstance(source, Path):
        try:
            data = source.read_bytes()
        except OSError as exc:
            raise PerfluenceError(
                ErrorCode.NOT_FOUND, f"cannot read {source}: {exc.strerror}"
            ) from None
        if source.suffix.lower() == ".zip":
            data = _text_of_zip(source, data)
    else:
        data = source
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise PerfluenceError(
            ErrorCode.IMPORT_FAILED, f"not UTF-8 text (byte {exc.start})"
        ) from None


def import_ecb_rates(
    ctx: Context, path_or_text: Path | str | bytes, progress: Progress | None = None
) -> ImportSummary:
    """Store every rate of an ECB ``eurofxref-hist.csv`` (or ``.zip``, or the daily file)."""
    parsed = parse_eurofxref(_read_source(path_or_text))
    dates = parsed.dates
    total = len(parsed.rates)
    with ctx.engine.begin() as conn:
        stored = repo.rates_between(conn, parsed.rated_currencies, dates[0], dates[-1])
        changes = [
            (r.rate_date, r.currency, r.rate)
            for r in parsed.rates
            if stored.get((r.rate_date, r.currency)) != r.rate
        ]
        replaced = sum(1 for d, c, _ in changes if (d, c) in stored)
        done = total - len(changes)
        if progress is not None:
            progress(done, total)
        for start in range(0, len(changes), repo.BATCH_SIZE):
            batch = changes[start : start + repo.BATCH_SIZE]
            repo.upsert_rates(conn, batch)
            done += len(batch)
            if progress is not None:
                progress(done, total)
    return ImportSummary(
        dates=len(dates),
        currencies=parsed.rated_currencies,
        rates=total,
        first_date=dates[0],
        last_date=dates[-1],
        inserted=len(changes) - replaced,
        replaced=replaced,
        unchanged=total - len(changes),
    )


def rate_table(ctx: Context, currencies: Collection[str], start: date, end: date) -> RateTable:
    """The rates needed to convert between ``currencies`` on any day from ``start`` to ``end``.

    Loads only those currencies, from the look-back window before ``start``
    (a Monday needs the Friday before) to ``end``.
    """
    if end < start:
        raise PerfluenceError(ErrorCode.INVALID, "the end date is before the start date")
    wanted = {normalise_currency(c) for c in currencies} - {BASE}
    if not wanted:
        return RateTable({})
    with ctx.engine.connect() as conn:
        stored = repo.rates_between(conn, wanted, start - timedelta(days=MAX_LOOKBACK_DAYS), end)
    by_currency: dict[str, dict[date, Decimal]] = {c: {} for c in wanted}
    for (day, currency), rate in stored.items():
        by_currency[currency][day] = rate
    return RateTable(by_currency)


def convert(ctx: Context, money: Money, to: str, on: date) -> Converted:
    """``money`` in ``to`` at the ECB reference rate of ``on`` (or the business day before)."""
    target = normalise_currency(to)
    if target == money.currency:
        return Converted(money, Decimal(1), None)
    table = rate_table(ctx, {money.currency, target}, on, on)
    try:
        return table.convert(money, target, on)
    except PerfluenceError as exc:
        if exc.code is not ErrorCode.FX_RATE_MISSING:
            raise
        # The table only holds the look-back window; say what the store holds instead.
        hint = _coverage_hint(ctx, {money.currency, target} - {BASE})
        raise PerfluenceError(
            ErrorCode.FX_RATE_MISSING,
            f"no ECB rate to convert {money.currency} to {target} on {on.isoformat()} "
            f"({hint}); import ECB rates with 'perfluence fx import'",
        ) from None


def _coverage_hint(ctx: Context, currencies: set[str]) -> str:
    known = {c.currency: c for c in rate_coverage(ctx)}
    parts = []
    for cur in sorted(currencies):
        c = known.get(cur)
        parts.append(
            f"no {cur} rates are stored"
            if c is None
            else f"stored {cur} rates: {c.first_date.isoformat()} to {c.last_date.isoformat()}"
        )
    return "; ".join(parts)


def rate_coverage(ctx: Context) -> list[RateCoverage]:
    """Per currency, the span of stored rates."""
    with ctx.engine.connect() as conn:
        rows = repo.rate_coverage(conn)
    return [RateCoverage(cur, first, last, n) for cur, first, last, n in rows]
