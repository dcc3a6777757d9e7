"""The README stays true: every CLI command and every setting is documented there."""

from __future__ import annotations

from pathlib import Path

import typer.main

from pullplan.cli import app
from pullplan.settings import Settings

README = (Path(__file__).parents[1] / "README.md").read_text()


def _commands(group, prefix=""):
    for name, command in getattr(group, "commands", {}).items():
        path = f"{prefix}{name}"
        if hasattr(command, "commands"):
            yield from _commands(command, path + " ")
        else:
            yield path


def test_every_cli_command_is_in_the_readme():
    commands = list(_commands(typer.main.get_command(app)))
    assert "item move" in commands
    missing = [c for c in commands if f"`pullplan {c}" not in README]
    assert not missing, f"commands missing from README.md: {missing}"


def test_every_setting_is_in_the_readme():
    missing = [
        f"PULLPLAN_{name.upper()}"
        for name in Settings.model_fields
        if f"`PULLPLAN_{name.upper()}`" not in README
    ]
    assert not missing, f"settings missing from README.md: {missing}"


def test_readme_shows_the_two_commands():
    assert "make run" in README and "make test" in README
