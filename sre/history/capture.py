"""What a run leaves in the store: the payload redacted and capped, the result redacted.

Everything written to the database passes through the project's redaction boundary first
(`sre.redaction.boundary.redact_payload` and `redact_result`), with one redactor per run so
that a secret has the same placeholder in the payload and in the result. Each string is
redacted whole before it is clipped, so a cut can never split a secret into pieces no rule
recognises.

The caps (`PayloadCaps`) bound the stored size whatever the input: a million log lines keep
the first and the last halves of `max_log_lines`; long lines, patches and metric series are
clipped or thinned. What was cut is recorded beside the payload (`PayloadCuts`), so a
replay can say why it may differ from the original run.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from pydantic import ValidationError

from alpha.schemas import ExecutionResult, IncidentInput
from sre.history.records import (
    PayloadCaps,
    PayloadCuts,
    RunContext,
    RunRecord,
    StoredPayload,
    now_utc,
)
from sre.history.version import engine_version
from sre.payload import describe_validation_error
from sre.redaction import Redactor
from sre.redaction.boundary import learn_incident, redact_payload, redact_result

log = logging.getLogger(__name__)

CLIPPED = " …[clipped]"
# How often the log lines are halved, at most, to fit `max_bytes`.
_MAX_HALVINGS = 24


def fingerprint(incident: IncidentInput) -> str:
    """SHA-256 of the payload's data: equal fingerprints, equal data."""
    return _digest(incident)[0]


def _digest(incident: IncidentInput) -> tuple[str, int]:
    """The payload's fingerprint and size in bytes.

    The hash covers the canonical JSON of everything but the logs, the number of log lines
    and their text joined by newlines; when a line holds a newline itself, each line's
    length too (so no two line lists hash alike). Dumping a million lines to JSON only to
    hash them cost four times as much (`bench/history.py`). The size is that JSON's plus
    the lines' UTF-8 bytes: the data, without JSON's quoting.
    """
    rest = incident.model_dump_json(exclude={"logs"}).encode("utf-8")
    lines = incident.logs
    joined = "\n".join(lines)
    digest = hashlib.sha256(rest)
    digest.update(len(lines).to_bytes(8, "little"))
    if joined.count("\n") != max(0, len(lines) - 1):
        for line in lines:
            digest.update(len(line).to_bytes(8, "little"))
    text = joined.encode("utf-8")
    digest.update(text)
    return digest.hexdigest(), len(rest) + len(text) - max(0, len(lines) - 1)


def _clip(text: str, limit: int) -> tuple[str, bool]:
    if len(text) <= limit:
        return text, False
    return text[: max(0, limit - len(CLIPPED))] + CLIPPED, True


def _keep_ends(lines: list[str], limit: int) -> list[str]:
    """The first and the last halves of `limit` lines (the baseline and the latest)."""
    if len(lines) <= limit:
        return lines
    head = limit // 2
    tail = limit - head
    return lines[:head] + (lines[-tail:] if tail else [])


def _thin(values: list[Any], limit: int) -> list[Any]:
    """`limit` evenly spaced items, the first and the last always kept."""
    if len(values) <= limit:
        return values
    step = (len(values) - 1) / (limit - 1)
    return [values[round(index * step)] for index in range(limit)]


def _cap_metrics(metrics: dict[str, Any], caps: PayloadCaps, cuts: PayloadCuts) -> dict[str, Any]:
    capped: dict[str, Any] = {}
    for name, value in metrics.items():
        if isinstance(value, list):
            kept = _thin(value, caps.max_points)
            cuts.points_dropped += len(value) - len(kept)
            value = kept
        elif isinstance(value, dict):
            value = dict(value)
            for key in ("points", "baseline", "current"):
                series = value.get(key)
                if isinstance(series, list):
                    kept = _thin(series, caps.max_points)
                    cuts.points_dropped += len(series) - len(kept)
                    value[key] = kept
        capped[name] = value
    return capped


def _clip_commits(commits: list[dict[str, Any]], caps: PayloadCaps, cuts: PayloadCuts) -> None:
    """Clip commit messages and patches in place (they are already redacted, whole)."""
    for commit in commits:
        commit["message"], clipped = _clip(commit.get("message") or "", caps.max_patch_chars)
        cuts.lines_clipped += clipped
        for changed in commit.get("files") or []:
            if isinstance(changed, dict) and isinstance(changed.get("patch"), str):
                changed["patch"], clipped = _clip(changed["patch"], caps.max_patch_chars)
                cuts.patches_clipped += clipped


def _clip_lines(lines: list[str], caps: PayloadCaps, cuts: PayloadCuts) -> list[str]:
    out = []
    for line in lines:
        line, clipped = _clip(line, caps.max_line_chars)
        cuts.lines_clipped += clipped
        out.append(line)
    return out


