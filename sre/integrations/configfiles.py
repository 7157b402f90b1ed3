"""Parse configuration files (YAML, JSON, TOML, dotenv) into nested dictionaries.

The format is chosen by the file name, so the same file parses the same way at every
revision. Snapshots of several files are deep-merged in the order configured, like the
layered configuration most services load (later files override earlier ones).
"""

from __future__ import annotations

import io
import json
import re
import tomllib
from collections.abc import Mapping, Sequence
from pathlib import PurePosixPath
from typing import Any, Literal

import yaml
from dotenv import dotenv_values

from alpha.core.errors import InputError

ConfigFormat = Literal["yaml", "json", "toml", "dotenv"]

_INT_RE = re.compile(r"^[+-]?\d{1,18}$")
_FLOAT_RE = re.compile(r"^[+-]?(\d+\.\d*|\.\d+|\d+)([eE][+-]?\d+)?$")


def detect_format(path: str) -> ConfigFormat:
    """The format of a config file from its name.

    Raises:
        InputError: the name matches no supported format.
    """
    name = PurePosixPath(path).name.lower()
    suffix = PurePosixPath(name).suffix
    if suffix in (".yaml", ".yml"):
        return "yaml"
    if suffix == ".json":
        return "json"
    if suffix == ".toml":
        return "toml"
    # `.env`, `.env.production`, `production.env`: all dotenv.
    if name == ".env" or name.startswith(".env.") or suffix == ".env":
        return "dotenv"
    raise InputError(
        f"config file {path!r}: unknown format (expected .yaml, .yml, .json, .toml or .env)"
    )


def _scalar(text: str | None) -> Any:
    """Type a dotenv value the way YAML would, so `POOL=5` and `pool: 5` compare equal."""
    if text is None:
        return None
    lowered = text.strip().lower()
    if lowered in ("true", "false"):
        return lowered == "true"
    if _INT_RE.match(text.strip()):
        return int(text)
    if _FLOAT_RE.match(text.strip()):
        return float(text)
    return text


def parse_config(path: str, text: str) -> dict[str, Any]:
    """Parse the text of config file `path` into a dictionary.

    Args:
        path: the file's path in the repository (chooses the format, names it in errors).
        text: its content.

    Raises:
        InputError: the content does not parse, or its top level is not a mapping.
    """
    fmt = detect_format(path)
    try:
        data: Any
        if fmt == "yaml":
            data = yaml.safe_load(text)
            if data is None:
                data = {}
        elif fmt == "json":
            data = json.loads(text)
        elif fmt == "toml":
            data = tomllib.loads(text)
        else:
            data = {k: _scalar(v) for k, v in dotenv_values(stream=io.StringIO(text)).items()}
    except (yaml.YAMLError, ValueError, tomllib.TOMLDecodeError) as exc:
        # ValueError covers json.JSONDecodeError; the first line of the parser's message is
        # enough to find the mistake (YAML adds multi-line context we do not need).
        first_line = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        raise InputError(f"config file {path!r} is not valid {fmt}: {first_line}") from exc
    if not isinstance(data, dict):
        raise InputError(
            f"config file {path!r}: top level is {type(data).__name__}, expected a mapping"
        )
    parsed: dict[str, Any] = _jsonable(data)
    return parsed


def _jsonable(value: Any) -> Any:
    """Make YAML/TOML values JSON-serialisable (dates become ISO strings, keys strings)."""
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_jsonable(v) for v in value]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if hasattr(value, "isoformat"):
        return value.isoformat()
    return str(value)


def merge_snapshots(snapshots: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Deep-merge parsed files in order; a later file's value wins on conflict."""
    merged: dict[str, Any] = {}
    for snapshot in snapshots:
        _merge_into(merged, snapshot)
    return merged


def _merge_into(target: dict[str, Any], source: Mapping[str, Any]) -> None:
    for key, value in source.items():
        current = target.get(key)
        if isinstance(current, dict) and isinstance(value, Mapping):
            _merge_into(current, value)
        else:
            target[key] = _jsonable(value)
