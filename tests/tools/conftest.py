"""Fixtures for the development tools: the converters and the accuracy bench's baselines.

Neither `tools/` nor `bench/` is a package; their modules are loaded from their files, as
`python tools/datasets/nezha.py` and `python bench/accuracy.py` run them.
"""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]


def load_module(relative: str, name: str) -> ModuleType:
    """Import a script of the repository from its file, under `name`."""
    spec = importlib.util.spec_from_file_location(name, ROOT / relative)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up while it loads
    spec.loader.exec_module(module)
    return module


@pytest.fixture
def in_repository(monkeypatch: pytest.MonkeyPatch) -> Path:
    """The repository root as the working directory, where the tools are run from (the
    suite's hermetic fixture otherwise starts each test in an empty directory)."""
    monkeypatch.chdir(ROOT)
    return ROOT


@pytest.fixture(scope="session")
def nezha() -> ModuleType:
    """tools/datasets/nezha.py."""
    return load_module("tools/datasets/nezha.py", "tools_nezha")


@pytest.fixture(scope="session")
def holmes_ask() -> ModuleType:
    """tools/datasets/holmes_ask.py."""
    return load_module("tools/datasets/holmes_ask.py", "tools_holmes_ask")


@pytest.fixture(scope="session")
def baselines() -> ModuleType:
    """bench/baselines.py."""
    return load_module("bench/baselines.py", "bench_baselines")


@pytest.fixture
def make_git_snapshot(tmp_path: Path):
    """Build a small git repository from {path: text} and return its git directory."""

    def make(files: dict[str, str]) -> Path:
        work = tmp_path / "repo"
        for relative, text in files.items():
            path = work / relative
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8")
        git = ["git", "-C", str(work), "-c", "user.name=t", "-c", "user.email=t@example.org"]
        subprocess.run([*git, "init", "-q"], check=True)
        subprocess.run([*git, "add", "-A"], check=True)
        subprocess.run([*git, "commit", "-q", "-m", "fixture"], check=True)
        return work / ".git"

    return make
