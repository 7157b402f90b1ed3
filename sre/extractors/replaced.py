"""Pods replaced during the incident, read from the series that measure them.

A Kubernetes pod that is killed, evicted or crashes for good is replaced by a pod of a new
name, and every per-pod series follows: the old pod's series stop, the new pod's begin
(`container_cpu_usage_seconds_total{pod="cart-7f9c8d6b5-x2k4p"}` ends, `...{pod=
"cart-7f9c8d6b5-q8mwn"}` starts). When that happens inside the evidence, with no deploy of
that workload to explain it, the workload lost a running pod: something the callers feel
(refused connections, 503s while the new pod starts) before any line of its own says why.

A workload's pod is *gone* when all its series end more than `GAP` before the last point
of the payload's series, and *new* when all its series begin more than `GAP` after the
first; a workload with at least one gone and one new pod, the new one starting after the
gone one ended less `GAP`, was replaced at the first gone pod's last point. Scaling is no
replacement: new pods alone (scale-up) or gone pods alone (scale-down) are left out, and a
rollout of the deployed service is the deploy, not a fault, and a replacement more than
`EARLY` before the investigation window's split is history (an alert fires minutes after
its onset, not a quarter of an hour). `GAP` is the larger of
`GAP_STEPS` sampling steps and `GAP_SHARE` of the payload's time span, so a scrape that
missed a point is no gap.

The finding is a `signature` of kind `pod_replaced` (`sre.extractors.signatures`, symptom:
no category, it says the workload is in trouble, not why), about the workload, with the
number of new pods as its count (a pod replaced again and again is crash-looping).
Pure functions, no I/O.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sre.extractors.entities import metric_entity
from sre.extractors.finding import Finding
from sre.extractors.shifts import Series
from sre.extractors.signatures import CATALOGUE, series_signature
from sre.extractors.stats import median
from sre.extractors.timeutil import iso

__all__ = ["EARLY", "GAP_SHARE", "GAP_STEPS", "replaced_pods"]

GAP_STEPS = 3
GAP_SHARE = 0.05
EARLY = timedelta(minutes=15)
_REPLACED = next(s for s in CATALOGUE if s.kind == "pod_replaced")


@dataclass
class _Pod:
    name: str
    start: datetime
    end: datetime


@dataclass
class _Workload:
    pods: dict[str, _Pod] = field(default_factory=dict)

    def see(self, pod: str, times: Sequence[datetime]) -> None:
        known = self.pods.get(pod)
        if known is None:
            self.pods[pod] = _Pod(pod, times[0], times[-1])
        else:
            known.start, known.end = min(known.start, times[0]), max(known.end, times[-1])


def replaced_pods(
    series: Sequence[Series], split_at: datetime | None = None, deployed: str | None = None
) -> list[Finding]:
    """A `pod_replaced` signature finding per workload whose pod was replaced inside the
    evidence (module docstring); `split_at` is the investigation window's split, if known,
    and `deployed` the service a deploy rolled out, if any."""
    timed = [s for s in series if s.times and len(s.times) >= 2]
    if not timed:
        return []
    first = min(s.times[0] for s in timed if s.times)
    last = max(s.times[-1] for s in timed if s.times)
    gap = _gap(timed, last - first)
    workloads: dict[str, _Workload] = defaultdict(_Workload)
    for one in timed:
        entity = metric_entity(one.name).entity
        if entity is None or entity.kind != "pod" or entity.name == entity.workload:
            continue
        assert one.times is not None
        workloads[entity.workload].see(entity.name, one.times)
    findings = []
    for workload, seen in sorted(workloads.items()):
        if deployed and workload.lower() == deployed.lower():
            continue
        gone = sorted((p for p in seen.pods.values() if p.end < last - gap), key=lambda p: p.end)
        if not gone or (split_at is not None and gone[0].end < split_at - EARLY):
            continue
        after = gone[0].end - gap
        new = [p for p in seen.pods.values() if p.start > first + gap and p.start >= after]
        if new:
            findings.append(_finding(workload, gone[0], new))
    return findings


def _gap(series: Sequence[Series], span: timedelta) -> timedelta:
    steps = [
        (s.times[i + 1] - s.times[i]).total_seconds()
        for s in series
        if s.times
        for i in range(min(len(s.times) - 1, 5))
    ]
    step = median([x for x in steps if x > 0] or [0.0])
    return max(timedelta(seconds=GAP_STEPS * step), span * GAP_SHARE)


def _finding(workload: str, gone: _Pod, new: list[_Pod]) -> Finding:
    newest = ", ".join(p.name for p in sorted(new, key=lambda p: p.start)[:3])
    example = (
        f"series of pod {gone.name} end at {iso(gone.end)}; "
        f"{len(new)} new pod(s) of {workload} begin after it ({newest})"
    )
    return series_signature(
        _REPLACED,
        obj=gone.name,
        emitter=workload,
        example=example,
        template=example,
        first_seen=iso(gone.end),
        count_after=len(new),
        where=workload,
    )
