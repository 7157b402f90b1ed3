"""The bundled scenario library: incident payloads with known answers.

Each `*.json` file next to this module is a scenario in the format of
`shared/spec/scenario-format.md`; `incident_b` (named by `sre.scenarios.incident_b`) is
the demo payload. The files are package
data, so they are found the same way from a checkout and from an installed wheel.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from alpha.core.errors import InputError
from sre.payload import Scenario, load_scenario


def scenario_dir() -> Path:
    """The folder holding the bundled scenario files."""
    return Path(str(resources.files(__name__)))


def scenario_paths() -> list[Path]:
    """Every bundled scenario file, sorted by file name."""
    return sorted(scenario_dir().glob("*.json"))


def scenario_names() -> list[str]:
    """The bundled scenarios' file stems (what `--scenario NAME` accepts), sorted."""
    return [path.stem for path in scenario_paths()]


def load_bundled(name: str) -> Scenario:
    """Load a bundled scenario by file stem (``incident_b``) or by its `name` field.

    Raises:
        InputError: no bundled scenario has that name.
    """
    path = scenario_dir() / f"{name}.json"
    if path.is_file():
        return load_scenario(path)
    for candidate in scenario_paths():
        scenario = load_scenario(candidate)
        if scenario.name == name:
            return scenario
    known = ", ".join(scenario_names())
    raise InputError(f"unknown scenario {name!r}; bundled scenarios: {known}")


def load_all() -> list[Scenario]:
    """Every bundled scenario, sorted by file name.

    Raises:
        InputError: a bundled file is not a valid scenario (a packaging bug).
    """
    return [load_scenario(path) for path in scenario_paths()]
