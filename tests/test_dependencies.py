"""Declared dependencies are complete: every module imports with only them installed.

A fresh environment would need the network; instead a child interpreter is started whose
imports are restricted to what the declared dependencies provide: the standard library, our
own packages, and the top-level modules of the distributions that `pyproject.toml`'s
`[project].dependencies` bring in (with what they require, transitively, as installed). A
module importing anything else (a dev-only package such as pytest or hypothesis, or an
undeclared one such as `requests` used to be) fails to import there, by name.
"""

from __future__ import annotations

import json
import subprocess
import sys
import tomllib
from importlib import metadata
from pathlib import Path

from packaging.markers import default_environment
from packaging.requirements import Requirement

ROOT = Path(__file__).resolve().parents[1]
OWN = ("alpha", "sre", "bot")

CHILD = r"""
import importlib, importlib.abc, importlib.machinery, json, pkgutil, sys, sysconfig
allowed = set(json.loads(sys.argv[1]))
stdlib = sysconfig.get_path("stdlib")
class Only(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        top = name.partition(".")[0]
        if top in allowed or top in sys.stdlib_module_names or name != top:
            return None
        spec = importlib.machinery.PathFinder.find_spec(top)
        origin = (spec.origin or "") if spec is not None else ""
        if origin.startswith(stdlib) and "site-packages" not in origin:
            return None  # a private module of the standard library (_sysconfigdata...)
        raise ModuleNotFoundError(f"{name!r} is not provided by a declared dependency", name=name)
sys.meta_path.insert(0, Only())
failed = {}
count = 0
for package in ("alpha", "sre", "bot"):
    module = importlib.import_module(package)
    for info in pkgutil.walk_packages(module.__path__, package + "."):
        if info.name.endswith((".__main__", ".migrations.env")):
            continue  # a program, or Alembic's script: they run when imported
        count += 1
        try:
            importlib.import_module(info.name)
        except ImportError as error:
            failed[info.name] = str(error)
print(json.dumps({"imported": count, "failed": failed}))
"""


def _declared() -> list[Requirement]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    return [Requirement(text) for text in project["dependencies"]]


def _closure(requirements: list[Requirement]) -> set[str]:
    """Distribution names the requirements bring in, transitively (markers evaluated, the
    requested extras included: `sqlalchemy[asyncio]` brings greenlet)."""
    environment = default_environment()

    def wanted(requirement: Requirement, extras: set[str]) -> bool:
        marker = requirement.marker
        return marker is None or any(
            marker.evaluate({**environment, "extra": extra}) for extra in extras | {""}
        )

    found: dict[str, set[str]] = {}
    pending = [(r, set(r.extras)) for r in requirements if wanted(r, set())]
    while pending:
        requirement, extras = pending.pop()
        name = requirement.name.lower().replace("_", "-")
        if name in found and extras <= found[name]:
            continue
        try:
            needs = metadata.requires(requirement.name) or []
        except metadata.PackageNotFoundError:
            continue  # not installed on this platform (a marker-gated wheel)
        found[name] = found.get(name, set()) | extras
        for text in needs:
            need = Requirement(text)
            if wanted(need, extras):
                pending.append((need, set(need.extras)))
    return set(found)


def _allowed_modules(distributions: set[str]) -> set[str]:
    modules = set(OWN)
    for module, owners in metadata.packages_distributions().items():
        if any(owner.lower().replace("_", "-") in distributions for owner in owners):
            modules.add(module)
    return modules


def test_every_module_imports_with_only_the_declared_dependencies() -> None:
    """Each module of alpha, sre and bot imports when only the declared dependencies (and
    what they require) can be imported."""
    allowed = _allowed_modules(_closure(_declared()))
    assert "pytest" not in allowed and "hypothesis" not in allowed
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(sorted(allowed))],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["failed"] == {}
    assert report["imported"] > 100


def test_a_module_needing_an_undeclared_package_is_caught() -> None:
    """The check is not vacuous: without `requests` declared, the GitHub integration (which
    imports it) fails to import."""
    declared = [r for r in _declared() if r.name.lower() not in ("requests", "pygithub")]
    allowed = _allowed_modules(_closure(declared))
    assert "requests" not in allowed
    done = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(sorted(allowed))],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
        check=True,
    )
    failed = json.loads(done.stdout.strip().splitlines()[-1])["failed"]
    assert "sre.integrations.github" in failed
