"""Config evidence: the diff against the previous snapshot, and risky values.

`config_change` signals come from the diff (dotted keys; nested objects recursed; lists
compared as whole values). A change is attributed to a recent commit (`commit_shas`) when

1. one of the commit's non-docs/tests files has a changed (`+`/`-`) patch line naming the
   key's leaf (`pool_size`; case, `-` and `_` ignored; whole `-`/`_`-separated parts of a
   word, so `DB_POOL_SIZE=5` and `pool-size:` count and `mypoolsize` does not); a leaf
   shorter than 6 characters (`size`, `url`) must also have its parent's name or the new
   value somewhere in that patch; or
2. the file has no patch, is a config file, and is named like the key's top-level
   section (`config/database.yml` for `database.pool_size`), or has a name that holds
   every section (`config/production.yaml`, `settings.py`, `values.yaml`, `appsettings.json`,
   or the incident's environment or service name).

`config_risk` signals apply generic rules (see `risk_reasons`). When the previous snapshot
is known only added and modified keys are judged (an old value did not start today's
incident); without it every key of the current snapshot is judged, at lower severity.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePosixPath
from typing import Any

from alpha.schemas import Commit, IncidentInput, Severity
from sre.extractors.files import changed_lines, classify_file
from sre.extractors.finding import Finding
from sre.extractors.fmt import fmt_ratio, is_number, show_value
from sre.extractors.keywords import LIMIT_TOKENS, TIME_TOKENS, concept_of, concepts, tokens
from sre.signals.values import ChangeKind, ConfigChangeValue, ConfigRiskValue

# A numeric change by this factor or more (either way) is a risk in itself.
LARGE_RATIO = 5.0
TINY_POOL = 5
HIGH_RETRIES = 10
_SHORT_LEAF = 6
_PRODUCTION = frozenset({"prod", "production", "live", "prd"})
# Stems of config files that hold the whole configuration rather than one section.
_WHOLE_CONFIG_STEMS = frozenset(
    {"config", "configuration", "settings", "application", "app", "values", "default"}
    | {"defaults", "appsettings", "env", "environment", "base", "common", "main", "service"}
    | {"prod", "production", "staging", "live", "prd"}
)


@dataclass(frozen=True)
class ConfigChange:
    """One difference between the previous and the current config snapshot."""

    key: str
    old: Any
    new: Any
    change: ChangeKind
    ratio: float | None


@dataclass(frozen=True)
class ConfigExtraction:
    """Config findings plus the diff, which the commit extractor reads.

    `commit_shas` maps a changed key to the recent commits touching it (payload order).
    """

    findings: list[Finding]
    changes: list[ConfigChange]
    commit_shas: dict[str, list[str]]


def flatten_config(config: Mapping[str, Any], prefix: str = "") -> dict[str, Any]:
    """Nested config as `{dotted.key: value}`; lists and empty objects are leaf values."""
    flat: dict[str, Any] = {}
    for raw_key, value in config.items():
        key = f"{prefix}.{raw_key}" if prefix else str(raw_key)
        if isinstance(value, Mapping) and value:
            flat.update(flatten_config(value, key))
        else:
            flat[key] = value
    return flat


def _same(a: Any, b: Any) -> bool:
    """Value equality where `True` differs from `1` (Python says they are equal)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return type(a) is type(b) and a == b
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    return bool(a == b)


def _ratio(old: Any, new: Any) -> float | None:
    if is_number(old) and is_number(new) and old != 0:
        return float(new) / float(old)
    return None


def diff_config(previous: Mapping[str, Any], current: Mapping[str, Any]) -> list[ConfigChange]:
    """The differences between two snapshots, sorted by dotted key."""
    before, after = flatten_config(previous), flatten_config(current)
    changes: list[ConfigChange] = []
    for key in sorted(set(before) | set(after)):
        if key not in after:
            changes.append(ConfigChange(key, before[key], None, "removed", None))
        elif key not in before:
            changes.append(ConfigChange(key, None, after[key], "added", None))
        elif not _same(before[key], after[key]):
            ratio = _ratio(before[key], after[key])
            changes.append(ConfigChange(key, before[key], after[key], "modified", ratio))
    return changes


# --------------------------------------------------------------------------- attribution


