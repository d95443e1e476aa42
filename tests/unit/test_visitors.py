"""Visitor hashing, hour buckets, referrer hosts and the unique-click rule."""

from __future__ import annotations

import hashlib
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perfluence.core.visitors import (
    UNIQUE_WINDOW,
    LatestHumanClicks,
    UniqueCandidate,
    daily_salt,
    flag_unique,
    hour_bucket,
    referrer_host,
    visitor_hash,
    visitor_hashes,
)

SECRET = b"test-secret"
T0 = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)


def test_visitor_hash_is_32_hex_and_hides_the_ip() -> None:
    salt = daily_salt(SECRET, date(2026, 3, 2))
    h = visitor_hash(salt, "203.0.113.7", "Mozilla/5.0")
    assert len(h) == 32
    assert int(h, 16) >= 0
    assert "203.0.113.7" not in h
    assert visitor_hash(salt, "203.0.113.7", "Mozilla/5.0") == h


def test_visitor_hash_separates_ip_and_user_agent() -> None:
    salt = daily_salt(SECRET, date(2026, 3, 2))
    # Without the separator these two would hash the same bytes.
    assert visitor_hash(salt, "1.2.3.4", "5 UA") != visitor_hash(salt, "1.2.3.45", " UA")
    assert visitor_hash(salt, "1.2.3.4", "UA-a") != visitor_hash(salt, "1.2.3.4", "UA-b")


def test_salt_rotates_daily_and_depends_on_the_secret() -> None:
    day = date(2026, 3, 2)
    assert daily_salt(SECRET, day) == daily_salt(SECRET, day)
    assert daily_salt(SECRET, day) != daily_salt(SECRET, day + timedelta(days=1))
    assert daily_salt(SECRET, day) != daily_salt(b"other-secret", day)
    h1 = visitor_hash(daily_salt(SECRET, day), "1.2.3.4", "UA")
    h2 = visitor_hash(daily_salt(SECRET, day + timedelta(days=1)), "1.2.3.4", "UA")
    assert h1 != h2


def test_hour_bucket() -> None:
    moment = datetime(2026, 3, 2, 12, 59, 59, 999_999, tzinfo=UTC)
    assert hour_bucket(moment) == datetime(2026, 3, 2, 12, tzinfo=UTC)
    assert hour_bucket(T0) == T0


@given(st.datetimes(timezones=st.just(UTC)))
def test_hour_bucket_is_on_the_hour_and_within_an_hour(moment: datetime) -> None:
    bucket = hour_bucket(moment)
    assert bucket <= moment < bucket + timedelta(hours=1)
    assert (bucket.minute, bucket.second, bucket.microsecond) == (0, 0, 0)


@pytest.mark.parametrize(
    ("referrer", "host"),
    [
        ("https://www.Instagram.com/p/abc?x=1", "www.instagram.com"),
        ("http://l.facebook.com/l.php?u=x", "l.facebook.com"),
        ("https://user:pw@Example.DK:8443/path#frag", "example.dk"),
        ("https://t.co", "t.co"),
        ("https://[2001:db8::1]:443/x", "2001:db8::1"),
        ("https://example.com./", "example.com"),
        ("", None),
        ("   ", None),
        ("not a url", None),
        ("android-app://com.google.android.gm/", None),
        ("ftp://example.com/file", None),
        ("https:///nohost", None),
        ("https://bad host/", None),
        ("https://[::1/", None),
    ],
)
def test_referrer_host(referrer: str, host: str | None) -> None:
    assert referrer_host(referrer) == host


def _c(link: int, visitor: str, at: datetime, bot: bool = False) -> UniqueCandidate:
    return UniqueCandidate((link, visitor), at, bot)


def test_unique_window_first_then_repeat_then_after_24h() -> None:
    clicks = [
        _c(1, "v", T0),
        _c(1, "v", T0 + timedelta(hours=23, minutes=59)),
        _c(1, "v", T0 + timedelta(hours=48)),
    ]
    assert flag_unique(clicks, {}) == [True, False, True]


def test_window_is_measured_from_the_latest_earlier_click() -> None:
    # Repeated clicks keep the visitor "seen": 20 h after a click that was itself a repeat.
    clicks = [
        _c(1, "v", T0),
        _c(1, "v", T0 + timedelta(hours=20)),
        _c(1, "v", T0 + timedelta(hours=40)),
    ]
    assert flag_unique(clicks, {}) == [True, False, False]


def test_exactly_24h_later_is_still_within_the_window() -> None:
    assert flag_unique([_c(1, "v", T0), _c(1, "v", T0 + UNIQUE_WINDOW)], {}) == [True, False]
    later = T0 + UNIQUE_WINDOW + timedelta(microseconds=1)
    assert flag_unique([_c(1, "v", T0), _c(1, "v", later)], {}) == [True, True]


def test_other_link_or_other_visitor_is_unique() -> None:
    clicks = [_c(1, "v", T0), _c(2, "v", T0), _c(1, "w", T0), _c(1, "v", T0)]
    assert flag_unique(clicks, {}) == [True, True, True, False]


def test_bots_are_never_unique_and_do_not_hide_humans() -> None:
    clicks = [_c(1, "v", T0, bot=True), _c(1, "v", T0 + timedelta(minutes=1))]
    assert flag_unique(clicks, {}) == [False, True]


def test_history_counts_only_earlier_clicks_in_the_window() -> None:
    history = {
        (1, "a"): [T0 - timedelta(hours=1)],
        (1, "b"): [T0 - timedelta(hours=25)],
        (1, "c"): [T0 + timedelta(hours=1)],  # stored later (replayed out of order)
    }
    clicks = [_c(1, "a", T0), _c(1, "b", T0), _c(1, "c", T0)]
    assert flag_unique(clicks, history) == [False, True, True]


