"""A JSON-aware mutator for atheris: change values, not bytes, so inputs stay parseable.

Byte-level mutation of a JSON body breaks it on almost every try and never
gets past ``json.loads``; half the time this mutator parses the body, swaps a
few values for awkward ones (wrong types, huge numbers, negative amounts,
empty strings, copies of other parts of the document) and writes it back. The
other half it leaves to libFuzzer's own mutations.
"""

from __future__ import annotations

import json
import random
from collections.abc import Callable
from decimal import Decimal
from typing import Final

Path = tuple[str | int, ...]
_NUMBER_MARK: Final = "\x00num:"

AWKWARD: Final[tuple[object, ...]] = (
    None,
    True,
    "",
    " ",
    0,
    -1,
    1,
    2**31,
    2**63,
    10**15,
    10**25,
    Decimal("-0.00"),
    Decimal("1e5"),
    Decimal("1E+400"),
    Decimal("0.0000001"),
    Decimal("999999999999999.99"),
    "0",
    "-10.00",
    "1,5",
    "1e3",
    "NaN",
    "Infinity",
    "999999999999999.999999",
    "99999999999999999999",
    "DKK",
    "jpy",
    "KWD",
    "XXX",
    "2026-03-02T13:05:12+01:00",
    "0001-01-01T00:00:00+14:00",
    "9999-12-31T23:59:59-12:00",
    "2026-03-02T13:05:12",
    "pf_cid",
    "0PnjEGiWL0i0cjr0lZmIfG",
    "refund",
    "success",
    "succeeded",
    "paid",
    "refunded",
    "completed",
    "event",
    "charge",
    "checkout.session",
    "x" * 300,
    "\u202e\u0000\ud800",
    [],
    {},
    [{}],
    {"id": 1},
)


def _paths(value: object, prefix: Path = ()) -> list[Path]:
    out: list[Path] = [prefix]
    if isinstance(value, dict):
        for key, child in value.items():
            out += _paths(child, (*prefix, key))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            out += _paths(child, (*prefix, index))
    return out


def _get(doc: object, path: Path) -> object:
    for step in path:
        doc = doc[step]  # type: ignore[index]
    return doc


def _set(doc: object, path: Path, new: object) -> object:
    if not path:
        return new
    parent = _get(doc, path[:-1])
    parent[path[-1]] = new  # type: ignore[index]
    return doc


def _delete(doc: object, path: Path) -> object:
    if not path:
        return doc
    parent = _get(doc, path[:-1])
    del parent[path[-1]]  # type: ignore[attr-defined]
    return doc


def _grow(doc: object, path: Path, rng: random.Random) -> object:
    """Repeat a list's element many times (many line items, many refunds)."""
    target = _get(doc, path)
    if isinstance(target, list) and target:
        target.extend([target[0]] * rng.choice((1, 5, 50, 500)))
    return doc


def mutate_document(doc: object, rng: random.Random) -> object:
    """One to three structural changes to a parsed JSON document."""
    for _ in range(rng.randint(1, 3)):
        paths = _paths(doc)
        path = rng.choice(paths)
        roll = rng.random()
        if roll < 0.6:
            doc = _set(doc, path, rng.choice(AWKWARD))
        elif roll < 0.75:
            doc = _delete(doc, path)
        elif roll < 0.85:
            doc = _grow(doc, path, rng)
        else:
            # A copy of another part of the document: right shapes in the wrong places.
            donor = _get(doc, rng.choice(paths))
            doc = _set(doc, path, json.loads(write_json(donor), parse_float=Decimal))
    return doc


def _marked(value: object) -> object:
    if isinstance(value, Decimal):
        return f"{_NUMBER_MARK}{value}"
    if isinstance(value, dict):
        return {k: _marked(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_marked(v) for v in value]
    return value


def _unmark(text: str) -> str:
    out: list[str] = []
    start = 0
    mark = '"\\u0000num:'
    while (at := text.find(mark, start)) >= 0:
        end = text.find('"', at + len(mark))
        out += [text[start:at], text[at + len(mark) : end]]
        start = end + 1
    out.append(text[start:])
    return "".join(out)


def write_json(doc: object) -> bytes:
    return _unmark(json.dumps(_marked(doc))).encode()


def json_mutator(
    prefix_length: int, fallback: Callable[[bytes, int], bytes]
) -> Callable[[bytes, int, int], bytes]:
    """A libFuzzer custom mutator for inputs of ``prefix_length`` control bytes + a JSON body."""

    def mutate(data: bytes, max_size: int, seed: int) -> bytes:
        rng = random.Random(seed)  # noqa: S311 - reproducible mutations, not secrets
        prefix, body = data[:prefix_length], data[prefix_length:]
        if rng.random() < 0.5:
            return fallback(data, max_size)
        try:
            doc = json.loads(body, parse_float=Decimal)
        except (ValueError, RecursionError, ArithmeticError):
            return fallback(data, max_size)
        if rng.random() < 0.1:
            prefix = bytes(rng.randrange(256) for _ in prefix)
        try:
            out = prefix + write_json(mutate_document(doc, rng))
        except (ValueError, RecursionError, ArithmeticError, TypeError, KeyError, IndexError):
            return fallback(data, max_size)
        return out if len(out) <= max_size else fallback(data, max_size)

    return mutate