_WORD = re.compile(r"[A-Za-z0-9_-]+")
_SEPARATOR = re.compile(r"[-_]+")
_MAX_PARTS = 12


def _normal(name: str) -> str:
    """A key name without case or `-`/`_`: `Max-Pool_Size` -> `maxpoolsize`."""
    return _SEPARATOR.sub("", name).lower()


def _names_on(lines: tuple[str, ...]) -> frozenset[str]:
    """Every name a changed line spells: each run of `-`/`_`-joined parts of each word.

    `DB_MAX_POOL_SIZE=5` spells `db`, `dbmax`, ..., `maxpoolsize`, `poolsize`, `size`, so
    the leaf `pool_size` is found in it, while `poolsize` inside `mypoolsize` is not.
    """
    names: set[str] = set()
    for line in lines:
        for word in _WORD.findall(line):
            parts = [p.lower() for p in _SEPARATOR.split(word) if p][:_MAX_PARTS]
            for start in range(len(parts)):
                for end in range(start + 1, len(parts) + 1):
                    names.add("".join(parts[start:end]))
    return frozenset(names)


@dataclass(frozen=True)
class _FileView:
    """What attribution needs of one changed file, computed once per file."""

    sha: str
    kind: str
    stem: str
    names: frozenset[str]
    patch_lower: str | None


def _file_views(commits: list[Commit]) -> list[_FileView]:
    views: list[_FileView] = []
    for commit in commits:
        for file in commit.file_objects():
            kind = classify_file(file.filename)
            if kind == "docs_tests":
                continue
            removed, added = changed_lines(file.patch)
            stem = PurePosixPath(file.filename.replace("\\", "/")).stem.lower()
            lowered = file.patch.lower() if file.patch else None
            names = _names_on((*removed, *added))
            views.append(_FileView(commit.sha, kind, stem, names, lowered))
    return views


def _whole_config(stem: str, own_names: frozenset[str]) -> bool:
    """Whether a config file's stem (`application-prod`, `values.production`) names the
    whole configuration: every `-`/`_`/`.` part is a generic or environment/service name."""
    if stem in own_names:
        return True
    parts = [p for p in re.split(r"[-_.]", stem) if p]
    return bool(parts) and all(p in _WHOLE_CONFIG_STEMS or p in own_names for p in parts)


def _touches(change: ConfigChange, view: _FileView, own_names: frozenset[str]) -> bool:
    parts = change.key.split(".")
    leaf = parts[-1]
    if view.patch_lower is None:
        return view.kind == "config" and (
            view.stem == parts[0].lower() or _whole_config(view.stem, own_names)
        )
    normal = _normal(leaf)
    if not normal or normal not in view.names:
        return False
    if len(leaf) >= _SHORT_LEAF:
        return True
    parent = parts[-2].lower() if len(parts) > 1 else ""
    shown = str(change.new).lower() if change.new is not None else ""
    return (bool(parent) and parent in view.patch_lower) or (
        bool(shown) and shown in view.patch_lower
    )


def _own_names(incident: IncidentInput) -> frozenset[str]:
    """The incident's environment and service names, as config files are named after them."""
    names = {incident.environment or "", incident.service or ""}
    return frozenset(n.lower() for n in names if n)


def _attribute(
    changes: list[ConfigChange], views: list[_FileView], own_names: frozenset[str]
) -> dict[str, list[str]]:
    """Each changed key's commits, whose files change it (rules in the module docstring).

    Args:
        changes: the config diff.
        views: the recent commits' changed files (`_file_views`).
        own_names: lower-case environment and service names (`production`, `billing-api`),
            which also name whole-config files.
    """
    found: dict[str, list[str]] = {}
    for change in changes:
        shas: list[str] = []
        for view in views:
            if view.sha not in shas and _touches(change, view, own_names):
                shas.append(view.sha)
        found[change.key] = shas
    return found


# --------------------------------------------------------------------------- risk rules

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*(ms|s|sec|secs|seconds|m|min)?\s*$", re.I)
_SECOND_TOKENS = frozenset({"s", "sec", "secs", "seconds"})


def _leaf_tokens(key: str) -> list[str]:
    """The tokens of a dotted key's last part (`db.max_pool_size`: max, pool, size)."""
    return tokens(key.split(".")[-1])


