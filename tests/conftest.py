"""Fixtures shared by the whole suite."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest


def console_script(name: str) -> Path:
    """The console script `name` installed next to the running interpreter.

    Found beside `sys.executable` (the venv's `bin/`), never through `PATH`, so the suite
    gives the same answer whether or not the venv is activated; a missing script is a
    failure of the install, not a reason to skip.
    """
    path = Path(sys.executable).parent / name
    if not path.exists():
        pytest.fail(f"console script {name!r} is not installed next to {sys.executable}")
    return path


@pytest.fixture
def alpha_script() -> Path:
    """The installed `alpha` command."""
    return console_script("alpha")


@pytest.fixture
def lint_imports_script() -> Path:
    """The installed `lint-imports` command (import-linter, a dev dependency)."""
    return console_script("lint-imports")
