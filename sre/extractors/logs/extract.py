"""The log extractor: significant templates, exceptions, failing dependencies, volume.

`extract_logs(incident)` reads the incident's raw lines once (streaming, bounded memory),
groups them into records (`shapes`, built on the `parse` primitives), mines templates
(`templates`), and reports as `Finding`s, most significant first:

- `log_template`: templates new after the deploy or whose rate jumped (or dropped), judged
  with a Poisson rule (`significance`); without a baseline, frequent errors/warnings.
  At most `MAX_TEMPLATE_FINDINGS`, whatever the input size.
- `exception`: one per exception type seen in the incident window (at most 10).
- `dependency_errors`: one per downstream host that error lines point at (at most 10).
- `log_volume`: one, record and error counts per window, and the ports workloads announced
  listening on (`starting grpc server at :3550`: who a bare `IP:port` may be).

Windows: records before the split are the baseline, the others the incident window. The
split is `deployed_at` when the log begins before it, else `incident_started_at` when the
log begins before that (a deploy long before the log window says nothing), else there is
no baseline: everything is in the incident window, and only frequent errors/warnings are
reported (rates and `is_new` are not judged). `log_volume` says which split was used.

Time of lines: a record without a timestamp inherits the previous record's time; records
before the first timestamped one take that first time (when it comes within the first
`MAX_PENDING` records; otherwise they have no time). A record with no time is in the
incident window; with no timestamp anywhere there is no baseline. The output of a command
an investigator ran (after a `$ kubectl ...`, `$ aws ...` line, until the next timestamped
record) describes the present state: it is in the incident window, whatever came before.
Counts are of records (a stack trace with its continuation lines is one record).

`mine_templates(lines)` exposes the template miner alone (one template id per line).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import get_args

from alpha.schemas import SEVERITIES, IncidentInput, Severity
from sre.extractors.finding import Finding
from sre.extractors.fmt import clip
from sre.extractors.logs.parse import ERROR_LEVELS, LogRecord
from sre.extractors.logs.platform import entity_findings, signature_findings
from sre.extractors.logs.shapes import LineParser, has_collector_prefixes, iter_records
from sre.extractors.logs.significance import Verdict, Windows, judge
from sre.extractors.logs.stats import ExceptionStats, HostStats, LogAccumulator, TemplateStats
from sre.extractors.logs.templates import TemplateMiner, normalise_spaces
from sre.extractors.timeutil import as_utc, iso
from sre.extractors.window import Window, investigation_window
from sre.signals.values import (
    DependencyErrorsValue,
    ErrorKind,
    ExceptionValue,
    LogTemplateValue,
    LogVolumeValue,
)

MAX_TEMPLATE_FINDINGS = 15
MAX_EXCEPTION_FINDINGS = 10
MAX_HOST_FINDINGS = 10
MAX_FRAME_FILES = 50
MAX_PENDING = 10_000
MAX_TEMPLATES = 20_000
# Highest severity first.
_SEVERITY_ORDER: dict[Severity, int] = {
    s: i for i, s in enumerate(reversed(SEVERITIES))
}  # high first
_TYPE_ORDER = {
    "signature": 0,
    "log_template": 1,
    "exception": 2,
    "entity_logs": 3,
    "dependency_errors": 4,
    "log_volume": 5,
}
# The error kinds of a failing host, in the order its signal lists them.
ERROR_KINDS: tuple[ErrorKind, ...] = get_args(ErrorKind)


@dataclass(frozen=True)
class LogExtraction:
    """What the logs say.

    Attributes:
        findings: Log findings, most significant first (deterministic order).
        frame_files: Application stack-frame files seen in the incident window, normalised
            relative paths (`app/db/pool.py`, `src/main/java/com/x/Checkout.java`), most
            frequent first. Match them to commit files by path suffix.
        hosts: Dependency hosts that error lines point at, most errors first.
    """

    findings: list[Finding]
    frame_files: list[str]
    hosts: list[str]


def mine_templates(lines: list[str]) -> list[str]:
    """One template id per line; equal ids mean the same template. Pure.

    Each line's timestamp/level prefix (or JSON/logfmt envelope) is removed before mining,
    so the id reflects the message. Lines are not grouped into multi-line records here.
    """
    miner = TemplateMiner()
    parser = LineParser()
    names: list[str] = []
    out: list[str] = []
    for line in lines:
        cid = miner.add(parser.parse(line, with_time=False)[0].message).id
        if cid == len(names):
            names.append(f"T{cid}")
        out.append(names[cid])
    return out


def _epoch(moment: datetime | None) -> float | None:
    return None if moment is None else as_utc(moment).timestamp()


def _iso(ts: float | None) -> str | None:
    return None if ts is None else iso(datetime.fromtimestamp(ts, tz=UTC))


def extract_logs(incident: IncidentInput, window: Window | None = None) -> LogExtraction:
    """Extract log findings from an incident (pure: no clock, no I/O).

    Args:
        incident: The validated incident payload.
        window: The investigation window (`sre.extractors.window`); computed when None.

    Returns:
        The findings, stack-frame files and dependency hosts (see `LogExtraction`).
    """
    window = window if window is not None else investigation_window(incident)
    moment = incident.deployed_at or incident.incident_started_at or window.split_at
    parser = LineParser(moment.year if moment else 1970)
    acc = LogAccumulator(parser=parser, miner=TemplateMiner(max_clusters=MAX_TEMPLATES))
    prefixes = has_collector_prefixes(incident.logs)
    records = iter_records(incident.logs, parser.default_year, parser, prefixes)
    split = _epoch(window.split_at)
    _accumulate(acc, records, split)
    windows = _windows(acc, split, window)
    emitters = acc.emitter_hosts()
    host_stats = merge_hosts([h for h in acc.hosts.values() if _bare(h.host) not in emitters])
    findings = (
        _template_findings(acc, windows)
        + _exception_findings(acc, windows)
        + _host_findings(host_stats, windows)
        + entity_findings(acc, windows.label)
        + signature_findings(acc, windows)
        + [_volume_finding(acc, windows, split)]
    )
    findings = _ordered(findings)
    frames = sorted(acc.frame_counts.items(), key=lambda kv: -kv[1])  # stable: first seen
    hosts = [h.host for h in sorted(host_stats, key=_host_key) if h.count_after > 0]
    return LogExtraction(findings, [f for f, _ in frames[:MAX_FRAME_FILES]], hosts)


def _accumulate(acc: LogAccumulator, records: Iterator[LogRecord], split: float | None) -> None:
    """Count every record at its effective time, in the baseline when before `split`.

    A record's effective time is its own, else the last one seen; records before the first
    timestamped one are held and get that first time (see the module docstring). One loop
    for all of it: it runs once per record, where a generator between the stages costs
    measurably.
    """
    add = acc.add
    pending: list[LogRecord] = []
    last: float | None = None
    present = False  # inside a command's output: the present state
    for record in records:
        ts = record.ts
        if ts is not None:
            last = ts
            present = False
            if pending:
                for early in pending:
                    add(early, ts, split is None or ts >= split)
                pending = []
        elif present or (record.raw.startswith(_PROMPTS) and _COMMAND.match(record.raw)):
            present = True
            add(record, None, True)
            continue
        elif last is not None:
            ts = last
        elif len(pending) < MAX_PENDING:
            # Until the first time is seen we cannot place a record: hold it, but only so
            # many (a log with no time at all must not be held whole).
            pending.append(record)
            continue
        else:
            for early in pending:
                add(early, None, True)
            pending = []
        add(record, ts, split is None or ts is None or ts >= split)
    for early in pending:
        add(early, None, True)


_PROMPTS = ("$", "#", ">", "%")
_COMMAND = re.compile(
    r"^[$#>%]\s*(?:kubectl|oc|helm|aws|gcloud|az|docker|systemctl|journalctl|curl|dig|nslookup"
    r"|psql|mysql|redis-cli|rabbitmqctl|kafka-\S+|k9s|argocd|terraform|openssl)\b"
)


def _bare(host: str) -> str:
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def merge_hosts(hosts: list[HostStats]) -> list[HostStats]:
    """Fold different spellings of one host together, keeping the most specific one.

    `db` and `db:5432` become `db:5432` when `db` has a single port; a short name
    (`kafka-0`) joins the one fully qualified name whose first label it is
    (`kafka-0.kafka.svc.cluster.local`). Order: first appearance of the kept spelling.
    """
    by_key = {h.host: h for h in hosts}
    target: dict[str, str] = {}
    ports: dict[str, list[str]] = {}
    for h in hosts:
        if h.host.count(":") == 1:
            ports.setdefault(_bare(h.host), []).append(h.host)
    for h in hosts:
        if h.host.count(":") != 1 and len(ports.get(h.host, [])) == 1:
            target[h.host] = ports[h.host][0]
    names = {_bare(h.host) for h in hosts}
    for h in hosts:
        if "." in h.host or ":" in h.host or h.host in target:
            continue
        longer = sorted(n for n in names if n.startswith(h.host + "."))
        if len(longer) == 1:
            full = longer[0]
            spelled = [k for k in by_key if _bare(k) == full]
            target[h.host] = target.get(full, spelled[0] if len(spelled) == 1 else full)
    merged: dict[str, HostStats] = {}
    for h in hosts:
        key = target.get(h.host, h.host)
        into = merged.get(key)
        if into is None:
            base = by_key.get(key, h)
            into = merged[key] = HostStats(key, example=base.example)
        into.count_before += h.count_before
        into.count_after += h.count_after
        into.kinds.update(h.kinds)
        for code in h.statuses:
            if code not in into.statuses:
                into.statuses.append(code)
    return list(merged.values())


def _windows(acc: LogAccumulator, deploy: float | None, window: Window) -> Windows:
    has_baseline = deploy is not None and acc.records_before > 0
    label = window.label
    split_by = window.split_by or "deployed_at"
    if not has_baseline:
        label = "the deploy" if window.split_by == "deployed_at" else "the start of the log"
    before = after = None
    if deploy is not None and acc.min_ts is not None and acc.max_ts is not None:
        if acc.min_ts < deploy:
            before = (deploy - acc.min_ts) / 60.0
        if acc.max_ts > deploy:
            after = (acc.max_ts - deploy) / 60.0
    elif acc.min_ts is not None and acc.max_ts is not None and acc.max_ts > acc.min_ts:
        after = (acc.max_ts - acc.min_ts) / 60.0
    # Windows shorter than a second give meaningless per-minute rates.
    before = before if before and before >= 1 / 60 else None
    after = after if after and after >= 1 / 60 else None
    return Windows(
        has_baseline, before, after, acc.records_before, acc.records_after, label, split_by
    )


def _kind(stats: TemplateStats) -> str:
    if stats.level in ERROR_LEVELS or stats.exception_types:
        return "error"
    return "warn" if stats.level == "WARN" else "other"


def _template_findings(acc: LogAccumulator, windows: Windows) -> list[Finding]:
    judged: list[tuple[float, int, TemplateStats, Verdict]] = []
    for stats in acc.templates.values():
        kind = _kind(stats)
        verdict = judge(stats.count_before, stats.count_after, kind, windows)
        if verdict.reason is None:
            continue
        weight = {"error": 2.0, "warn": 1.5}.get(kind, 1.0)
        judged.append((verdict.score * weight, stats.cluster_id, stats, verdict))
    judged.sort(key=lambda item: (-item[0], item[1]))
    out = []
    for score, cid, stats, verdict in judged[:MAX_TEMPLATE_FINDINGS]:
        template = normalise_spaces(acc.miner.clusters[cid].template)
        out.append(_template_finding(stats, verdict, template, score, windows.label))
    return out


def _template_finding(
    stats: TemplateStats, v: Verdict, template: str, score: float, label: str
) -> Finding:
    level = stats.level or "UNKNOWN"
    kind = _kind(stats)
    short = clip(template, 120)
    counts = f"{stats.count_after} after {label}, {stats.count_before} before"
    text = {
        "new": f"New log template after {label} ({level}): '{short}' ({counts})",
        "rate_jump": f"Log template rate jumped x{v.rate_ratio or '?'} ({level}): "
        f"'{short}' ({counts})",
        "rate_drop": f"Log template rate dropped ({level}): '{short}' ({counts})",
        "frequent": f"Frequent {level} log template: '{short}' ({stats.count_after} lines)",
    }[v.reason or "frequent"]
    severity: Severity = "medium"
    if kind == "error" and v.reason in ("new", "rate_jump"):
        severity = "high"
    elif v.reason == "rate_drop" or (kind == "other" and v.reason == "frequent"):
        severity = "low"
    value = LogTemplateValue(
        template=template,
        level=level,
        count_before=stats.count_before,
        count_after=stats.count_after,
        rate_before=v.rate_before,
        rate_after=v.rate_after,
        rate_ratio=v.rate_ratio,
        is_new=v.is_new,
        reason=v.reason or "frequent",
        score=round(score, 3),
        example=stats.example[:500],
        first_seen=_iso(stats.first_seen),
        exception_types=list(stats.exception_types),
        status_codes=sorted(stats.status_codes),
        hosts=list(stats.hosts),
        files=list(stats.files),
    )
    return Finding(text, value, severity)


def _exception_findings(acc: LogAccumulator, windows: Windows) -> list[Finding]:
    seen = [e for e in acc.exceptions.values() if e.count_after > 0]

    def key(e: ExceptionStats) -> tuple[int, int, str]:
        is_new = windows.has_baseline and e.count_before == 0
        return (0 if is_new else 1, -e.count_after, e.exception_type)

    out = []
    for exc in sorted(seen, key=key)[:MAX_EXCEPTION_FINDINGS]:
        is_new = windows.has_baseline and exc.count_before == 0
        verdict = judge(exc.count_before, exc.count_after, "error", windows)
        severity: Severity = "high" if is_new or verdict.reason == "rate_jump" else "medium"
        where = f" at {exc.frames[0].file}:{exc.frames[0].line}" if exc.frames else ""
        novelty = "new " if is_new else ""
        text = (
            f"{exc.count_after} {novelty}{exc.exception_type} after {windows.label}"
            f" ({exc.count_before} before){where}"
        )
        value = ExceptionValue(
            exception_type=exc.exception_type,
            message=exc.message,
            count_before=exc.count_before,
            count_after=exc.count_after,
            is_new=is_new,
            frames=[f.as_value() for f in exc.frames],
            files=list(exc.files),
        )
        out.append(Finding(text, value, severity))
    return out


def _host_key(h: HostStats) -> tuple[int, int, str]:
    return (-h.count_after, -h.count_before, h.host)


def _host_findings(hosts: list[HostStats], windows: Windows) -> list[Finding]:
    out = []
    for h in sorted(hosts, key=_host_key)[:MAX_HOST_FINDINGS]:
        if h.count_after == 0:
            continue
        kinds = [k for k in ERROR_KINDS if k in h.kinds]
        grew = h.count_before == 0 or h.count_after >= 2 * h.count_before
        severity: Severity = "high" if h.count_after >= 5 and grew else "medium"
        what = ", ".join(kinds) if kinds else "errors"
        text = (
            f"{h.count_after} error lines point at {h.host} ({what}) after {windows.label},"
            f" {h.count_before} before"
        )
        value = DependencyErrorsValue(
            host=h.host,
            count_before=h.count_before,
            count_after=h.count_after,
            error_kinds=kinds,
            status_codes=sorted(h.statuses),
            example=h.example[:500],
        )
        out.append(Finding(text, value, severity))
    return out


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _volume_finding(acc: LogAccumulator, windows: Windows, split: float | None) -> Finding:
    sb = _share(acc.errors_before, acc.records_before)
    sa = _share(acc.errors_after, acc.records_after)
    severity: Severity = "low"
    if sa is not None and acc.errors_after >= 5 and (sb is None or sa >= 2 * sb + 0.01):
        severity = "high" if windows.has_baseline else "medium"
    shares = f"{sa:.1%}" if sa is not None else "n/a"
    text = (
        f"{acc.errors_after} errors in {acc.records_after} log records after {windows.label}"
        f" ({shares})"
    )
    if windows.has_baseline:
        base = f"{sb:.1%}" if sb is not None else "n/a"
        text += f"; {acc.errors_before} in {acc.records_before} before ({base})"
    value = LogVolumeValue(
        lines_before=acc.records_before,
        lines_after=acc.records_after,
        errors_before=acc.errors_before,
        errors_after=acc.errors_after,
        error_share_before=sb,
        error_share_after=sa,
        split_at=_iso(split) if windows.has_baseline else None,
        split_by=windows.split_by if windows.has_baseline else None,
        listeners={port: sorted(names) for port, names in sorted(acc.listeners.items())},
    )
    return Finding(text, value, severity)


def _ordered(findings: list[Finding]) -> list[Finding]:
    # Python's sort is stable, so within a (severity, type) group each builder's own
    # significance order is kept.
    return sorted(findings, key=lambda f: (_SEVERITY_ORDER[f.severity], _TYPE_ORDER[f.type]))


__all__ = ["LogExtraction", "extract_logs", "mine_templates"]
