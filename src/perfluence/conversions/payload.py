"""Webhook bodies: parsed once, floats impossible, every refusal naming its field.

``parse_json`` is the only way a webhook body becomes Python values: numbers
with a fraction or an exponent arrive as ``Decimal`` (``parse_float=Decimal``),
so a float never exists on the money path. ``Field`` walks the result and
turns a wrong shape into ``PerfluenceError(INVALID, field="line_items[2].price")``
instead of a ``KeyError`` or ``TypeError`` deep inside a normaliser.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from decimal import Decimal, InvalidOperation
from typing import Final

from perfluence.core.amounts import (
    MAX_MAGNITUDE,
    json_type,
    money_from_stripe_minor,
    parse_decimal,
)
from perfluence.core.money import Money, normalise_currency
from perfluence.errors import ErrorCode, PerfluenceError

MAX_BODY_BYTES: Final = 1024 * 1024
MAX_ID_LENGTH: Final = 200  # conversions.external_id is String(200)
MAX_QUANTITY: Final = 1_000_000


def _refuse_constant(name: str) -> object:
    raise PerfluenceError(ErrorCode.INVALID, f"body is not valid JSON: {name} is not a number")


def parse_json(body: bytes) -> dict[str, object]:
    """Parse a webhook body that must be a JSON object of at most ``MAX_BODY_BYTES``."""
    if len(body) > MAX_BODY_BYTES:
        raise PerfluenceError(
            ErrorCode.PAYLOAD_TOO_LARGE,
            f"body is {len(body)} bytes; webhooks are limited to {MAX_BODY_BYTES} bytes",
        )
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise PerfluenceError(
            ErrorCode.INVALID, f"body is not valid UTF-8 (byte {exc.start})"
        ) from None
    try:
        value = json.loads(text, parse_float=Decimal, parse_constant=_refuse_constant)
    except json.JSONDecodeError as exc:
        raise PerfluenceError(
            ErrorCode.INVALID,
            f"body is not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}",
        ) from None
    except (ValueError, RecursionError) as exc:
        # Integers beyond Python's digit limit, or nesting deeper than the stack.
        raise PerfluenceError(ErrorCode.INVALID, f"body is not usable JSON: {exc}") from None
    except InvalidOperation:
        # An exponent no Decimal can hold (1E44444444444444444444).
        raise PerfluenceError(
            ErrorCode.INVALID, "body is not usable JSON: a number's exponent is out of range"
        ) from None
    if not isinstance(value, dict):
        raise PerfluenceError(
            ErrorCode.INVALID, f"body must be a JSON object, not {json_type(value)}"
        )
    return value


class _Missing:
    def __repr__(self) -> str:
        return "MISSING"


MISSING: Final = _Missing()


class Field:
    """A value inside a parsed body, with the path that leads to it."""

    __slots__ = ("path", "value")

    def __init__(self, value: object, path: str = "") -> None:
        self.value = value
        self.path = path

    # navigation --------------------------------------------------------
    def __getitem__(self, key: str) -> Field:
        child = f"{self.path}.{key}" if self.path else key
        if not self.present:
            return Field(MISSING, child)
        if not isinstance(self.value, dict):
            raise self._error(f"expected an object, got {json_type(self.value)}")
        return Field(self.value.get(key, MISSING), child)

    def items(self) -> list[Field]:
        """The elements of an array; an absent or null array is empty."""
        if not self.present:
            return []
        if not isinstance(self.value, list):
            raise self._error(f"expected an array, got {json_type(self.value)}")
        return [Field(v, f"{self.path}[{i}]") for i, v in enumerate(self.value)]

    @property
    def present(self) -> bool:
        return self.value is not MISSING and self.value is not None

    # scalars -----------------------------------------------------------
    def text(self) -> str:
        value = self.opt_text()
        if value is None:
            raise self._error("is missing")
        return value

    def opt_text(self) -> str | None:
        """A string, stripped; absent, null and blank are all ``None``."""
        if not self.present:
            return None
        if not isinstance(self.value, str):
            raise self._error(f"expected a string, got {json_type(self.value)}")
        if "\x00" in self.value:
            # JSON can carry U+0000 ("\u0000"); PostgreSQL text cannot store it.
            raise self._error("contains a NUL character")
        return self.value.strip() or None

    def loose_text(self) -> str | None:
        """A free-text value (cart attribute, order meta): anything but a string is ``None``.

        Other plugins put objects and numbers in the same lists; their shape is
        not ours to refuse.
        """
        if isinstance(self.value, str) and "\x00" not in self.value:
            return self.value.strip() or None
        return None

    def ident(self) -> str:
        value = self.opt_ident()
        if value is None:
            raise self._error("is missing")
        return value

    def opt_ident(self) -> str | None:
        """An id that platforms send as a number (Shopify, Woo) or a string (Stripe)."""
        if not self.present:
            return None
        if isinstance(self.value, int) and not isinstance(self.value, bool):
            if self.value <= 0:
                raise self._error(f"id {self.value} is not positive")
            # Compared before str(): Python refuses to print an int of over 4300 digits.
            if self.value >= 10**MAX_ID_LENGTH:
                raise self._error(f"id is longer than {MAX_ID_LENGTH} digits")
            return str(self.value)
        value = self.opt_text()
        if value is not None and len(value) > MAX_ID_LENGTH:
            raise self._error(f"id is longer than {MAX_ID_LENGTH} characters")
        return value

    def integer(self) -> int:
        if not self.present:
            raise self._error("is missing")
        if not isinstance(self.value, int) or isinstance(self.value, bool):
            raise self._error(f"expected an integer, got {json_type(self.value)}")
        return self.value

    def count(self) -> int:
        """A quantity: a non-negative integer of a size an order line can have."""
        value = self.integer()
        if value < 0:
            raise self._error(f"{value} is negative")
        if value > MAX_QUANTITY:
            raise self._error(f"{value} is more than {MAX_QUANTITY}")
        return value

    def boolean(self, default: bool) -> bool:
        if not self.present:
            return default
        if not isinstance(self.value, bool):
            raise self._error(f"expected true or false, got {json_type(self.value)}")
        return self.value

    def opt_boolean(self) -> bool | None:
        return self.boolean(False) if self.present else None

    def decimal(self) -> Decimal:
        if not self.present:
            raise self._error("is missing")
        return parse_decimal(self.value, self.path)

    def signed_money(self, currency: str) -> Money:
        """An amount that may be negative (WooCommerce writes refund totals as ``"-10.00"``)."""
        return Money(self.decimal(), currency)

    def money(self, currency: str) -> Money:
        """An amount that cannot be negative: a price, a total, a discount, a tax."""
        return self._not_negative(self.signed_money(currency))

    def money_or_zero(self, currency: str) -> Money:
        return self.money(currency) if self.present else Money.zero(currency)

    def stripe_money(self, currency: str) -> Money:
        """Stripe's integer minor units (``amount_total``) as ``Money``; never negative."""
        if not self.present:
            raise self._error("is missing")
        return self._not_negative(money_from_stripe_minor(self.value, currency, self.path))

    def stripe_money_or_zero(self, currency: str) -> Money:
        return self.stripe_money(currency) if self.present else Money.zero(currency)

    def currency(self) -> str:
        code = self.text()
        try:
            return normalise_currency(code)
        except PerfluenceError as exc:
            raise PerfluenceError(exc.code, exc.message, field=self.path) from None

    def timestamp(self, *, naive_is_utc: bool = False) -> datetime:
        """An ISO 8601 time as an aware UTC datetime.

        A time without an offset is refused unless the field is documented as
        UTC (WooCommerce's ``*_gmt`` fields are).
        """
        text = self.text()
        try:
            parsed = datetime.fromisoformat(text)
        except ValueError:
            raise self._error(f"{text!r} is not an ISO 8601 time") from None
        if parsed.tzinfo is None:
            if not naive_is_utc:
                raise self._error(f"{text!r} has no UTC offset")
            parsed = parsed.replace(tzinfo=UTC)
        try:
            return parsed.astimezone(UTC)
        except OverflowError:
            raise self._error(f"{text!r} is out of range") from None

    def unix_time(self) -> datetime:
        seconds = self.integer()
        try:
            return datetime.fromtimestamp(seconds, UTC)
        except (OverflowError, OSError, ValueError):
            raise self._error(f"{seconds} is not a usable Unix time") from None

    def _not_negative(self, money: Money) -> Money:
        if money.amount < 0:
            raise self._error(f"{money.amount} is negative; shops send amounts as positive values")
        return money

    def _error(self, message: str) -> PerfluenceError:
        return PerfluenceError(ErrorCode.INVALID, message, field=self.path or "body")


def bounded_total(money: Money, field: str, what: str) -> Money:
    """A sum or product of amounts the payload gave, refused unless it is still a real amount.

    Each amount is bounded when it is read; a thousand line items of the
    largest amount, or discounts larger than their line, are not, and would
    reach the ledger as a negative sale or overflow an int64 minor-unit column.
    """
    if money.amount < 0:
        raise PerfluenceError(
            ErrorCode.INVALID, f"{what} comes to {money.amount}, less than zero", field=field
        )
    if money.amount >= MAX_MAGNITUDE:
        raise PerfluenceError(
            ErrorCode.INVALID,
            f"{what} comes to {money.amount}, beyond what one order can be (15 integer digits)",
            field=field,
        )
    return money
