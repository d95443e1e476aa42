"""Contract terms of a partnership (pure).

A payment model names what a creator is paid for; the terms carry exactly the
fields that model needs (``hybrid`` may combine any of them). Terms are stored
as a JSON-able dict in which every amount and rate is an exact decimal string
and every count an int: a float never appears. All money is in the terms'
currency, so the dict stores amounts without a currency of their own.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from itertools import pairwise
from typing import Final

from perfluence.core.money import Money, normalise_currency
from perfluence.errors import ErrorCode, PerfluenceError

TERMS_VERSION: Final = 1
MAX_HOLD_DAYS: Final = 365
MAX_PRODUCT_KEY: Final = 100
DEFAULT_HOLD_DAYS: Final = 30


class PaymentModel(StrEnum):
    FLAT_FEE = "flat_fee"
    CPC = "cpc"
    CPL = "cpl"
    CPS = "cps"
    GIFTING = "gifting"
    HYBRID = "hybrid"


class CapPeriod(StrEnum):
    WEEK = "week"
    MONTH = "month"


# The fields that pay a creator, and which single model each one belongs to.
_COMPONENT_OF: Final[dict[str, PaymentModel]] = {
    "flat_fee": PaymentModel.FLAT_FEE,
    "cpc_rate": PaymentModel.CPC,
    "cpl_rate": PaymentModel.CPL,
    "commission_rate": PaymentModel.CPS,
    "gifting_value": PaymentModel.GIFTING,
}
# Modifiers that only make sense beside the component they modify.
_NEEDS: Final[dict[str, str]] = {
    "fee_schedule": "flat_fee",
    "commission_tiers": "commission_rate",
    "country_rates": "commission_rate",
    "product_rates": "commission_rate",
}
# Caps bound variable earnings; a fixed fee or a gift has nothing to cap or hold back.
_VARIABLE: Final = frozenset({PaymentModel.CPC, PaymentModel.CPL, PaymentModel.CPS})


def _invalid(field: str, message: str) -> PerfluenceError:
    return PerfluenceError(ErrorCode.INVALID, message, field=field)


def parse_rate(value: object, field: str = "commission_rate") -> Decimal:
    """A fraction in (0, 1]: ``0.12``, ``"0.12"`` and ``"12%"`` all give ``Decimal("0.12")``."""
    if isinstance(value, bool | float):
        raise _invalid(field, f"{field} must be a decimal string, not {type(value).__name__}")
    text = str(value).strip()
    percent = text.endswith("%")
    try:
        rate = Decimal(text.removesuffix("%").strip())
    except InvalidOperation:
        raise _invalid(field, f"{field} {text!r} is not a number (write 0.12 or 12%)") from None
    if not rate.is_finite():
        raise _invalid(field, f"{field} {text!r} is not a finite number")
    if percent:
        rate = rate / 100
    if rate <= 0 or rate > 1:
        hint = "; write 12% or 0.12 for twelve percent" if rate > 1 and not percent else ""
        raise _invalid(field, f"{field} {text!r} must be above 0 and at most 100%{hint}")
    return rate.normalize() if rate == rate.to_integral_value() else rate


def _amount(value: object, field: str, currency: str) -> Money:
    if isinstance(value, bool | float):
        raise _invalid(field, f"{field} must be a decimal string, not {type(value).__name__}")
    if isinstance(value, Money):
        money = value
    elif isinstance(value, Decimal | int | str):
        try:
            money = Money(value, currency)
        except PerfluenceError as exc:
            raise _invalid(field, f"{field}: {exc.message}") from None
    else:
        raise _invalid(field, f"{field} must be an amount, not {type(value).__name__}")
    return money


def _int(value: object, field: str) -> int:
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise _invalid(field, f"{field} must be a whole number, not {type(value).__name__}")
    try:
        return int(value)
    except ValueError:
        raise _invalid(field, f"{field} {value!r} is not a whole number") from None


def _check_money(money: Money | None, field: str, currency: str) -> None:
    if money is None:
        return
    if money.currency != currency:
        raise PerfluenceError(
            ErrorCode.CURRENCY_MISMATCH,
            f"{field} is in {money.currency} but the terms are in {currency}",
            field=field,
        )
    if money.amount <= 0:
        raise _invalid(field, f"{field} must be above zero, not {money.amount}")
    if money.quantize().amount != money.amount:
        raise _invalid(field, f"{field} {money.amount} has more decimals than {currency} allows")


@dataclass(frozen=True, slots=True)
class Instalment:
    """One payment of a flat fee's schedule."""

    due_on: date
    amount: Money


