"""Tracking links (pure): destinations, UTM parameters, the click id, slugs.

A destination is stored as validated (``validate_destination``). When a link is
saved its UTM parameters are merged into the destination once
(``merge_utm``); each redirect then only puts the click id in
(``tracking_url``), which is a couple of string operations.

Merging appends to the destination's query string exactly as written: existing
parameters keep their order, their percent-encoding, repeated keys and blank
values, and the ``#fragment`` stays last. When the destination already carries
a parameter the link would add (a hand-tagged ``utm_source``), the
destination's own value wins: whoever tagged the URL by hand meant it.

No ``urllib`` here: its parsing decodes and re-encodes, and the core stays
free of it; the grammar needed (RFC 3986, appendix B) is one regular
expression.
"""

from __future__ import annotations

import ipaddress
import re
import secrets
import unicodedata
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from random import Random
from typing import Final
from urllib.parse import quote as _quote
from urllib.parse import unquote_plus as _unquote_plus

from perfluence.core.clickid import CLICK_ID_PARAM as CLICK_ID_PARAM  # noqa: PLC0414 - re-exported
from perfluence.core.model import LinkStatus
from perfluence.errors import ErrorCode, PerfluenceError

MAX_URL_LENGTH: Final = 2048
DEFAULT_MEDIUM: Final = "influencer"
# The utm_source of a link whose creator has no social account.
DEFAULT_SOURCE: Final = "influencer"

# 62 letters and digits minus the look-alikes 0 O o 1 l I: a slug read aloud or
# copied off a printed QR code survives.
SLUG_ALPHABET: Final = "23456789ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnpqrstuvwxyz"
SLUG_LENGTH: Final = 7
CUSTOM_SLUG_RE: Final = re.compile(r"[A-Za-z0-9_-]{3,64}")
# Path segments the web app uses (or may), so a slug can never shadow a route.
RESERVED_SLUGS: Final = frozenset(
    {
        "admin", "api", "app", "assets", "auth", "c", "dashboard", "docs", "favicon.ico",
        "health", "healthz", "l", "login", "logout", "metrics", "openapi", "portal", "qr",
        "r", "ready", "robots", "settings", "signup", "static", "status", "t", "webhooks",
        "well-known", "www",
    }
)  # fmt: skip

UTM_KEY_RE: Final = re.compile(r"[A-Za-z0-9_.-]{1,64}")
MAX_UTM_VALUE: Final = 500

# RFC 3986 appendix B, anchored; every part is optional in the grammar, the checks come after.
_URL_RE: Final = re.compile(
    r"^(?:([^:/?#]+):)?(?://([^/?#]*))?([^?#]*)(?:\?([^#]*))?(?:#(.*))?$", re.DOTALL
)
_SCHEME_RE: Final = re.compile(r"[A-Za-z][A-Za-z0-9+.-]*")
_HOST_RE: Final = re.compile(r"[a-z0-9_-]+(?:\.[a-z0-9_-]+)*\.?")
_PORT_RE: Final = re.compile(r"[0-9]{1,5}")
# Every ASCII character that may appear in a URL as it is (RFC 3986 reserved,
# unreserved and '%'). Anything else in a destination is percent-encoded as UTF-8.
_URL_ASCII: Final = frozenset(
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~:/?#[]@!$&'()*+,;=%"
)
_INVISIBLE: Final = frozenset({"Cc", "Cf", "Cs"})


def _invalid(field: str, message: str) -> PerfluenceError:
    return PerfluenceError(ErrorCode.INVALID, message, field=field)


def quote(value: str) -> str:
    """Percent-encode ``value`` as UTF-8, keeping only the unreserved characters."""
    return _quote(value, safe="")


def unquote_plus(value: str) -> str:
    """Decode a query-string component (``+`` is a space); bad UTF-8 becomes U+FFFD."""
    return _unquote_plus(value, errors="replace")


def _encode_other(text: str) -> str:
    """Percent-encode characters that may not stand in a URL as they are; keep the rest."""
    if all(c in _URL_ASCII for c in text):
        return text
    return "".join(c if c in _URL_ASCII else quote(c) for c in text)


def _refuse_invisible(url: str, field: str) -> None:
    for index, char in enumerate(url):
        category = unicodedata.category(char)
        # Cc control, Cf format (bidi overrides, zero-width), Cs lone surrogates (no UTF-8),
        # Z* spaces and separators.
        if category in _INVISIBLE or category.startswith("Z"):
            raise _invalid(
                field,
                f"{field} contains whitespace or an invisible character "
                f"(U+{ord(char):04X}) at position {index + 1}",
            )
    if "\\" in url:
        # Browsers read '\' as '/' in http URLs: 'https://shop.example\@evil.example' goes to evil.
        raise _invalid(field, f"{field} may not contain a backslash")


