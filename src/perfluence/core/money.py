"""Money: an exact amount with its ISO 4217 currency.

Amounts are ``Decimal`` (never ``float``); the number of minor-unit digits comes
from Babel's currency data (DKK 2, JPY 0, KWD 3). Arithmetic and ordering across
currencies are refused. Rounding happens only at named boundaries:
``quantize()``, ``minor_units`` and ``allocate()``; commercial rounding (half up)
throughout. See ``docs/money.md``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Context, Decimal, Inexact, InvalidOperation, Overflow
from functools import cache

from babel.core import Locale, UnknownLocaleError
from babel.numbers import format_currency, get_currency_precision, list_currencies

from perfluence.errors import ErrorCode, PerfluenceError

ROUNDING = ROUND_HALF_UP
SUPPORTED_LOCALES = ("en", "da", "sv", "nb")

Number = Decimal | int | str

# Wider than the default 28 digits so that rounding to minor units never loses
# digits silently; shifting by the exponent must be exact, so it traps Inexact.
_QUANTIZE = Context(prec=60, rounding=ROUNDING)
_SHIFT = Context(prec=60, traps=[InvalidOperation, Inexact, Overflow])


def _to_decimal(value: object, what: str = "amount") -> Decimal:
    # bool is an int subclass and float is inexact: both are refused outright.
    if isinstance(value, bool | float) or not isinstance(value, Decimal | int | str):
        raise TypeError(f"{what} must be Decimal, int or str, not {type(value).__name__}")
    if isinstance(value, Decimal):
        result = value
    else:
        try:
            result = Decimal(value.strip() if isinstance(value, str) else value)
        except InvalidOperation:
            raise PerfluenceError(ErrorCode.INVALID, f"{what} {value!r} is not a number") from None
    if not result.is_finite():
        raise PerfluenceError(ErrorCode.INVALID, f"{what} {value!r} is not a finite number")
    return result


@cache
def _known_currencies() -> frozenset[str]:
    return frozenset(list_currencies())


def normalise_currency(code: str) -> str:
    """Upper-case an ISO 4217 code and refuse one Babel does not know."""
    if not isinstance(code, str):
        raise TypeError(f"currency must be a str, not {type(code).__name__}")
    upper = code.strip().upper()
    if upper not in _known_currencies():
        raise PerfluenceError(
            ErrorCode.UNKNOWN_CURRENCY, f"unknown currency {code!r}", field="currency"
        )
    return upper


@cache
def currency_exponent(currency: str) -> int:
    """Minor-unit digits of a currency (2 for DKK, 0 for JPY, 3 for KWD)."""
    return int(get_currency_precision(normalise_currency(currency)))


@dataclass(frozen=True, slots=True)
class Money:
    """An exact amount in one currency.

    Equality is value equality (``Money("1.0", "EUR") == Money("1.00", "EUR")``;
    different currencies are simply unequal, so Money works in sets and dicts);
    ordering, addition and subtraction across currencies raise
    ``CURRENCY_MISMATCH``.
    """

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
        """Money from integer minor units (``from_minor(123450, "DKK")`` is 1,234.50 DKK)."""
        if not isinstance(minor, int) or isinstance(minor, bool):
            raise TypeError("minor units must be an int")
        exponent = currency_exponent(currency)
        return cls(Decimal(minor).scaleb(-exponent, _SHIFT), currency)

    # boundaries -------------------------------------------------------
    @property
    def exponent(self) -> int:
        return currency_exponent(self.currency)

    def quantize(self) -> Money:
        """Round to the currency's minor unit (half up)."""
        step = Decimal(1).scaleb(-self.exponent)
        return Money(self.amount.quantize(step, context=_QUANTIZE), self.currency)

    @property
    def minor_units(self) -> int:
        """Integer minor units, as stored in the database (rounded half up)."""
        return int(self.quantize().amount.scaleb(self.exponent, _SHIFT))

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
        divisor = self._same(other).amount
        if divisor == 0:
            raise ZeroDivisionError("ratio to a zero amount")
        return self.amount / divisor

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


def sum_money(items: Iterable[Money], currency: str) -> Money:
    """Sum of Money in one currency; the empty sum is zero in that currency."""
    total = Money.zero(currency)
    for item in items:
        total = total + item
    return total


def _integer_weights(weights: Sequence[Number]) -> list[int]:
    """Weights scaled to integers with the same proportions, so shares are exact."""
    ws = [_to_decimal(w, "weight") for w in weights]
    if not ws:
        raise PerfluenceError(ErrorCode.INVALID, "allocate needs at least one weight")
    if any(w < 0 for w in ws):
        raise PerfluenceError(ErrorCode.INVALID, "allocation weights must not be negative")
    if all(w == 0 for w in ws):
        raise PerfluenceError(ErrorCode.INVALID, "allocation weights must not all be zero")
    shift = max(0, *(-int(w.as_tuple().exponent) for w in ws))
    return [int(w.scaleb(shift, _SHIFT)) for w in ws]


def allocate(total: Money, weights: Sequence[Number]) -> list[Money]:
    """Split ``total`` into parts proportional to ``weights`` that sum exactly.

    Works in integer minor units with the largest-remainder method: every part
    gets the floor of its exact share, then the leftover minor units go one
    each to the parts with the largest remainders (ties to the earlier part).
    So every part is within one minor unit of its exact share, the result is
    deterministic, and ``sum(parts) == total.quantize()`` always holds. A
    negative total is split like its absolute value, with the sign restored.
    """
    ints = _integer_weights(weights)
    weight_sum = sum(ints)
    minor = total.minor_units
    units = abs(minor)
    floors = [units * w // weight_sum for w in ints]
    remainders = [units * w % weight_sum for w in ints]
    leftover = units - sum(floors)
    order = sorted(range(len(ints)), key=lambda i: (-remainders[i], i))
    for i in order[:leftover]:
        floors[i] += 1
    sign = -1 if minor < 0 else 1
    return [Money.from_minor(sign * f, total.currency) for f in floors]


def parse_locale(locale: str) -> Locale:
    """A Babel locale for a language tag such as ``da`` or ``nb_NO``."""
    try:
        return Locale.parse(locale)
    except (UnknownLocaleError, ValueError, TypeError):
        raise PerfluenceError(
            ErrorCode.INVALID, f"unknown locale {locale!r}", field="locale"
        ) from None


def format_money(money: Money, locale: str = "en") -> str:
    """Format for people (Babel), e.g. ``1.234,50 kr.`` in Danish.

    The amount is rounded half up to the currency's minor unit first, so what
    is shown is what ``minor_units`` stores.
    """
    if not isinstance(money, Money):
        raise TypeError("format_money needs Money, not a bare number")
    amount = money.quantize().amount
    return str(format_currency(amount, money.currency, locale=parse_locale(locale)))
