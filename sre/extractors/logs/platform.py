"""Entity and signature findings from the accumulated log counts.

After the one pass over the lines (`sre.extractors.logs.stats.LogAccumulator`):

- `entity_findings`: one `entity_logs` finding per emitting entity whose error and warning
  records rose beyond what its own volume predicts (`EntityCounts.excess`), whose template
  mix shifted significantly, one of whose steady templates went silent with a Poisson
  surprise of at least `MIN_SILENCED` (`EntityCounts.silenced`: about one chance in 20,000,
  so a few hundred templates tested per payload rarely raise one by chance), or which logs
  at least `MIN_ERRORS` errors after the split,
  strongest first, at most `MAX_ENTITY_FINDINGS`;
- `signature_findings`: one `signature` finding per catalogue kind and object
  (`sre.extractors.signatures`), found in the mined templates (each template's text, its
  example line and its first continuation block), with the counts of the templates that
  carry it and its `trend`: `new` (none before, at least `MIN_NEW` after and more than
  `RISE_FACTOR` times the pseudo-count the baseline's length predicts), `rising` (at least
  `RISE_FACTOR` times the baseline rate), `steady` (no more than the baseline rate, give or
  take two Poisson standard deviations of the rate seen before), `unclear` (in between),
  `unknown` (no baseline).

Warnings count a quarter of errors in `excess`: they are noisier and rarely the fault itself.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime

from alpha.schemas import Severity
from sre.extractors.finding import Finding
from sre.extractors.fmt import clip
from sre.extractors.logs.by_entity import EntityCounts, TemplateTally
from sre.extractors.logs.significance import PSEUDO_COUNT, Windows
from sre.extractors.logs.stats import LogAccumulator, TemplateStats
from sre.extractors.logs.templates import normalise_spaces
from sre.extractors.signatures import Signature, match_signatures
from sre.extractors.texthosts import text_hosts
from sre.extractors.timeutil import iso
from sre.signals.values import EntityLogsValue, EntityTemplateValue, SignatureValue, Trend

__all__ = [
    "MAX_ENTITY_FINDINGS",
    "MAX_SIGNATURE_FINDINGS",
    "WARNING_WEIGHT",
    "entity_findings",
    "signature_findings",
]

MAX_ENTITY_FINDINGS = 12
MAX_SIGNATURE_FINDINGS = 20
MAX_NAMES = 10
WARNING_WEIGHT = 0.25
MIN_EXCESS = 2.0
# An entity logging this many errors after the split is reported even when they are not
# rising: the agents weigh chronic errors too, only less.
MIN_ERRORS = 5
MIN_PATTERN_RECORDS = 20
MIN_PATTERN_SHIFT = 0.15
PATTERN_SIGMAS = 4.0
# A shifted pattern counts, in the ranking, like this share of the records it moved.
SHIFT_WEIGHT = 0.25
MIN_NEW = 2
ACTIVE_SHARE = 0.5
MIN_SILENCED = 10.0
# A silenced template counts, in the ranking, like this many error records per unit of surprise.
SILENCED_WEIGHT = 0.25
_HOST_TEXT_CHARS = 4_000
RISE_FACTOR = 2.0
# Errors that report a failed outbound call: the emitter is a caller, its trouble lies in
# whatever it called (gRPC status errors, upstream and gateway failures, refused or timed-out
# connections, Node's socket errors, "failed to get/retrieve ..." wrappers, service-discovery
# misses).
_CALL_FAILURE = re.compile(
    r"rpc error|code\s*=\s*(?:Unavailable|DeadlineExceeded|Internal|Unknown|ResourceExhausted)"
    r"|\bupstream\b|failed to (?:get|retrieve|call|fetch|reach|connect|query|send|load|contact)"
    r"|could not (?:get|retrieve|fetch|reach|connect|call|load|contact)"
    r"|error (?:calling|contacting|while calling)|request to \S+ failed|calling \S+ failed"
    r"|connection refused|ECONNREFUSED|ECONNRESET|timed? ?out (?:calling|waiting for|connecting)"
    r"|\bE(?:SOCKET)?TIMEDOUT\b|EHOSTUNREACH|ENETUNREACH|socket hang up"
    r"|context deadline exceeded|Read timed out|SocketTimeout|\b50[234] (?:Service|Bad|Gateway)"
    r"|No instances available|no healthy upstream|circuit ?breaker"
    r"|request failed with status(?: code)?|ERR_BAD_RESPONSE|HTTPError|status code 5\d\d from"
    # Spring's RestTemplate: the callee's error body (`500 : [{"status":500,...,"path":...}]`).
    r"|Http(?:Server|Client)ErrorException|ResourceAccessException|\"status\\?\":\s*5\d\d",
    re.I,
)


def _iso(ts: float | None) -> str | None:
    return None if ts is None else iso(datetime.fromtimestamp(ts, tz=UTC))


def _weight(tally: TemplateTally) -> float:
    return {"ERROR": 1.0, "WARN": WARNING_WEIGHT}.get(tally.level, 0.0)


@dataclass
class _Named:
    """What an entity's trouble names: hosts and objects of its error templates."""

    names: dict[str, float] = field(default_factory=dict)

    def add(self, name: str, weight: float) -> None:
        key = name.strip().lower()
        if key:
            self.names[key] = self.names.get(key, 0.0) + weight


