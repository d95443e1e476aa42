"""Click ids: 22 URL-safe characters whose lexical order is their time order.

A click id is 16 bytes, a 48-bit millisecond UTC timestamp followed by 80
random bits, written in base64 with an alphabet in ASCII order
(``0-9A-Z_a-z~``, all unreserved characters in URLs and safe in cookies), so
comparing two ids as strings compares their times to the millisecond. Ids
minted in the same millisecond are in random order. The random part comes from
the operating system's CSPRNG: a click id travels in URLs and cookies and is
what attributes a sale, so it must not be guessable.

It is minted once per redirect, so it is built from C-level pieces only
(``int.to_bytes``, ``binascii``, ``bytes.translate``), well under a
microsecond. The random bytes are drawn from ``os.urandom`` in blocks: one
``os.urandom`` call per click costs little by itself, but it releases the GIL,
and under load the click writer's thread then takes the interpreter for up to
a switch interval (5 ms) before the redirect can go on (measured: a tenth of
the redirect's time, and most of its tail latency). Slices come from a C
iterator, whose ``next()`` is atomic under the GIL, so no lock is needed and no
two threads ever get the same bytes; a forked child draws a new block.
"""

from __future__ import annotations

import binascii
import os
import struct
import time
from collections.abc import Iterator

# Re-exported: callers that mint ids also need their shape.
from perfluence.core.clickid import ALPHABET as ALPHABET  # noqa: PLC0414
from perfluence.core.clickid import CLICK_ID_LENGTH as CLICK_ID_LENGTH  # noqa: PLC0414
from perfluence.core.clickid import is_click_id as is_click_id  # noqa: PLC0414

_STANDARD = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/"
_TO_SORTED = bytes.maketrans(_STANDARD, ALPHABET.encode("ascii"))
_FROM_SORTED = bytes.maketrans(ALPHABET.encode("ascii"), _STANDARD)
_RANDOM_BYTES = 10
_BLOCK_BYTES = _RANDOM_BYTES * 4096
_slices = struct.Struct(f"{_RANDOM_BYTES}s").iter_unpack
_b64 = binascii.b2a_base64


def _new_block() -> Iterator[tuple[bytes]]:
    return _slices(os.urandom(_BLOCK_BYTES))


_pool = _new_block()


def _refill() -> None:
    global _pool  # noqa: PLW0603 - the pool is module state by design
    _pool = _new_block()


# A forked worker must never hand out the bytes its parent (or a sibling) uses.
os.register_at_fork(after_in_child=_refill)


def _random_bytes() -> bytes:
    try:
        return next(_pool)[0]
    except StopIteration:
        _refill()
        return next(_pool)[0]


def click_id_bytes_at(epoch_ms: int) -> bytes:
    """``click_id_at`` as ASCII bytes, which is what the redirect's headers need."""
    try:
        (random,) = next(_pool)
    except StopIteration:
        random = _random_bytes()
    # 16 bytes are 22 characters and "==\n", which the slice drops (cheaper than newline=False).
    return _b64(epoch_ms.to_bytes(6, "big") + random)[:CLICK_ID_LENGTH].translate(_TO_SORTED)


def click_id_at(epoch_ms: int) -> str:
    """A new click id for the given UTC time in milliseconds since the epoch."""
    return click_id_bytes_at(epoch_ms).decode("ascii")


def new_click_id(now: float | None = None) -> str:
    """A new click id for ``now`` (epoch seconds; the current time when omitted)."""
    return click_id_at(int((time.time() if now is None else now) * 1000))


def click_id_time_ms(click_id: str) -> int:
    """The millisecond timestamp a click id was minted at."""
    if not is_click_id(click_id):
        raise ValueError(f"not a click id: {click_id!r}")
    standard = click_id.encode("ascii").translate(_FROM_SORTED) + b"=="
    return int.from_bytes(binascii.a2b_base64(standard)[:6], "big")
