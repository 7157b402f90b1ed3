"""The SRE engine end to end, and convergence of agents through the runtime."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

from alpha.agents.base import AgentContext, BaseAgent
from alpha.core.runtime import AlphaRuntime
from alpha.schemas import AgentEvent, AgentResult, AgentStatus, EventKind, IncidentInput, Signal
from sre.agents import CommitAgent, LogAgent, SynthesisAgent
from sre.agents.base import Evidence, evidence_of
from sre.agents.roster import AGENT_NAMES
from sre.engine import build_runtime, investigate
from tests.sre.builders import SHA_BAD, SHA_DOCS, Signals, incident


def _traceback(ts: str) -> list[str]:
    return [
        f"{ts} ERROR checkout.api Unhandled error in POST /cart/checkout",
        "Traceback (most recent call last):",
        '  File "/srv/app/checkout/api.py", line 41, in checkout',
        "    total = cart.total(items)",
        '  File "/srv/app/checkout/cart.py", line 88, in total',
        '    price = prices[item["sku"]]',
        "KeyError: 'sku'",
    ]


def small_payload() -> dict[str, Any]:
    """A code regression: a KeyError in checkout/cart.py right after the commit changed it."""
    logs = [f"2026-11-20T13:{m:02d}:10Z INFO checkout.api order placed" for m in range(40, 60)]
    for second in range(0, 50, 2):
        logs.extend(_traceback(f"2026-11-20T14:03:{second:02d}Z"))
    return {
        "deployment_id": "deploy-xyz",
        "service": "checkout-api",
        "deployed_at": "2026-11-20T14:02:00Z",
        "logs": logs,
        "metrics": {"error_rate": {"baseline": [0.01, 0.01, 0.012], "current": [0.2, 0.25, 0.22]}},
        "recent_commits": [
            {
                "sha": SHA_BAD,
                "message": "Rework cart totals",
                "timestamp": "2026-11-20T13:55:00Z",
                "files": [{"filename": "checkout/cart.py", "status": "modified", "patch": "+x"}],
            },
            {"sha": SHA_DOCS, "message": "Update runbook", "files": ["docs/runbook.md"]},
        ],
        "config_snapshot": {"database": {"pool_size": 50}},
    }


def test_agent_names_and_runtime_wiring() -> None:
    """The runtime registers the roster's specialists in display order."""
    runtime = build_runtime(agent_timeout=5.0)
    assert tuple(a.name for a in runtime.agents) == AGENT_NAMES
    assert AGENT_NAMES == (
        "LogAgent",
        "MetricsAgent",
        "CommitAgent",
        "ConfigAgent",
        "PlatformAgent",
        "TopologyAgent",
    )


async def test_investigate_small_payload_end_to_end() -> None:
    """The engine blames the commit that changed cart.py, with a summary and a rollback."""
    events: list[AgentEvent] = []
    payload = IncidentInput.model_validate(small_payload())
    result = await investigate(payload, subscribers=[events.append], gaps=["GitHub not configured"])
    top = result.ranked_hypotheses[0]
    assert top.category == "code_regression"
    assert top.suspects[0] == SHA_BAD
    assert {"LogAgent", "CommitAgent"} <= set(top.contributing_agents)
    assert all(o.status == AgentStatus.OK for o in result.agent_outcomes)
    assert all(SHA_DOCS not in h.suspects for h in result.ranked_hypotheses)
    assert "Roll back 9f3c2ab (deploy-xyz)" in result.next_actions
    assert result.summary and result.gaps == ["GitHub not configured"]
    assert events[-1].kind == EventKind.RUN_COMPLETED


