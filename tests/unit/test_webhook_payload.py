from __future__ import annotations

import json
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perfluence.conversions.identity import (
    clean_click_id,
    clean_codes,
    click_id_from_url,
    email_hash,
)
from perfluence.conversions.payload import MAX_BODY_BYTES, Field, parse_json
from perfluence.errors import ErrorCode, PerfluenceError
from perfluence.tracking.clickid import click_id_at, is_click_id


def walk(value: object) -> list[object]:
    out = [value]
    if isinstance(value, dict):
        for child in value.values():
            out += walk(child)
    elif isinstance(value, list):
        for child in value:
            out += walk(child)
    return out


json_documents = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(),
    lambda children: (
        st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=6), children, max_size=4)
    ),
    max_leaves=20,
)


@given(st.dictionaries(st.text(max_size=6), json_documents, max_size=5))
def test_parse_json_never_yields_a_float(document: dict[str, object]) -> None:
    parsed = parse_json(json.dumps(document).encode())
    assert not any(isinstance(v, float) for v in walk(parsed))


@given(st.decimals(allow_nan=False, allow_infinity=False, places=4))
def test_numbers_with_a_fraction_arrive_as_exact_decimals(value: Decimal) -> None:
    parsed = parse_json(b'{"price": ' + f"{value:f}".encode() + b"}")
    assert parsed["price"] == value
    assert isinstance(parsed["price"], Decimal | int)


def test_a_json_float_literal_is_a_decimal() -> None:
    parsed = parse_json(b'{"rate": 0.1, "exp": 1e3, "n": 7}')
    assert parsed == {"rate": Decimal("0.1"), "exp": Decimal("1E+3"), "n": 7}
    assert type(parsed["rate"]) is Decimal


@pytest.mark.parametrize(
    ("body", "code", "message"),
    [
        (b"[1, 2]", ErrorCode.INVALID, "must be a JSON object, not an array"),
        (b'"text"', ErrorCode.INVALID, "not a string"),
        (b"null", ErrorCode.INVALID, "not null"),
        (b"", ErrorCode.INVALID, "not valid JSON"),
        (b'{"a": 1,}', ErrorCode.INVALID, "not valid JSON: .* line 1 column 9"),
        (b'{"a": NaN}', ErrorCode.INVALID, "NaN is not a number"),
        (b'{"a": Infinity}', ErrorCode.INVALID, "Infinity is not a number"),
        (b'{"a": "\xff"}', ErrorCode.INVALID, "not valid UTF-8 \\(byte 7\\)"),
        (b"\xef\xbb\xbf{}", ErrorCode.INVALID, "not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, ErrorCode.INVALID, "JSON"),
        (b'{"a": ' + b"9" * 5000 + b"}", ErrorCode.INVALID, "not usable JSON"),
        (b"{" + b" " * MAX_BODY_BYTES + b"}", ErrorCode.PAYLOAD_TOO_LARGE, "limited to 1048576"),
    ],
)
def test_bad_bodies_are_refused_precisely(body: bytes, code: ErrorCode, message: str) -> None:
    with pytest.raises(PerfluenceError, match=message) as info:
        parse_json(body)
    assert info.value.code is code


def test_a_body_at_the_limit_is_accepted() -> None:
    body = b"{" + b" " * (MAX_BODY_BYTES - 2) + b"}"
    assert parse_json(body) == {}


def test_field_paths_name_the_place() -> None:
    root = Field(parse_json(b'{"line_items": [{"price": "1"}, {"price": {"x": 1}}]}'))
    with pytest.raises(PerfluenceError) as info:
        root["line_items"].items()[1]["price"].decimal()
    assert info.value.field == "line_items[1].price"
    assert "expected an amount, got an object" in info.value.message


def test_absent_and_null_are_alike_for_optional_fields() -> None:
    root = Field({"a": None})
    assert root["a"].opt_text() is None
    assert root["b"]["c"].opt_text() is None
    assert root["b"].items() == []


@given(st.integers(0, 2**48 - 1))
def test_click_id_shape_matches_what_tracking_mints(ms: int) -> None:
    minted = click_id_at(ms)
    assert clean_click_id(minted) == minted
    assert click_id_from_url(f"/p?a=1&pf_cid={minted}") == minted


@given(st.text(max_size=30))
def test_click_id_shape_never_accepts_what_tracking_would_not(value: str) -> None:
    if clean_click_id(value) is not None:
        assert is_click_id(value.strip())


def test_codes_are_upper_cased_and_deduplicated() -> None:
    assert clean_codes([" emma15 ", "EMMA15", None, "", "sommer"]) == ("EMMA15", "SOMMER")


def test_email_hash_ignores_case_and_surrounding_space() -> None:
    assert email_hash(" Emma@Example.DK ") == email_hash("emma@example.dk")
    assert email_hash("no-at-sign") is None
    assert email_hash("a@b\ud800") is not None
