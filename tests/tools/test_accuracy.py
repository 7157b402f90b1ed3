"""bench/accuracy.py: the accuracy bench runs and scores a set with all three rankers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BENCH = ROOT / "bench" / "accuracy.py"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(BENCH), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_help_runs():
    """`python bench/accuracy.py --help` prints its usage and exits 0."""
    done = _run("--help")
    assert done.returncode == 0, done.stderr
    assert "--extra" in done.stdout and "--no-defaults" in done.stdout


def test_scores_a_small_set_with_alpha_and_both_baselines(tmp_path, alpha_script):
    """One run scores every case three ways (Alpha as `alpha eval` does); bad files are reported."""
    logs = [f"[pod/cart-5dc8d4f9fd-46997/app] ERROR OutOfMemoryError heap #{i}" for i in range(5)]
    scenario = {
        "name": "tiny-oom",
        "description": "cart runs out of memory",
        "incident": {
            "deployment_id": "tiny",
            "logs": logs,
            "metrics": {"cart.memory_percent": {"baseline": [40, 41, 39], "current": [99, 99]}},
            "recent_commits": [],
            "config_snapshot": {},
        },
        "expected": {"category": "resource_exhaustion", "suspects": ["cart"]},
    }
    (tmp_path / "tiny.json").write_text(json.dumps(scenario))
    (tmp_path / "broken.json").write_text('{"name": "broken"}')
    done = _run("--no-defaults", "--json", str(tmp_path))
    assert done.returncode == 0, done.stderr
    assert "broken.json" in done.stderr
    (measured,) = json.loads(done.stdout)["sets"]
    assert measured["cases"] == 1
    (case,) = measured["per_case"]
    assert case["name"] == "tiny-oom"
    assert case["errors_by_entity"] == 1 and case["metric_robust_z"] == 1
    assert measured["errors_by_entity"] == {"top1": 1.0, "top3": 1.0}
    evaluated = subprocess.run(
        [str(alpha_script), "eval", "--json", str(tmp_path / "tiny.json")],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    assert case["alpha"] == json.loads(evaluated.stdout)["cases"][0]["rank"]