def entity_findings(acc: LogAccumulator, label: str) -> list[Finding]:
    """`entity_logs` findings (see the module docstring).

    Args:
        acc: The accumulator after the pass over the lines.
        label: How descriptions name the split ("the incident start", ...).
    """
    scored: list[tuple[float, str, EntityCounts, float, float, _Silenced]] = []
    ratio = acc.tally.volume_ratio()
    for counts in acc.tally.entities.values():
        excess = sum(_weight(t) * counts.excess(t) for t in counts.templates.values())
        shift, g = _significant_shift(counts)
        errors = sum(t.after for t in counts.templates.values() if t.level == "ERROR")
        silenced = counts.silenced(ratio)
        if silenced[0] < MIN_SILENCED:
            silenced = (0.0, None)
        if excess >= MIN_EXCESS or shift > 0 or errors >= MIN_ERRORS or silenced[1]:
            strength = (
                excess
                + SHIFT_WEIGHT * shift * counts.records_after
                + 0.1 * errors
                + SILENCED_WEIGHT * silenced[0]
            )
            scored.append((strength, counts.workload, counts, excess, g, silenced))
    scored.sort(key=lambda item: (-item[0], item[1]))
    return [
        _entity_finding(acc, counts, excess, g, silenced, label)
        for _, _, counts, excess, g, silenced in scored[:MAX_ENTITY_FINDINGS]
    ]


def _significant_shift(counts: EntityCounts) -> tuple[float, float]:
    """(distance, G) of the entity's template mix when the shift is significant, else zeros.

    Significant: enough records on both sides (`MIN_PATTERN_RECORDS`), a distance of at
    least `MIN_PATTERN_SHIFT`, and G beyond the chi-square mean by `PATTERN_SIGMAS` standard
    deviations (`df + PATTERN_SIGMAS * sqrt(2 df)`).
    """
    if min(counts.records_before, counts.records_after) < MIN_PATTERN_RECORDS:
        return 0.0, 0.0
    distance, g, df = counts.pattern_shift()
    if distance < MIN_PATTERN_SHIFT or g < df + PATTERN_SIGMAS * math.sqrt(2.0 * df):
        return 0.0, 0.0
    return distance, g


_Silenced = tuple[float, TemplateTally | None]