async def test_two_agents_blaming_one_commit_merge_with_the_agreement_bonus() -> None:
    """LogAgent and CommitAgent blaming the same SHA merge into one ranked cause, +0.1."""
    s = Signals()
    s.exception("KeyError", "KeyError: 'sku'", ["/srv/app/checkout/cart.py"])
    s.commit(SHA_BAD, "Rework cart totals", code=["checkout/cart.py"])
    s.commit(SHA_DOCS, "Update runbook", docs=["docs/runbook.md"])
    signals = s.items

    def extractor(_: IncidentInput) -> list[Signal]:
        return signals

    runtime = AlphaRuntime(signal_extractor=extractor, post_aggregation=SynthesisAgent())
    runtime.register(LogAgent())
    runtime.register(CommitAgent())
    result = await runtime.execute(incident())
    confidences = [
        h.confidence for r in result.agent_results for h in r.hypotheses if SHA_BAD in h.suspects
    ]
    top = result.ranked_hypotheses[0]
    assert len(confidences) == 2
    assert sorted(top.contributing_agents) == ["CommitAgent", "LogAgent"]
    assert top.score == round(min(1.0, max(confidences) + 0.1), 6)
    assert len([h for h in result.ranked_hypotheses if SHA_BAD in h.suspects]) == 1
    assert result.rejections == []


class _EvidenceProbe(BaseAgent):
    """Records which evidence the SRE agents of a run would read."""

    def __init__(self, name: str, seen: list[Evidence]) -> None:
        self.name = name
        self.seen = seen

    async def run(self, context: AgentContext) -> AgentResult:
        self.seen.append(evidence_of(context))
        return AgentResult(agent_name=self.name)


async def test_the_evidence_index_is_built_once_per_run_and_shared() -> None:
    """The engine builds one Evidence per run from the run's typed signals; every agent of
    the run reads that one object (and its memo), a second run gets its own."""
    seen: list[Evidence] = []
    runtime = build_runtime(agent_timeout=5.0)
    runtime.register(_EvidenceProbe("ProbeA", seen))
    runtime.register(_EvidenceProbe("ProbeB", seen))
    payload = IncidentInput.model_validate(small_payload())
    result = await runtime.execute(payload)
    first, second = seen
    assert first is second and first.incident is payload
    indexed = {s.id for signals in first.by_type.values() for s in signals}
    assert indexed == {s.id for s in result.signals_used}
    assert "trouble" in first.memo  # filled by the specialists that ran beside the probes
    await runtime.execute(payload)
    assert seen[2] is seen[3] and seen[2] is not first


def test_evidence_of_a_bare_context_is_built_from_its_signals() -> None:
    """Outside the engine (no index, or another run's), an agent builds its own Evidence."""
    s = Signals()
    s.template("payment failed", hosts=["pay.internal"])
    case = incident()
    other = Evidence.build(s.items, incident())
    for index in (None, other, {"not": "evidence"}):
        context = AgentContext(signals=s.items, incident=case, signal_index=index)
        built = evidence_of(context)
        assert built is not other and built.incident is case
        assert [x.id for x in built.log_signals()] == ["sig_001"]


# Investigates every bundled scenario and prints the results without their clock readings.
_RESULTS_SCRIPT = """
import asyncio, json, sys
from sre.engine import investigate
from sre.scenarios import load_all
out = {}
for scenario in load_all():
    result = asyncio.run(investigate(scenario.incident, execution_id="x"))
    data = result.model_dump(mode="json", exclude={"execution_time_ms", "started_at"})
    for part in data["agent_outcomes"] + data["agent_results"]:
        del part["execution_time_ms"]
    out[scenario.name] = data
json.dump(out, sys.stdout)
"""


def test_investigations_do_not_depend_on_the_hash_seed() -> None:
    """Every bundled scenario gives byte-identical signals, ranking, summary and actions under
    two hash seeds: no set or dict iteration order leaks into the output."""
    runs = [
        subprocess.Popen(
            [sys.executable, "-c", _RESULTS_SCRIPT],
            env={**os.environ, "PYTHONHASHSEED": seed},
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        for seed in ("1", "2")
    ]
    outputs = [run.communicate(timeout=110) for run in runs]
    for run, (_, err) in zip(runs, outputs, strict=True):
        assert run.returncode == 0, err
    first, second = (out for out, _ in outputs)
    assert '"ranked_hypotheses": [{' in first
    assert first == second