@given(
    st.lists(
        st.tuples(
            st.integers(1, 2),
            st.sampled_from(["a", "b"]),
            st.integers(0, 72 * 60),
            st.booleans(),
        ),
        max_size=40,
    )
)
def test_unique_matches_the_definition(raw: list[tuple[int, str, int, bool]]) -> None:
    ordered = sorted(raw, key=lambda r: r[2])
    clicks = [_c(link, v, T0 + timedelta(minutes=m), bot) for link, v, m, bot in ordered]
    flags = flag_unique(clicks, {})
    for i, click in enumerate(clicks):
        earlier = any(
            not other.is_bot
            and other.key == click.key
            and click.occurred_at - UNIQUE_WINDOW <= other.occurred_at <= click.occurred_at
            for other in clicks[:i]
        )
        assert flags[i] == (not click.is_bot and not earlier)
    # Every human (link, visitor) pair seen has exactly one unique click per first appearance.
    firsts = {c.key for c in clicks if not c.is_bot}
    assert sum(flags) >= len(firsts)


def test_previous_day_alias_keeps_the_window_across_midnight() -> None:
    before = datetime(2026, 3, 2, 23, 50, tzinfo=UTC)
    after = datetime(2026, 3, 3, 0, 10, tzinfo=UTC)
    # The same visitor hashes to "v-mar2" on 2 March and "v-mar3" on 3 March.
    second = UniqueCandidate((1, "v-mar3"), after, False, aliases=((1, "v-mar2"),))
    assert flag_unique([_c(1, "v-mar2", before), second], {}) == [True, False]
    assert flag_unique([second], {(1, "v-mar2"): [before]}) == [False]
    assert flag_unique(
        [UniqueCandidate((1, "v-mar3"), after, False)], {(1, "v-mar2"): [before]}
    ) == [True]


def test_visitor_hash_is_a_keyed_blake2b() -> None:
    salt = daily_salt(SECRET, date(2026, 3, 2))
    expected = hashlib.blake2b(b"203.0.113.7\nMozilla/5.0", key=salt, digest_size=16).hexdigest()
    assert visitor_hash(salt, "203.0.113.7", "Mozilla/5.0") == expected


def test_latest_clicks_settle_only_inside_the_window() -> None:
    latest = LatestHumanClicks(10)
    latest.record((1, "v"), T0)
    assert latest.settles(_c(1, "v", T0 + UNIQUE_WINDOW)) == T0
    assert latest.settles(_c(1, "v", T0 + UNIQUE_WINDOW + timedelta(microseconds=1))) is None
    assert latest.settles(_c(1, "v", T0 - timedelta(seconds=1))) is None  # a click before it
    assert latest.settles(_c(1, "v", T0, bot=True)) is None
    assert latest.settles(_c(2, "v", T0)) is None
    previous_day = UniqueCandidate((1, "v-new-salt"), T0 + timedelta(hours=1), False, ((1, "v"),))
    assert latest.settles(previous_day) == T0
    assert latest.settles_human((1, "v-new-salt"), (1, "v"), T0 + timedelta(hours=1))
    assert not latest.settles_human((1, "w"), (1, "x"), T0)


def test_latest_clicks_keep_the_latest_time_and_evict_the_least_recently_updated() -> None:
    latest = LatestHumanClicks(2)
    latest.record((1, "a"), T0)
    latest.record((1, "b"), T0 + timedelta(minutes=1))
    latest.record((1, "a"), T0 - timedelta(hours=1))  # older: ignored, not an update
    latest.record((1, "a"), T0 + timedelta(minutes=2))
    latest.record((1, "c"), T0 + timedelta(minutes=3))  # "b" was updated least recently
    assert (latest.get((1, "a")), latest.get((1, "b"))) == (T0 + timedelta(minutes=2), None)
    assert len(latest) == 2


def test_latest_clicks_forget_times_a_window_older_than_the_newest() -> None:
    latest = LatestHumanClicks(100)
    latest.record((1, "a"), T0)
    latest.record((1, "b"), T0 + timedelta(hours=1))
    latest.record((1, "c"), T0 + UNIQUE_WINDOW + timedelta(minutes=30))
    assert latest.get((1, "a")) is None
    assert latest.get((1, "b")) is not None
    assert len(latest) == 2
    with pytest.raises(ValueError, match="capacity"):
        LatestHumanClicks(0)


@given(
    st.lists(
        st.tuples(st.integers(1, 2), st.sampled_from("ab"), st.integers(0, 72 * 60), st.booleans()),
        max_size=30,
    ),
    st.integers(1, 3),
)
def test_settled_clicks_are_never_unique(raw: list[tuple[int, str, int, bool]], size: int) -> None:
    # Whatever a small memory kept, a click it settles is one the rule calls not unique.
    ordered = sorted(raw, key=lambda r: r[2])
    clicks = [_c(link, v, T0 + timedelta(minutes=m), bot) for link, v, m, bot in ordered]
    flags = flag_unique(clicks, {})
    latest = LatestHumanClicks(size)
    for click, is_unique in zip(clicks, flags, strict=True):
        if latest.settles(click) is not None:
            assert not is_unique
        if not click.is_bot:
            latest.record(click.key, click.occurred_at)


def test_visitor_hashes_are_the_hashes_under_each_salt() -> None:
    today, yesterday = daily_salt(SECRET, date(2026, 3, 2)), daily_salt(SECRET, date(2026, 3, 1))
    assert visitor_hashes((today, yesterday), "203.0.113.7", "UA ü") == (
        visitor_hash(today, "203.0.113.7", "UA ü"),
        visitor_hash(yesterday, "203.0.113.7", "UA ü"),
    )
