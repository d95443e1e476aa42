"""Fuzz link destinations and the UTM merger (``core.links``) against ``urllib.parse``.

Input layout (through ``atheris.FuzzedDataProvider`` when fuzzing; here the
same split by hand so tests can replay inputs): a destination URL, then up to
four parameter names and values, separated by NUL bytes, all UTF-8 with
errors replaced. A finding is an accepted destination that is not an
absolute http(s) URL with a host, a result that does not round-trip through
``urllib.parse`` with the destination's query (order kept), fragment and
host, a parameter that is lost or repeated, a ``pf_cid`` that survives the
merge, or any exception but ``PerfluenceError(INVALID)``.

    python fuzz/utm.py -max_total_time=120 -dict=fuzz/url.dict fuzz/corpus/utm
"""

from __future__ import annotations

import re
import sys
from collections.abc import Mapping
from typing import Final
from urllib.parse import parse_qsl, urlsplit

from perfluence.core.links import (
    CLICK_ID_PARAM,
    merge_utm,
    tracking_url,
    unquote_plus,
    validate_destination,
    validate_utm,
)
from perfluence.errors import ErrorCode, PerfluenceError

CLICK_ID: Final = "0PnjEGiWL0i0cjr0lZmIfG"
_SCHEME: Final = re.compile(r"([A-Za-z][A-Za-z0-9+.-]*):")


def split_input(data: bytes) -> tuple[str, dict[str, str]]:
    """The destination and the parameters an input stands for."""
    parts = data.decode("utf-8", "replace").split("\x00")
    destination, rest = parts[0], parts[1:9]
    params = dict(zip(rest[0::2], rest[1::2], strict=False))
    return destination, params


def _decoded_keys(query: str) -> list[str]:
    return [unquote_plus(part.partition("=")[0]) for part in query.split("&") if part]


def _check_refusal(error: PerfluenceError, field: str) -> None:
    assert error.code is ErrorCode.INVALID, error
    assert error.field == field, error
    assert error.message.strip(), error


def check_destination(raw: str) -> str | None:
    """The validated destination, or ``None`` when refused (cleanly)."""
    try:
        result = validate_destination(raw)
    except PerfluenceError as error:
        _check_refusal(error, "destination")
        return None
    scheme = _SCHEME.match(raw.strip())
    assert scheme is not None, f"accepted without a scheme: {raw!r}"
    assert scheme[1].lower() in {"http", "https"}, f"accepted {scheme[1]}: {raw!r}"
    assert validate_destination(result) == result, f"not a fixed point: {raw!r} → {result!r}"
    parts = urlsplit(result)
    assert parts.scheme in {"http", "https"}, result
    assert parts.hostname, f"no host in {result!r}"
    assert parts.username is None, result
    assert parts.password is None, result
    _ = parts.port  # raises ValueError for a port urllib cannot read
    assert result.isascii(), result
    return result


def check_merge(destination: str, params: Mapping[str, str]) -> None:
    """``merge_utm`` keeps the destination and adds each new parameter exactly once."""
    try:
        checked = validate_utm(params)
    except PerfluenceError as error:
        _check_refusal(error, "utm")
        return
    merged = merge_utm(destination, checked)
    before, after = urlsplit(destination), urlsplit(merged)
    assert (after.scheme, after.netloc, after.path) == (
        before.scheme,
        before.netloc,
        before.path,
    ), (destination, merged)
    assert after.fragment == before.fragment, (destination, merged)
    assert ("#" in merged) == ("#" in destination), (destination, merged)
    kept = [p for p in before.query.split("&") if p and _decoded_keys(p) != [CLICK_ID_PARAM]]
    assert [p for p in after.query.split("&") if p][: len(kept)] == kept, (destination, merged)
    keys = _decoded_keys(after.query)
    assert CLICK_ID_PARAM not in keys, merged
    existing = set(_decoded_keys(before.query))
    pairs = parse_qsl(after.query, keep_blank_values=True)
    for key, value in checked.items():
        if key in existing:
            continue
        assert keys.count(key) == 1, (key, merged)
        assert (key, value) in pairs, (key, value, merged)
    clicked = tracking_url(merged, CLICK_ID)
    clicked_parts = urlsplit(clicked)
    assert clicked_parts.hostname == after.hostname, (merged, clicked)
    assert clicked_parts.fragment == after.fragment, (merged, clicked)
    query = parse_qsl(clicked_parts.query, keep_blank_values=True)
    click_ids = [v for k, v in query if k == CLICK_ID_PARAM]
    assert click_ids == [CLICK_ID], (merged, clicked)


def check(data: bytes) -> None:
    """One input; raises on a finding."""
    raw, params = split_input(data)
    destination = check_destination(raw)
    if destination is not None:
        check_merge(destination, params)


def main() -> None:
    import atheris  # type: ignore[import-untyped]  # noqa: PLC0415

    from fuzz.instrument import instrument_packages  # noqa: PLC0415

    instrument_packages()
    atheris.Setup(sys.argv, check)
    atheris.Fuzz()


if __name__ == "__main__":
    main()
