"""The keys a conversion carries for attribution: click id, codes, customer.

Shops pass these through free-text fields (cart attributes, order meta, Stripe
metadata), so a malformed value is dropped rather than refused: a typo in a
cart attribute must not make the shop retry the whole order forever.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable
from typing import Final
from urllib.parse import parse_qs, urlsplit

from perfluence.core.clickid import CLICK_ID_PARAM as CLICK_ID_PARAM  # noqa: PLC0414 - re-exported
from perfluence.core.clickid import is_click_id

CODE_META_KEY: Final = "pf_code"
_COUNTRY = re.compile(r"[A-Z]{2}", re.ASCII)
MAX_CODE_LENGTH: Final = 64


def clean_click_id(value: str | None) -> str | None:
    """The click id if ``value`` has the shape of one, else ``None``."""
    if value is None:
        return None
    stripped = value.strip()
    return stripped if is_click_id(stripped) else None


def click_id_from_url(url: str | None) -> str | None:
    """``pf_cid`` from a landing URL, absolute or relative (``/p/x?pf_cid=…``)."""
    if not url:
        return None
    try:
        query = urlsplit(url).query
    except ValueError:
        return None
    for value in parse_qs(query).get(CLICK_ID_PARAM, []):
        if found := clean_click_id(value):
            return found
    return None


def clean_codes(raw: Iterable[str | None]) -> tuple[str, ...]:
    """Upper-cased, de-duplicated codes in the order the shop listed them."""
    seen: dict[str, None] = {}
    for value in raw:
        if value is None:
            continue
        code = value.strip().upper()
        if code and len(code) <= MAX_CODE_LENGTH:
            seen.setdefault(code, None)
    return tuple(seen)


def email_hash(email: str | None) -> str | None:
    """SHA-256 hex of the trimmed, lower-cased email; the raw email is never kept."""
    if email is None:
        return None
    normalised = email.strip().lower()
    if "@" not in normalised:
        return None
    return hashlib.sha256(normalised.encode("utf-8", "surrogatepass")).hexdigest()


def customer_ref(email_digest: str | None, source: str, customer_id: str | None) -> str | None:
    """A stable customer key: the email hash, else the shop's own customer id."""
    if email_digest is not None:
        return email_digest
    if customer_id is not None:
        return f"{source}:{customer_id}"
    return None


def clean_country(value: str | None) -> str | None:
    """An ISO 3166 alpha-2 code, upper-cased, or ``None``."""
    if value is None:
        return None
    code = value.strip().upper()
    return code if _COUNTRY.fullmatch(code) else None
