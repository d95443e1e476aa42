"""Money: an exact amount with its ISO 4217 currency.

Amounts are ``Decimal`` (never ``float``); the number of minor-unit digits comes
from Babel's currency data (DKK 2, JPY 0, KWD 3). Arithmetic across currencies
is refused. Rounding happens only at named boundaries: ``quantize()``,
``minor_units`` and ``allocate()``; commercial rounding (half up) throughout.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from functools import cache

from babel.core import Locale
from babel.numbers import format_currency, get_currency_precision, list_currencies

from perfluence.errors import ErrorCode, PerfluenceError

ROUNDING = ROUND_HALF_UP
SUPPORTED_LOCALES = ("en", "da", "sv", "nb")

Number = Decimal | int | str


def _to_decimal(value: object, what: str = "amount") -> Decimal:
    if isinstance(value, bool | float):
        raise TypeError(f"{what} must be Decimal, int or str, not {type(value).__name__}")
    if isinstance(value, Decimal):
        result = value
    elif isinstance(value, int | str):
        try:
            result = Decimal(value.strip() if isinstance(value, str) else value)
        except InvalidOperation:
            raise PerfluenceError(ErrorCode.INVALID, f"{what} {value!r} is not a number") from None
    else:
        raise TypeError(f"{what} must be Decimal, int or str, not {type(value).__name__}")
    if not result.is_finite():
        raise PerfluenceError(ErrorCode.INVALID, f"{what} {value!r} is not a finite number")
    return result


@cache
def _known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def normalise_currency(code: str) -> str:
    """Upper-case an ISO 4217 code and refuse one Babel does not know."""
    upper = code.strip().upper()
    if upper not in _known_currencies():
        raise PerfluenceError(ErrorCode.UNKNOWN_CURRENCY, f"unknown currency {code!r}")
    return upper


@cache
def currency_exponent(currency: str) -> int:
    """Minor-unit digits of a currency (2 for DKK, 0 for JPY)."""
    return int(get_currency_precision(normalise_currency(currency)))


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __init__(self, amount: Number, currency: str) -> None:
        object.__setattr__(self, "amount", _to_decimal(amount))
        object.__setattr__(self, "currency", normalise_currency(currency))

    # construction -----------------------------------------------------
    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    @classmethod
    def from_minor(cls, minor: int, currency: str) -> Money:
        if not isinstance(minor, int) or isinstance(minor, bool):
            raise TypeError("minor units must be an int")
        exponent = currency_exponent(currency)
        return cls(Decimal(minor).scaleb(-exponent), currency)

    # boundaries -------------------------------------------------------
    @property
    def exponent(self) -> int:
        return currency_exponent(self.currency)

    def quantize(self) -> Money:
        """Round to the currency's minor unit (half up)."""
        step = Decimal(1).scaleb(-self.exponent)
        return Money(self.amount.quantize(step, rounding=ROUNDING), self.currency)

    @property
    def minor_units(self) -> int:
        """Integer minor units, as stored in the database (rounded half up)."""
        return int(self.quantize().amount.scaleb(self.exponent))

    # arithmetic -------------------------------------------------------
    def _same(self, other: object) -> Money:
        if not isinstance(other, Money):
            raise TypeError(f"cannot combine Money with {type(other).__name__}")
        if other.currency != self.currency:
            raise PerfluenceError(
                ErrorCode.CURRENCY_MISMATCH,
                f"cannot combine {self.currency} with {other.currency}; convert first",
            )
        return other

    def __add__(self, other: Money) -> Money:
        return Money(self.amount + self._same(other).amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        return Money(self.amount - self._same(other).amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __abs__(self) -> Money:
        return Money(abs(self.amount), self.currency)

    def __mul__(self, factor: Number) -> Money:
        return Money(self.amount * _to_decimal(factor, "factor"), self.currency)

    __rmul__ = __mul__

    def __truediv__(self, divisor: Number) -> Money:
        d = _to_decimal(divisor, "divisor")
        if d == 0:
            raise ZeroDivisionError("Money divided by zero")
        return Money(self.amount / d, self.currency)

    def ratio_to(self, other: Money) -> Decimal:
        """self / other as a plain number (same currency required)."""
        return self.amount / self._same(other).amount

    def __lt__(self, other: Money) -> bool:
        return self.amount < self._same(other).amount

    def __le__(self, other: Money) -> bool:
        return self.amount <= self._same(other).amount

    def __gt__(self, other: Money) -> bool:
        return self.amount > self._same(other).amount

    def __ge__(self, other: Money) -> bool:
        return self.amount >= self._same(other).amount

    def __bool__(self) -> bool:
        return self.amount != 0

    def is_zero(self) -> bool:
        return self.amount == 0

    def __str__(self) -> str:
        return f"{self.quantize().amount} {self.currency}"


def sum_money(items: Sequence[Money] | list[Money], currency: str) -> Money:
    """Sum of Money in one currency; the empty sum is zero in that currency."""
    total = Money.zero(currency)
    for item in items:
        total = total + item
    return total


def allocate(total: Money, weights: Sequence[Number]) -> list[Money]:
    """Split ``total`` into parts proportional to ``weights`` that sum exactly.

    Works in minor units with the largest-remainder method: every part gets the
    floor of its exact share, then the leftover minor units go one each to the
    parts with the largest remainders (ties to the earlier part). The result is
    deterministic and ``sum(parts) == total.quantize()`` always holds.
    """
    ws = [_to_decimal(w, "weight") for w in weights]
    if not ws:
        raise PerfluenceError(ErrorCode.INVALID, "allocate needs at least one weight")
    if any(w < 0 for w in ws):
        raise PerfluenceError(ErrorCode.INVALID, "allocation weights must not be negative")
    weight_sum = sum(ws, Decimal(0))
    if weight_sum == 0:
        raise PerfluenceError(ErrorCode.INVALID, "allocation weights must not all be zero")

    minor = total.minor_units
    sign = -1 if minor < 0 else 1
    units = abs(minor)
    exact = [Decimal(units) * w / weight_sum for w in ws]
    floors = [int(e.to_integral_value(rounding=ROUND_DOWN)) for e in exact]
    leftover = units - sum(floors)
    order = sorted(range(len(ws)), key=lambda i: (-(exact[i] - floors[i]), i))
    for i in order[:leftover]:
        floors[i] += 1
    return [Money.from_minor(sign * f, total.currency) for f in floors]


def format_money(money: Money, locale: str = "en") -> str:
    """Format for people in en/da/sv/nb (Babel), e.g. ``1.234,50 kr.`` in Danish."""
    if not isinstance(money, Money):
        raise TypeError("format_money needs Money, not a bare number")
    return str(
        format_currency(money.quantize().amount, money.currency, locale=Locale.parse(locale))
    )
