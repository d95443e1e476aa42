"""Texts and number formats of the report in its language (en, da, sv, nb).

The catalogs are plain dicts in ``reports/translations``; English is the
reference and a test checks that every language has exactly its keys. Money,
numbers and percentages go through ``core.formatting`` (Babel), dates through
Babel's long date format, so ``1.234,50 kr.`` and ``1. februar 2026`` come out
the same everywhere the language is used.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import date
from decimal import Decimal
from types import MappingProxyType
from typing import Final

from babel.dates import format_date

from perfluence.core.formatting import (
    format_money_or_na,
    format_number,
    format_percent,
    format_ratio_percent,
    not_available_text,
)
from perfluence.core.kpis import NotAvailable
from perfluence.core.money import Money
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.reports.model import LANGUAGES, Finding, ReportValue, ValueKind
from perfluence.reports.translations import da, en, nb, sv

CATALOGS: Final[Mapping[str, Mapping[str, str]]] = MappingProxyType(
    {"en": en.MESSAGES, "da": da.MESSAGES, "sv": sv.MESSAGES, "nb": nb.MESSAGES}
)


def check_language(lang: str) -> str:
    """``lang`` if the report speaks it; otherwise a precise error naming the choices."""
    code = lang.strip().lower()
    if code not in LANGUAGES:
        raise PerfluenceError(
            ErrorCode.INVALID,
            f"report language {lang!r} is not one of {', '.join(LANGUAGES)}",
            field="lang",
        )
    return code


class Texts:
    """The catalog and the formats of one language."""

    def __init__(self, lang: str) -> None:
        self.lang = check_language(lang)
        self._messages = CATALOGS[self.lang]

    def __call__(self, key: str, **params: str) -> str:
        return self._messages[key].format(**params)

    def has(self, key: str) -> bool:
        return key in self._messages

    @property
    def na(self) -> str:
        return not_available_text(self.lang)

    def day(self, value: date) -> str:
        return str(format_date(value, "long", locale=self.lang))

    def short_day(self, value: date) -> str:
        return str(format_date(value, "d MMM", locale=self.lang))

    def money(self, value: Money | NotAvailable) -> str:
        return format_money_or_na(value, self.lang)

    def count(self, value: int | Decimal | NotAvailable) -> str:
        # A conversion split between creators counts as a share: keep its decimals.
        whole = not isinstance(value, Decimal) or value == value.to_integral_value()
        return format_number(value, self.lang, 0 if whole else None)

    def value(self, value: ReportValue, kind: ValueKind) -> str:
        """One value in the format its kind asks for; n/a in the language when not available."""
        if isinstance(value, NotAvailable | Money):
            return self.money(value)
        if isinstance(value, str):
            return self(value) if kind is ValueKind.LABEL else value
        formats: dict[ValueKind, Callable[[int | Decimal], str]] = {
            ValueKind.COUNT: self.count,
            ValueKind.FRACTION: lambda v: format_ratio_percent(v, self.lang, 2),
            ValueKind.PERCENT: lambda v: format_percent(v, self.lang, 1),
            ValueKind.PROBABILITY: lambda v: format_number(v, self.lang, 3),
        }
        return formats.get(kind, self._plain)(value)

    def _plain(self, value: int | Decimal) -> str:
        return format_number(value, self.lang, 2)

    def finding(self, finding: Finding) -> str:
        params = {
            name: self._param(name, value, finding.kinds.get(name, ValueKind.TEXT))
            for name, value in finding.params.items()
        }
        return self(finding.key, **params)

    def _param(self, name: str, value: ReportValue, kind: ValueKind) -> str:
        # Parameters that name a metric or a tier are catalog keys, shown in the language.
        if name == "metric" and isinstance(value, str):
            return self(f"metric.{value}")
        if name == "tier" and isinstance(value, str):
            return self(f"tier.{value}")
        return self.value(value, kind)