@dataclass(frozen=True, slots=True)
class CommissionTier:
    """From this volume on (orders or net revenue in the period), ``rate`` applies."""

    rate: Decimal
    from_orders: int | None = None
    from_revenue: Money | None = None


@dataclass(frozen=True, slots=True)
class ContractTerms:
    model: PaymentModel
    currency: str
    flat_fee: Money | None = None
    fee_schedule: tuple[Instalment, ...] = ()
    cpc_rate: Money | None = None
    cpl_rate: Money | None = None
    commission_rate: Decimal | None = None
    commission_tiers: tuple[CommissionTier, ...] = ()
    # (country, rate) sorted by country: the commission rate for buyers in that market.
    country_rates: tuple[tuple[str, Decimal], ...] = ()
    # (product id or SKU, rate) sorted by key: the commission rate for order lines of it.
    product_rates: tuple[tuple[str, Decimal], ...] = ()
    gifting_value: Money | None = None
    cap_per_period: Money | None = None
    cap_period: CapPeriod | None = None
    cap_total: Money | None = None
    hold_days: int = DEFAULT_HOLD_DAYS
    minimum_payout: Money | None = None
    exclusivity: str | None = None
    usage_rights: str | None = None

    def __post_init__(self) -> None:
        _validate(self)

    def commission_rate_for(self, country: str | None) -> Decimal | None:
        """The base commission rate for a buyer's country (volume tiers aside)."""
        for code, rate in self.country_rates:
            if code == country:
                return rate
        return self.commission_rate

    def product_rate_for(self, product_id: str | None, sku: str | None) -> Decimal | None:
        """A product's own rate: the SKU's if it has one, else the product id's, else ``None``."""
        rates = dict(self.product_rates)
        for key in (sku, product_id):
            if key is not None and key in rates:
                return rates[key]
        return None

    def to_dict(self) -> dict[str, object]:
        return terms_to_dict(self)


def _validate_components(t: ContractTerms) -> None:
    present = [name for name in _COMPONENT_OF if getattr(t, name) is not None]
    if t.model is PaymentModel.HYBRID:
        if not present:
            raise _invalid(
                "model",
                "a hybrid contract needs at least one of " + ", ".join(_COMPONENT_OF),
            )
    else:
        needed = next(name for name, model in _COMPONENT_OF.items() if model is t.model)
        if getattr(t, needed) is None:
            raise _invalid(needed, f"a {t.model} contract needs {needed}")
        for name in present:
            if name != needed:
                raise _invalid(
                    name, f"{name} is not part of a {t.model} contract; use the hybrid model"
                )
    for modifier, base in _NEEDS.items():
        if getattr(t, modifier) and getattr(t, base) is None:
            raise _invalid(modifier, f"{modifier} needs {base}")
    if t.model not in _VARIABLE and t.model is not PaymentModel.HYBRID:
        for name in ("cap_per_period", "cap_total"):
            if getattr(t, name) is not None:
                raise _invalid(name, f"{name} has nothing to cap in a {t.model} contract")
    if t.model is PaymentModel.GIFTING and t.minimum_payout is not None:
        raise _invalid("minimum_payout", "a gifting contract pays no money out")