def _seconds(key_tokens: list[str], value: Any) -> float | None:
    """A timeout value in seconds, using the key's unit token or a unit in the string."""
    unit: str | None = None
    amount: float
    if is_number(value):
        amount = float(value)
    elif isinstance(value, str) and (match := _DURATION.match(value)):
        amount, unit = float(match.group(1)), (match.group(2) or "").lower() or None
    else:
        return None
    if unit is None:
        if {"ms", "millis", "milliseconds"} & set(key_tokens):
            unit = "ms"
        elif _SECOND_TOKENS & set(key_tokens):
            unit = "s"
    if unit == "ms":
        return amount / 1000.0
    if unit in {"m", "min"}:
        return amount * 60.0
    if unit is None:
        # Unit unknown: only a value below 1 is small in both seconds and milliseconds.
        return amount if amount < 1 else None
    return amount


def is_capacity_key(key: str) -> set[str]:
    """Concepts (`conn`, `worker`, `fd`) whose capacity this key holds, if any.

    A capacity key names the resource and a size (`database.pool_size`,
    `db.max_connections`, `hikari.maximum-pool-size`, `http.workers`) and is no duration
    (`pool_timeout_s`, `conn_max_age`) or lower bound (`min_idle`).
    """
    leaf_tokens = _leaf_tokens(key)
    if not leaf_tokens or set(leaf_tokens) & (TIME_TOKENS | {"min", "minimum", "idle"}):
        return set()
    resource = concepts(key) & {"conn", "worker", "fd"}
    if not resource:
        return set()
    sized = bool(set(leaf_tokens) & LIMIT_TOKENS) or concept_of(leaf_tokens[-1]) in resource
    return resource if sized else set()


def _tiny_pool(key: str, value: Any) -> str | None:
    if "conn" in is_capacity_key(key) and is_number(value) and 0 < value <= TINY_POOL:
        return f"tiny connection pool or limit ({show_value(value)})"
    return None


def _tiny_timeout(key: str, value: Any) -> str | None:
    leaf = _leaf_tokens(key)
    if not {"timeout", "deadline"} & set(leaf):
        return None
    if is_number(value) and value == 0:
        return "timeout set to 0 (disabled or instant, depending on the client)"
    seconds = _seconds(leaf, value)
    if seconds is None or seconds <= 0:
        return None
    says_seconds = bool(_SECOND_TOKENS & set(leaf))
    if (seconds <= 1.0) if says_seconds else (seconds < 0.1):
        return f"tiny timeout ({show_value(value)})"
    return None


def _high_retries(key: str, value: Any) -> str | None:
    leaf = set(_leaf_tokens(key))
    if leaf & {"retry", "retries", "attempts"} and is_number(value) and value >= HIGH_RETRIES:
        return f"retries set very high ({show_value(value)})"
    return None


def _debug_logging(key: str, value: Any, environment: str | None) -> str | None:
    if environment and not set(tokens(environment)) & _PRODUCTION:
        return None
    key_tokens = set(tokens(key))
    leaf = set(_leaf_tokens(key))
    levelish = isinstance(value, str) and value.strip().lower() in {"debug", "trace", "all"}
    if levelish and key_tokens & {"log", "logs", "logging", "logger", "level", "loglevel"}:
        return f"debug logging on ({show_value(value)})"
    if value is True and leaf & {"debug", "verbose", "trace"}:
        return "debug/verbose mode on"
    return None


def _flag_turned_on(key: str, change: ConfigChange | None) -> str | None:
    if change is None or change.new is not True or change.old is True:
        return None
    flagish = {"feature", "features", "flag", "flags", "toggle", "toggles", "enabled", "enable"}
    flagish |= {"experiment", "experiments", "rollout"}
    if set(tokens(key)) & flagish:
        return "feature flag newly turned on"
    return None


def _limit_slashed(key: str, change: ConfigChange | None) -> str | None:
    if change is None or change.ratio is None:
        return None
    limitish = {"rate", "ratelimit", "limit", "limits", "quota", "throttle", "rps", "qps", "burst"}
    if not set(tokens(key)) & limitish:
        return None
    if change.ratio <= 1 / LARGE_RATIO:
        return f"limit slashed ({fmt_ratio(change.ratio)})"
    if change.ratio >= LARGE_RATIO:
        return f"limit raised sharply ({fmt_ratio(change.ratio)})"
    return None


