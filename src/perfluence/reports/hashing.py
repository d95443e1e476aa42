"""The report hash: SHA-256 over the canonical CSV of the report.

The canonical CSV holds every figure and the settings that shape the report
(language, currency, the FX rate and its date), so two reports with the same
hash show the same numbers in the same way. It never holds the hash itself:
the hash row is appended after hashing, and ``verify_csv`` checks a CSV file
by hashing everything before its last row.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace

from perfluence.reports.model import Report
from perfluence.reports.tabular import canonical_csv


def report_hash(report: Report) -> str:
    """Hex SHA-256 of the report's canonical CSV (independent of ``report.report_hash``)."""
    return hashlib.sha256(canonical_csv(report)).hexdigest()


def with_hash(report: Report) -> Report:
    return replace(report, report_hash=report_hash(report))


def verify_csv(data: bytes) -> bool:
    """Whether a report CSV's last row carries the hash of the rows before it."""
    body, _, last = data.rstrip(b"\n").rpartition(b"\n")
    cells = last.decode("utf-8").split(",")
    if len(cells) != 5 or cells[2] != "report_hash":
        return False
    return hashlib.sha256(body + b"\n").hexdigest() == cells[3]
