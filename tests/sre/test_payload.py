"""Loading payloads and scenario files: one-line errors naming the file and the field."""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from alpha.core.errors import InputError
from sre.payload import (
    incident_from_document,
    load_payload,
    load_scenario,
    parse_json,
)


def _payload(**overrides: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "deployment_id": "deploy-1",
        "logs": ["2026-11-20T14:03:11Z ERROR boom"],
        "metrics": {"latency_p99_ms": {"baseline": [120, 118], "current": [480, 510]}},
        "recent_commits": [{"sha": "9f3c2ab71d0e", "message": "Lower pool size"}],
        "config_snapshot": {"database": {"pool_size": 5}},
    }
    base.update(overrides)
    return base


@pytest.fixture(autouse=True)
def _in_tmp(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Run in the temporary folder so files are named as a user would type them."""
    monkeypatch.chdir(tmp_path)


def _write(tmp_path: Path, document: Any, name: str = "payload.json") -> Path:
    (tmp_path / name).write_text(json.dumps(document))
    return Path(name)


def _error(path: Path) -> str:
    with pytest.raises(InputError) as info:
        load_payload(path)
    return str(info.value)


def test_bare_payload_loads(tmp_path: Path) -> None:
    """A valid bare payload loads into an IncidentInput with no scenario attached."""
    loaded = load_payload(_write(tmp_path, _payload()))
    assert loaded.incident.deployment_id == "deploy-1"
    assert loaded.scenario is None


def test_scenario_file_loads_as_payload(tmp_path: Path) -> None:
    """A scenario file gives its incident, and the scenario itself when valid."""
    document = {
        "name": "pool",
        "description": "d",
        "incident": _payload(),
        "expected": {"category": "config_change", "suspects": ["database.pool_size"]},
    }
    loaded = load_payload(_write(tmp_path, document))
    assert loaded.incident.config_snapshot == {"database": {"pool_size": 5}}
    assert loaded.scenario is not None and loaded.scenario.expected.suspects == [
        "database.pool_size"
    ]


def test_scenario_with_broken_expected_still_gives_incident(tmp_path: Path) -> None:
    """`investigate` ignores `expected`, so a bad answer key does not refuse the payload."""
    document = {"name": "x", "incident": _payload(), "expected": {"category": "nonsense"}}
    loaded = load_payload(_write(tmp_path, document))
    assert loaded.incident.deployment_id == "deploy-1"
    assert loaded.scenario is None


def test_stdin_dash_reads_stream() -> None:
    """`-` reads the payload from the given binary stream and names it <stdin>."""
    stream = io.BytesIO(json.dumps(_payload()).encode())
    assert load_payload("-", stdin=stream).incident.deployment_id == "deploy-1"
    with pytest.raises(InputError, match=r"^<stdin>: invalid JSON at line 1 column 1"):
        load_payload("-", stdin=io.BytesIO(b"nope"))


@pytest.mark.parametrize(
    ("document", "expected"),
    [
        (_payload(deploy_id="x"), "payload.json: unknown key 'deploy_id'"),
        (
            {k: v for k, v in _payload().items() if k != "logs"},
            "payload.json: logs: missing required field",
        ),
        (
            _payload(recent_commits=[{"sha": "xyz", "message": "m"}]),
            "payload.json: recent_commits.0.sha: String should match pattern",
        ),
        (_payload(logs="one line"), "payload.json: logs: Input should be a valid list"),
        (_payload(logs=["ok", 3]), "payload.json: logs.1: Input should be a valid string"),
        (_payload(deployment_id="  "), "payload.json: deployment_id: Value error"),
        (_payload(deployed_at="yesterday"), "payload.json: deployed_at: Input should be"),
        (
            _payload(metrics={"lat": {"baseline": 1}}),
            "payload.json: metrics.lat.current: missing required field",
        ),
        (
            _payload(metrics={"db.lat": {"baseline": 1}}),
            'payload.json: metrics."db.lat".current: missing required field',
        ),
        (
            _payload(metrics={"a\nb": "high"}),
            'payload.json: metrics."a\\nb": Input should be',
        ),
        (
            _payload(metrics={"lat": {"current": 1, "foo": 2}}),
            "payload.json: metrics.lat: unknown key 'foo'",
        ),
        (
            _payload(recent_commits=[{"sha": "abcdef12", "message": "m", "files": [{"x": 1}]}]),
            "payload.json: recent_commits.0.files.0.filename: missing required field",
        ),
        ([1, 2], "payload.json: expected a JSON object at the top level, got an array"),
        (
            {"name": "s", "incident": _payload(extra=1), "expected": {"category": "database"}},
            "payload.json: incident: unknown key 'extra'",
        ),
        ({"incident": "text"}, "payload.json: incident: expected an object, got a string"),
        (
            {"name": "s", "expected": {"category": "database"}},
            "payload.json: incident: missing required field",
        ),
    ],
)
def test_invalid_payload_names_file_and_field(tmp_path: Path, document: Any, expected: str) -> None:
    """Each kind of bad payload gives one line that names the file and the field."""
    message = _error(_write(tmp_path, document))
    assert message.startswith(expected), message
    assert "\n" not in message


def test_union_member_names_are_not_shown(tmp_path: Path) -> None:
    """Pydantic's union tags (MetricWindows, list[float]) never appear in the field path."""
    message = _error(_write(tmp_path, _payload(metrics={"lat": "high"})))
    assert message.startswith("payload.json: metrics.lat: ")
    assert "MetricWindows" not in message and "float]" not in message


def test_invalid_json_gives_line_and_column(tmp_path: Path) -> None:
    """A syntax error names the line and column."""
    path = Path("payload.json")
    path.write_text('{\n  "deployment_id": "x",\n  "logs": [,]\n}')
    assert _error(path).startswith("payload.json: invalid JSON at line 3 column 12")


def test_missing_file_and_directory(tmp_path: Path) -> None:
    """A missing file and a directory are refused by name."""
    assert _error(Path("nope.json")) == "nope.json: no such file"
    assert "is a directory" in _error(tmp_path)


def test_not_utf8(tmp_path: Path) -> None:
    """Bytes that are not UTF-8 are refused with the offset, not a decode traceback."""
    path = tmp_path / "payload.json"
    path.write_bytes(b'{"deployment_id": "\xff"}')
    assert "not UTF-8" in _error(path)


def test_size_limit(tmp_path: Path) -> None:
    """A file larger than the limit is refused before it is parsed."""
    path = _write(tmp_path, _payload())
    with pytest.raises(InputError, match="larger than the 100 bytes allowed"):
        load_payload(path, max_bytes=100)


def test_fifty_megabyte_payload_loads(tmp_path: Path) -> None:
    """A 50 MB payload of log lines is accepted."""
    line = "2026-11-20T14:03:11.123Z INFO request handled path=/v1/checkout status=200 dur=12ms x"
    count = 50 * 1024 * 1024 // (len(line) + 4) + 1
    path = tmp_path / "big.json"
    path.write_text(json.dumps(_payload(logs=[line] * count)))
    assert path.stat().st_size >= 50 * 1024 * 1024
    assert len(load_payload(path).incident.logs) == count


def test_scenario_errors_name_expected_fields(tmp_path: Path) -> None:
    """load_scenario validates the answer key too, naming the field."""
    document = {"name": "s", "description": "d", "incident": _payload(), "expected": {}}
    path = _write(tmp_path, document, "s.json")
    with pytest.raises(InputError, match=r"^s.json: expected.category: missing required field"):
        load_scenario(path)
    document["expected"] = {"category": "flaky"}
    path = _write(tmp_path, document, "s.json")
    with pytest.raises(InputError, match=r"^s.json: expected.category: .*unknown category 'flaky'"):
        load_scenario(path)
    document["expected"] = {"category": "database"}
    document["name"] = "../escape"
    path = _write(tmp_path, document, "s.json")
    with pytest.raises(InputError, match=r"^s.json: name: String should match pattern"):
        load_scenario(path)


_json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=8), children, max_size=3)
    ),
    max_leaves=12,
)


