"""False-positive and detection rates of the metric anomaly detector on synthetic series.

Run: python bench/metric_noise.py [--cases 1000]

Noise-only series (Gaussian 10 % / 30 % spread, Poisson counts with mean 2 and 0.3) must
not be flagged; series with a level shift of x1.3, x1.5 and x2 at a random point should be.
Each series is tried both as a plain list (change-point detection) and as explicit
baseline/current windows. Seeded, so the figures are reproducible.
"""

from __future__ import annotations

import argparse
import math
import random
from collections.abc import Callable

from alpha.schemas import IncidentInput
from sre.extractors.metrics import metric_findings
from sre.extractors.shifts import normalise


def _poisson(rng: random.Random, lam: float) -> float:
    limit, k, p = math.exp(-lam), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return float(k)
        k += 1


NOISE: dict[str, Callable[[random.Random, int], list[float]]] = {
    "gauss10": lambda r, n: [100 * (1 + r.gauss(0, 0.1)) for _ in range(n)],
    "gauss30": lambda r, n: [max(0.0, 100 * (1 + r.gauss(0, 0.3))) for _ in range(n)],
    "pois2": lambda r, n: [_poisson(r, 2) for _ in range(n)],
    "pois0.3": lambda r, n: [_poisson(r, 0.3) for _ in range(n)],
}


def _flags(values: list[float], split: int, form: str, types: tuple[str, ...]) -> bool:
    metric: object = (
        values
        if form == "series"
        else {
            "baseline": values[:split],
            "current": values[split:],
        }
    )
    incident = IncidentInput(
        deployment_id="bench",
        logs=[],
        metrics={"m": metric},
        recent_commits=[],
        config_snapshot={},
    )
    series = normalise("m", incident.metrics["m"], None)
    return any(f.type in types for f in metric_findings(series, {}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=1000)
    cases = parser.parse_args().cases
    rng = random.Random(42)
    for kind, noise in NOISE.items():
        for form in ("series", "windows"):
            hits = 0
            for _ in range(cases):
                n = rng.randint(8, 60)
                hits += _flags(noise(rng, n), n // 2, form, ("metric_anomaly", "metric_growth"))
            print(f"noise {kind:8s} {form:8s} false-positive rate {hits / cases:.3f}")
    for factor in (1.3, 1.5, 2.0):
        for form in ("series", "windows"):
            hits = 0
            for _ in range(cases):
                n = rng.randint(8, 60)
                k = rng.randint(max(2, n // 4), n - max(2, n // 4))
                v = NOISE["gauss10"](rng, n)
                hits += _flags(v[:k] + [x * factor for x in v[k:]], k, form, ("metric_anomaly",))
            print(f"shift x{factor} (10% noise) {form:8s} detection rate {hits / cases:.3f}")


if __name__ == "__main__":
    main()