def _normalise_host(host: str, field: str) -> str:
    if host.startswith("["):
        if not host.endswith("]"):
            raise _invalid(field, f"{field} has an unterminated IPv6 address")
        try:
            address = ipaddress.IPv6Address(host[1:-1])
        except ValueError:
            raise _invalid(field, f"{field} has an invalid IPv6 address {host!r}") from None
        if address.scope_id is not None:
            # ipaddress takes any text after '%' as a zone; it names an interface of one machine.
            raise _invalid(field, f"{field} has an IPv6 zone (%...), which only works locally")
        return f"[{address.compressed}]"
    if not host:
        raise _invalid(field, f"{field} has no host (write it like https://shop.example/page)")
    if not host.isascii():
        try:
            host = host.encode("idna").decode("ascii")
        except UnicodeError:
            raise _invalid(field, f"{field} has an invalid international host {host!r}") from None
    host = host.lower()
    if not _HOST_RE.fullmatch(host) or any(len(label) > 63 for label in host.split(".")):
        raise _invalid(field, f"{field} has an invalid host {host!r}")
    return host


def _normalise_authority(authority: str | None, field: str) -> str:
    if authority is None:
        raise _invalid(
            field, f"{field} must be an absolute URL with a host (https://shop.example/page)"
        )
    if "@" in authority:
        raise _invalid(field, f"{field} may not contain a user name or password")
    host, port = authority, None
    if authority.startswith("["):
        close = authority.find("]")
        if close >= 0 and close + 1 < len(authority):
            host, rest = authority[: close + 1], authority[close + 1 :]
            if not rest.startswith(":"):
                raise _invalid(field, f"{field} has an invalid host {authority!r}")
            port = rest[1:]
    elif ":" in authority:
        host, _, port = authority.rpartition(":")
    host = _normalise_host(host, field)
    if port is None:
        return host
    if not _PORT_RE.fullmatch(port) or not 0 < int(port) <= 65535:
        raise _invalid(field, f"{field} has an invalid port {port!r}")
    return f"{host}:{int(port)}"


def validate_destination(url: str, field: str = "destination") -> str:
    """The URL a link may send people to, normalised; ``PerfluenceError(INVALID)`` otherwise.

    Only absolute ``http``/``https`` URLs with a host. Refused: other schemes
    (``javascript:``, ``data:``), relative and scheme-relative URLs, user names
    or passwords, whitespace and invisible characters inside, backslashes, more
    than ``MAX_URL_LENGTH`` characters. Normalised: surrounding whitespace
    trimmed, scheme and host lower-cased, an international host in its ASCII
    (punycode) form, characters a URL may not carry raw (``æøå``, ``"``, ``<``)
    percent-encoded as UTF-8. Everything else, including every existing
    percent-encoding, stays exactly as given; the result validates to itself.
    """
    text = url.strip()
    if not text:
        raise _invalid(field, f"{field} is empty")
    if len(text) > MAX_URL_LENGTH:
        raise _invalid(field, f"{field} is longer than {MAX_URL_LENGTH} characters")
    _refuse_invisible(text, field)
    match = _URL_RE.match(text)
    assert match is not None  # every string matches: all parts are optional
    scheme, authority, path, query, fragment = match.groups()
    if scheme is None or not _SCHEME_RE.fullmatch(scheme):
        raise _invalid(field, f"{field} must be an absolute URL starting with https:// or http://")
    if scheme.lower() not in ("http", "https"):
        raise _invalid(field, f"{field} must use http or https, not {scheme.lower()}:")
    out = [scheme.lower(), "://", _normalise_authority(authority, field), _encode_other(path)]
    if query is not None:
        out += ["?", _encode_other(query)]
    if fragment is not None:
        out += ["#", _encode_other(fragment)]
    result = "".join(out)
    if len(result) > MAX_URL_LENGTH:
        raise _invalid(
            field, f"{field} is longer than {MAX_URL_LENGTH} characters once percent-encoded"
        )
    return result


def validate_utm(params: Mapping[str, str]) -> dict[str, str]:
    """Check UTM (or other) parameters a link adds: plain keys, short values, no ``pf_cid``."""
    checked: dict[str, str] = {}
    for key, value in params.items():
        if not UTM_KEY_RE.fullmatch(key):
            raise _invalid(
                "utm", f"parameter name {key!r} must be 1-64 letters, digits, '_', '.' or '-'"
            )
        if key.lower() == CLICK_ID_PARAM:
            raise _invalid("utm", f"{CLICK_ID_PARAM} is set by perfluence on every click")
        if len(value) > MAX_UTM_VALUE:
            raise _invalid("utm", f"{key} is longer than {MAX_UTM_VALUE} characters")
        if any(unicodedata.category(c) in _INVISIBLE for c in value):
            raise _invalid("utm", f"{key} contains a control or invisible character")
        checked[key] = value
    return checked


