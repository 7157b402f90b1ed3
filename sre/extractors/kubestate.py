"""Kubernetes states read from the series kube-state-metrics exports about them.

kube-state-metrics turns an object's state into a series whose `reason` label says what
happened: `kube_pod_container_status_last_terminated_reason{pod="carts-...",
reason="OOMKilled"}` is 1 once the container was killed for memory,
`kube_pod_container_status_waiting_reason{reason="CrashLoopBackOff"}` while it crash-loops,
`kube_pod_status_reason{reason="Evicted"}` when the pod was evicted. The reason is the word
the events and `kubectl describe` print, so it is read through the same catalogue
(`sre.extractors.signatures`): when the series goes from 0 to above 0 inside the evidence,
the pod it names met that signature then, as one `OOMKilled` line would say. A series above
0 from its first point is a state the pod was already in (`steady`, chronic).

The finding is a `signature` finding about the pod the labels name (its workload is the
emitter). Pure functions, no I/O.
"""

from __future__ import annotations

from sre.extractors.entities import metric_labels, pod_workload
from sre.extractors.finding import Finding
from sre.extractors.shifts import Series
from sre.extractors.signatures import match_signatures, series_signature
from sre.extractors.timeutil import iso

__all__ = ["state_signature"]

# Labels naming the object the state is about, most precise first.
_OBJECT_LABELS = ("pod", "node", "container", "deployment", "statefulset", "daemonset")


def state_signature(series: Series) -> Finding | None:
    """A signature finding when a series' `reason` label is a catalogue signature and the
    series rose above 0 inside the evidence (or held above 0 throughout: steady)."""
    if "reason" not in series.name or not series.values:
        return None
    labels = metric_labels(series.name)
    reason = labels.get("reason", "")
    found = match_signatures(reason) if reason else []
    if not found or max(series.values) <= 0:
        return None
    signature = found[0].signature
    first = next(i for i, v in enumerate(series.values) if v > 0)
    steady = first == 0
    obj = next((labels[k] for k in _OBJECT_LABELS if labels.get(k)), None)
    at = iso(series.times[first]) if series.times else None
    example = f"{series.name} = {series.values[first]:g}" + (f" at {at}" if at else "")
    return series_signature(
        signature,
        obj=obj,
        emitter=pod_workload(obj) if obj else None,
        example=example,
        template=series.name,
        first_seen=at,
        steady=steady,
    )
