"""Destinations, UTM merging, the click id parameter and slugs."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from random import Random

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perfluence.core.links import (
    CLICK_ID_PARAM,
    MAX_URL_LENGTH,
    SLUG_ALPHABET,
    SLUG_LENGTH,
    LinkTarget,
    click_id_parts,
    default_utm,
    effective_utm,
    merge_utm,
    new_slug,
    quote,
    tracking_url,
    unquote_plus,
    validate_custom_slug,
    validate_destination,
    validate_utm,
)
from perfluence.core.model import LinkStatus
from perfluence.errors import ErrorCode, PerfluenceError

UTM = default_utm("instagram", "summer-26", "emma")
UTM_QUERY = "utm_source=instagram&utm_medium=influencer&utm_campaign=summer-26&utm_content=emma"


def refused(url: str) -> PerfluenceError:
    with pytest.raises(PerfluenceError) as info:
        validate_destination(url)
    assert info.value.code is ErrorCode.INVALID
    assert info.value.field == "destination"
    return info.value


# -- validate_destination ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("https://shop.example/", "https://shop.example/"),
        ("  https://shop.example/a  ", "https://shop.example/a"),
        ("HTTP://Shop.Example/Path?Q=A", "http://shop.example/Path?Q=A"),
        ("https://shop.example", "https://shop.example"),
        ("https://shop.example:8443/x", "https://shop.example:8443/x"),
        ("http://127.0.0.1:8000/", "http://127.0.0.1:8000/"),
        ("http://[2001:DB8::1]:8080/p", "http://[2001:db8::1]:8080/p"),
        ("http://[::1]/", "http://[::1]/"),
        ("https://bücher.example/æ", "https://xn--bcher-kva.example/%C3%A6"),
        ("https://kaffe.dk/?q=æøå", "https://kaffe.dk/?q=%C3%A6%C3%B8%C3%A5"),
        ("https://kaffe.dk/?q=%C3%A6", "https://kaffe.dk/?q=%C3%A6"),
        ("https://kaffe.dk/a%2Fb?x=a+b&y=%20#top", "https://kaffe.dk/a%2Fb?x=a+b&y=%20#top"),
        ('https://kaffe.dk/?q="<x>"', "https://kaffe.dk/?q=%22%3Cx%3E%22"),
        ("https://kaffe.dk/p@home?to=a@b", "https://kaffe.dk/p@home?to=a@b"),
    ],
)
def test_destination_is_normalised_only_where_it_must_be(url: str, expected: str) -> None:
    assert validate_destination(url) == expected
    assert validate_destination(expected) == expected


@pytest.mark.parametrize(
    ("url", "fragment_of_message"),
    [
        ("javascript:alert(1)", "http or https"),
        ("JavaScript://%0Aalert(1)", "http or https"),
        ("data:text/html,<script>alert(1)</script>", "http or https"),
        ("ftp://files.example/x", "http or https"),
        ("/summer", "absolute URL"),
        ("//evil.example/x", "absolute URL"),
        ("shop.example/summer", "absolute URL"),
        ("https:shop.example", "host"),
        ("https:///path", "no host"),
        ("https://", "no host"),
        ("https://user@evil.example", "user name or password"),
        ("https://shop.example:pw@evil.example/", "user name or password"),
        ("https://shop.example\\@evil.example/", "backslash"),
        ("https://shop.example/a b", "whitespace"),
        ("https://shop.example/\tb", "whitespace"),
        ("https://shop.example/\u202egnp.exe", "invisible"),
        ("https://shop.example/\x00", "invisible"),
        ("https://shop.example/\ud800", "invisible"),
        ("https://shop.example:99999/", "port"),
        ("https://shop.example:/", "port"),
        ("https://shop.example:0/", "port"),
        ("https://[::1/", "IPv6"),
        ("https://[nothex::1]/", "IPv6"),
        ("https://sh%6Fp.example/", "invalid host"),
        ("https://shop..example/", "invalid host"),
        ("", "empty"),
        ("https://shop.example/" + "a" * MAX_URL_LENGTH, "longer than"),
    ],
)
def test_unsafe_or_unusable_destinations_are_refused(url: str, fragment_of_message: str) -> None:
    assert fragment_of_message in refused(url).message


def test_percent_encoding_cannot_push_a_destination_past_the_limit() -> None:
    url = "https://shop.example/" + "æ" * 400
    assert len(url) < MAX_URL_LENGTH
    assert "percent-encoded" in refused(url).message


def test_fallback_urls_are_validated_under_their_own_field_name() -> None:
    with pytest.raises(PerfluenceError) as info:
        validate_destination("javascript:x", field="fallback_url")
    assert info.value.field == "fallback_url"


# -- UTM defaults and overrides ----------------------------------------------------------


def test_default_utm_names_platform_medium_campaign_and_creator() -> None:
    assert UTM == {
        "utm_source": "instagram",
        "utm_medium": "influencer",
        "utm_campaign": "summer-26",
        "utm_content": "emma",
    }


def test_overrides_replace_remove_and_add_keeping_the_default_order() -> None:
    merged = effective_utm(UTM, {"utm_content": "", "utm_source": "ig", "utm_term": "kaffe"})
    assert list(merged.items()) == [
        ("utm_source", "ig"),
        ("utm_medium", "influencer"),
        ("utm_campaign", "summer-26"),
        ("utm_term", "kaffe"),
    ]


@pytest.mark.parametrize(
    "params",
    [
        {"": "x"},
        {"utm source": "x"},
        {"pf_cid": "x"},
        {"PF_CID": "x"},
        {"a": "x" * 501},
        {"a": "\ud800"},
        {"a": "x\ny"},
    ],
)
def test_bad_parameters_are_refused(params: dict[str, str]) -> None:
    with pytest.raises(PerfluenceError) as info:
        validate_utm(params)
    assert info.value.field == "utm"


# -- merge_utm ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("destination", "expected"),
    [
        ("https://kaffe.dk", f"https://kaffe.dk?{UTM_QUERY}"),
        ("https://kaffe.dk/", f"https://kaffe.dk/?{UTM_QUERY}"),
        ("https://kaffe.dk/?", f"https://kaffe.dk/?{UTM_QUERY}"),
        ("https://kaffe.dk/?a=1&", f"https://kaffe.dk/?a=1&{UTM_QUERY}"),
        ("https://kaffe.dk/??", f"https://kaffe.dk/??&{UTM_QUERY}"),
        ("https://kaffe.dk/menu#cake", f"https://kaffe.dk/menu?{UTM_QUERY}#cake"),
        ("https://kaffe.dk/?a=1&a=2", f"https://kaffe.dk/?a=1&a=2&{UTM_QUERY}"),
        ("https://kaffe.dk/?b=&c&d=", f"https://kaffe.dk/?b=&c&d=&{UTM_QUERY}"),
        (
            "https://kaffe.dk/s?q=%20+%2F&r=a%2Bb#x?y=1",
            f"https://kaffe.dk/s?q=%20+%2F&r=a%2Bb&{UTM_QUERY}#x?y=1",
        ),
        (
            "https://kaffe.dk/?q=%C3%A6%C3%B8%C3%A5",
            f"https://kaffe.dk/?q=%C3%A6%C3%B8%C3%A5&{UTM_QUERY}",
        ),
        ("https://kaffe.dk/?q=æøå", f"https://kaffe.dk/?q=%C3%A6%C3%B8%C3%A5&{UTM_QUERY}"),
        ("http://[::1]:8080/x", f"http://[::1]:8080/x?{UTM_QUERY}"),
        ("https://bücher.example/", f"https://xn--bcher-kva.example/?{UTM_QUERY}"),
    ],
)
def test_merge_appends_to_the_query_as_written(destination: str, expected: str) -> None:
    assert merge_utm(destination, UTM) == expected


def test_a_hand_tagged_parameter_keeps_the_destinations_value() -> None:
    merged = merge_utm("https://kaffe.dk/?utm_source=newsletter&x=1", UTM)
    assert merged == (
        "https://kaffe.dk/?utm_source=newsletter&x=1"
        "&utm_medium=influencer&utm_campaign=summer-26&utm_content=emma"
    )
    # Keys are compared decoded: an encoded underscore is still utm_source.
    assert "utm_source=instagram" not in merge_utm("https://kaffe.dk/?utm%5Fsource=nl", UTM)


def test_new_values_are_percent_encoded() -> None:
    merged = merge_utm("https://kaffe.dk/", {"utm_campaign": "sommer & æbler/2026 +1"})
    assert merged == "https://kaffe.dk/?utm_campaign=sommer%20%26%20%C3%A6bler%2F2026%20%2B1"


def test_a_copied_click_id_is_dropped_when_merging() -> None:
    merged = merge_utm("https://kaffe.dk/?pf_cid=OLD&a=1&pf_cid=OLD2", {"utm_source": "x"})
    assert merged == "https://kaffe.dk/?a=1&utm_source=x"


# -- tracking_url ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("merged", "expected"),
    [
        ("https://kaffe.dk", "https://kaffe.dk?pf_cid=C1"),
        ("https://kaffe.dk/?a=1", "https://kaffe.dk/?a=1&pf_cid=C1"),
        ("https://kaffe.dk/?", "https://kaffe.dk/?pf_cid=C1"),
        ("https://kaffe.dk/??", "https://kaffe.dk/??&pf_cid=C1"),
        ("https://kaffe.dk/?a=1&", "https://kaffe.dk/?a=1&pf_cid=C1"),
        ("https://kaffe.dk/p?a=1#top?b", "https://kaffe.dk/p?a=1&pf_cid=C1#top?b"),
        ("https://kaffe.dk/#top", "https://kaffe.dk/?pf_cid=C1#top"),
        ("https://kaffe.dk/?pf_cid=OLD&a=1", "https://kaffe.dk/?a=1&pf_cid=C1"),
        ("https://kaffe.dk/?a=1&pf_cid=OLD#f", "https://kaffe.dk/?a=1&pf_cid=C1#f"),
    ],
)
def test_tracking_url_puts_exactly_one_click_id_before_the_fragment(
    merged: str, expected: str
) -> None:
    assert tracking_url(merged, "C1") == expected
    assert tracking_url(merged, "C1").count(f"{CLICK_ID_PARAM}=") == 1


def test_click_id_parts_are_what_the_redirect_concatenates() -> None:
    head, tail = click_id_parts("https://kaffe.dk/?a=1#top")
    assert (head, tail) == ("https://kaffe.dk/?a=1&pf_cid=", "#top")
    assert head + "C1" + tail == tracking_url("https://kaffe.dk/?a=1#top", "C1")


# -- slugs -------------------------------------------------------------------------------


def test_random_slugs_use_the_unambiguous_alphabet() -> None:
    assert len(SLUG_ALPHABET) == 56
    assert not set(SLUG_ALPHABET) & set("0O1lIo")
    rng = Random(7)
    slugs = {new_slug(rng) for _ in range(500)}
    assert len(slugs) == 500
    for slug in slugs:
        assert len(slug) == SLUG_LENGTH
        assert set(slug) <= set(SLUG_ALPHABET)
    assert re.fullmatch(f"[{SLUG_ALPHABET}]{{{SLUG_LENGTH}}}", new_slug())


def test_random_slugs_come_from_the_given_source() -> None:
    assert new_slug(Random(1)) == new_slug(Random(1))


@pytest.mark.parametrize("slug", ["emma", "Emma-15", "sommer_2026", "abc", "a" * 64])
def test_custom_slugs_accepted(slug: str) -> None:
    assert validate_custom_slug(slug) == slug


@pytest.mark.parametrize(
    "slug", ["ab", "a" * 65, "emma 15", "emma/15", "æble", "api", "L", "Static", "admin", "login"]
)
def test_custom_slugs_refused(slug: str) -> None:
    with pytest.raises(PerfluenceError) as info:
        validate_custom_slug(slug)
    assert info.value.field == "slug"


def test_link_target_carries_what_the_redirect_needs() -> None:
    target = LinkTarget(
        slug="emma",
        link_id=1,
        workspace_id=2,
        destination=merge_utm("https://kaffe.dk/", UTM),
        status=LinkStatus.ACTIVE,
        click_cap=None,
        fallback_url=None,
        updated_at=datetime(2026, 3, 2, tzinfo=UTC),
    )
    assert str(target.status) == "active"
    assert tracking_url(target.destination, "C1").endswith("utm_content=emma&pf_cid=C1")


# -- properties --------------------------------------------------------------------------

_text = st.text(
    alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc", "Cf", "Zs")),
    max_size=8,
)
_raw_component = st.text(alphabet="abcXYZ019-._~!$'()*+,;:@/?%", min_size=0, max_size=6).filter(
    lambda s: not re.search(r"%(?![0-9A-Fa-f]{2})", s)
)
_component = st.one_of(_raw_component, _text.map(quote))
_pair = st.one_of(
    st.tuples(_component, _component).map(lambda kv: f"{kv[0]}={kv[1]}"),
    _component,
)
_query = st.lists(_pair, max_size=6).map("&".join)
_host = st.one_of(
    st.from_regex(r"[a-z0-9]{1,10}(\.[a-z]{2,6}){0,2}", fullmatch=True),
    st.sampled_from(["[::1]", "127.0.0.1", "bücher.example", "xn--bcher-kva.example"]),
)


@st.composite
def destinations(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["http", "https", "HTTPS"]))
    port = draw(st.one_of(st.just(""), st.integers(1, 65535).map(lambda p: f":{p}")))
    path = draw(st.lists(_component, max_size=3).map(lambda parts: "/" + "/".join(parts)))
    query = draw(st.one_of(st.none(), _query))
    fragment = draw(st.one_of(st.none(), _text.map(quote)))
    url = f"{scheme}://{draw(_host)}{port}{path}"
    if query is not None:
        url += f"?{query}"
    if fragment is not None:
        url += f"#{fragment}"
    return url


_params = st.dictionaries(st.from_regex(r"[a-z_]{1,10}", fullmatch=True), _text, max_size=5)


def _parts(url: str) -> tuple[list[str], str | None]:
    head, hash_mark, fragment = url.partition("#")
    query = head.partition("?")[2]
    return [p for p in query.split("&") if p], (fragment if hash_mark else None)


@given(destinations(), _params)
def test_merging_keeps_every_existing_pair_in_order_and_the_fragment(
    url: str, params: dict[str, str]
) -> None:
    before = validate_destination(url)
    merged = merge_utm(before, params)
    old_pairs, old_fragment = _parts(before)
    new_pairs, new_fragment = _parts(merged)
    assert new_pairs[: len(old_pairs)] == old_pairs
    assert new_fragment == old_fragment
    assert re.match(r"https?://[^/?#@\\]+", merged)
    assert validate_destination(merged) == merged
    keys = {unquote_plus(p.partition("=")[0]) for p in old_pairs}
    for key, value in params.items():
        expected = f"{key}={quote(value)}"
        assert (expected in new_pairs) == (key not in keys)


@given(destinations(), _params, st.from_regex(r"[0-9A-Za-z_~]{22}", fullmatch=True))
def test_a_click_id_is_always_there_exactly_once_before_the_fragment(
    url: str, params: dict[str, str], click_id: str
) -> None:
    merged = merge_utm(url, params)
    once = tracking_url(merged, click_id)
    twice = tracking_url(once, click_id)
    pairs, fragment = _parts(once)
    assert [p for p in pairs if p.startswith(f"{CLICK_ID_PARAM}=")] == [
        f"{CLICK_ID_PARAM}={click_id}"
    ]
    assert fragment == _parts(merged)[1]
    # Applying it again (a tracked URL used as a destination) still leaves exactly one.
    assert _parts(twice) == _parts(once)


@given(_text)
def test_quote_round_trips(value: str) -> None:
    assert unquote_plus(quote(value)) == value
    assert re.fullmatch(r"[A-Za-z0-9._~%-]*", quote(value))


_url_chars = st.one_of(
    st.sampled_from(list(":/?#[]@!$&'()*+,;=%-._~\\ \t")),
    st.characters(),
)


@given(
    st.one_of(
        st.text(_url_chars, max_size=40),
        st.tuples(st.sampled_from(["http://", "https://", "HTTP://", "//", "http:"]),
                  st.text(_url_chars, max_size=40)).map("".join),
    )
)  # fmt: skip
def test_any_text_is_either_refused_cleanly_or_a_stable_http_url(text: str) -> None:
    try:
        url = validate_destination(text)
    except PerfluenceError as exc:
        refusal: PerfluenceError | None = exc
    else:
        refusal = None
    if refusal is not None:
        assert (refusal.code, refusal.field) == (ErrorCode.INVALID, "destination")
        return
    assert re.match(r"https?://[^/?#@\\]+", url)
    assert url.isascii()
    assert not re.search(r"[\s\x00-\x1f\x7f]", url)
    assert validate_destination(url) == url