def default_utm(platform: str, campaign_slug: str, creator_handle: str) -> dict[str, str]:
    """The UTM parameters a link gets unless it overrides them."""
    return {
        "utm_source": platform,
        "utm_medium": DEFAULT_MEDIUM,
        "utm_campaign": campaign_slug,
        "utm_content": creator_handle,
    }


def effective_utm(defaults: Mapping[str, str], overrides: Mapping[str, str]) -> dict[str, str]:
    """``defaults`` with ``overrides`` applied: a value replaces, ``""`` removes, new keys append.

    Defaults keep their order; added keys follow in the order given.
    """
    merged = dict(defaults)
    merged.update(overrides)
    return validate_utm({k: v for k, v in merged.items() if v != ""})


def _query_keys(query: str) -> set[str]:
    return {unquote_plus(part.partition("=")[0]) for part in query.split("&") if part}


def _without_click_id(query: str) -> str:
    return "&".join(
        p for p in query.split("&") if unquote_plus(p.partition("=")[0]) != CLICK_ID_PARAM
    )


def merge_utm(destination: str, params: Mapping[str, str]) -> str:
    """``destination`` (validated here) with ``params`` appended to its query string.

    The destination's query is kept character for character; a key it already
    has (compared decoded, so ``utm%5Fsource`` is ``utm_source``) keeps the
    destination's value and the param is not added. New names and values are
    percent-encoded. A ``pf_cid`` the destination carries (a copied tracked
    URL) is dropped: each click sets its own.
    """
    return append_params(validate_destination(destination), validate_utm(params))


def append_params(url: str, params: Mapping[str, str]) -> str:
    """``merge_utm`` for a URL and params that were validated when they were stored."""
    head, hash_mark, fragment = url.partition("#")
    base, question, query = head.partition("?")
    if CLICK_ID_PARAM in query:
        query = _without_click_id(query)
    existing = _query_keys(query)
    added = [f"{quote(k)}={quote(v)}" for k, v in params.items() if k not in existing]
    if added:
        joiner = "&" if query and not query.endswith("&") else ""
        query = query + joiner + "&".join(added)
        question = "?"
    return f"{base}{question}{query}{hash_mark}{fragment}"


def click_id_parts(destination_with_utm: str) -> tuple[str, str]:
    """The URL split around where the click id goes: ``head + click_id + tail``.

    ``head`` ends with ``pf_cid=``; ``tail`` is the ``#fragment`` (or empty).
    """
    url = destination_with_utm
    cut = url.find("#")
    before, tail = (url, "") if cut < 0 else (url[:cut], url[cut:])
    if CLICK_ID_PARAM in before:
        base, question, query = before.partition("?")
        before = base + question + _without_click_id(query)
    query_at = before.find("?")
    if query_at < 0:
        sep = "?"
    elif query_at == len(before) - 1 or before.endswith("&"):
        sep = ""
    else:
        sep = "&"
    return f"{before}{sep}{CLICK_ID_PARAM}=", tail


def tracking_url(destination_with_utm: str, click_id: str) -> str:
    """Where one click is sent: the merged destination with ``pf_cid=<click_id>``.

    Any ``pf_cid`` already there is replaced, never repeated. Click ids are
    URL-safe, so they go in unencoded.
    """
    head, tail = click_id_parts(destination_with_utm)
    return head + click_id + tail


def new_slug(rng: Random | None = None) -> str:
    """A random slug of ``SLUG_LENGTH`` unambiguous characters (the OS CSPRNG by default)."""
    if rng is None:
        return "".join(secrets.choice(SLUG_ALPHABET) for _ in range(SLUG_LENGTH))
    return "".join(rng.choice(SLUG_ALPHABET) for _ in range(SLUG_LENGTH))


def validate_custom_slug(slug: str) -> str:
    """A slug chosen by a person: 3-64 of ``A-Z a-z 0-9 _ -`` and not a reserved word."""
    if not CUSTOM_SLUG_RE.fullmatch(slug):
        raise _invalid("slug", f"slug {slug!r} must be 3-64 letters, digits, '_' or '-'")
    if slug.lower() in RESERVED_SLUGS:
        raise _invalid("slug", f"slug {slug!r} is reserved; choose another")
    return slug


@dataclass(frozen=True, slots=True)
class LinkTarget:
    """What the redirect needs to serve one slug.

    ``destination`` has the UTM parameters merged in already. ``fallback_url``
    is the link's own fallback (validated when set); when it is ``None`` the
    workspace's fallback applies.
    """

    slug: str
    link_id: int
    workspace_id: int
    destination: str
    status: LinkStatus
    click_cap: int | None
    fallback_url: str | None
    updated_at: datetime
