"""Which zone or node the harmful departures share (`sre.agents.dimensions`) and the
MetricsAgent's infrastructure hypothesis naming it."""

from __future__ import annotations

from alpha.schemas import IncidentInput
from sre.agents import MetricsAgent
from sre.agents.base import Evidence
from sre.agents.dimensions import shared_unit
from tests.sre.builders import Signals, by_category, incident

ZONES = ("us-east-1a", "us-east-1b", "us-east-1c")
NO_DEPLOY = {"deployed_at": None, "service": None}


def _payload(names: list[str]) -> IncidentInput:
    return incident(metrics={name: [1.0, 1.0] for name in names}, **NO_DEPLOY)


def test_the_only_zone_whose_series_departed_is_the_shared_unit() -> None:
    """Unhealthy hosts and 5xx rise in us-east-1b only: that zone is the unit."""
    names = [f"AWS/ApplicationELB/{m}{{AvailabilityZone={z}}}" for z in ZONES for m in ("A", "B")]
    s = Signals()
    for m in ("A", "B"):
        s.anomaly(f"AWS/ApplicationELB/{m}{{AvailabilityZone=us-east-1b}}", 1.0, 9.0)
    unit = shared_unit(Evidence.build(s.items, _payload(names)))
    assert unit is not None and (unit.kind, unit.value, unit.anomalous) == ("zone", "us-east-1b", 2)
    top = by_category(MetricsAgent().candidates(s.items, _payload(names)), "infrastructure")[0]
    assert top.suspects == ["us-east-1b"] and "us-east-1b" in top.label


def test_a_zone_that_departs_far_more_than_its_siblings_leads_its_families() -> None:
    """Timeouts rise in every zone (cross-zone traffic), but 700x in us-east-1c against 50x
    elsewhere, on every node: us-east-1c leads the family of like series."""
    s = Signals()
    names = []
    for zone, ratio in zip(ZONES, (50.0, 55.0, 700.0), strict=True):
        for node in ("n1", "n2"):
            name = f'node_tcp_timeouts:rate1m{{instance="{zone}-{node}",az="{zone}"}}'
            names.append(name)
            s.anomaly(name, 1.0, ratio)
    unit = shared_unit(Evidence.build(s.items, _payload(names)))
    assert unit is not None and (unit.value, unit.led) == ("us-east-1c", 1)


def test_trouble_everywhere_alike_names_no_zone() -> None:
    """Every zone departing about as much is system-wide: no unit stands out."""
    s = Signals()
    names = []
    for zone, ratio in zip(ZONES, (50.0, 60.0, 70.0), strict=True):
        name = f'node_tcp_timeouts:rate1m{{az="{zone}"}}'
        names.append(name)
        s.anomaly(name, 1.0, ratio)
    assert shared_unit(Evidence.build(s.items, _payload(names))) is None


def test_one_zone_is_nothing_to_compare() -> None:
    """With a single zone in the payload there are no siblings: no unit."""
    s = Signals()
    names = [f'latency{{az="us-east-1a",svc="{n}"}}' for n in ("a", "b")]
    for name in names:
        s.anomaly(name, 1.0, 9.0)
    assert shared_unit(Evidence.build(s.items, _payload(names))) is None