def _validate_schedule(t: ContractTerms) -> None:
    if not t.fee_schedule or t.flat_fee is None:
        return
    days = [i.due_on for i in t.fee_schedule]
    if any(later <= earlier for earlier, later in pairwise(days)):
        raise _invalid("fee_schedule", "instalment dates must be in order, one per day")
    total = Money.zero(t.currency)
    for n, instalment in enumerate(t.fee_schedule, start=1):
        _check_money(instalment.amount, f"fee_schedule[{n}]", t.currency)
        total = total + instalment.amount
    if total != t.flat_fee:
        raise _invalid(
            "fee_schedule",
            f"instalments sum to {total} but the flat fee is {t.flat_fee}",
        )


def _validate_tiers(t: ContractTerms) -> None:
    if not t.commission_tiers:
        return
    by_orders = t.commission_tiers[0].from_orders is not None
    previous: Decimal | None = None
    for n, tier in enumerate(t.commission_tiers, start=1):
        where = f"commission_tiers[{n}]"
        if (tier.from_orders is None) == (tier.from_revenue is None):
            raise _invalid(where, f"{where} needs exactly one of from_orders and from_revenue")
        if (tier.from_orders is not None) != by_orders:
            raise _invalid(where, "all volume tiers must count orders, or all count revenue")
        _check_rate(tier.rate, where)
        if tier.from_revenue is not None:
            _check_money(tier.from_revenue, where, t.currency)
            threshold = tier.from_revenue.amount
        else:
            assert tier.from_orders is not None
            threshold = Decimal(tier.from_orders)
            if tier.from_orders <= 0:
                raise _invalid(where, f"{where} must start above zero orders")
        if previous is not None and threshold <= previous:
            raise _invalid(where, "volume tiers must have increasing thresholds")
        previous = threshold


def _check_rate(rate: Decimal, field: str) -> None:
    if not isinstance(rate, Decimal) or not rate.is_finite() or rate <= 0 or rate > 1:
        raise _invalid(field, f"{field} must be a fraction above 0 and at most 1, not {rate}")


def _validate_product_rates(t: ContractTerms) -> None:
    keys = [key for key, _ in t.product_rates]
    if keys != sorted(set(keys)):
        raise _invalid("product_rates", "product rates must be one per product, sorted")
    for key, rate in t.product_rates:
        if not isinstance(key, str) or not key or key != key.strip() or not key.isprintable():
            raise _invalid("product_rates", f"{key!r} is not a product id or SKU")
        if len(key) > MAX_PRODUCT_KEY:
            raise _invalid(
                "product_rates", f"product id {key[:20]!r}... is over {MAX_PRODUCT_KEY} characters"
            )
        _check_rate(rate, f"product_rates[{key}]")


def _validate(t: ContractTerms) -> None:
    if not isinstance(t.model, PaymentModel):
        raise _invalid("model", f"unknown payment model {t.model!r}")
    if normalise_currency(t.currency) != t.currency:
        raise _invalid("currency", f"currency {t.currency!r} must be an upper-case ISO 4217 code")
    _validate_components(t)
    for name in (
        "flat_fee", "cpc_rate", "cpl_rate", "gifting_value",
        "cap_per_period", "cap_total", "minimum_payout",
    ):  # fmt: skip
        _check_money(getattr(t, name), name, t.currency)
    if t.commission_rate is not None:
        _check_rate(t.commission_rate, "commission_rate")
    _validate_schedule(t)
    _validate_tiers(t)
    codes = [code for code, _ in t.country_rates]
    if codes != sorted(set(codes)):
        raise _invalid("country_rates", "country rates must be one per country, sorted")
    for code, rate in t.country_rates:
        if len(code) != 2 or not code.isalpha() or not code.isupper():
            raise _invalid("country_rates", f"{code!r} is not an upper-case country code")
        _check_rate(rate, f"country_rates[{code}]")
    _validate_product_rates(t)
    if (t.cap_per_period is None) != (t.cap_period is None):
        raise _invalid("cap_period", "cap_per_period and cap_period go together")
    for name in ("exclusivity", "usage_rights"):
        text = getattr(t, name)
        if text is not None and not text.strip():
            raise _invalid(name, f"{name} is blank; leave it out instead")
    if not 0 <= t.hold_days <= MAX_HOLD_DAYS:
        raise _invalid("hold_days", f"hold_days must be 0 to {MAX_HOLD_DAYS}, not {t.hold_days}")


