"""The UTM merger and destination check (``core.links``), against ``urllib.parse``.

Destinations are built from parts (so the expected host, query and fragment
are known) and merged with generated parameters; dangerous and relative URLs
are generated too and must always be refused. The atheris harness
(``fuzz.utm``) checks the same invariants on raw bytes.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, quote, urlsplit, urlunsplit

import pytest
from fuzz.utm import check_destination, check_merge
from hypothesis import given, settings
from hypothesis import strategies as st

from perfluence.core.links import (
    CLICK_ID_PARAM,
    merge_utm,
    tracking_url,
    validate_destination,
)
from perfluence.errors import ErrorCode, PerfluenceError
from tests.fuzz.strategies import examples

CLICK_ID = "0PnjEGiWL0i0cjr0lZmIfG"
# Printable text a person could put in a URL, reserved characters and non-ASCII included.
url_text = st.text(
    st.characters(
        codec="utf-8",
        exclude_categories=("Cc", "Cf", "Cs", "Co", "Cn", "Zs", "Zl", "Zp"),
        exclude_characters="\\#",
    ),
    max_size=12,
)
hosts = st.from_regex(r"[a-z0-9]([a-z0-9-]{0,8}[a-z0-9])?(\.[a-z]{2,6}){1,2}", fullmatch=True)
utm_keys = st.from_regex(r"[A-Za-z0-9_.-]{1,12}", fullmatch=True).filter(
    lambda k: k.lower() != CLICK_ID_PARAM
)
utm_values = st.text(
    st.characters(codec="utf-8", exclude_categories=("Cc", "Cf", "Cs", "Co", "Cn")), max_size=20
)
utm_params = st.dictionaries(
    st.one_of(st.sampled_from(["utm_source", "utm_medium", "utm_campaign"]), utm_keys),
    utm_values,
    max_size=5,
)


@st.composite
def queries(draw: st.DrawFn) -> list[tuple[str, str]]:
    return draw(
        st.lists(
            st.tuples(
                st.one_of(st.sampled_from(["utm_source", "q", CLICK_ID_PARAM, "a b"]), url_text),
                url_text,
            ),
            max_size=4,
        )
    )


@st.composite
def destinations(draw: st.DrawFn) -> tuple[str, str, list[tuple[str, str]], str | None]:
    """A URL, its host, its query pairs (decoded) and its fragment (``None``: no ``#``)."""
    scheme = draw(st.sampled_from(["http", "https", "HTTPS", "Http"]))
    host = draw(hosts)
    port = draw(st.one_of(st.none(), st.integers(1, 65535)))
    path = "/" + "/".join(quote(s, safe="") for s in draw(st.lists(url_text, max_size=3)))
    pairs = draw(queries())
    query = "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in pairs)
    fragment = draw(st.one_of(st.none(), url_text.map(lambda f: quote(f, safe="/?"))))
    netloc = host if port is None else f"{host}:{port}"
    url = f"{scheme}://{netloc}{path}" + (f"?{query}" if pairs else "")
    url += "" if fragment is None else f"#{fragment}"
    return url, host, pairs, fragment


@settings(max_examples=examples(200), deadline=None)
@given(destinations(), utm_params)
def test_merging_keeps_the_destination_and_adds_each_parameter_once(
    built: tuple[str, str, list[tuple[str, str]], str | None], params: dict[str, str]
) -> None:
    url, host, pairs, fragment = built
    destination = check_destination(url)
    assert destination is not None, url
    check_merge(destination, params)
    merged = merge_utm(destination, params)
    parts = urlsplit(merged)
    assert parts.scheme in {"http", "https"}
    assert parts.hostname == host
    # Component-wise: urlunsplit drops an empty '?' or '#', which the merger keeps as written.
    assert urlsplit(urlunsplit(parts)) == parts, "does not round-trip through urllib.parse"
    # The destination's own parameters come first, in their order, pf_cid dropped.
    kept = [(k, v) for k, v in pairs if k != CLICK_ID_PARAM]
    assert parse_qsl(parts.query, keep_blank_values=True)[: len(kept)] == kept
    assert (parts.fragment or None) == (fragment or None)
    present = {k for k, _ in pairs}
    merged_keys = [k for k, _ in parse_qsl(parts.query, keep_blank_values=True)]
    for key in params:
        assert merged_keys.count(key) == (pairs_count(pairs, key) if key in present else 1)
    clicked = urlsplit(tracking_url(merged, CLICK_ID))
    assert [v for k, v in parse_qsl(clicked.query) if k == CLICK_ID_PARAM] == [CLICK_ID]
    assert clicked.hostname == host
    assert clicked.fragment == parts.fragment


def pairs_count(pairs: list[tuple[str, str]], key: str) -> int:
    return sum(1 for k, _ in pairs if k == key)


@settings(max_examples=examples(200), deadline=None)
@given(st.binary(max_size=200))
def test_any_bytes_are_a_destination_or_a_clean_refusal(data: bytes) -> None:
    destination = check_destination(data.decode("utf-8", "replace"))
    if destination is not None:
        check_merge(destination, {"utm_source": "instagram"})


DANGEROUS = st.sampled_from(
    [
        "javascript:",
        "JavaScript:",
        " javascript:",
        "java\tscript:",
        "data:",
        "DATA:text/html;base64,",
        "vbscript:",
        "file:",
        "mailto:",
        "ftp://",
        "blob:",
        "//",
        "/",
        "./",
        "../",
        "?",
        "#",
        "\\\\",
        "http:\\\\",
    ]
)


@settings(max_examples=examples(300), deadline=None)
@given(DANGEROUS, url_text)
def test_javascript_data_and_relative_urls_are_refused(prefix: str, rest: str) -> None:
    url = prefix + rest
    with pytest.raises(PerfluenceError) as refused:
        validate_destination(url)
    assert refused.value.code is ErrorCode.INVALID
    assert refused.value.field == "destination"
    with pytest.raises(PerfluenceError):
        merge_utm(url, {"utm_source": "instagram"})
