"""Loading incident payloads and scenario files with one-line errors.

Every failure raises `alpha.core.errors.InputError` whose message names the file and, where
there is one, the field: ``payload.json: recent_commits.0.sha: String should match
pattern ...``, ``payload.json: unknown key 'deploy_id'``, ``payload.json: invalid JSON at
line 3 column 5``. The command line prints that message after ``alpha:`` and exits 2.

A payload file is read once into memory (no streaming); the decoded JSON is handed to
pydantic without further copies, so a 50 MB payload costs a few times its size in memory
and is otherwise bounded by `MAX_PAYLOAD_BYTES`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from alpha.core.errors import InputError
from alpha.schemas import IncidentInput
from sre.taxonomy import CATEGORIES

# Far above any real incident (the contract's 1,000,000 log lines are ~100 MB of JSON), low
# enough that a wrong file (a disk image, a core dump) is refused before it is parsed.
MAX_PAYLOAD_BYTES = 512 * 1024 * 1024

STDIN_NAME = "<stdin>"

_M = TypeVar("_M", bound=BaseModel)

_NAME_PATTERN = r"^[A-Za-z0-9][A-Za-z0-9._-]*$"


class Expected(BaseModel):
    """The known answer of a scenario (see `shared/spec/scenario-format.md`)."""

    model_config = ConfigDict(extra="forbid")

    category: str | list[str]
    suspects: list[str] = Field(default_factory=list)

    @field_validator("category")
    @classmethod
    def _known_categories(cls, value: str | list[str]) -> str | list[str]:
        names = [value] if isinstance(value, str) else value
        if not names:
            raise ValueError("at least one category is required")
        for name in names:
            if name not in CATEGORIES:
                raise ValueError(f"unknown category {name!r}; expected one of {sorted(CATEGORIES)}")
        return value

    @property
    def categories(self) -> list[str]:
        """The acceptable categories as a list, first one being the primary."""
        return [self.category] if isinstance(self.category, str) else list(self.category)

    @property
    def primary_category(self) -> str:
        """The category a scenario is counted under in `by_category`."""
        return self.categories[0]


class Scenario(BaseModel):
    """An incident payload with its known answer."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(pattern=_NAME_PATTERN, max_length=100)
    description: str
    incident: IncidentInput
    expected: Expected


@dataclass(frozen=True)
class LoadedPayload:
    """What `load_payload` found: the incident, and the scenario when the file was one."""

    incident: IncidentInput
    scenario: Scenario | None = None


def read_bytes(
    path: str | Path, *, stdin: BinaryIO | None = None, max_bytes: int = MAX_PAYLOAD_BYTES
) -> tuple[bytes, str]:
    """Read a file (or stdin for ``-``) and return its bytes and its display name.

    Raises:
        InputError: the file is missing, unreadable, a directory, or too large.
    """
    if str(path) == "-":
        stream = stdin if stdin is not None else sys.stdin.buffer
        data = stream.read(max_bytes + 1)
        _check_size(len(data), STDIN_NAME, max_bytes)
        return data, STDIN_NAME
    file = Path(path)
    name = str(path)
    try:
        size = file.stat().st_size
    except FileNotFoundError:
        raise InputError(f"{name}: no such file") from None
    except OSError as exc:
        raise InputError(f"{name}: cannot read: {exc.strerror or exc}") from None
    if file.is_dir():
        raise InputError(f"{name}: is a directory, expected a JSON file")
    _check_size(size, name, max_bytes)
    try:
        return file.read_bytes(), name
    except OSError as exc:
        raise InputError(f"{name}: cannot read: {exc.strerror or exc}") from None


def _check_size(size: int, name: str, max_bytes: int) -> None:
    if size > max_bytes:
        raise InputError(f"{name}: larger than the {max_bytes:,} bytes allowed for a payload")


def parse_json(data: bytes, name: str) -> dict[str, Any]:
    """Decode a JSON object, naming the line and column of a syntax error.

    Raises:
        InputError: the bytes are not UTF-8 JSON, or the top level is not an object.
    """
    if not data.strip():
        raise InputError(f"{name}: empty: expected a JSON payload or scenario")
    try:
        document = json.loads(data)
    except UnicodeDecodeError as exc:
        raise InputError(f"{name}: not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{name}: invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}"
        ) from None
    except RecursionError:
        raise InputError(f"{name}: invalid JSON: nested too deeply") from None
    if not isinstance(document, dict):
        raise InputError(f"{name}: expected a JSON object at the top level, got {_kind(document)}")
    return document


def is_scenario_document(document: dict[str, Any]) -> bool:
    """Whether a decoded document is a scenario (it wraps the payload in `incident`).

    A document with `expected` but no `incident` is a scenario missing its payload, so
    that it is reported as such rather than as a payload with unknown keys.
    """
    if "deployment_id" in document:
        return False
    return "incident" in document or "expected" in document


def incident_from_document(document: dict[str, Any], name: str) -> LoadedPayload:
    """Validate a bare payload or the `incident` of a scenario (its `expected` is ignored).

    Raises:
        InputError: the payload does not match the contract; the message names the field.
    """
    if is_scenario_document(document):
        if "incident" not in document:
            raise InputError(f"{name}: incident: missing required field")
        inner = document["incident"]
        if not isinstance(inner, dict):
            raise InputError(f"{name}: incident: expected an object, got {_kind(inner)}")
        return LoadedPayload(incident=_validate(IncidentInput, inner, name, prefix=("incident",)))
    return LoadedPayload(incident=_validate(IncidentInput, document, name))


