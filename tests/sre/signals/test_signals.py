"""The typed SRE signals: every type has a value model and a class, and the extractors'
output on every bundled and held-out scenario validates against them."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from pydantic import BaseModel, ValidationError

from alpha.schemas import Signal
from sre.extractors.signal_extractor import extract_signals
from sre.payload import load_scenario
from sre.scenarios import scenario_paths
from sre.signals import (
    SIGNAL_CLASSES,
    LogTemplateSignal,
    MetricGrowthSignal,
    SignalType,
    as_typed,
    signal_class,
    signal_type,
    typed_signals,
)
from sre.signals.values import FILE_KINDS, FileKinds, MetricGrowthValue
from tests.sre.builders import Signals

_HELDOUT = sorted(Path(__file__).parents[1].glob("heldout*/*.json"))
SCENARIOS = [*scenario_paths(), *_HELDOUT]
IDS = [f"{path.parent.name}/{path.stem}" for path in SCENARIOS]
SOURCES = {"logs", "metrics", "config", "commits"}


def test_every_signal_type_has_a_value_model_and_a_class() -> None:
    """Each SignalType maps to a Signal subclass fixing its type and source, whose value is a
    model that rejects unknown keys."""
    assert set(SIGNAL_CLASSES) == set(SignalType)
    for kind, cls in SIGNAL_CLASSES.items():
        assert issubclass(cls, Signal)
        assert cls.model_fields["type"].default == kind.value
        assert cls.model_fields["source"].default in SOURCES
        model = cls.model_fields["value"].annotation
        assert isinstance(model, type) and issubclass(model, BaseModel)
        assert model.model_config.get("extra") == "forbid"
        assert signal_type(model.model_construct()) is kind
        assert signal_class(model.model_construct()) is cls


def test_typed_signals_keep_the_generic_field_order() -> None:
    """A typed signal has the generic Signal's fields in the same order (same JSON)."""
    for cls in SIGNAL_CLASSES.values():
        assert list(cls.model_fields) == list(Signal.model_fields)


@pytest.mark.parametrize("path", SCENARIOS, ids=IDS)
def test_extracted_signals_validate_against_their_models(path: Path) -> None:
    """Every signal the extractor makes is typed, and its JSON reads back into its class
    unchanged (what `alpha investigate --json` prints is the contract)."""
    signals = extract_signals(load_scenario(path).incident)
    assert signals
    for signal in signals:
        cls = SIGNAL_CLASSES[SignalType(signal.type)]
        assert type(signal) is cls
        again = cls.model_validate(json.loads(signal.model_dump_json()))
        assert again == signal
        assert again.model_dump_json() == signal.model_dump_json()


def test_a_typed_signal_serialises_like_a_generic_one() -> None:
    """Inside a generic Signal field, a typed signal dumps the same JSON as a generic
    signal holding its value as a mapping."""
    typed = Signals().growth("jvm_heap_used_mb", 900.0, 3900.0)
    generic = Signal.model_validate(typed.model_dump())
    assert isinstance(generic.value, dict)
    assert Signal.model_dump_json(typed) == generic.model_dump_json()


def test_a_generic_signal_of_an_sre_type_is_validated_into_its_class() -> None:
    """A hand-built generic signal with a contract-valid mapping becomes its typed class."""
    typed = Signals().template("payment failed", hosts=["pay.internal"])
    generic = Signal.model_validate(typed.model_dump())
    converted = as_typed(generic)
    assert isinstance(converted, LogTemplateSignal)
    assert converted.value.hosts == ["pay.internal"]
    assert converted == typed


def test_a_value_that_breaks_the_contract_is_rejected_naming_the_field() -> None:
    """A metric name that is not text is a validation error naming `value.metric`, not a
    value a rule would read wrongly."""
    bad = Signal(
        id="sig_001",
        type="metric_growth",
        description="x",
        source="metrics",
        value={"metric": ["jvm_heap_used_mb"], "first": 9, "last": 39},
    )
    with pytest.raises(ValidationError) as caught:
        as_typed(bad)
    locations = {error["loc"] for error in caught.value.errors()}
    assert ("value", "metric") in locations
    assert ("value", "peak") in locations  # a missing field is named too


def test_a_renamed_key_is_rejected() -> None:
    """An unknown key (a field renamed on one side only) is an error, not ignored."""
    value = Signals().growth("heap_mb", 1.0, 2.0).value.model_dump()
    value["monotonicity"] = value.pop("monotonic_share")
    with pytest.raises(ValidationError, match="monotonicity"):
        MetricGrowthValue.model_validate(value)


def test_signals_of_other_verticals_are_not_sre_signals() -> None:
    """Unknown types and non-mapping values are left out, typed signals kept in order."""
    s = Signals()
    growth = s.growth("heap_mb", 1.0, 2.0)
    other = Signal(id="sig_900", type="log_group", description="x", value={"n": 1}, source="logs")
    scalar = Signal(id="sig_901", type="metric_growth", description="x", value=3, source="x")
    assert as_typed(other) is None and as_typed(scalar) is None
    assert typed_signals([other, growth, scalar]) == [growth]
    assert isinstance(typed_signals([growth])[0], MetricGrowthSignal)


def test_file_kinds_are_the_fields_in_order() -> None:
    """The commit file kinds are FileKinds' fields, in the order the JSON lists them."""
    assert list(FileKinds.model_fields) == list(FILE_KINDS)
    kinds = FileKinds(
        code=["a.py"], config=["c.yaml"], migration=[], dependency=[], docs_tests=["a.py"], other=[]
    )
    assert kinds.of("config", "code") == ["c.yaml", "a.py"]
    assert kinds.all_files() == ["a.py", "c.yaml"]
