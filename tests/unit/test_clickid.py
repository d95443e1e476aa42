from __future__ import annotations

import os
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import quote

from hypothesis import given
from hypothesis import strategies as st

from perfluence.tracking.clickid import (
    ALPHABET,
    CLICK_ID_LENGTH,
    click_id_at,
    click_id_time_ms,
    is_click_id,
    new_click_id,
)

MAX_MS = 2**48 - 1


def test_alphabet_is_in_ascii_order_and_url_safe() -> None:
    assert len(set(ALPHABET)) == 64
    assert list(ALPHABET) == sorted(ALPHABET)
    assert quote(ALPHABET, safe="") == ALPHABET


def test_shape() -> None:
    cid = new_click_id()
    assert len(cid) == CLICK_ID_LENGTH
    assert is_click_id(cid)
    assert set(cid) <= set(ALPHABET)
    # Not mistaken for a command-line option, and readable in a URL as is.
    assert cid[0].isalnum()
    assert quote(cid, safe="") == cid


@given(st.integers(0, MAX_MS - 1), st.integers(1, 10_000))
def test_lexical_order_is_time_order(ms: int, gap: int) -> None:
    later = min(ms + gap, MAX_MS)
    assert click_id_at(ms) < click_id_at(later)


@given(st.integers(0, MAX_MS))
def test_time_round_trips(ms: int) -> None:
    assert click_id_time_ms(click_id_at(ms)) == ms


def test_ids_follow_the_clock_across_milliseconds() -> None:
    ids = []
    for _ in range(5):
        ids.append(new_click_id())
        time.sleep(0.002)
    assert ids == sorted(ids)
    assert len(set(ids)) == 5


def test_unique_over_100k_in_the_same_millisecond() -> None:
    ids = {click_id_at(1_800_000_000_000) for _ in range(100_000)}
    assert len(ids) == 100_000


def test_time_of_now() -> None:
    before = int(time.time() * 1000)
    cid = new_click_id()
    after = int(time.time() * 1000)
    assert before <= click_id_time_ms(cid) <= after


def test_rejects_what_is_not_a_click_id() -> None:
    assert not is_click_id("short")
    assert not is_click_id("0" * 21 + "/")
    assert is_click_id("0" * 22)


def test_unique_across_threads() -> None:
    def mint() -> list[str]:
        return [click_id_at(1_800_000_000_000) for _ in range(20_000)]

    with ThreadPoolExecutor(4) as pool:
        batches = list(pool.map(lambda _: mint(), range(4)))
    ids = [cid for batch in batches for cid in batch]
    assert len(set(ids)) == len(ids) == 80_000


def test_a_forked_child_does_not_repeat_its_parents_ids() -> None:
    read_end, write_end = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child: mint and report, then leave without running pytest's exit
        os.close(read_end)
        os.write(write_end, " ".join(click_id_at(0) for _ in range(50)).encode())
        os._exit(0)
    os.close(write_end)
    parent = {click_id_at(0) for _ in range(50)}
    with os.fdopen(read_end) as pipe:
        child = set(pipe.read().split())
    os.waitpid(pid, 0)
    assert len(child) == 50
    assert parent.isdisjoint(child)