def _entity_finding(
    acc: LogAccumulator,
    counts: EntityCounts,
    excess: float,
    g: float,
    silenced: _Silenced,
    label: str,
) -> Finding:
    trouble = [t for t in counts.templates.values() if t.level != "INFO"]
    errors = [t for t in trouble if t.level == "ERROR"]
    warnings = [t for t in trouble if t.level == "WARN"]
    named = _Named()
    rising = sorted(
        (t for t in trouble if counts.excess(t) > 0),
        key=lambda t: (-_weight(t) * counts.excess(t), t.cluster_id),
    )
    calls = 0.0
    for tally in rising:
        stats = acc.templates.get(tally.cluster_id)
        if stats is not None:
            grown = counts.excess(tally)
            for host in stats.hosts:
                named.add(host, grown)
            text = _template_text(acc, tally.cluster_id)
            if any(_CALL_FAILURE.search(t) for t in (text, stats.example, stats.continuation)):
                calls += _weight(tally) * grown
            for found in match_signatures(text + " " + stats.example):
                if found.obj:
                    named.add(found.obj, grown)
    moved = rising or sorted(
        counts.templates.values(), key=lambda t: (-_moved(counts, t), t.cluster_id)
    )
    templates = [_template_value(acc, counts, t) for t in moved[:3]]
    new = sum(1 for t in trouble if t.before == 0 and t.after >= 2)
    first = [t.first_seen for t in rising if t.first_seen is not None]
    shift = counts.pattern_shift()[0] if g else 0.0
    own = counts.workload.lower()
    names = sorted(
        (n for n in named.names if n != own and own not in n),
        key=lambda n: (-named.names[n], n),
    )[:MAX_NAMES]
    value = EntityLogsValue(
        entity=counts.name,
        kind=counts.kind,
        workload=counts.workload,
        records_before=counts.records_before,
        records_after=counts.records_after,
        errors_before=sum(t.before for t in errors),
        errors_after=sum(t.after for t in errors),
        warnings_before=sum(t.before for t in warnings),
        warnings_after=sum(t.after for t in warnings),
        excess=round(excess, 2),
        pattern_shift=round(shift, 4),
        pattern_g=round(g, 2),
        new_templates=new,
        templates=templates,
        first_seen=_iso(min(first)) if first else None,
        names=names,
        call_failures=round(min(1.0, calls / excess), 4) if excess > 0 else 0.0,
        silenced=round(silenced[0], 2),
        silenced_template=(
            None if silenced[1] is None else _template_value(acc, counts, silenced[1])
        ),
    )
    return Finding(_describe(value, label), value, "high" if excess >= 10 else "medium")


def _moved(counts: EntityCounts, tally: TemplateTally) -> float:
    """How far a template's count after the split is from what the entity's volume predicts."""
    return abs(tally.after - counts.expected_after(tally.before))


def _template_value(
    acc: LogAccumulator, counts: EntityCounts, tally: TemplateTally
) -> EntityTemplateValue:
    return EntityTemplateValue(
        template=clip(_template_text(acc, tally.cluster_id), 300),
        level=tally.level,
        before=tally.before,
        after=tally.after,
        excess=round(counts.excess(tally), 2),
    )


def _describe(value: EntityLogsValue, label: str) -> str:
    parts = []
    if value.excess > 0:
        parts.append(
            f"{value.errors_after} error records after {label} ({value.errors_before} before), "
            f"{value.new_templates} new template(s)"
        )
    if value.pattern_shift > 0:
        parts.append(f"its log pattern shifted ({value.pattern_shift:.0%} of its lines moved)")
    if value.silenced_template is not None:
        gone = value.silenced_template
        parts.append(
            f"its steady '{clip(gone.template, 80)}' lines stopped "
            f"({gone.before} before {label}, {gone.after} after)"
        )
    top = value.templates[0].template if value.templates else ""
    return f"{value.workload}: {'; '.join(parts)}; most: '{clip(top, 120)}'"


def _template_text(acc: LogAccumulator, cluster_id: int) -> str:
    return normalise_spaces(acc.miner.clusters[cluster_id].template)


@dataclass
class _SignatureCount:
    signature: Signature
    obj: str | None
    emitter: str | None
    before: int = 0
    after: int = 0
    first_seen: float | None = None
    example: str = ""
    template: str = ""
    hosts: list[str] = field(default_factory=list)


def _emitters(acc: LogAccumulator) -> dict[int, str]:
    """The main emitting entity of each error/warning template (most records after)."""
    best: dict[int, tuple[int, str]] = {}
    for counts in acc.tally.entities.values():
        for cid, tally in counts.templates.items():
            seen = tally.after + tally.before
            if cid not in best or seen > best[cid][0]:
                best[cid] = (seen, counts.workload)
    return {cid: name for cid, (_, name) in best.items()}


