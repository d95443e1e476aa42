"""SQL is built only from SQLAlchemy expressions, constants and bound parameters.

A scan of every module under ``src/`` (migrations included) for the ways SQL can
be written by hand: ``text()``, ``literal_column()``, ``exec_driver_sql()``, a
DB-API ``cursor.execute()``, and any string that reads like SQL. Each must be a
constant (a literal, or an f-string of module constants such as a channel
name); the few places that build a statement from pieces are listed
below with the reason they are safe, and the list itself is checked, so a stale
entry fails the test as much as a new unlisted one.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SRC = Path(__file__).parents[2] / "src" / "perfluence"
SQL_WORDS = re.compile(
    r"^\s*(SELECT|INSERT|UPDATE|DELETE|CREATE|DROP|ALTER|PRAGMA|WITH|TRUNCATE|GRANT|VACUUM|"
    r"NOTIFY|LISTEN)\b"
)
SINKS = {"text", "literal_column", "exec_driver_sql", "execute", "executemany", "literal"}
# (file, function): why building the SQL from pieces there is safe.
ALLOWED: dict[tuple[str, str], str] = {
    ("store/clicks.py", "_compiled_insert"): (
        "the click INSERT is assembled once per dialect from the table's own column names, "
        "quoted by the dialect's identifier preparer; every value is a bound parameter"
    ),
    ("store/clicks.py", "insert_new_clicks"): (
        "runs the statements _compiled_insert made, with the values as bound parameters"
    ),
}


@dataclass(frozen=True)
class Finding:
    where: str
    function: str
    what: str


def _is_constant_text(node: ast.expr) -> bool:
    return isinstance(node, ast.Constant) and isinstance(node.value, str)


def _sinks(node: ast.Call) -> str | None:
    func = node.func
    name = (
        func.id
        if isinstance(func, ast.Name)
        else func.attr
        if isinstance(func, ast.Attribute)
        else None
    )
    return name if name in SINKS else None


def _of_constants(node: ast.JoinedStr) -> bool:
    """An f-string whose every value is a module constant (``f"LISTEN {CHANNEL}"``)."""
    return all(
        isinstance(v, ast.Constant)
        or (
            isinstance(v, ast.FormattedValue)
            and isinstance(v.value, ast.Name)
            and v.value.id.isupper()
        )
        for v in node.values
    )


def _sql_constant(node: ast.expr) -> bool:
    return (
        isinstance(node, ast.Constant)
        and isinstance(node.value, str)
        and bool(SQL_WORDS.match(node.value))
    )


def _built_sql(node: ast.expr) -> bool:
    """A string put together at run time (f-string, +, %, .format) that reads like SQL."""
    if isinstance(node, ast.JoinedStr):
        if _of_constants(node):
            return False
        head = "".join(str(v.value) for v in node.values if isinstance(v, ast.Constant))
        return bool(SQL_WORDS.match(head))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add | ast.Mod):
        return any(_built_sql(side) or _sql_constant(side) for side in (node.left, node.right))
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
        return node.func.attr == "format" and _sql_constant(node.func.value)
    return False


class _Scanner(ast.NodeVisitor):
    def __init__(self, where: str) -> None:
        self.where = where
        self.function = "<module>"
        self.found: list[Finding] = []

    def _visit_function(self, node: ast.FunctionDef | ast.AsyncFunctionDef) -> None:
        outer, self.function = self.function, node.name
        self.generic_visit(node)
        self.function = outer

    visit_FunctionDef = _visit_function  # noqa: N815 - ast.NodeVisitor's naming
    visit_AsyncFunctionDef = _visit_function  # noqa: N815

    def _add(self, node: ast.AST, what: str) -> None:
        self.found.append(
            Finding(f"{self.where}:{getattr(node, 'lineno', 0)}", self.function, what)
        )

    def visit_Call(self, node: ast.Call) -> None:
        sink = _sinks(node)
        if sink is not None and node.args:
            first = node.args[0]
            if sink in {"text", "literal_column", "exec_driver_sql"} and not _is_constant_text(
                first
            ):
                self._add(node, f"{sink}() of a non-constant")
            elif sink in {"execute", "executemany"} and (
                (isinstance(first, ast.JoinedStr) and not _of_constants(first))
                or isinstance(first, ast.BinOp)
                or _built_sql(first)
            ):
                self._add(node, f"{sink}() of a built string")
        self.generic_visit(node)

    def visit_JoinedStr(self, node: ast.JoinedStr) -> None:
        if _built_sql(node):
            self._add(node, "SQL in an f-string")
        self.generic_visit(node)

    def visit_BinOp(self, node: ast.BinOp) -> None:
        if _built_sql(node):
            self._add(node, "SQL joined with + or %")
        self.generic_visit(node)


def findings() -> Iterator[Finding]:
    for path in sorted(SRC.rglob("*.py")):
        scanner = _Scanner(str(path.relative_to(SRC)))
        scanner.visit(ast.parse(path.read_text(), str(path)))
        yield from scanner.found


def test_sql_is_built_only_from_constants_and_bound_parameters() -> None:
    found = list(findings())
    unexplained = [f for f in found if (f.where.split(":")[0], f.function) not in ALLOWED]
    assert unexplained == [], "SQL built from strings; use SQLAlchemy expressions and binds"
    stale = set(ALLOWED) - {(f.where.split(":")[0], f.function) for f in found}
    assert stale == set(), "allowed places that no longer build SQL: drop them from ALLOWED"


def test_the_scan_sees_what_it_looks_for() -> None:
    sample = """
def bad(conn, name, table):
    conn.execute(text(f"SELECT * FROM users WHERE name = '{name}'"))
    conn.exec_driver_sql("DELETE FROM " + table)
    conn.execute("UPDATE users SET name = '%s'" % name)
    cursor.execute("SELECT {} FROM t".format(name))
    literal_column(name)

def good(conn):
    conn.execute(text("SELECT 1"))
    conn.execute(f"LISTEN {CHANNEL}")
    cursor.execute("PRAGMA foreign_keys=ON")
    message = f"{name} is not a valid e-mail address"
"""
    scanner = _Scanner("sample.py")
    scanner.visit(ast.parse(sample))
    lines = sorted({int(f.where.split(":")[1]) for f in scanner.found})
    assert lines == [3, 4, 5, 6, 7]
    assert {f.function for f in scanner.found} == {"bad"}
