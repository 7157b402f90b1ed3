"""Which infrastructure unit the anomalous series share: an availability zone or a node.

When one availability zone loses packets, or one node is starved, the series that depart are
the ones carrying that zone or node, whatever service they measure; the same kind of series
in the other zones stay put. This is the drill-down of multi-dimensional root-cause
localisation (Adtributor, HotSpot): for each infrastructure dimension, the value that
explains most of the harmful anomalies among the series that carry the dimension, and whose
series depart far more often than the series of its siblings.

A dimension is a label (`az="us-east-1b"`, `AvailabilityZone=us-east-1b`, `node=...`) or,
in path-style names (`api-alb/orders-tg/us-east-1b/UnHealthyHostCount`), a segment that
reads as an availability zone. A value is reported when:

- at least `MIN_ANOMALOUS` of its series departed harmfully;
- it holds at least `MIN_SHARE` of the harmful departures among series carrying the
  dimension (it explains them);
- its series departed at a rate at least `MIN_CONTRAST` above its siblings' (the siblings
  stayed healthy, so the trouble is not system-wide);
- the dimension has at least two values in the payload (there is something to compare).

Cross-zone traffic spreads a zone's fault to its siblings, so every zone may depart, only
less. The peer test compares like with like: series of the same measure and labels but for
the unit (and for per-machine labels: `instance`, `pod`, ...) form a family; the unit whose
departure in a family is at least `PEER_FACTOR` times its nearest sibling's (a ratio of its
level to its baseline, in the harmful direction; a sibling that did not depart counts 1)
leads that family. A unit that leads at least `MIN_SHARE` of the families with a leader is
reported too.

`instance` and `host` labels are left out: on application series they name a pod's address,
and a pod standing out is the TopologyAgent's question, not an infrastructure fault.

Pure functions over the run's evidence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from sre.agents.base import Evidence
from sre.extractors.entities import metric_labels
from sre.signals import MetricAnomalySignal

__all__ = ["MIN_ANOMALOUS", "MIN_CONTRAST", "MIN_SHARE", "SharedUnit", "shared_unit"]

MIN_ANOMALOUS = 2
MIN_SHARE = 0.6
MIN_CONTRAST = 0.3
PEER_FACTOR = 3.0
# Labels that name one machine or pod: a family of series spans them.
_IDENTITY_KEYS = frozenset(
    {"instance", "pod", "pod_name", "host", "hostname", "node", "nodename", "container"}
    | {"instanceid", "kubernetes_pod_name"}
)

# Label keys (lower case) of each kind of infrastructure unit.
_UNIT_KEYS: dict[str, str] = {
    "az": "zone",
    "zone": "zone",
    "availabilityzone": "zone",
    "availability_zone": "zone",
    "topology_kubernetes_io_zone": "zone",
    "failure_domain_beta_kubernetes_io_zone": "zone",
    "node": "node",
    "nodename": "node",
    "kubernetes_node": "node",
}
_ZONE = re.compile(r"^[a-z]{2}(?:-[a-z]+)+-\d[a-z]$|^[a-z]{3,4}\d-az\d$", re.I)


@dataclass(frozen=True)
class SharedUnit:
    """An infrastructure unit most harmful departures share.

    Attributes:
        kind: `zone` or `node`.
        value: The unit (`us-east-1b`).
        anomalous: Its series that departed harmfully.
        total: Its series in the payload.
        share: Its part of the harmful departures among series carrying the dimension.
        contrast: Its departure rate minus its siblings'.
        signals: The departures it explains (ids, strongest first).
        led: Families of series it led by `PEER_FACTOR` (0 when found by counts).
    """

    kind: str
    value: str
    anomalous: int
    total: int
    share: float
    contrast: float
    signals: tuple[str, ...]
    led: int = 0


def _unit_kind(key: str) -> str | None:
    """The kind of infrastructure unit a label key names (`AvailabilityZone` -> zone)."""
    return _UNIT_KEYS.get(re.sub(r"[^a-z0-9]+", "_", key.lower()).strip("_"))


def _units(name: str) -> dict[str, str]:
    """The infrastructure dimensions of a series name: kind -> value."""
    found: dict[str, str] = {}
    for key, value in metric_labels(name).items():
        kind = _unit_kind(key)
        if kind is not None and value:
            found.setdefault(kind, value)
    if "zone" not in found and "/" in name:
        head = name.split("{", 1)[0]
        zones = [part for part in head.split("/") if _ZONE.match(part)]
        if len(zones) == 1:
            found["zone"] = zones[0]
    return found


def shared_unit(evidence: Evidence) -> SharedUnit | None:
    """The infrastructure unit the harmful departures share, if one stands out (see the
    module docstring); zones before nodes, the strongest contrast first."""
    totals: dict[tuple[str, str], int] = {}
    for name in evidence.incident.metrics:
        for kind, value in _units(name).items():
            totals[(kind, value)] = totals.get((kind, value), 0) + 1
    harmful: dict[tuple[str, str], list[MetricAnomalySignal]] = {}
    for signal in evidence.of(MetricAnomalySignal):
        if signal.value.bad:
            for kind, value in _units(signal.value.metric).items():
                harmful.setdefault((kind, value), []).append(signal)
    found: list[SharedUnit] = []
    for kind in ("zone", "node"):
        values = {v: n for (k, v), n in totals.items() if k == kind}
        if len(values) < 2:
            continue
        all_bad = sum(len(s) for (k, _), s in harmful.items() if k == kind)
        all_total = sum(values.values())
        for value, total in values.items():
            mine = harmful.get((kind, value), [])
            rest_total = all_total - total
            if len(mine) < MIN_ANOMALOUS or rest_total <= 0:
                continue
            share = len(mine) / all_bad
            contrast = len(mine) / total - (all_bad - len(mine)) / rest_total
            if share >= MIN_SHARE and contrast >= MIN_CONTRAST:
                ordered = sorted(mine, key=lambda s: (-s.value.score, s.id))
                found.append(
                    SharedUnit(
                        kind,
                        value,
                        len(mine),
                        total,
                        round(share, 3),
                        round(contrast, 3),
                        tuple(s.id for s in ordered),
                    )
                )
        if found:
            break
    if found:
        return max(found, key=lambda u: (u.contrast, u.anomalous, u.value))
    return _peer_leader(evidence, totals)


def _family(name: str, kind: str, value: str) -> str:
    """The series' name with its unit and per-machine labels taken out."""
    brace = name.find("{")
    head = name if brace < 0 else name[:brace]
    head = head.replace(value, "*")
    labels = {
        k: v
        for k, v in metric_labels(name).items()
        if k not in _IDENTITY_KEYS and _unit_kind(k) != kind
    }
    return head + "{" + ",".join(f"{k}={v}" for k, v in sorted(labels.items())) + "}"