@settings(max_examples=150, deadline=None)
@given(data=st.binary(max_size=200))
def test_parse_json_never_raises_anything_else(data: bytes) -> None:
    """Arbitrary bytes either decode to an object or raise InputError naming the source."""
    try:
        assert isinstance(parse_json(data, "f.json"), dict)
    except InputError as exc:
        assert str(exc).startswith("f.json: ")
        assert "\n" not in str(exc)


@settings(max_examples=150, deadline=None)
@given(
    field=st.sampled_from(
        ["deployment_id", "logs", "metrics", "recent_commits", "config_snapshot", "deployed_at"]
    ),
    value=_json_values,
)
def test_any_field_value_validates_or_names_the_field(field: str, value: Any) -> None:
    """Replacing one field by any JSON value is accepted or refused naming that field."""
    try:
        incident_from_document(_payload(**{field: value}), "f.json")
    except InputError as exc:
        message = str(exc)
        assert message.startswith(f"f.json: {field}"), message
        assert "\n" not in message


def test_stdin_is_capped_at_exactly_the_limit() -> None:
    """From stdin, a payload of exactly the limit loads and one byte more is refused by name."""
    exact = json.dumps(_payload()).encode().ljust(1_000)
    assert load_payload("-", stdin=io.BytesIO(exact), max_bytes=1_000).incident
    with pytest.raises(InputError, match=r"^<stdin>: larger than the 1,000 bytes allowed"):
        load_payload("-", stdin=io.BytesIO(exact + b" "), max_bytes=1_000)


