"""Currency conversion at a dated ECB reference rate (pure).

ECB publishes "1 EUR = x CUR" on TARGET business days only. Converting on a
date uses the latest published date on or before it (weekends and holidays fall
back to the previous business day) and the result says which date it used.
Cross rates go through EUR: amount / rate(from) × rate(to).
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
# A gap longer than this means the rate table is missing data, not a holiday.
MAX_LOOKBACK_DAYS = 10


@dataclass(frozen=True, slots=True)
class Converted:
    money: Money
    rate: Decimal
    rate_date: date | None  # None when no conversion was needed

    def describe(self) -> str:
        if self.rate_date is None:
            return "no conversion"
        return f"ECB reference rate of {self.rate_date.isoformat()} ({self.rate})"


class RateTable:
    """ECB rates: for each currency, a sorted list of (date, EUR->currency rate)."""

    def __init__(self, rates: Mapping[str, Mapping[date, Decimal]]) -> None:
        self._dates: dict[str, list[date]] = {}
        self._values: dict[str, list[Decimal]] = {}
        for currency, by_date in rates.items():
            days = sorted(by_date)
            self._dates[normalise_currency(currency)] = days
            self._values[normalise_currency(currency)] = [by_date[d] for d in days]

    def rate(self, currency: str, on: date) -> tuple[Decimal, date]:
        """EUR -> currency rate published on ``on`` or the nearest earlier day."""
        cur = normalise_currency(currency)
        if cur == BASE:
            return Decimal(1), on
        days = self._dates.get(cur, [])
        i = bisect.bisect_right(days, on) - 1
        if i < 0 or on - days[i] > timedelta(days=MAX_LOOKBACK_DAYS):
            raise PerfluenceError(
                ErrorCode.FX_RATE_MISSING,
                f"no ECB rate for {cur} on or within {MAX_LOOKBACK_DAYS} days before "
                f"{on.isoformat()}; import rates with 'perfluence fx import'",
            )
        return self._values[cur][i], days[i]

    def convert(self, money: Money, to: str, on: date) -> Converted:
        target = normalise_currency(to)
        if target == money.currency:
            return Converted(money, Decimal(1), None)
        from_rate, from_day = self.rate(money.currency, on)
        to_rate, to_day = self.rate(target, on)
        # Both legs come from one ECB publication; EUR's "day" is ``on`` itself.
        used = min(from_day, to_day)
        rate = to_rate / from_rate
        return Converted(Money(money.amount * rate, target).quantize(), rate, used)