# --- the JSON-able form ------------------------------------------------------

_MONEY_FIELDS: Final = (
    "flat_fee", "cpc_rate", "cpl_rate", "gifting_value",
    "cap_per_period", "cap_total", "minimum_payout",
)  # fmt: skip
_TEXT_FIELDS: Final = ("exclusivity", "usage_rights")
KNOWN_KEYS: Final = frozenset(
    {"version", "model", "currency", "hold_days", "cap_period", "commission_rate"}
    | {"fee_schedule", "commission_tiers", "country_rates", "product_rates"}
    | set(_MONEY_FIELDS)
    | set(_TEXT_FIELDS)
)


def _dec(value: Decimal) -> str:
    """Plain notation (``1000``, not ``1E+3``) keeps the stored JSON readable."""
    return format(value, "f")


def terms_to_dict(t: ContractTerms) -> dict[str, object]:
    """The stored form: only the fields that are set, decimals as strings."""
    out: dict[str, object] = {
        "version": TERMS_VERSION,
        "model": t.model.value,
        "currency": t.currency,
        "hold_days": t.hold_days,
    }
    for name in _MONEY_FIELDS:
        money: Money | None = getattr(t, name)
        if money is not None:
            out[name] = _dec(money.amount)
    if t.commission_rate is not None:
        out["commission_rate"] = _dec(t.commission_rate)
    if t.cap_period is not None:
        out["cap_period"] = t.cap_period.value
    if t.fee_schedule:
        out["fee_schedule"] = [
            {"due_on": i.due_on.isoformat(), "amount": _dec(i.amount.amount)}
            for i in t.fee_schedule
        ]
    if t.commission_tiers:
        out["commission_tiers"] = [_tier_to_dict(tier) for tier in t.commission_tiers]
    if t.country_rates:
        out["country_rates"] = {code: _dec(rate) for code, rate in t.country_rates}
    if t.product_rates:
        out["product_rates"] = {key: _dec(rate) for key, rate in t.product_rates}
    for name in _TEXT_FIELDS:
        if getattr(t, name) is not None:
            out[name] = getattr(t, name)
    return out


def _tier_to_dict(tier: CommissionTier) -> dict[str, object]:
    out: dict[str, object] = {"rate": _dec(tier.rate)}
    if tier.from_orders is not None:
        out["from_orders"] = tier.from_orders
    if tier.from_revenue is not None:
        out["from_revenue"] = _dec(tier.from_revenue.amount)
    return out


def _list(data: Mapping[str, object], key: str) -> list[Mapping[str, object]]:
    value = data.get(key) or []
    if not isinstance(value, list) or not all(isinstance(v, Mapping) for v in value):
        raise _invalid(key, f"{key} must be a list of objects")
    return value


def _schedule_from(data: Mapping[str, object], currency: str) -> tuple[Instalment, ...]:
    out = []
    for n, item in enumerate(_list(data, "fee_schedule"), start=1):
        where = f"fee_schedule[{n}]"
        try:
            due_on = date.fromisoformat(str(item.get("due_on")))
        except ValueError:
            raise _invalid(where, f"{where} due_on must be a date (YYYY-MM-DD)") from None
        out.append(Instalment(due_on, _amount(item.get("amount"), where, currency)))
    return tuple(out)


def _tiers_from(data: Mapping[str, object], currency: str) -> tuple[CommissionTier, ...]:
    out = []
    for n, item in enumerate(_list(data, "commission_tiers"), start=1):
        where = f"commission_tiers[{n}]"
        orders = item.get("from_orders")
        revenue = item.get("from_revenue")
        out.append(
            CommissionTier(
                rate=parse_rate(item.get("rate"), where),
                from_orders=None if orders is None else _int(orders, where),
                from_revenue=None if revenue is None else _amount(revenue, where, currency),
            )
        )
    return tuple(out)