def test_a_file_of_exactly_the_limit_loads(tmp_path: Path) -> None:
    """A file of exactly `max_bytes` is accepted; the refusal names the file."""
    path = _write(tmp_path, _payload())
    size = path.stat().st_size
    assert load_payload(path, max_bytes=size).incident
    assert _error_with(path, max_bytes=size - 1) == (
        f"payload.json: larger than the {size - 1:,} bytes allowed for a payload"
    )


def _error_with(path: Path, **options: Any) -> str:
    with pytest.raises(InputError) as info:
        load_payload(path, **options)
    return str(info.value)


def test_other_problems_are_counted_in_the_message(tmp_path: Path) -> None:
    """The most specific problem is named and the others counted, singular or plural."""
    one_more = _error(_write(tmp_path, _payload(logs=["ok", 3], deploy_id="x")))
    assert one_more.endswith("(and 1 more problem)"), one_more
    two_more = _error(_write(tmp_path, _payload(logs=["ok", 3, 4], deploy_id="x")))
    assert two_more.endswith("(and 2 more problems)"), two_more
    alone = _error(_write(tmp_path, _payload(logs=["ok", 3])))
    assert alone == "payload.json: logs.1: Input should be a valid string"


def test_a_bare_payload_is_not_a_scenario(tmp_path: Path) -> None:
    """Loading a bare payload as a scenario says what a scenario is and how to run a payload."""
    with pytest.raises(InputError) as info:
        load_scenario(_write(tmp_path, _payload()))
    assert str(info.value) == (
        "payload.json: not a scenario: an incident payload without a known answer "
        "(a scenario has `name`, `incident` and `expected`; investigate a payload with "
        "`alpha investigate --payload`)"
    )


def test_too_deep_json_is_refused_by_name() -> None:
    """JSON nested past the parser's recursion limit is refused, not a traceback."""
    with pytest.raises(InputError) as info:
        parse_json(b"[" * 100_000 + b"]" * 100_000, "deep.json")
    assert str(info.value) == "deep.json: invalid JSON: nested too deeply"