def _harm(signal: MetricAnomalySignal) -> float:
    """How many times its level moved in the harmful direction (1: not at all)."""
    value = signal.value
    if value.ratio is None or value.ratio <= 0:
        return PEER_FACTOR**2 if value.current > value.baseline else 1.0
    return value.ratio if value.direction == "up" else 1.0 / value.ratio


def _peer_leader(evidence: Evidence, totals: dict[tuple[str, str], int]) -> SharedUnit | None:
    """The unit leading most families of like series by `PEER_FACTOR` (module docstring)."""
    for kind in ("zone", "node"):
        values = {v for (k, v) in totals if k == kind}
        if len(values) < 2:
            continue
        # family -> unit -> (largest harmful ratio, signal)
        families: dict[str, dict[str, tuple[float, MetricAnomalySignal]]] = {}
        for signal in evidence.of(MetricAnomalySignal):
            unit = _units(signal.value.metric).get(kind)
            if unit is None or not signal.value.bad:
                continue
            family = families.setdefault(_family(signal.value.metric, kind, unit), {})
            harm = _harm(signal)
            if unit not in family or harm > family[unit][0]:
                family[unit] = (harm, signal)
        leads: dict[str, list[MetricAnomalySignal]] = {}
        led = 0
        for units in families.values():
            ranked = sorted(units.items(), key=lambda kv: -kv[1][0])
            top, (harm, signal) = ranked[0]
            second = ranked[1][1][0] if len(ranked) > 1 else 1.0
            if harm >= PEER_FACTOR * second:
                led += 1
                leads.setdefault(top, []).append(signal)
        if not leads:
            continue
        value, signals = max(leads.items(), key=lambda kv: (len(kv[1]), kv[0]))
        if len(signals) / led >= MIN_SHARE:
            ordered = sorted(signals, key=lambda s: (-_harm(s), s.id))
            return SharedUnit(
                kind,
                value,
                len(signals),
                totals.get((kind, value), 0),
                round(len(signals) / led, 3),
                0.0,
                tuple(s.id for s in ordered),
                led=len(signals),
            )
    return None