def scenario_from_document(document: dict[str, Any], name: str) -> Scenario:
    """Validate a whole scenario document.

    Raises:
        InputError: a field is missing or malformed (the message names it), or the document
            is a bare incident payload, not a scenario (it then says so).
    """
    if not is_scenario_document(document) and "deployment_id" in document:
        raise InputError(
            f"{name}: not a scenario: an incident payload without a known answer "
            "(a scenario has `name`, `incident` and `expected`; investigate a payload with "
            "`alpha investigate --payload`)"
        )
    return _validate(Scenario, document, name)


def load_payload(
    path: str | Path, *, stdin: BinaryIO | None = None, max_bytes: int = MAX_PAYLOAD_BYTES
) -> LoadedPayload:
    """Load a payload or scenario file (``-`` reads stdin).

    Raises:
        InputError: with a one-line message naming the file and field.
    """
    document, name = _read_document(path, stdin=stdin, max_bytes=max_bytes)
    loaded = incident_from_document(document, name)
    if is_scenario_document(document):
        scenario = _try_scenario(document, loaded.incident)
        return LoadedPayload(incident=loaded.incident, scenario=scenario)
    return loaded


def _try_scenario(document: dict[str, Any], incident: IncidentInput) -> Scenario | None:
    # The investigate command ignores `expected`, so a broken one must not refuse the payload.
    rest = {k: v for k, v in document.items() if k != "incident"}
    try:
        return Scenario.model_validate({**rest, "incident": incident})
    except ValidationError:
        return None


def load_scenario(path: str | Path) -> Scenario:
    """Load a scenario file.

    Raises:
        InputError: with a one-line message naming the file and field.
    """
    document, name = _read_document(path)
    return scenario_from_document(document, name)


def _read_document(
    path: str | Path, *, stdin: BinaryIO | None = None, max_bytes: int = MAX_PAYLOAD_BYTES
) -> tuple[dict[str, Any], str]:
    """Read and decode a JSON file; the raw bytes are dropped on return, only the document stays."""
    data, name = read_bytes(path, stdin=stdin, max_bytes=max_bytes)
    return parse_json(data, name), name


def _validate(
    model: type[_M], document: dict[str, Any], name: str, prefix: Sequence[str | int] = ()
) -> _M:
    try:
        return model.model_validate(document)
    except ValidationError as exc:
        raise InputError(f"{name}: {describe_validation_error(exc, document, prefix)}") from None


def describe_validation_error(
    error: ValidationError, document: Any, prefix: Sequence[str | int] = ()
) -> str:
    """One line for the most specific problem of a validation error, naming the field.

    Union members (``CommitFile``, ``list[float]``) that pydantic puts in the location are
    dropped by walking the document, so the path names only keys and indexes of the input.
    When no member of a union matched, the problem reached deepest into the input is shown:
    for ``{"baseline": 1}`` under `metrics` that is the missing ``current``.
    """
    details = error.errors(include_url=False)
    paths = [_data_path(d["loc"], d["type"], document) for d in details]
    best = max(range(len(details)), key=lambda i: (len(paths[i][0]), -i))
    first, (data_path, from_union) = details[best], paths[best]
    path = [*prefix, *data_path]
    dotted = ".".join(_path_part(part) for part in path)
    more = len({tuple(p) for p, _ in paths}) - 1
    suffix = f" (and {more} more problem{'s' if more > 1 else ''})" if more > 0 else ""
    if first["type"] == "extra_forbidden":
        parent = ".".join(_path_part(part) for part in path[:-1])
        where = f"{parent}: " if parent else ""
        return f"{where}unknown key {path[-1]!r}{suffix}"
    if first["type"] == "missing":
        return f"{dotted}: missing required field{suffix}"
    message = first["msg"]
    if from_union:
        message = f"{message} (nor any other accepted form)"
    return f"{dotted or '(top level)'}: {message}{suffix}"


def _data_path(
    loc: tuple[int | str, ...], error_type: str, document: Any
) -> tuple[list[str | int], bool]:
    """The parts of a pydantic location that address the input, and whether a union was hit.

    A part that is neither a key nor an index of the input is a union member's tag; the
    only exception is the last part of a `missing` error, which names the absent key.
    """
    path: list[str | int] = []
    node = document
    union = False
    for index, part in enumerate(loc):
        last = index == len(loc) - 1
        if _addresses(node, part):
            path.append(part)
            node = node[part]
        elif last and error_type == "missing" and isinstance(part, str):
            path.append(part)
        else:
            union = True
    return path, union


def _path_part(part: str | int) -> str:
    """A path part as written in a message: keys that would break the one line are quoted.

    A key from the input may hold a newline or a dot; quoting it keeps the message on one
    line and the path unambiguous (``metrics."a\\nb"``).
    """
    if isinstance(part, int):
        return str(part)
    if part and part.isprintable() and "." not in part and '"' not in part:
        return part
    return json.dumps(part)


def _addresses(node: Any, part: int | str) -> bool:
    """Whether `part` is a key of the dict or an index of the list `node`."""
    if isinstance(node, dict):
        return isinstance(part, str) and part in node
    if isinstance(node, list):
        return isinstance(part, int) and 0 <= part < len(node)
    return False


def _kind(value: Any) -> str:
    return {
        list: "an array",
        str: "a string",
        int: "a number",
        float: "a number",
        bool: "a boolean",
        type(None): "null",
    }.get(type(value), "an object")
