#!/usr/bin/env python3
"""Convert HolmesGPT's `test_ask_holmes` fixtures into scenario files.

Standard library only. Reads a bare git snapshot of `robusta-dev/holmesgpt` (Apache-2.0;
get one with the search tool's `fetch github:robusta-dev/holmesgpt`) and writes one scenario
file (`shared/spec/scenario-format.md`) per kept fixture:

    python tools/datasets/holmes_ask.py --mirror GIT_DIR --out DIR [--commit SHA]

    DIR/holmes-ask/holmes-ask-<fixture>.json

Only `tests/llm/fixtures/test_ask_holmes/` is read; no other folder of the snapshot is
listed or opened. The output folder must be outside the project.

A fixture is a question to HolmesGPT (`test_case.yaml`: `user_prompt`, `expected_output`)
and the outputs of the tools it called, recorded one per file: a first line naming the tool
and its parameters (`{"tool_name": ..., "match_params": ...}`), often a second line with the
result's status (`{"schema_version": ..., "status": ...}`), then the output itself.

What a scenario holds:
- logs: each kept recording as a command line (`$ kubectl describe pod X -n NS`, made from
  the recorded tool name and parameters) followed by its output lines, verbatim. Pod logs
  become `kubectl logs --prefix` lines, `[pod/<pod>/<container>] <line>` (the container
  from the fixture's own `kubectl describe` of that pod when it has exactly one, else
  `[pod/<pod>] <line>`); HolmesGPT's "LOG QUERY METADATA" footer is dropped. A JSON output
  becomes one compact JSON line per object (the `data` of a Robusta envelope). Robusta
  findings recorded as `issue_data.json` / `issues_metadata.json` are kept the same way;
- metrics: a Prometheus range-query result (`resultType: matrix`) becomes one
  `{"points": [[time, value], ...]}` series per result, named `<name>{label="value",...}`;
- no commits, config or deploy (the fixtures have none).

Dropped, because they tell about the investigator's query rather than the system: tool
calls that failed or found nothing (`status` `error` or `no_data`), documentation the
model read (web pages, runbooks), the clock, metric-name listings, and a recording
identical to one already kept in the same fixture. A recording missing from the snapshot
(files of 4 MiB and more, Git LFS) is named in the description.

The expected answer is `LABELS` (in `holmes_labels.py`): written from each fixture's own
`expected_output`, which the description quotes, with a second category where two are
honest; the suspects are what to act on. Fixtures not in `LABELS` are skipped, each with
its reason: a how-to or lookup question, no recorded output (the test runs against a live
cluster), skipped upstream, recordings without the evidence, or the same recordings as a
kept fixture.
"""

from __future__ import annotations

import argparse
import json
import math
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from holmes_labels import LABELS, NOT_KEPT
from snapshot import Snapshot, SnapshotError, outside

FIXTURES = "tests/llm/fixtures/test_ask_holmes"
PINNED_COMMIT = "c1ee1d43598b89ca59481615b40a3340a32f2202"
OUT_FOLDER = "holmes-ask"
FINDINGS_FILES = frozenset({"issue_data.json", "issues_metadata.json"})
NOT_EVIDENCE_TOOLS = frozenset(
    {
        "fetch_webpage",
        "get_current_time",
        "list_available_metrics",
        "list_prometheus_rules",
    }
)
FAILED_STATUSES = frozenset({"error", "no_data"})
POD_LOG_TOOLS = frozenset({"fetch_pod_logs", "kubectl_logs", "kubectl_previous_logs"})
_METADATA_RULE = "=" * 20


@dataclass
class Recording:
    """One recorded tool call: what was called, its status, and what it printed."""

    tool: str
    params: dict[str, Any]
    status: str | None
    body: list[str]
    source: str
    invocation: str | None = None


@dataclass
class Converted:
    """What the recordings of one fixture became."""

    logs: list[str] = field(default_factory=list)
    metrics: dict[str, dict[str, Any]] = field(default_factory=dict)
    kept: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)


# ----------------------------------------------------------------------------- parsing


def top_level_fields(yaml_text: str) -> dict[str, str]:
    """The top-level keys of a YAML mapping with their values as raw text.

    Enough for `test_case.yaml` without a YAML library: a key starts a line at column 0;
    its value is the rest of that line and every following line that does not. Comments
    at column 0 are skipped.
    """
    fields: dict[str, list[str]] = {}
    current: str | None = None
    for line in yaml_text.splitlines():
        match = re.match(r"^([A-Za-z_][\w-]*):(.*)$", line)
        if match:
            current = match.group(1)
            fields[current] = [match.group(2)]
        elif line.startswith("#"):
            continue
        elif current is not None:
            fields[current].append(line)
    return {key: "\n".join(lines).strip() for key, lines in fields.items()}


