"""Currency conversion at a dated ECB reference rate (pure).

ECB publishes "1 EUR = x CUR" on TARGET business days only. Converting on a
date uses the latest publication on or before it (weekends and holidays fall
back to the previous business day) and the result says which date it used.
Cross rates go through EUR: amount / rate(from) × rate(to), both legs from the
same publication. See ``docs/money.md``.
"""

from __future__ import annotations

import bisect
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal

from perfluence.core.money import Money, normalise_currency
from perfluence.errors import ErrorCode, PerfluenceError

BASE = "EUR"
# A gap longer than this means the rate table is missing data, not a holiday
# (the longest TARGET closure, Easter, is four days).
MAX_LOOKBACK_DAYS = 10


@dataclass(frozen=True, slots=True)
class Converted:
    """The converted amount (rounded to the target's minor unit) and its provenance."""

    money: Money
    rate: Decimal  # units of the target currency per unit of the source currency
    rate_date: date | None  # None when no conversion was needed

    def describe(self) -> str:
        if self.rate_date is None:
            return "no conversion"
        return f"ECB reference rate of {self.rate_date.isoformat()}"


def _missing(message: str) -> PerfluenceError:
    return PerfluenceError(
        ErrorCode.FX_RATE_MISSING,
        f"{message}; import ECB rates with 'perfluence fx import'",
    )


class RateTable:
    """ECB rates: for each currency, its (date, EUR->currency rate) pairs in date order."""

    def __init__(self, rates: Mapping[str, Mapping[date, Decimal]]) -> None:
        self._dates: dict[str, list[date]] = {}
        self._values: dict[str, list[Decimal]] = {}
        for currency, by_date in rates.items():
            cur = normalise_currency(currency)
            if cur == BASE:
                continue
            days = sorted(by_date)
            values = [by_date[d] for d in days]
            for day, value in zip(days, values, strict=True):
                if not isinstance(value, Decimal) or not value.is_finite() or value <= 0:
                    raise PerfluenceError(
                        ErrorCode.INVALID,
                        f"rate for {cur} on {day.isoformat()} must be a positive Decimal, "
                        f"not {value!r}",
                    )
            self._dates[cur] = days
            self._values[cur] = values

    @property
    def currencies(self) -> frozenset[str]:
        """Currencies with at least one rate, plus EUR itself."""
        return frozenset({BASE, *(c for c, days in self._dates.items() if days)})

    def _latest(self, cur: str, on: date) -> int:
        """Index of the latest rate of ``cur`` on or before ``on``; -1 when there is none."""
        return bisect.bisect_right(self._dates.get(cur, []), on) - 1

    def rate(self, currency: str, on: date) -> tuple[Decimal, date]:
        """EUR -> currency rate published on ``on`` or the nearest earlier day.

        EUR itself has rate 1 on every day.
        """
        cur = normalise_currency(currency)
        if cur == BASE:
            return Decimal(1), on
        i = self._latest(cur, on)
        day = self._found(cur, on, i)
        return self._values[cur][i], day

    def _found(self, cur: str, on: date, index: int) -> date:
        """The date at ``index`` if it is a usable rate for ``on``; else FX_RATE_MISSING."""
        days = self._dates.get(cur, [])
        if not days:
            raise _missing(
                f"no ECB rate for {cur} on or within {MAX_LOOKBACK_DAYS} days before "
                f"{on.isoformat()}"
            )
        if index < 0:
            raise _missing(
                f"no ECB rate for {cur} on or before {on.isoformat()}; "
                f"the earliest rate loaded is from {days[0].isoformat()}"
            )
        found = days[index]
        if on - found > timedelta(days=MAX_LOOKBACK_DAYS):
            raise _missing(
                f"the latest ECB rate for {cur} on or before {on.isoformat()} is from "
                f"{found.isoformat()}, more than {MAX_LOOKBACK_DAYS} days earlier"
            )
        return found

    def _common_date(self, a: str, b: str, on: date) -> date:
        """Latest date on or before ``on`` on which both currencies have a rate.

        Usually the last business day; it is earlier only when one currency has
        an N/A cell that day, so both legs always come from one publication.
        """
        day = on
        while True:
            found_a = self._found(a, on, self._latest(a, day))
            found_b = self._found(b, on, self._latest(b, day))
            if found_a == found_b:
                return found_a
            day = min(found_a, found_b)

    def convert(self, money: Money, to: str, on: date) -> Converted:
        """``money`` in ``to`` at the ECB rate of ``on`` (or the business day before)."""
        target = normalise_currency(to)
        source = money.currency
        if target == source:
            return Converted(money, Decimal(1), None)
        if BASE in (source, target):
            other = target if source == BASE else source
            other_rate, used = self.rate(other, on)
            from_rate = Decimal(1) if source == BASE else other_rate
            to_rate = Decimal(1) if target == BASE else other_rate
        else:
            used = self._common_date(source, target, on)
            from_rate, _ = self.rate(source, used)
            to_rate, _ = self.rate(target, used)
        # Multiply before dividing: exact for every realistic amount and rate.
        amount = money.amount * to_rate / from_rate
        return Converted(Money(amount, target).quantize(), to_rate / from_rate, used)


@dataclass(frozen=True, slots=True)
class RateCoverage:
    """Which dates the stored rates of one currency span."""

    currency: str
    first_date: date
    last_date: date
    rates: int
