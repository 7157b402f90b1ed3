"""What a run leaves in the store: the payload capped and redacted, the result redacted."""

from __future__ import annotations

import json
from typing import Any

from alpha.schemas import IncidentInput
from sre.history.capture import CLIPPED, capture, fingerprint, store_payload
from sre.history.records import PayloadCaps, RunContext
from sre.redaction import Redactor
from tests.sre.history.conftest import incident, result

SLACK = "xoxb-1234567890-0987654321-AbCdEfGhIjKlMnOp"
AWS = "AKIAIOSFODNN7EXAMPLE"
GITHUB = "ghp_0123456789abcdefghijABCDEFGHIJ012345"
DB_PASSWORD = "s3cr3t-Passw0rd-for-db"


def _caps(**values: int) -> PayloadCaps:
    base = {"max_log_lines": 1_000, "max_line_chars": 200, "max_patch_chars": 500, "max_points": 50}
    base.update(values)
    return PayloadCaps(**base)


def test_log_lines_keep_both_ends_and_the_cut_is_recorded() -> None:
    """10,000 lines under a 1,000-line cap keep the first and last 500, and say so."""
    lines = [f"2026-11-20T14:00:00Z INFO line {i}" for i in range(10_000)]
    stored = store_payload(incident(logs=lines), Redactor(), _caps())
    assert stored is not None
    kept = stored.incident.logs
    assert len(kept) == 1_000
    assert kept[0].endswith("line 0") and kept[499].endswith("line 499")
    assert kept[500].endswith("line 9500") and kept[-1].endswith("line 9999")
    assert (stored.cuts.log_lines_total, stored.cuts.log_lines_dropped) == (10_000, 9_000)
    assert "9,000 of 10,000 log lines dropped" in stored.cuts.describe()


def test_long_lines_patches_and_series_are_clipped() -> None:
    """A long line and patch are clipped with a marker; a long series is thinned, ends kept."""
    payload = incident(
        logs=["x" * 5_000],
        metrics={"latency": list(range(1_000)), "w": {"baseline": [1.0] * 200, "current": 2.0}},
        recent_commits=[
            {
                "sha": "abc1234def",
                "message": "m",
                "files": [{"filename": "a.py", "patch": "+" * 9_000}],
            }
        ],
    )
    stored = store_payload(payload, Redactor(), _caps())
    assert stored is not None
    assert len(stored.incident.logs[0]) == 200 and stored.incident.logs[0].endswith(CLIPPED)
    patch = stored.incident.recent_commits[0].file_objects()[0].patch
    assert patch is not None and len(patch) == 500
    series = stored.incident.metrics["latency"]
    assert isinstance(series, list) and len(series) == 50 and series[0] == 0 and series[-1] == 999
    assert stored.cuts.points_dropped == 950 + 150
    assert (stored.cuts.lines_clipped, stored.cuts.patches_clipped) == (1, 1)
    assert stored.caps.max_points == 50


def test_the_stored_size_is_bounded_by_halving_the_log_lines() -> None:
    """A capped payload still above max_bytes has its log lines halved until it fits."""
    lines = [f"line {i} " + "y" * 150 for i in range(2_000)]
    caps = _caps(max_log_lines=2_000, max_bytes=64 * 1024)
    stored = store_payload(incident(logs=lines), Redactor(), caps)
    assert stored is not None
    assert stored.cuts.stored_bytes <= 64 * 1024
    assert len(stored.incident.logs) == 250
    assert stored.cuts.log_lines_dropped == 1_750


def test_a_payload_too_large_without_logs_is_not_stored() -> None:
    """A config snapshot larger than max_bytes by itself: no payload, rather than no bound."""
    big = {f"key{i}": "v" * 100 for i in range(1_000)}
    assert (
        store_payload(incident(config_snapshot=big), Redactor(), _caps(max_bytes=64 * 1024)) is None
    )