def store_payload(
    incident: IncidentInput, redactor: Redactor, caps: PayloadCaps | None = None
) -> StoredPayload | None:
    """The payload as the store keeps it: redacted, capped, with what was cut.

    Log lines beyond `caps.max_log_lines` are dropped first (they are never stored, so
    they need no redaction); everything kept is redacted whole, then clipped.

    Returns:
        None when even without log lines the payload exceeds `caps.max_bytes` (a config
        snapshot of many megabytes), or when redaction left it invalid: the run is then
        recorded without its payload.
    """
    caps = caps or PayloadCaps()
    payload_fingerprint, original_bytes = _digest(incident)
    # Config secrets, commit texts and key blocks spread over log lines, first (unless the
    # run's redactor already learned this incident: the CLI passes the one it showed with).
    if redactor.once(("incident", id(incident))):
        learn_incident(redactor, incident)
    # The log lines are plain strings: taken from the model, not dumped (all of them).
    document = incident.model_dump(mode="json", exclude_none=True, exclude={"logs"})
    cuts = PayloadCuts(original_bytes=original_bytes, log_lines_total=len(incident.logs))
    document["logs"] = _keep_ends(list(incident.logs), caps.max_log_lines)
    document["metrics"] = _cap_metrics(document["metrics"], caps, cuts)
    document = redact_payload(document, redactor)
    _clip_commits(document["recent_commits"], caps, cuts)
    kept: list[str] = document.pop("logs")
    limit = caps.max_log_lines
    for _ in range(_MAX_HALVINGS):
        attempt = cuts.model_copy()
        lines = _keep_ends(kept, limit)
        attempt.log_lines_dropped = len(incident.logs) - len(lines)
        body = dict(document, logs=_clip_lines(lines, caps, attempt))
        try:
            stored = IncidentInput.model_validate(body)
        except ValidationError as error:
            # A placeholder where the contract wants an id: recorded without its payload
            # rather than not at all (the field, never the value, is logged).
            log.warning("history: payload not stored: %s", describe_validation_error(error, body))
            return None
        size = len(stored.model_dump_json(exclude_none=True).encode("utf-8"))
        if size <= caps.max_bytes:
            attempt.stored_bytes = size
            attempt.secrets_redacted = redactor.count
            return StoredPayload(
                incident=stored,
                caps=caps,
                cuts=attempt,
                fingerprint=payload_fingerprint,
            )
        if limit == 0:
            break
        limit //= 2
    return None


def build_record(
    result: ExecutionResult,
    context: RunContext,
    *,
    payload: StoredPayload | None,
    redactor: Redactor,
    incident: IncidentInput | None = None,
    clock: Callable[[], datetime] = now_utc,
) -> RunRecord:
    """The record of a finished run, its result redacted with the payload's redactor.

    Args:
        result: the run's result.
        context: who, how and where.
        payload: from `store_payload` (None to record the result alone).
        redactor: the redactor that redacted the payload (same placeholders).
        incident: the payload investigated, for its service and environment.
        clock: now, for a result without `started_at`.
    """
    stored_result = redact_result(result, redactor)
    source = payload.incident if payload is not None else incident
    service = source.service if source is not None else None
    environment = source.environment if source is not None else None
    finished = clock()
    elapsed = timedelta(milliseconds=result.execution_time_ms)
    started = result.started_at or finished - elapsed
    return RunRecord(
        context=context,
        result=stored_result,
        payload=payload,
        service=redactor.redact(service) if service else None,
        environment=redactor.redact(environment) if environment else None,
        started_at=started,
        finished_at=max(finished, started + elapsed),
        engine_version=engine_version(),
    )


def capture(
    incident: IncidentInput | None,
    result: ExecutionResult,
    context: RunContext,
    *,
    caps: PayloadCaps | None = None,
    clock: Callable[[], datetime] = now_utc,
    redactor: Redactor | None = None,
) -> RunRecord:
    """Build the record of a finished run, redacted and capped (CPU work, no I/O).

    Args:
        incident: the payload investigated; None records the result alone.
        result: the run's result.
        context: who, how and where.
        caps: the payload's bounds (defaults of `PayloadCaps`).
        clock: now, for a result without `started_at`.
        redactor: the redactor of the output already shown, so that the record's
            placeholders are the ones the user saw (a fresh one when None).
    """
    redactor = redactor or Redactor()
    payload = store_payload(incident, redactor, caps) if incident is not None else None
    return build_record(
        result, context, payload=payload, redactor=redactor, incident=incident, clock=clock
    )
