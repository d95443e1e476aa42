"""Secrets are compared in constant time: no ``==`` or ``!=`` on a digest, signature, token,
secret or key hash anywhere in the code; ``hmac.compare_digest`` where they are checked."""

from __future__ import annotations

import ast
import re
from pathlib import Path

SRC = Path(__file__).parents[2] / "src" / "perfluence"
SECRET_NAME = re.compile(r"(digest|signature|token|secret|csrf|key_hash|password|mac)", re.I)
# Where a secret is checked; each must use hmac.compare_digest.
CHECKERS = (
    "conversions/signatures.py",
    "services/api_keys.py",
    "services/users.py",
    "web/dashboard/login.py",
)
# Comparisons that name something secret-sounding but check no credential, and why.
NOT_SECRET = {
    # The configured secret against the public development default, to refuse it in prod.
    "config.py get_secret_value == DEV_SECRET",
    # The length of a decoded signature: public (32 bytes for every HMAC-SHA256).
    "conversions/signatures.py len == digest_size",
    # A new password's own whitespace rule, not a login check.
    "core/auth.py strip == password",
    # A report CSV's integrity hash, printed in the file itself: nothing secret.
    "reports/hashing.py hexdigest == cells",
}


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    if isinstance(node, ast.Call):
        return _name(node.func)
    if isinstance(node, ast.Subscript):
        return _name(node.value)
    return None


def _plain_comparisons(path: Path, allowed: frozenset[str] = frozenset(NOT_SECRET)) -> list[str]:
    where = str(path.relative_to(SRC))
    found = []
    for node in ast.walk(ast.parse(path.read_text())):
        if not isinstance(node, ast.Compare):
            continue
        if not any(isinstance(op, ast.Eq | ast.NotEq) for op in node.ops):
            continue
        operands = [node.left, *node.comparators]
        if any(isinstance(o, ast.Constant) and o.value is None for o in operands):
            continue
        names = [n for n in map(_name, operands) if n]
        expression = f"{where} {' == '.join(names)}"
        if any(SECRET_NAME.search(n) for n in names) and expression not in allowed:
            found.append(f"{expression} (line {node.lineno})")
    return found


def test_no_secret_is_compared_with_equals() -> None:
    found = [hit for path in sorted(SRC.rglob("*.py")) for hit in _plain_comparisons(path)]
    assert found == []


def test_every_allowed_comparison_still_exists() -> None:
    seen = {
        hit.rsplit(" (line", 1)[0]
        for path in sorted(SRC.rglob("*.py"))
        for hit in _plain_comparisons(path, allowed=frozenset())
    }
    assert seen >= NOT_SECRET, NOT_SECRET - seen


def test_every_place_that_checks_a_secret_uses_compare_digest() -> None:
    for where in CHECKERS:
        assert "hmac.compare_digest(" in (SRC / where).read_text(), where
