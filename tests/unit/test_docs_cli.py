"""Every CLI command has a heading in docs/cli.md, and every heading is a real command."""

from __future__ import annotations

import re
from pathlib import Path

import typer.main
from typer.core import TyperGroup

from perfluence.cli import app

DOCS = Path(__file__).parents[2] / "docs" / "cli.md"


def _commands(group: TyperGroup, prefix: str) -> set[str]:
    names: set[str] = set()
    for name, command in group.commands.items():
        full = f"{prefix} {name}"
        if isinstance(command, TyperGroup):
            names |= _commands(command, full)
        else:
            names.add(full)
    return names


def test_every_command_is_documented() -> None:
    root = typer.main.get_command(app)
    assert isinstance(root, TyperGroup)
    commands = _commands(root, "perfluence")
    headings = set(re.findall(r"^### `(perfluence[a-z -]*)`", DOCS.read_text(), re.MULTILINE))
    assert commands - headings == set(), "commands without a heading in docs/cli.md"
    assert headings - commands == set(), "docs/cli.md documents commands that do not exist"