def one_line(text: str) -> str:
    """YAML scalar or list text as one plain line (quotes, dashes and folding removed)."""
    text = re.sub(r"^\s*[|>][+-]?\s*$", "", text, flags=re.MULTILINE)
    items = [re.sub(r"^\s*-\s+", "", line).strip() for line in text.splitlines()]
    joined = " ".join(item for item in items if item)
    if len(joined) >= 2 and joined[0] == joined[-1] and joined[0] in "\"'":
        joined = joined[1:-1]
    return joined


def _json_object(line: str) -> dict[str, Any] | None:
    try:
        value = json.loads(line)
    except ValueError:
        return None
    return value if isinstance(value, dict) else None


def parse_recording(text: str, source: str) -> Recording | None:
    """A tool-output recording, or None when the text is not one."""
    lines = text.splitlines()
    header = _json_object(lines[0]) if lines else None
    if header is None or "tool_name" not in header:
        return None
    rest = lines[1:]
    meta = _json_object(rest[0]) if rest else None
    status = invocation = None
    params = header.get("match_params") or {}
    if meta is not None and "schema_version" in meta:
        rest = rest[1:]
        status = meta.get("status")
        invocation = meta.get("invocation")
        params = params or meta.get("params") or {}
    body = [line for line in rest if line.strip() not in ("stdout:", "stderr:")]
    return Recording(
        tool=str(header["tool_name"]),
        params=params if isinstance(params, dict) else {},
        status=status if isinstance(status, str) else None,
        body=drop_log_metadata(body),
        source=source,
        invocation=invocation if isinstance(invocation, str) else None,
    )


def drop_log_metadata(lines: list[str]) -> list[str]:
    """The lines before HolmesGPT's "LOG QUERY METADATA" footer, blank lines removed."""
    for index, line in enumerate(lines):
        if line.strip() == "LOG QUERY METADATA" and index and _METADATA_RULE in lines[index - 1]:
            lines = lines[: index - 1]
            break
    return [line for line in lines if line.strip()]


def command_of(recording: Recording) -> str:
    """A shell-like command line for a recording (its own when it recorded a real one)."""
    if recording.invocation and recording.invocation.split(" ", 1)[0] in ("kubectl", "argocd"):
        return recording.invocation
    p = {key: value for key, value in recording.params.items() if value not in (None, "")}
    ns = f" -n {p['namespace']}" if "namespace" in p else ""
    tool = recording.tool
    if tool == "kubectl_describe":
        return f"kubectl describe {p.get('kind', '')} {p.get('name', '')}{ns}"
    if tool == "kubectl_get_by_name":
        return f"kubectl get {p.get('kind', '')} {p.get('name', '')}{ns} -o wide --show-labels"
    if tool == "kubectl_get_by_kind_in_namespace":
        return f"kubectl get {p.get('kind', '')}{ns} -o wide --show-labels"
    if tool == "kubectl_get_by_kind_in_cluster":
        return f"kubectl get {p.get('kind', '')} -A -o wide --show-labels"
    if tool == "kubectl_find_resource":
        kind, keyword = p.get("kind", ""), p.get("keyword", "")
        return f"kubectl get {kind} -A -o wide --show-labels | grep {keyword}"
    if tool == "kubectl_get_yaml":
        return f"kubectl get {p.get('kind', '')} {p.get('name', '')}{ns} -o yaml"
    if tool == "kubectl_events":
        return f"kubectl events --for {p.get('resource_type')}/{p.get('resource_name')}{ns}"
    if tool == "kubectl_lineage_children":
        return f"kubectl lineage {p.get('kind', '')}/{p.get('name', '')}{ns}"
    if tool in ("kubectl_top_pods", "kubectl_top_nodes"):
        return "kubectl top pods -A" if tool == "kubectl_top_pods" else "kubectl top nodes"
    if tool in POD_LOG_TOOLS:
        previous = " --previous" if tool == "kubectl_previous_logs" else ""
        return f"kubectl logs {p.get('pod_name', '')}{ns} --prefix{previous}"
    args = " ".join(f"{key}={value}" for key, value in p.items())
    return f"{tool} {args}".strip()


def pod_containers(describe_lines: Sequence[str]) -> list[str]:
    """Container names in a `kubectl describe pod` output (its `Containers:` section)."""
    names: list[str] = []
    inside = False
    for line in describe_lines:
        if re.match(r"^\S", line):
            inside = line.startswith("Containers:")
            continue
        match = re.match(r"^  ([A-Za-z0-9][\w.-]*):\s*$", line)
        if inside and match:
            names.append(match.group(1))
    return names


def _describe_name(recording: Recording) -> str | None:
    """The pod a recording describes (the `Name:` of its output)."""
    for line in recording.body[:3]:
        match = re.match(r"^Name:\s+(\S+)", line)
        if match:
            return match.group(1)
    return None


