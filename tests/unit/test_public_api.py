from __future__ import annotations

import importlib
import subprocess
import sys

import pytest

import perfluence


def test_pure_modules_do_not_load_the_database_layer() -> None:
    code = "import perfluence.core.money, sys; print('sqlalchemy' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"


@pytest.mark.parametrize("name", perfluence.SERVICES)
def test_every_service_is_reachable_from_the_package(name: str) -> None:
    assert getattr(perfluence, name) is importlib.import_module(f"perfluence.services.{name}")


def test_unknown_attribute_is_an_attribute_error() -> None:
    with pytest.raises(AttributeError):
        _ = perfluence.nope  # type: ignore[attr-defined]
