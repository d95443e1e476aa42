"""The shape of a click id, shared by the redirect that mints it and the shops' webhooks.

A click id is 22 characters of ``0-9A-Z_a-z~`` (base64 of a 48-bit millisecond
timestamp and 80 random bits, in an alphabet whose ASCII order is time order).
Minting lives in ``tracking.clickid``; recognising one lives here.
"""

from __future__ import annotations

from typing import Final

CLICK_ID_PARAM: Final = "pf_cid"
CLICK_ID_LENGTH: Final = 22
ALPHABET: Final = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ_abcdefghijklmnopqrstuvwxyz~"
_ALPHABET_SET: Final = frozenset(ALPHABET)


def is_click_id(value: str) -> bool:
    """Whether ``value`` has the shape of a click id (length and alphabet)."""
    return len(value) == CLICK_ID_LENGTH and set(value) <= _ALPHABET_SET
