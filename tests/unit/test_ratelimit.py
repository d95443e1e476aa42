"""The tracking rate limiter: fixed one-minute windows per client address, bounded memory."""

from __future__ import annotations

import logging

import pytest

from perfluence.tracking.ratelimit import RateLimiter, client_key

MINUTE = 1_772_452_800.0  # 2026-03-02 12:00:00 UTC, on a minute


def test_a_client_gets_its_limit_per_minute_then_waits_for_the_next() -> None:
    limiter = RateLimiter(3)
    assert [limiter.retry_after("203.0.113.7", MINUTE + 1) for _ in range(3)] == [0, 0, 0]
    assert limiter.retry_after("203.0.113.7", MINUTE + 20.5) == 40  # seconds to the next minute
    assert limiter.retry_after("203.0.113.7", MINUTE + 59.9) == 1
    assert limiter.retry_after("198.51.100.1", MINUTE + 59.9) == 0  # someone else
    assert limiter.retry_after("203.0.113.7", MINUTE + 60) == 0  # a new minute
    assert len(limiter) == 1  # the old minute is forgotten


def test_ipv6_clients_count_per_64_network() -> None:
    limiter = RateLimiter(2)
    assert limiter.retry_after("2001:db8:1:2::1", MINUTE) == 0
    assert limiter.retry_after("2001:db8:1:2:ffff::9", MINUTE) == 0
    assert limiter.retry_after("2001:db8:1:2::abcd", MINUTE) > 0
    assert limiter.retry_after("2001:db8:1:3::1", MINUTE) == 0
    assert client_key("2001:db8:1:2::1") == client_key("2001:0db8:0001:0002:9::")
    assert client_key("203.0.113.7") == "203.0.113.7"
    assert client_key("not:an:address") == "not:an:address"


@pytest.mark.parametrize("address", ["127.0.0.1", "127.1.2.3", "::1", "::ffff:127.0.0.1"])
def test_loopback_is_never_limited(address: str) -> None:
    limiter = RateLimiter(1)
    assert [limiter.retry_after(address, MINUTE) for _ in range(5)] == [0] * 5


def test_memory_is_bounded_and_the_overflow_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    limiter = RateLimiter(1, max_clients=10)
    with caplog.at_level(logging.WARNING):
        for n in range(50):
            assert limiter.retry_after(f"10.0.0.{n}", MINUTE) == 0
    assert len(limiter) == 10
    assert caplog.text.count("client addresses this minute") == 1
    assert limiter.retry_after("10.0.0.1", MINUTE) > 0  # the counted ones stay limited
    assert limiter.retry_after("10.0.1.1", MINUTE + 60) == 0


def test_a_limit_of_zero_is_refused() -> None:
    with pytest.raises(ValueError, match="at least one"):
        RateLimiter(0)
