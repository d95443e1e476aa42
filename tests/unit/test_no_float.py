"""No float on any money path: the pure core contains no ``float(...)`` call and no float literal.

Checked on the source's syntax tree, so it holds for code nobody has written a
test for yet. ``isinstance(x, float)`` (a refusal) is allowed; making a float is not.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

CORE = Path(__file__).resolve().parents[2] / "src" / "perfluence" / "core"
MONEY_PATH = ("money.py", "kpis.py", "fx.py", "ecb.py", "formatting.py")


def float_uses(source: str, filename: str = "<source>") -> list[str]:
    """Every ``float(...)`` call and float literal in ``source``, as ``line: what``."""
    found = []
    for node in ast.walk(ast.parse(source, filename)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "float"
        ):
            found.append(f"{node.lineno}: float(...) call")
        elif isinstance(node, ast.Constant) and isinstance(node.value, float | complex):
            found.append(f"{node.lineno}: float literal {node.value!r}")
    return found


def core_modules() -> list[Path]:
    return sorted(CORE.rglob("*.py"))


def test_the_money_path_modules_are_all_checked() -> None:
    names = {p.name for p in core_modules()}
    assert set(MONEY_PATH) <= names


@pytest.mark.parametrize("path", core_modules(), ids=lambda p: p.relative_to(CORE).as_posix())
def test_no_float_in_core_module(path: Path) -> None:
    assert float_uses(path.read_text(encoding="utf-8"), str(path)) == []


@pytest.mark.parametrize(
    ("snippet", "hits"),
    [
        ("x = float('1.5')", 1),
        ("x = 1.5", 1),
        ("x = 1e3", 1),
        ("x = 2j", 1),
        ("def f(a=0.5):\n    return float(a) * 2.0", 3),
        ("isinstance(v, float)", 0),
        ("x = Decimal('1.5')", 0),
        ("x = 15 // 10", 0),
    ],
)
def test_the_detector_itself(snippet: str, hits: int) -> None:
    assert len(float_uses(snippet)) == hits
