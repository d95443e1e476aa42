"""Numbers, percentages and KPI values for people, per locale (en/da/sv/nb).

Babel does the localisation (decimal comma, non-breaking spaces, the percent
sign's spacing); rounding is done here first, half up, so a report never shows
a different digit from the one the numbers imply. ``NA`` prints as the
locale's "not available" abbreviation (see ``docs/money.md``).
"""

from __future__ import annotations

import copy
from decimal import Decimal
from typing import Final

from babel.numbers import format_decimal, parse_pattern

from perfluence.core.kpis import NotAvailable
from perfluence.core.money import ROUNDING, Money, format_money, parse_locale

# "ikke tilgængelig" / "ej tillgänglig" / "ikke tilgjengelig": the usual short forms.
NOT_AVAILABLE: Final[dict[str, str]] = {"en": "n/a", "da": "i.t.", "sv": "e.t.", "nb": "i.t."}
# Norwegian locales other than "nb" (plain "no", "nn") read the Bokmål text.
_LANGUAGE_ALIASES: Final[dict[str, str]] = {"no": "nb", "nn": "nb"}

Value = Decimal | int | NotAvailable


def not_available_text(locale: str) -> str:
    """How ``NA`` is written in a locale; English for languages without their own."""
    language = parse_locale(locale).language
    return NOT_AVAILABLE.get(_LANGUAGE_ALIASES.get(language, language), NOT_AVAILABLE["en"])


def _exact(value: object, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, Decimal | int):
        raise TypeError(f"{what} must be Decimal or int, not {type(value).__name__}")
    return Decimal(value)


def _fixed(value: Decimal, digits: int) -> Decimal:
    if digits < 0:
        raise ValueError("digits must not be negative")
    return value.quantize(Decimal(1).scaleb(-digits), rounding=ROUNDING)


def format_number(value: Value, locale: str = "en", digits: int | None = None) -> str:
    """A plain number (``1,234.5`` / ``1.234,5``); ``digits`` fixes the decimals shown.

    Without ``digits`` Babel's locale pattern applies (up to three decimals).
    """
    if isinstance(value, NotAvailable):
        return not_available_text(locale)
    number = _exact(value, "value")
    babel_locale = parse_locale(locale)
    if digits is None:
        return str(format_decimal(number, locale=babel_locale))
    pattern = copy.copy(parse_pattern(babel_locale.decimal_formats[None]))
    pattern.frac_prec = (digits, digits)
    return str(pattern.apply(_fixed(number, digits), babel_locale))


def _percent(fraction: Decimal, locale: str, digits: int) -> str:
    babel_locale = parse_locale(locale)
    pattern = copy.copy(parse_pattern(babel_locale.percent_formats[None]))
    pattern.frac_prec = (digits, digits)
    # Round the percentage, not the fraction: 0.0345 at one digit is 3.5 %.
    rounded = _fixed(fraction * 100, digits).scaleb(-2)
    return str(pattern.apply(rounded, babel_locale))


def format_ratio_percent(value: Value, locale: str = "en", digits: int = 1) -> str:
    """A fraction (CTR, engagement rate, ...) as a percentage: 0.035 -> ``3.5%`` / ``3,5 %``."""
    if isinstance(value, NotAvailable):
        return not_available_text(locale)
    if digits < 0:
        raise ValueError("digits must not be negative")
    return _percent(_exact(value, "value"), locale, digits)


def format_percent(value: Value, locale: str = "en", digits: int = 1) -> str:
    """A value already in percent (``roi_percent``): 300 -> ``300.0%`` / ``300,0 %``."""
    if isinstance(value, NotAvailable):
        return not_available_text(locale)
    if digits < 0:
        raise ValueError("digits must not be negative")
    return _percent(_exact(value, "value").scaleb(-2), locale, digits)


def format_money_or_na(value: Money | NotAvailable, locale: str = "en") -> str:
    """A money KPI (CPM, CPA, AOV, ...): formatted Money, or the locale's n/a."""
    if isinstance(value, NotAvailable):
        return not_available_text(locale)
    return format_money(value, locale)
