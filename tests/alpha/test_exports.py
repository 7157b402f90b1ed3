"""The facades (`alpha`, `alpha.schemas`) only re-export: each name has one real home.

Modelled on trio's `_tests/test_exports.py`: a name reached through a facade must be the very
object defined in the module the original design names for it, so there is one definition
per name and the facade can never drift from it.
"""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import pytest

import alpha
import alpha.schemas

# Where the original design puts each of its names.
DESIGN_HOMES = {
    "AlphaRuntime": "alpha.core.runtime",
    "ParallelExecutor": "alpha.core.executor",
    "AgentRegistry": "alpha.core.registry",
    "StructuredMemory": "alpha.core.memory",
    "BaseAgent": "alpha.agents.base",
    "AgentContext": "alpha.agents.base",
    "LLMClient": "alpha.llm.base",
    "JudgeLayer": "alpha.judge.judge",
    "JudgedResult": "alpha.judge.judge",
    "Aggregator": "alpha.aggregation.aggregator",
    "Signal": "alpha.schemas.signal",
    "Hypothesis": "alpha.schemas.hypothesis",
    "IncidentInput": "alpha.schemas.incident",
    "AgentResult": "alpha.schemas.result",
    "ExecutionResult": "alpha.schemas.result",
    "AgentEvent": "alpha.schemas.events",
}

FACADES = [alpha, alpha.schemas]


def _facade_names() -> list[tuple[str, str]]:
    return [(facade.__name__, name) for facade in FACADES for name in facade.__all__]


@pytest.mark.parametrize(("facade", "name"), _facade_names())
def test_facade_names_resolve(facade: str, name: str) -> None:
    """Every name a facade lists in `__all__` exists."""
    assert hasattr(importlib.import_module(facade), name)


@pytest.mark.parametrize(("facade", "name"), _facade_names())
def test_facade_reexports_the_object_of_its_home(facade: str, name: str) -> None:
    """A class or function of a facade is defined elsewhere and is that module's own object."""
    obj = getattr(importlib.import_module(facade), name)
    if not (inspect.isclass(obj) or inspect.isfunction(obj)):
        return  # constants and type aliases carry no home module to compare
    home = obj.__module__
    assert home != facade, f"{name} is defined in the facade {facade} itself"
    assert getattr(importlib.import_module(home), name) is obj


@pytest.mark.parametrize(("name", "home"), sorted(DESIGN_HOMES.items()))
def test_design_names_live_where_the_design_puts_them(name: str, home: str) -> None:
    """Each name of the design is defined in the design's module and reachable from `alpha`."""
    obj = getattr(importlib.import_module(home), name)
    assert obj.__module__ == home
    assert getattr(alpha, name) is obj


def test_each_public_class_is_defined_once() -> None:
    """No two modules of `alpha` define a public class of the same name."""
    seen: dict[str, str] = {}
    for info in pkgutil.walk_packages(alpha.__path__, "alpha."):
        module = importlib.import_module(info.name)
        for name, obj in vars(module).items():
            if name.startswith("_") or not inspect.isclass(obj) or obj.__module__ != info.name:
                continue
            assert name not in seen, f"{name} is defined in {seen[name]} and {info.name}"
            seen[name] = info.name
