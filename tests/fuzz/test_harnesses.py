"""The atheris harnesses stay runnable: their seed corpus replays cleanly, and so do random
inputs, so ``fuzz/run.sh`` starts from a green baseline (atheris itself is not needed here)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fuzz import csv_import, utm, webhooks
from tests.fuzz.strategies import examples

CORPUS = Path(__file__).parents[2] / "fuzz" / "corpus"
HARNESSES: dict[str, Callable[[bytes], None]] = {
    "webhooks": webhooks.check,
    "csv_import": csv_import.check,
    "utm": utm.check,
}


@pytest.mark.parametrize("name", sorted(HARNESSES))
def test_the_seed_corpus_replays_without_a_finding(name: str) -> None:
    seeds = sorted((CORPUS / name).iterdir())
    assert seeds, f"no seeds in fuzz/corpus/{name}"
    for seed in seeds:
        HARNESSES[name](seed.read_bytes())


@pytest.mark.parametrize("name", sorted(HARNESSES))
def test_random_inputs_find_nothing(name: str) -> None:
    @settings(max_examples=examples(100), deadline=None)
    @given(st.binary(max_size=300))
    def run(data: bytes) -> None:
        HARNESSES[name](data)

    run()