def _country_rates_from(data: Mapping[str, object]) -> tuple[tuple[str, Decimal], ...]:
    raw = data.get("country_rates") or {}
    if not isinstance(raw, Mapping):
        raise _invalid("country_rates", "country_rates must map country codes to rates")
    rates = {
        str(code).strip().upper(): parse_rate(rate, f"country_rates[{code}]")
        for code, rate in raw.items()
    }
    return tuple(sorted(rates.items()))


def _product_rates_from(data: Mapping[str, object]) -> tuple[tuple[str, Decimal], ...]:
    raw = data.get("product_rates") or {}
    if not isinstance(raw, Mapping):
        raise _invalid("product_rates", "product_rates must map product ids or SKUs to rates")
    rates: dict[str, Decimal] = {}
    for key, rate in raw.items():
        name = str(key).strip()
        if name in rates:
            raise _invalid("product_rates", f"product {name!r} has two rates")
        rates[name] = parse_rate(rate, f"product_rates[{name}]")
    return tuple(sorted(rates.items()))


def terms_from_dict(data: Mapping[str, object], *, currency: str | None = None) -> ContractTerms:
    """Parse and validate terms; ``currency`` fills in when the dict has none.

    Amounts may be decimal strings or ints (never floats); rates also accept
    ``"12%"``. Every error names the field it is about.
    """
    unknown = sorted(set(data) - KNOWN_KEYS)
    if unknown:
        raise _invalid(unknown[0], f"unknown contract term(s): {', '.join(unknown)}")
    try:
        model = PaymentModel(str(data.get("model", "")).strip().lower())
    except ValueError:
        choices = ", ".join(m.value for m in PaymentModel)
        raise _invalid(
            "model", f"payment model {data.get('model')!r} is not one of {choices}"
        ) from None
    raw_currency = data.get("currency") or currency
    if not isinstance(raw_currency, str):
        raise _invalid("currency", "the terms need a currency")
    cur = normalise_currency(raw_currency)
    values: dict[str, object] = {}
    for name in _MONEY_FIELDS:
        if data.get(name) is not None:
            values[name] = _amount(data[name], name, cur)
    if data.get("commission_rate") is not None:
        values["commission_rate"] = parse_rate(data["commission_rate"])
    if data.get("cap_period") is not None:
        try:
            values["cap_period"] = CapPeriod(str(data["cap_period"]).strip().lower())
        except ValueError:
            raise _invalid("cap_period", "cap_period must be week or month") from None
    for name in _TEXT_FIELDS:
        text = data.get(name)
        if text is not None:
            values[name] = str(text)
    hold = data.get("hold_days")
    return ContractTerms(
        model=model,
        currency=cur,
        fee_schedule=_schedule_from(data, cur),
        commission_tiers=_tiers_from(data, cur),
        country_rates=_country_rates_from(data),
        product_rates=_product_rates_from(data),
        hold_days=DEFAULT_HOLD_DAYS if hold is None else _int(hold, "hold_days"),
        **values,  # type: ignore[arg-type]
    )


def describe_terms(t: ContractTerms) -> str:
    """One line for tables: ``cps 12% · hold 30d`` and the like."""
    parts: list[str] = [t.model.value]
    if t.flat_fee is not None:
        parts.append(f"fee {t.flat_fee}")
    if t.cpc_rate is not None:
        parts.append(f"{t.cpc_rate} per click")
    if t.cpl_rate is not None:
        parts.append(f"{t.cpl_rate} per lead")
    if t.commission_rate is not None:
        parts.append(f"{_percent(t.commission_rate)} commission")
    if t.product_rates:
        count = len(t.product_rates)
        parts.append(f"{count} product rate{'s' if count != 1 else ''}")
    if t.gifting_value is not None:
        parts.append(f"gift {t.gifting_value}")
    if t.cap_total is not None:
        parts.append(f"cap {t.cap_total}")
    parts.append(f"hold {t.hold_days}d")
    return " · ".join(parts)


def _percent(rate: Decimal) -> str:
    text = format(rate * 100, "f")
    return (text.rstrip("0").rstrip(".") if "." in text else text) + "%"
