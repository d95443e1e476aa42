"""``services.ratelimit``: a burst of ``limit``, then one per ``period / limit``; bounded memory."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import given
from hypothesis import strategies as st

from perfluence.services.ratelimit import RateLimiter, address_key


@dataclass
class Clock:
    now: float = 1_000.0

    def __call__(self) -> float:
        return self.now


def test_a_burst_of_limit_then_one_per_interval() -> None:
    clock = Clock()
    limiter = RateLimiter(5, 60, clock=clock)
    assert all(limiter.hit("k").allowed for _ in range(5))
    refused = limiter.hit("k")
    assert not refused.allowed
    assert refused.retry_after == pytest.approx(12.0)
    assert refused.retry_after_seconds == 12
    clock.now += 11.9
    assert not limiter.check("k").allowed
    clock.now += 0.1
    assert limiter.check("k").allowed
    assert limiter.hit("k").allowed
    assert not limiter.hit("k").allowed


def test_keys_are_independent_and_check_changes_nothing() -> None:
    limiter = RateLimiter(2, 10, clock=Clock())
    for _ in range(10):
        assert limiter.check("a").allowed
    limiter.hit("a")
    limiter.hit("a")
    assert not limiter.check("a").allowed
    assert limiter.check("b").allowed
    limiter.reset("a")
    assert limiter.check("a").allowed


def test_a_refused_event_is_not_counted() -> None:
    clock = Clock()
    limiter = RateLimiter(1, 10, clock=clock)
    limiter.hit("k")
    for _ in range(100):
        assert not limiter.hit("k").allowed
    clock.now += 10
    assert limiter.hit("k").allowed


def test_zero_means_no_limit() -> None:
    limiter = RateLimiter(0, 10, clock=Clock())
    assert all(limiter.hit("k").allowed for _ in range(1_000))
    assert len(limiter) == 0


def test_memory_is_bounded_and_full_buckets_are_forgotten() -> None:
    clock = Clock()
    limiter = RateLimiter(1, 30, clock=clock, max_keys=100)
    for i in range(10_000):
        limiter.hit(i)
    assert len(limiter) == 100
    # The least recently used went first: the newest is still counted, the oldest is not.
    assert not limiter.check(9_999).allowed
    assert limiter.check(0).allowed
    clock.now += 31
    limiter.hit("fresh")
    assert len(limiter) == 1


@pytest.mark.parametrize(("limit", "period", "max_keys"), [(1, 0, 10), (-1, 5, 10), (1, 5, 0)])
def test_nonsense_settings_are_refused(limit: int, period: float, max_keys: int) -> None:
    with pytest.raises(ValueError, match="limit"):
        RateLimiter(limit, period, clock=Clock(), max_keys=max_keys)


@given(
    limit=st.integers(1, 20),
    period=st.floats(1, 1_000),
    gaps=st.lists(st.floats(0, 50), min_size=1, max_size=200),
)
def test_never_more_than_the_burst_plus_the_rate(
    limit: int, period: float, gaps: list[float]
) -> None:
    """Over any stretch of time W, at most ``limit + W * limit / period`` events get through."""
    clock = Clock(0.0)
    limiter = RateLimiter(limit, period, clock=clock)
    allowed: list[float] = []
    for gap in gaps:
        clock.now += gap
        if limiter.hit("k").allowed:
            allowed.append(clock.now)
    for i, start in enumerate(allowed):
        for j in range(i, len(allowed)):
            span = allowed[j] - start
            assert j - i + 1 <= limit + span * limit / period + 1e-6


@pytest.mark.parametrize(
    ("address", "key"),
    [
        ("198.51.100.7", "198.51.100.7"),
        ("2001:db8:1:2:aaaa::1", "20010db800010002::/64"),
        ("2001:db8:1:2:ffff:ffff:ffff:ffff", "20010db800010002::/64"),
        ("2001:db8:1:3::1", "20010db800010003::/64"),
        ("::ffff:198.51.100.7", "198.51.100.7"),
        ("127.0.0.1", None),
        ("::1", None),
        ("::ffff:127.0.0.1", None),
        ("", None),
        ("testclient", "testclient"),
    ],
)
def test_what_an_address_is_counted_by(address: str, key: str | None) -> None:
    assert address_key(address) == key
