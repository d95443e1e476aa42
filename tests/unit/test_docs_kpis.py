"""docs/kpis.md documents every function in core/kpis.py, and nothing that is not there."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest

from perfluence.core import kpis

DOC = Path(__file__).resolve().parents[2] / "docs" / "kpis.md"
HEADING = re.compile(r"^## (\S+)\s*$", re.MULTILINE)
PARTS = ("**Definition:**", "**Formula:**", "**Unit:**", "**Not available:**", "**Example:**")


def kpi_functions() -> set[str]:
    return {
        name
        for name, f in inspect.getmembers(kpis, inspect.isfunction)
        if f.__module__ == kpis.__name__ and not name.startswith("_")
    }


def sections() -> dict[str, str]:
    text = DOC.read_text(encoding="utf-8")
    found = list(HEADING.finditer(text))
    return {
        m[1]: text[m.end() : found[i + 1].start() if i + 1 < len(found) else len(text)]
        for i, m in enumerate(found)
    }


def test_every_kpi_function_has_a_heading() -> None:
    assert kpi_functions() - set(sections()) == set()


def test_every_heading_is_a_kpi_function() -> None:
    assert set(sections()) - kpi_functions() == set()


@pytest.mark.parametrize("name", sorted(kpi_functions()))
def test_each_section_defines_formula_unit_na_and_example(name: str) -> None:
    body = sections().get(name, "")
    missing = [part for part in PARTS if part not in body]
    assert missing == []
