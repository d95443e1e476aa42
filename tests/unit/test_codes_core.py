"""Discount codes: what a code may look like, patterns, case-insensitive keys."""

from __future__ import annotations

import re
from random import Random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perfluence.core.codes import (
    RANDOM_ALPHABET,
    code_key,
    generate_code,
    handle_for_code,
    has_random_part,
    validate_code,
)
from perfluence.errors import PerfluenceError


@pytest.mark.parametrize(
    ("pattern", "handle", "expected"),
    [
        ("{HANDLE}15", "emma", "EMMA15"),
        ("{handle}15", "@emma.eats_93", "EMMAEATS9315"),
        ("SOMMER-{HANDLE}", "søren", "SOMMER-SØREN"),
        ("kaffe10", "emma", "kaffe10"),
    ],
)
def test_codes_from_patterns(pattern: str, handle: str, expected: str) -> None:
    assert generate_code(pattern, handle) == expected


def test_random_parts_use_the_given_source_and_alphabet() -> None:
    code = generate_code("{HANDLE}-{RAND6}", "emma", Random(5))
    assert code == generate_code("{HANDLE}-{RAND6}", "emma", Random(5))
    assert re.fullmatch(f"EMMA-[{RANDOM_ALPHABET}]{{6}}", code)
    assert not set(RANDOM_ALPHABET) & set("01OI")
    assert has_random_part("{HANDLE}-{rand4}")
    assert not has_random_part("{HANDLE}15")


@pytest.mark.parametrize(
    "pattern", ["", "{NAME}", "{RAND0}", "{RAND13}", "{HANDLE", "{HANDLE} 15", "{HANDLE}!"]
)
def test_bad_patterns_are_refused(pattern: str) -> None:
    with pytest.raises(PerfluenceError) as info:
        generate_code(pattern, "emma")
    assert info.value.field == "pattern"


def test_a_handle_without_letters_cannot_fill_a_pattern() -> None:
    with pytest.raises(PerfluenceError, match="no letters or digits"):
        generate_code("{HANDLE}10", "._.")


@pytest.mark.parametrize("code", ["EMMA15", "emma-15", "SOMMERÆBLE", "a_b", "x" * 64])
def test_valid_codes(code: str) -> None:
    assert validate_code(f" {code} ") == code
    assert code_key(code) == code.upper()


@pytest.mark.parametrize("code", ["ab", "x" * 65, "EMMA 15", "-EMMA", "_EMMA", "EMMA%", "ß" * 40])
def test_invalid_codes(code: str) -> None:
    with pytest.raises(PerfluenceError) as info:
        validate_code(code)
    assert info.value.field == "code"


@given(st.text(max_size=30))
def test_generated_codes_are_always_valid_or_refused(handle: str) -> None:
    if not handle_for_code(handle) or len(handle_for_code(handle).upper()) > 59:
        with pytest.raises(PerfluenceError) as info:
            generate_code("{HANDLE}-{RAND4}", handle, Random(0))
        assert info.value.field == "pattern"
        return
    code = generate_code("{HANDLE}-{RAND4}", handle, Random(0))
    assert validate_code(code) == code
    assert code.startswith(handle_for_code(handle))
