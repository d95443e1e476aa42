"""Shared by the three webhook test modules: fixtures, signing, and payload mutation."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

DATA = Path(__file__).parents[1] / "data" / "webhooks"
SECRET = "test-webhook-secret-7d1f"

Path_ = tuple[str | int, ...]


def fixture_bytes(platform: str, name: str) -> bytes:
    return (DATA / platform / f"{name}.json").read_bytes()


def fixture_dict(platform: str, name: str) -> dict[str, Any]:
    loaded = json.loads(fixture_bytes(platform, name), parse_float=Decimal)
    assert isinstance(loaded, dict)
    return loaded


def dump(payload: object) -> bytes:
    return json.dumps(payload, default=str).encode()


def base64_signature(body: bytes, secret: str = SECRET) -> str:
    """How Shopify and WooCommerce sign: base64 of HMAC-SHA256 over the raw body."""
    return base64.b64encode(hmac.new(secret.encode(), body, hashlib.sha256).digest()).decode()


def stripe_signature(body: bytes, t: int, secret: str = SECRET) -> str:
    """How Stripe signs: hex HMAC-SHA256 over ``f"{t}.{body}"``."""
    digest = hmac.new(secret.encode(), str(t).encode() + b"." + body, hashlib.sha256)
    return f"t={t},v1={digest.hexdigest()}"


def leaf_paths(value: object, prefix: Path_ = ()) -> list[Path_]:
    """Every path into ``value`` (containers and leaves), for mutation."""
    paths: list[Path_] = [prefix] if prefix else []
    if isinstance(value, dict):
        for key, child in value.items():
            paths += leaf_paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            paths += leaf_paths(child, (*prefix, index))
    return paths


def replaced(payload: dict[str, Any], path: Path_, new: object) -> dict[str, Any]:
    out = copy.deepcopy(payload)
    node: Any = out
    for step in path[:-1]:
        node = node[step]
    node[path[-1]] = new
    return out


json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.decimals(allow_nan=True, allow_infinity=True)
    | st.text(max_size=30)
    | st.sampled_from(["", "0", "-1.5", "1,5", "DKK", "jpy", "2026-03-02T13:05:12+01:00", "1e999"]),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=8,
)
