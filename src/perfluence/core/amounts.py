"""Amounts as shops send them, turned into ``Money`` without ever passing a float.

Shop APIs write amounts as dot-decimal strings (``"129.95"``, Woo refunds
``"-10.00"``) or, when a JSON body is parsed with ``parse_float=Decimal``, as
``Decimal``; Stripe sends integer minor units whose exponent is Stripe's own
(not always ISO 4217's: ISK is two-decimal in Stripe's API, zero in ISO).
Every refusal is a ``PerfluenceError`` naming the field it came from.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Final

from perfluence.core.money import ROUNDING, Money, normalise_currency
from perfluence.errors import ErrorCode, PerfluenceError

# An amount beyond 10^15 major units cannot be a real order and would not fit
# the int64 minor-unit columns once scaled; refusing it also keeps Decimal
# arithmetic away from exponents that overflow the context.
MAX_MAGNITUDE: Final = Decimal(10) ** 15
MAX_FRACTION_DIGITS: Final = 6

_SMALLEST_STEP: Final = Decimal(1).scaleb(-MAX_FRACTION_DIGITS)
_DECIMAL_TEXT = re.compile(r"-?\d+(?:\.\d+)?", re.ASCII)

# Stripe's tables (https://docs.stripe.com/currencies): these differ from ISO 4217.
STRIPE_ZERO_DECIMAL: Final = frozenset(
    {
        "BIF", "CLP", "DJF", "GNF", "JPY", "KMF", "KRW", "MGA",
        "PYG", "RWF", "UGX", "VND", "VUV", "XAF", "XOF", "XPF",
    }
)  # fmt: skip
STRIPE_THREE_DECIMAL: Final = frozenset({"BHD", "JOD", "KWD", "OMR", "TND"})


def _invalid(message: str, field: str) -> PerfluenceError:
    return PerfluenceError(ErrorCode.INVALID, message, field=field)


def checked_decimal(value: Decimal, field: str = "amount") -> Decimal:
    """Refuse NaN, infinities, absurd magnitudes and more than six decimals."""
    if not value.is_finite():
        raise _invalid(f"{value} is not a finite amount", field)
    if value != 0 and value.adjusted() >= MAX_MAGNITUDE.adjusted():
        raise _invalid(f"{value} is out of range (at most 15 integer digits)", field)
    if value != value.quantize(_SMALLEST_STEP):
        raise _invalid(f"{value} has more than {MAX_FRACTION_DIGITS} decimals", field)
    return value + 0  # normalises -0 and sheds the sign of zero


def parse_decimal_text(text: str, field: str = "amount") -> Decimal:
    """``"129.95"`` → ``Decimal("129.95")``; commas, exponents and words are refused."""
    stripped = text.strip()
    if not stripped:
        raise _invalid("amount is empty", field)
    if "," in stripped:
        raise _invalid(
            f"{text!r} uses a comma; shop APIs send dot-decimal amounts like '1299.95'", field
        )
    if not _DECIMAL_TEXT.fullmatch(stripped):
        raise _invalid(f"{text!r} is not a dot-decimal amount", field)
    return checked_decimal(Decimal(stripped), field)


def parse_decimal(value: object, field: str = "amount") -> Decimal:
    """A decimal from a JSON value: a string, a ``Decimal`` or an int (never a float)."""
    if isinstance(value, str):
        return parse_decimal_text(value, field)
    if isinstance(value, Decimal):
        return checked_decimal(value, field)
    if isinstance(value, int) and not isinstance(value, bool):
        return checked_decimal(Decimal(value), field)
    raise _invalid(f"expected an amount, got {json_type(value)}", field)


def parse_money(value: object, currency: str, field: str = "amount") -> Money:
    """Major units (``"129.95"``) in ``currency`` as ``Money``."""
    return Money(parse_decimal(value, field), currency)


def stripe_exponent(currency: str) -> int:
    """Digits Stripe's API puts after the decimal point for ``currency``."""
    code = normalise_currency(currency)
    if code in STRIPE_ZERO_DECIMAL:
        return 0
    if code in STRIPE_THREE_DECIMAL:
        return 3
    return 2


def money_from_stripe_minor(minor: object, currency: str, field: str = "amount") -> Money:
    """Stripe's integer minor units (``1299`` usd → 12.99 USD, ``500`` jpy → 500 JPY)."""
    if not isinstance(minor, int) or isinstance(minor, bool):
        raise _invalid(f"expected integer minor units, got {json_type(minor)}", field)
    amount = checked_decimal(Decimal(minor).scaleb(-stripe_exponent(currency)), field)
    return Money(amount, currency)


def money_to_stripe_minor(money: Money) -> int:
    """Inverse of ``money_from_stripe_minor`` (rounded half up at Stripe's exponent)."""
    exponent = stripe_exponent(money.currency)
    step = Decimal(1).scaleb(-exponent)
    return int(money.amount.quantize(step, rounding=ROUNDING).scaleb(exponent))


_JSON_TYPES: Final = (
    (bool, "a boolean"),  # before int: a bool is an int in Python
    (str, "a string"),
    (list, "an array"),
    (dict, "an object"),
    (int, "a number"),
    (Decimal, "a number"),
)


def json_type(value: object) -> str:
    """How a parsed JSON value reads in an error message."""
    if value is None:
        return "null"
    return next((name for kind, name in _JSON_TYPES if isinstance(value, kind)), "a number")
