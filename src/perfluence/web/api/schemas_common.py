"""Pieces every resource schema shares: the strict base model, money and ratios out, amounts in.

Money goes out as ``{"amount": "129.95", "currency": "DKK"}`` (a string, so no
client parses it into a float by accident) and comes in as a dot-decimal
string, checked by the same rules as the track API (``core.amounts``).
Timestamps are ISO 8601 in UTC.
"""

from __future__ import annotations

from collections.abc import Mapping
from decimal import Decimal
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

from perfluence.core.amounts import parse_decimal_text
from perfluence.core.kpis import NA, NotAvailable
from perfluence.core.money import Money


def _has_nul(value: object) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, Mapping):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list | tuple):
        return any(_has_nul(v) for v in value)
    return False


class ApiInput(BaseModel):
    """A request body: unknown fields are refused, and so is the NUL character anywhere."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    @model_validator(mode="before")
    @classmethod
    def _no_nul(cls, data: Any) -> Any:
        # PostgreSQL cannot store NUL in text; no real name, code or URL contains one.
        if _has_nul(data):
            raise PydanticCustomError("nul_character", "text must not contain the NUL character")
        return data


class MoneyOut(BaseModel):
    amount: str = Field(description='Exact, in major units: "129.95".', examples=["129.95"])
    currency: str = Field(description="ISO 4217.", examples=["DKK"])

    @classmethod
    def of(cls, money: Money) -> MoneyOut:
        """``0`` DKK shows as ``"0.00"``; an amount with more decimals than the currency's
        (a CPM, a CPA) keeps them all: nothing is rounded here."""
        rounded = money.quantize()
        shown = rounded if rounded == money else money
        return cls(amount=decimal_text(shown.amount), currency=money.currency)


def money_out(money: Money | None) -> MoneyOut | None:
    return None if money is None else MoneyOut.of(money)


def decimal_text(value: Decimal) -> str:
    """Plain notation (``1000``, never ``1E+3``)."""
    return format(value, "f")


def ratio_text(value: Decimal | NotAvailable) -> str | None:
    """A KPI ratio; ``null`` when it is not available (a zero denominator)."""
    return None if value is NA or not isinstance(value, Decimal) else decimal_text(value)


def money_ratio(value: Money | NotAvailable) -> MoneyOut | None:
    return MoneyOut.of(value) if isinstance(value, Money) else None


def amount_text(value: str, field: str) -> Decimal:
    """A dot-decimal amount from a request (``"129.95"``), within ``core.amounts``' bounds."""
    return parse_decimal_text(value, field)


def rate_text(value: str, field: str) -> str:
    """A rate or target as sent (``"0.12"``, ``"12%"``), checked for shape before the core
    reads it; returned unchanged so the core's own rules (percent or fraction) apply."""
    parse_decimal_text(value.strip().removesuffix("%"), field)
    return value
