"""Discount codes (pure): what a code may look like and how one is made from a pattern.

Codes are compared case-insensitively (a customer types ``emma15`` for
``EMMA15``): the key is the upper-cased code. Letters beyond ASCII are allowed
(``SOMMERÆBLE``); spaces and punctuation other than ``-`` and ``_`` are not,
because shops and customers mangle them.
"""

from __future__ import annotations

import re
import secrets
from random import Random
from typing import Final

from perfluence.errors import ErrorCode, PerfluenceError

MIN_CODE_LENGTH: Final = 3
MAX_CODE_LENGTH: Final = 64
_CODE_RE: Final = re.compile(r"[^\W_][\w-]*")
# Upper-case letters and digits without the look-alikes 0 O 1 I, for codes read off a video.
RANDOM_ALPHABET: Final = "23456789ABCDEFGHJKLMNPQRSTUVWXYZ"
MAX_RANDOM: Final = 12
_PLACEHOLDER_RE: Final = re.compile(r"\{([^{}]*)\}")
_RAND_RE: Final = re.compile(r"RAND([0-9]{1,2})")


def _invalid(field: str, message: str) -> PerfluenceError:
    return PerfluenceError(ErrorCode.INVALID, message, field=field)


def code_key(code: str) -> str:
    """What uniqueness and look-ups compare."""
    return code.strip().upper()


def validate_code(code: str) -> str:
    """A code as it will be shown: trimmed, 3-64 letters, digits, '-' or '_'."""
    text = code.strip()
    if not MIN_CODE_LENGTH <= len(text) <= MAX_CODE_LENGTH or len(code_key(text)) > MAX_CODE_LENGTH:
        raise _invalid(
            "code", f"code {code!r} must be {MIN_CODE_LENGTH}-{MAX_CODE_LENGTH} characters long"
        )
    if not _CODE_RE.fullmatch(text):
        raise _invalid(
            "code",
            f"code {code!r} may only hold letters, digits, '-' and '_', starting with a letter "
            "or digit",
        )
    return text


def handle_for_code(handle: str) -> str:
    """``"emma.eats_93"`` -> ``"EMMAEATS93"``: upper-cased, only letters and digits."""
    # Filtered after upper-casing: some letters upper-case to a letter plus a combining mark.
    return "".join(c for c in handle.upper() if c.isalnum())


def _random_part(length: int, rng: Random | None) -> str:
    if rng is None:
        return "".join(secrets.choice(RANDOM_ALPHABET) for _ in range(length))
    return "".join(rng.choice(RANDOM_ALPHABET) for _ in range(length))


def generate_code(pattern: str, handle: str, rng: Random | None = None) -> str:
    """A code made from ``pattern``: ``{HANDLE}`` the handle, ``{RANDn}`` n random characters.

    ``{HANDLE}15`` gives ``EMMA15``; ``{HANDLE}-{RAND4}`` gives ``EMMA-7KQ2``.
    Literal text is kept as written (and must itself be valid in a code).
    """
    if not pattern.strip():
        raise _invalid("pattern", "pattern is empty (try '{HANDLE}15')")

    def fill(match: re.Match[str]) -> str:
        name = match.group(1).strip().upper()
        if name == "HANDLE":
            value = handle_for_code(handle)
            if not value:
                raise _invalid("pattern", f"handle {handle!r} has no letters or digits to use")
            return value
        rand = _RAND_RE.fullmatch(name)
        if rand and 1 <= int(rand.group(1)) <= MAX_RANDOM:
            return _random_part(int(rand.group(1)), rng)
        raise _invalid(
            "pattern",
            f"unknown placeholder {match.group(0)!r} in pattern; use {{HANDLE}} or "
            f"{{RAND1}}..{{RAND{MAX_RANDOM}}}",
        )

    filled = _PLACEHOLDER_RE.sub(fill, pattern.strip())
    if "{" in filled or "}" in filled:
        raise _invalid("pattern", f"pattern {pattern!r} has an unmatched brace")
    try:
        return validate_code(filled)
    except PerfluenceError as exc:
        raise _invalid("pattern", f"pattern {pattern!r} gives {exc.message}") from None


def has_random_part(pattern: str) -> bool:
    """Whether ``pattern`` can give another code when drawn again."""
    return any(_RAND_RE.fullmatch(m.strip().upper()) for m in _PLACEHOLDER_RE.findall(pattern))