def prefix_pod_logs(recording: Recording, containers: dict[str, list[str]]) -> list[str]:
    """Pod log lines in `kubectl logs --prefix` form."""
    pod = str(recording.params.get("pod_name", "")) or "unknown"
    known = containers.get(pod, [])
    prefix = f"[pod/{pod}/{known[0]}]" if len(known) == 1 else f"[pod/{pod}]"
    return [f"{prefix} {line}" for line in recording.body]


def json_lines(document: Any) -> list[str]:
    """A JSON output as compact lines: one per item of a list, else one."""
    if isinstance(document, dict) and "schema_version" in document and "data" in document:
        document = document["data"]
    items = document if isinstance(document, list) else [document]
    return [json.dumps(item, ensure_ascii=False, separators=(",", ":")) for item in items]


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _number(text: Any) -> float | None:
    try:
        value = float(text)
    except (TypeError, ValueError):
        return None
    return value if math.isfinite(value) else None


def prometheus_series(document: Any, fallback_name: str) -> dict[str, dict[str, Any]]:
    """Series of a Prometheus range-query result (`resultType: matrix`), or {}."""
    data = document.get("data") if isinstance(document, dict) else None
    if not isinstance(data, dict) or data.get("resultType") != "matrix":
        return {}
    series: dict[str, dict[str, Any]] = {}
    for result in data.get("result") or []:
        labels = dict(result.get("metric") or {})
        name = str(labels.pop("__name__", "") or fallback_name)
        if labels:
            name += "{" + ",".join(f'{k}="{labels[k]}"' for k in sorted(labels)) + "}"
        points = [
            [_iso(float(stamp)), number]
            for stamp, raw in result.get("values") or []
            if (number := _number(raw)) is not None
        ]
        if points:
            series[name] = {"points": points}
    return series


def _json_body(lines: Sequence[str]) -> Any:
    text = "\n".join(lines).strip()
    if not text or text[0] not in "[{":
        return None
    try:
        return json.loads(text)
    except ValueError:
        return None


def convert(recordings: Iterable[Recording]) -> Converted:
    """Logs and metrics from a fixture's recordings (see the module docstring)."""
    recordings = list(recordings)
    containers: dict[str, list[str]] = {}
    for recording in recordings:
        if recording.tool == "kubectl_describe" and recording.params.get("kind") == "pod":
            name = _describe_name(recording)
            found = pod_containers(recording.body)
            if name and found:
                containers.setdefault(name, found)
    out = Converted()
    seen: set[tuple[str, ...]] = set()
    for recording in recordings:
        reason = _drop_reason(recording, seen)
        if reason:
            out.dropped.append(f"{recording.source} ({reason})")
            continue
        seen.add(tuple(recording.body))
        out.kept.append(recording.source)
        document = _json_body(recording.body)
        description = str(recording.params.get("description") or "prometheus_query")
        series = prometheus_series(document, re.sub(r"\W+", "_", description).strip("_"))
        if series:
            out.metrics.update(series)
            continue
        out.logs.append(f"$ {command_of(recording)}")
        if recording.tool in POD_LOG_TOOLS:
            out.logs.extend(prefix_pod_logs(recording, containers))
        elif document is not None:
            out.logs.extend(json_lines(document))
        else:
            out.logs.extend(recording.body)
    return out


def _drop_reason(recording: Recording, seen: set[tuple[str, ...]]) -> str | None:
    if recording.status in FAILED_STATUSES:
        return f"status {recording.status}"
    if recording.tool in NOT_EVIDENCE_TOOLS:
        return "not system output"
    if not recording.body:
        return "empty"
    if tuple(recording.body) in seen:
        return "a repeat"
    return None


def findings_recording(text: str, source: str) -> Recording | None:
    """A Robusta findings file (`issue_data.json`, `issues_metadata.json`) as a recording."""
    try:
        document = json.loads(text)
    except ValueError:
        return None
    return Recording(
        tool="robusta_findings",
        params={"file": source.rsplit("/", 1)[-1]},
        status=None,
        body=json_lines(document),
        source=source,
    )


