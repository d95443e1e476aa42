"""What the HTTP API reads and writes: Pydantic schemas, apart from tables and domain values.

Amounts arrive as strings (``"129.95"``) or integer minor units
(``amount_minor``), never as JSON numbers with a fraction: a JSON parser turns
those into binary floating point before any code can look at them, and
``0.1 + 0.2`` is not ``0.3``.
"""

from __future__ import annotations

from typing import Literal, Self

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictInt,
    field_validator,
)
from pydantic_core import PydanticCustomError

from perfluence.core.amounts import checked_decimal, parse_decimal_text
from perfluence.core.money import Money
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.services.conversions import IngestResult, TrackRequest
from perfluence.services.webhook_endpoints import DeliveryReceipt

Kind = Literal["lead", "sale", "refund"]


class TrackBody(BaseModel):
    """``POST /api/v1/track/{lead|sale|refund}``."""

    model_config = ConfigDict(
        extra="forbid",
        str_strip_whitespace=True,
        json_schema_extra={
            "examples": [
                {
                    "external_id": "order-10023",
                    "amount": "129.95",
                    "currency": "DKK",
                    "click_id": "0PnjEGiWL0i0cjr0lZmIfG",
                    "code": "EMMA15",
                    "customer_email": "kunde@example.dk",
                    "occurred_at": "2026-03-02T13:05:12+01:00",
                }
            ]
        },
    )

    external_id: str = Field(
        min_length=1, max_length=200, description="Your id for the event (order number)."
    )
    amount: str | None = Field(
        default=None, description='Dot-decimal string in major units: "129.95".'
    )
    amount_minor: StrictInt | None = Field(
        default=None, description="Or integer minor units: 12995 for 129.95 DKK."
    )
    currency: str | None = Field(
        default=None, min_length=3, max_length=3, description="ISO 4217, e.g. DKK."
    )
    click_id: str | None = Field(default=None, max_length=64, description="The pf_cid.")
    code: str | None = Field(default=None, max_length=64, description="Discount code used.")
    customer_ref: str | None = Field(
        default=None, max_length=200, description="Your stable customer id (or a hash)."
    )
    customer_email: str | None = Field(
        default=None, max_length=320, description="Hashed (SHA-256) before it is stored."
    )
    occurred_at: AwareDatetime | None = Field(
        default=None, description="ISO 8601 with a UTC offset; default: when received."
    )
    country: str | None = Field(default=None, max_length=2, description="ISO 3166 alpha-2.")
    reverses_external_id: str | None = Field(
        default=None, max_length=200, description="Refunds: the sale's external_id."
    )

    @field_validator("amount", mode="before")
    @classmethod
    def _amount_is_text(cls, value: object) -> object:
        if isinstance(value, bool) or not isinstance(value, str | None):
            raise PydanticCustomError(
                "amount_not_string",
                'amount must be a string such as "129.95" (or send integer amount_minor); '
                "JSON numbers with a fraction are inexact",
            )
        return value

    @field_validator("occurred_at", mode="before")
    @classmethod
    def _time_is_text(cls, value: object) -> object:
        if value is not None and not isinstance(value, str):
            raise PydanticCustomError(
                "time_not_string",
                'occurred_at must be an ISO 8601 string such as "2026-03-02T13:05:12+01:00"',
            )
        return value

    def money(self) -> Money | None:
        """The amount as ``Money``, from whichever of the two fields was sent."""
        if self.amount is not None and self.amount_minor is not None:
            raise _invalid("send amount or amount_minor, not both", "amount_minor")
        if self.amount is None and self.amount_minor is None:
            if self.currency is not None:
                raise _invalid("currency was sent without an amount", "amount")
            return None
        if self.currency is None:
            raise _invalid("currency is required with an amount", "currency")
        if self.amount is not None:
            return Money(parse_decimal_text(self.amount, "amount"), self.currency)
        assert self.amount_minor is not None
        money = Money.from_minor(self.amount_minor, self.currency)
        checked_decimal(money.amount, "amount_minor")
        return money

    def customer(self) -> str | None:
        if self.customer_ref is not None and self.customer_email is not None:
            raise _invalid("send customer_ref or customer_email, not both", "customer_email")
        if self.customer_email is not None:
            if "@" not in self.customer_email:
                raise _invalid("customer_email is not an e-mail address", "customer_email")
            # The conversions service hashes any customer reference that is an e-mail.
            return self.customer_email
        return self.customer_ref

    def to_request(self, kind: Kind) -> TrackRequest:
        if kind != "refund" and self.reverses_external_id is not None:
            raise _invalid("only a refund reverses another event", "reverses_external_id")
        return TrackRequest(
            kind=kind,
            external_id=self.external_id,
            amount=self.money(),
            occurred_at=self.occurred_at,
            click_id=self.click_id,
            code=self.code,
            customer_ref=self.customer(),
            reverses_external_id=self.reverses_external_id,
            country=self.country,
        )


def _invalid(message: str, field: str) -> PerfluenceError:
    return PerfluenceError(ErrorCode.INVALID, message, field=field)


class TrackResult(BaseModel):
    """The stored event and how it was attributed; a repeat answers the first one unchanged."""

    conversion_id: int
    kind: str
    external_id: str
    status: str
    attribution_method: str = Field(description="click_id, code, customer or none.")
    partnership_id: int | None
    creator_handle: str | None
    campaign_slug: str | None
    reason: str = Field(description="Why it was attributed this way (or not at all).")
    seconds_from_click: int | None
    flags: list[str]

    @classmethod
    def of(cls, result: IngestResult) -> Self:
        return cls(
            conversion_id=result.conversion_id,
            kind=result.kind,
            external_id=result.external_id,
            status=result.status,
            attribution_method=result.attribution_method,
            partnership_id=result.partnership_id,
            creator_handle=result.creator_handle,
            campaign_slug=result.campaign_slug,
            reason=result.reason,
            seconds_from_click=result.seconds_from_click,
            flags=list(result.flags),
        )


class WebhookAccepted(BaseModel):
    received: int = Field(description="Events the delivery carried.")
    created: int = Field(description="Events stored now.")
    duplicates: int = Field(description="Events stored by an earlier delivery.")


class WebhookIgnored(BaseModel):
    ignored: str = Field(description="Why nothing was stored.")


class WebhookPing(BaseModel):
    ping: bool = True


def webhook_answer(receipt: DeliveryReceipt) -> WebhookAccepted | WebhookIgnored | WebhookPing:
    if receipt.outcome == "accepted":
        return WebhookAccepted(
            received=receipt.received, created=receipt.created, duplicates=receipt.duplicates
        )
    if receipt.outcome == "ignored":
        return WebhookIgnored(ignored=receipt.reason or "not counted")
    return WebhookPing()


class ErrorDetail(BaseModel):
    code: str = Field(description="Stable, snake_case; see docs/api.md.")
    message: str
    field: str | None = None


class ErrorBody(BaseModel):
    error: ErrorDetail
