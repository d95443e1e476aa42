"""Coverage-guided fuzzing harnesses (atheris) for the parsers that read what strangers send.

Each module has a ``check(data: bytes)`` that raises ``AssertionError`` (or any
exception but ``PerfluenceError``) on a finding, and a ``main()`` that hands it
to atheris. ``fuzz/run.sh SECONDS`` runs every harness; docs/fuzzing.md says how.
"""