def slug(fixture: str) -> str:
    """A scenario-name-safe form of a fixture folder name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", fixture).strip("-").lower()


def build_scenario(
    fixture: str, fields: dict[str, str], converted: Converted, missing: Sequence[str], commit: str
) -> dict[str, Any]:
    """The scenario document of one kept fixture."""
    label = LABELS[fixture]
    notes = f"Kept recordings: {', '.join(converted.kept)}."
    if converted.dropped:
        notes += f" Dropped: {', '.join(converted.dropped)}."
    if missing:
        notes += f" Missing from the snapshot: {', '.join(missing)}."
    return {
        "name": f"holmes-ask-{slug(fixture)}",
        "description": (
            f"HolmesGPT (Apache-2.0) fixture {FIXTURES}/{fixture} at {commit[:12]}. "
            f"Question: {one_line(fields.get('user_prompt', ''))!r}. Expected output: "
            f"{one_line(fields.get('expected_output', ''))!r}. Label: {label.why}. {notes} "
            "Converted by tools/datasets/holmes_ask.py."
        ),
        "incident": {
            "deployment_id": f"holmesgpt-{slug(fixture)}",
            "environment": "holmesgpt-fixture",
            "logs": converted.logs,
            "metrics": converted.metrics,
            "recent_commits": [],
            "config_snapshot": {},
        },
        "expected": {
            "category": label.categories if len(label.categories) > 1 else label.categories[0],
            "suspects": label.suspects,
        },
    }


# ----------------------------------------------------------------------------- snapshot


def read_fixture(
    snapshot: Snapshot, fixture: str, paths: Sequence[str]
) -> tuple[dict[str, str], list[Recording], list[str]]:
    """(test_case fields, recordings, recordings missing from the snapshot) of one fixture."""
    fields: dict[str, str] = {}
    recordings: list[Recording] = []
    missing: list[str] = []
    for path in paths:
        name = path[len(f"{FIXTURES}/{fixture}/") :]
        try:
            text = snapshot.text(path)
        except SnapshotError:
            missing.append(name)
            continue
        if name == "test_case.yaml":
            fields = top_level_fields(text)
        elif name in FINDINGS_FILES:
            found = findings_recording(text, name)
            if found:
                recordings.append(found)
        elif "/" not in name:
            recording = parse_recording(text, name)
            if recording is not None:
                recordings.append(recording)
            elif not text.strip() and name.endswith(".txt"):
                missing.append(name)  # an empty blob: stored without its content
    return fields, recordings, missing


def skip_reason(fixture: str, fields: dict[str, str], recordings: Sequence[Recording]) -> str:
    """Why a fixture that is not in `LABELS` is not converted."""
    if not fields:
        return "no test_case.yaml"
    if fields.get("skip", "").lower() == "true":
        return f"skipped upstream: {one_line(fields.get('skip_reason', ''))}"
    if not recordings:
        return "no recorded tool output (runs against a live cluster)"
    return NOT_KEPT.get(fixture, "not reviewed: add it to LABELS or NOT_KEPT")


def main(argv: Sequence[str] | None = None) -> int:
    """Command line entry point; returns the exit status."""
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--mirror", required=True, help="bare git dir of robusta-dev/holmesgpt")
    parser.add_argument("--out", required=True, help="output folder, outside the project")
    parser.add_argument("--commit", default=PINNED_COMMIT, help="commit to read (default: pinned)")
    parser.add_argument("--verbose", action="store_true", help="print why each fixture is skipped")
    args = parser.parse_args(argv)
    out = Path(args.out)
    project = Path(__file__).resolve().parents[2]
    if not outside(out, project):
        print(f"holmes_ask: --out {out}: must be outside the project ({project})", file=sys.stderr)
        return 2
    snapshot = Snapshot(args.mirror, args.commit)
    try:
        snapshot.check()
        by_fixture: dict[str, list[str]] = {}
        for path in snapshot.files(FIXTURES):
            fixture = path[len(FIXTURES) + 1 :].split("/", 1)[0]
            by_fixture.setdefault(fixture, []).append(path)
        folder = out / OUT_FOLDER
        folder.mkdir(parents=True, exist_ok=True)
        kept = 0
        for fixture, paths in by_fixture.items():
            fields, recordings, missing = read_fixture(snapshot, fixture, paths)
            if fixture not in LABELS:
                if args.verbose:
                    print(f"skip {fixture}: {skip_reason(fixture, fields, recordings)}")
                continue
            converted = convert(recordings)
            scenario = build_scenario(fixture, fields, converted, missing, args.commit)
            path = folder / f"{scenario['name']}.json"
            with path.open("w", encoding="utf-8") as handle:
                json.dump(scenario, handle, indent=1, ensure_ascii=False, allow_nan=False)
                handle.write("\n")
            kept += 1
            print(
                f"{path}  logs={len(converted.logs)} metrics={len(converted.metrics)}  "
                f"expected={scenario['expected']['category']} {LABELS[fixture].suspects[0]}"
            )
        absent = sorted(set(LABELS) - set(by_fixture))
        if absent:
            print(f"holmes_ask: labelled fixtures not in the snapshot: {absent}", file=sys.stderr)
        print(f"{kept} of {len(by_fixture)} fixtures converted")
    except SnapshotError as exc:
        print(f"holmes_ask: --mirror {args.mirror} @ {args.commit}: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
