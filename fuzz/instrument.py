"""Coverage instrumentation for the code under test only.

``atheris.instrument_all()`` patches every function loaded, SQLAlchemy and
pydantic included, which takes minutes once the services are imported and
spreads the coverage signal over code the input never reaches. This patches
the functions of the named packages (perfluence and the pure-Python stdlib
parsers it leans on) and nothing else.
"""

from __future__ import annotations

import gc
import sys
import types
from typing import Final

PACKAGES: Final = ("perfluence", "urllib.parse", "ipaddress", "csv", "json", "encodings.idna")


def instrument_packages(packages: tuple[str, ...] = PACKAGES) -> int:
    """Instrument every loaded function of ``packages``; returns how many."""
    import atheris  # type: ignore[import-untyped]  # noqa: PLC0415

    def wanted(module: str) -> bool:
        return any(module == p or module.startswith(f"{p}.") for p in packages)

    functions = [
        obj
        for obj in gc.get_objects()
        if isinstance(obj, types.FunctionType)
        and isinstance(getattr(obj, "__module__", None), str)
        and wanted(obj.__module__)
        and obj.__module__ in sys.modules
    ]
    for function in functions:
        atheris.instrument_func(function)
    sys.stderr.write(f"INFO: instrumented {len(functions)} functions of {', '.join(packages)}\n")
    return len(functions)