def _tls_off(key: str, value: Any) -> str | None:
    leaf = set(_leaf_tokens(key))
    off = value is False or (isinstance(value, str) and value.lower() in {"none", "false", "0"})
    if leaf & {"verify", "verification", "hostname"} and off:
        return "TLS verification off"
    if leaf & {"insecure", "noverify"} and value is True:
        return "TLS verification off"
    if {"skip", "verify"} <= leaf and value is True:
        return "TLS verification off"
    return None


def _large_ratio(change: ConfigChange | None) -> str | None:
    if change is None or change.change != "modified":
        return None
    if change.ratio is not None and not 1 / LARGE_RATIO < change.ratio < LARGE_RATIO:
        return f"value changed {fmt_ratio(change.ratio)}"
    if change.ratio is None and is_number(change.old) and is_number(change.new):
        return "value changed from 0" if change.old == 0 else None
    return None


def risk_reasons(
    key: str, value: Any, change: ConfigChange | None, environment: str | None
) -> list[str]:
    """Generic reasons this value is risky, in a fixed order (empty when none applies).

    Rules: tiny connection pools/limits (<= 5), tiny timeouts (< 100 ms, or <= 1 s when
    the key says seconds; 0), retries >= 10, debug/verbose logging in production (or when
    the environment is unknown), feature flags newly on, rate limits changed by x0.2 or x5
    and more, TLS verification off, and any other numeric change by x0.2/x5 or more.
    """
    reasons = [
        _tiny_pool(key, value),
        _tiny_timeout(key, value),
        _high_retries(key, value),
        _debug_logging(key, value, environment),
        _flag_turned_on(key, change),
        _limit_slashed(key, change),
        _tls_off(key, value),
    ]
    found = [r for r in reasons if r]
    if not any(r.startswith("limit ") for r in found):
        generic = _large_ratio(change)
        if generic:
            found.append(generic)
    return found


# --------------------------------------------------------------------------- findings


def _change_text(change: ConfigChange, shas: list[str]) -> str:
    if change.change == "added":
        text = f"{change.key} added = {show_value(change.new)}"
    elif change.change == "removed":
        text = f"{change.key} removed (was {show_value(change.old)})"
    else:
        text = f"{change.key} changed {show_value(change.old)} -> {show_value(change.new)}"
        if change.ratio is not None:
            text += f" ({fmt_ratio(change.ratio)})"
    if shas:
        text += " in commit " + ", ".join(sha[:7] for sha in shas)
    return text


def _change_finding(change: ConfigChange, shas: list[str], risky: bool) -> Finding:
    severity: Severity = "high" if risky else "medium"
    return Finding(
        description=_change_text(change, shas),
        severity=severity,
        value=ConfigChangeValue(
            key=change.key,
            old=change.old,
            new=change.new,
            change=change.change,
            ratio=change.ratio,
            commit_shas=shas,
        ),
    )


def _risk_finding(key: str, value: Any, reasons: list[str], changed: bool) -> Finding:
    severity: Severity = "high" if changed else "medium"
    return Finding(
        description=f"{key} = {show_value(value)}: " + "; ".join(reasons),
        severity=severity,
        value=ConfigRiskValue(
            key=key, value=value, reason="; ".join(reasons), reasons=reasons, changed=changed
        ),
    )


def extract_config(incident: IncidentInput) -> ConfigExtraction:
    """Config findings: changes first (sorted by key), then risks (sorted by key)."""
    current = flatten_config(incident.config_snapshot)
    previous = incident.previous_config_snapshot
    changes = diff_config(previous, incident.config_snapshot) if previous is not None else []
    by_key = {change.key: change for change in changes}
    shas = _attribute(changes, _file_views(incident.recent_commits), _own_names(incident))

    judged = sorted(k for k in by_key if k in current) if previous is not None else sorted(current)
    risks: dict[str, list[str]] = {}
    for key in judged:
        reasons = risk_reasons(key, current[key], by_key.get(key), incident.environment)
        if reasons:
            risks[key] = reasons

    findings = [_change_finding(c, shas[c.key], c.key in risks) for c in changes]
    findings += [
        _risk_finding(key, current[key], reasons, previous is not None)
        for key, reasons in risks.items()
    ]
    return ConfigExtraction(findings=findings, changes=changes, commit_shas=shas)