def trend(before: int, after: int, windows: Windows) -> Trend:
    """How a signature's count moved between the windows (see the module docstring)."""
    scale = windows.scale()
    if not windows.has_baseline or scale is None:
        return "unknown"
    expected = max(float(before), PSEUDO_COUNT) * scale
    if before == 0 and after >= MIN_NEW and after > RISE_FACTOR * expected:
        return "new"
    if before > 0 and after >= RISE_FACTOR * expected:
        return "rising"
    # A count within Poisson noise of the rate the baseline showed (two standard deviations)
    # has not moved: 26 lines where 25.9 were expected are as steady as 25. With none before
    # there is no rate to be noisy about.
    noise = 2.0 * math.sqrt(expected) if before > 0 else 0.0
    return "steady" if after <= expected + noise else "unclear"


def signature_findings(acc: LogAccumulator, windows: Windows) -> list[Finding]:
    """`signature` findings (see the module docstring)."""
    emitters = _emitters(acc)
    found: dict[tuple[str, str], _SignatureCount] = {}
    for cid, stats in acc.templates.items():
        if stats.count_after == 0 and stats.count_before == 0:
            continue
        text = _template_text(acc, cid)
        block = f"{stats.example}\n{stats.continuation}"
        for match in match_signatures(f"{text}\n{block}"):
            emitter = emitters.get(cid) or stats.context
            key = (match.signature.kind, (match.obj or emitter or "").lower())
            entry = found.get(key)
            if entry is None:
                entry = found[key] = _SignatureCount(match.signature, match.obj, emitter)
            _count(entry, stats, text, block)
    ordered = sorted(
        found.values(),
        key=lambda e: (-e.signature.strength * (e.after + 0.1 * e.before), e.signature.kind),
    )
    return [
        _signature_finding(e, windows, _active(acc, e.obj, windows))
        for e in ordered[:MAX_SIGNATURE_FINDINGS]
    ]


def _active(acc: LogAccumulator, obj: str | None, windows: Windows) -> bool | None:
    """Whether the named object, as an emitter, kept logging at half its baseline rate."""
    if not obj or not windows.minutes_before or not windows.minutes_after:
        return None
    name = obj.lower()
    counts = next(
        (c for c in acc.tally.entities.values() if name in (c.workload.lower(), c.name.lower())),
        None,
    )
    if counts is None or counts.records_before == 0:
        return None
    before = counts.records_before / windows.minutes_before
    after = counts.records_after / windows.minutes_after
    return after >= ACTIVE_SHARE * before


def _count(entry: _SignatureCount, stats: TemplateStats, text: str, block: str) -> None:
    entry.before += stats.count_before
    entry.after += stats.count_after
    if stats.first_seen is not None and (
        entry.first_seen is None or stats.first_seen < entry.first_seen
    ):
        entry.first_seen = stats.first_seen
    if not entry.example:
        entry.example, entry.template = stats.example[:500], clip(text, 300)
    # The template's dependency hosts; a stack trace's hosts are in its continuation block.
    hosts = stats.hosts or text_hosts(block[:_HOST_TEXT_CHARS])
    for host in hosts:
        if host not in entry.hosts and len(entry.hosts) < MAX_NAMES:
            entry.hosts.append(host)


def _signature_finding(entry: _SignatureCount, windows: Windows, active: bool | None) -> Finding:
    sig = entry.signature
    label = windows.label
    where = entry.obj or entry.emitter
    subject = f" ({where})" if where else ""
    description = (
        f"{sig.summary}{subject}: {entry.after} line(s) after {label}, {entry.before} before; "
        f"e.g. '{clip(entry.example, 160)}'"
    )
    value = SignatureValue(
        kind=sig.kind,
        family=sig.family,
        category=sig.category,
        strength=sig.strength,
        summary=sig.summary,
        obj=entry.obj,
        emitter=entry.emitter,
        count_before=entry.before,
        count_after=entry.after,
        trend=trend(entry.before, entry.after, windows),
        first_seen=_iso(entry.first_seen),
        example=entry.example,
        template=entry.template,
        hosts=entry.hosts,
        obj_active=active,
    )
    severity: Severity = "high" if sig.strength >= 0.8 and entry.after > 0 else "medium"
    return Finding(description, value, severity)