def test_secrets_are_redacted_everywhere_before_clipping() -> None:
    """Tokens in logs, config, commits and patches are replaced, even where a line is clipped."""
    payload = incident(
        logs=[
            f"2026-11-20T14:00:00Z ERROR slack said no to {SLACK}",
            "z" * 190 + f" aws={AWS}",
        ],
        config_snapshot={
            "database": {"password": DB_PASSWORD, "url": "postgres://app:pw1234@db/x"}
        },
        recent_commits=[
            {
                "sha": "abc1234def",
                "message": f"rotate {GITHUB}",
                "files": [{"filename": "c.env", "patch": f"+DB_PASSWORD={DB_PASSWORD}"}],
            }
        ],
    )
    redactor = Redactor()
    stored = store_payload(payload, redactor, _caps())
    assert stored is not None
    text = stored.incident.model_dump_json()
    for secret in (SLACK, AWS, GITHUB, DB_PASSWORD, "pw1234"):
        assert secret not in text
    assert "[REDACTED:" in text
    assert stored.cuts.secrets_redacted == redactor.count >= 5


def test_capture_redacts_the_result_with_the_payloads_redactor() -> None:
    """A secret quoted in the result gets the same placeholder as in the stored payload."""
    payload = incident(logs=[f"ERROR token {SLACK}"])
    quoted = result("x1", summary=f"Slack refused {SLACK}")
    record = capture(payload, quoted, RunContext(trigger="cli"))
    assert record.payload is not None
    assert SLACK not in record.result.model_dump_json()
    placeholder = record.result.summary.split()[-1]
    assert placeholder.startswith("[REDACTED:") and placeholder in record.payload.incident.logs[0]


def test_capture_fills_times_service_and_engine_version() -> None:
    """The record has aware times, the payload's service and the engine version."""
    record = capture(incident(), result("x2"), RunContext(trigger="cli"))
    assert record.service == "checkout-api"
    assert record.finished_at >= record.started_at and record.started_at.tzinfo is not None
    assert record.engine_version.count("+") == 1


def test_fingerprint_tells_equal_payloads_from_changed_ones() -> None:
    """Equal payloads have equal fingerprints; one more log line changes it."""
    a = incident()
    b = IncidentInput.model_validate(json.loads(a.model_dump_json()))
    assert fingerprint(a) == fingerprint(b)
    assert fingerprint(a) != fingerprint(incident(logs=[*a.logs, "one more"]))
    stored = store_payload(a, Redactor())
    assert stored is not None and stored.fingerprint == fingerprint(a)


def test_fingerprint_tells_where_lines_split_and_counts_the_payloads_bytes() -> None:
    """The same characters split into other lines (or moved out of the logs) are other
    data; the recorded size is the non-log JSON plus the lines' UTF-8 bytes."""
    one = incident(logs=["ab", "c"])
    assert fingerprint(one) != fingerprint(incident(logs=["a", "bc"]))
    assert fingerprint(one) != fingerprint(incident(logs=["abc"]))
    assert fingerprint(incident(logs=["a\nb", "c"])) != fingerprint(incident(logs=["a", "b\nc"]))
    assert fingerprint(one) != fingerprint(incident(logs=["ab", "c"], service="c"))
    stored = store_payload(incident(logs=["é", "c"]), Redactor())
    rest = incident(logs=[]).model_dump_json(exclude={"logs"}).encode("utf-8")
    assert stored is not None and stored.cuts.original_bytes == len(rest) + 3


def test_a_payload_left_invalid_by_redaction_is_not_stored(caplog: Any) -> None:
    """A secret that swallows a timestamp: the run is kept without its payload, with a warning."""
    redactor = Redactor()
    redactor.add_known("2026-11-20T14:00:00 was the password")
    payload = store_payload(incident(deployed_at="2026-11-20T14:00:00Z"), redactor)
    assert payload is None
    assert "payload not stored: deployed_at" in caplog.text
