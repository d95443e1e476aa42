"""Hypothesis strategies for bad input: JSON of any shape, mutated real payloads, signed bodies."""

from __future__ import annotations

import copy
import os
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from fuzz.mutators import AWKWARD, write_json
from hypothesis import strategies as st

from perfluence.core.model import WebhookSource
from tests.unit.webhook_fuzz import fixture_dict, leaf_paths


def examples(default: int) -> int:
    """``default`` examples, times ``PERFLUENCE_FUZZ_SCALE`` for a longer hunt (docs/fuzzing.md)."""
    return default * max(1, int(os.environ.get("PERFLUENCE_FUZZ_SCALE", "1")))


# Keys the parsers look for, so generated objects reach past the first lookup.
KEYS = (
    "id", "currency", "created_at", "line_items", "price", "quantity", "amount", "status",
    "total", "refunds", "transactions", "kind", "object", "type", "data", "financial_status",
    "subtotal_price", "amount_total", "date_created_gmt", "discount_allocations", "meta_data",
)  # fmt: skip

scalars = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.decimals(allow_nan=False, allow_infinity=False)
    | st.text(max_size=20)
    | st.sampled_from(AWKWARD)
)
json_values = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=4)
        | st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=12,
)
json_objects = st.dictionaries(st.sampled_from(KEYS) | st.text(max_size=8), json_values, max_size=8)


@dataclass(frozen=True)
class Target:
    """A shop, the topic its header names, and a real payload of that topic."""

    source: WebhookSource
    topic: str
    payload: dict[str, Any]

    def __repr__(self) -> str:  # shrunk examples read better without the whole payload
        return f"Target({self.source.value}, {self.topic!r})"


TARGETS = (
    Target(WebhookSource.SHOPIFY, "orders/create", fixture_dict("shopify", "orders_create")),
    Target(WebhookSource.SHOPIFY, "refunds/create", fixture_dict("shopify", "refunds_create")),
    Target(
        WebhookSource.WOOCOMMERCE, "order.updated", fixture_dict("woocommerce", "order_updated")
    ),
    Target(WebhookSource.STRIPE, "", fixture_dict("stripe", "checkout_session_completed")),
    Target(WebhookSource.STRIPE, "", fixture_dict("stripe", "charge_refunded")),
)
targets = st.sampled_from(TARGETS)


def _apply(doc: Any, path: tuple[str | int, ...], op: str, value: object) -> Any:
    if not path:
        return doc
    parent = doc
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if op == "delete":
        del parent[last]
    elif op == "grow" and isinstance(parent[last], list) and parent[last]:
        parent[last].extend([copy.deepcopy(parent[last][0])] * 40)
    else:
        parent[last] = value
    return doc


@st.composite
def mutated(draw: st.DrawFn, payload: dict[str, Any]) -> dict[str, Any]:
    """``payload`` with one to four values replaced, deleted or repeated."""
    doc = copy.deepcopy(payload)
    for _ in range(draw(st.integers(1, 4))):
        paths = leaf_paths(doc)
        if not paths:
            break
        path = draw(st.sampled_from(paths))
        op = draw(st.sampled_from(("replace", "replace", "replace", "delete", "grow")))
        doc = _apply(doc, path, op, draw(json_values) if op == "replace" else None)
    return doc


@st.composite
def delivery_bodies(draw: st.DrawFn, target: Target) -> bytes:
    """A body for ``target``: its real payload mutated, any JSON object, or any bytes."""
    kind = draw(st.sampled_from(("mutated", "mutated", "object", "bytes")))
    if kind == "mutated":
        return write_json(draw(mutated(target.payload)))
    if kind == "object":
        return write_json(draw(json_objects))
    return draw(st.binary(max_size=200))


amounts = st.decimals(
    min_value=Decimal(0), max_value=Decimal("999999999999.99"), places=2, allow_nan=False
)
