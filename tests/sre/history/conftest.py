"""Builders shared by the history store's tests."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from alpha.schemas import (
    AgentOutcome,
    AgentStatus,
    ExecutionResult,
    IncidentInput,
    RankedHypothesis,
    Signal,
    TokenUsage,
)
from sre.history.records import (
    FeedbackRecord,
    PayloadCaps,
    PayloadCuts,
    RunContext,
    RunRecord,
    RunSummary,
    StoredPayload,
    StoredRun,
)

T0 = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)


def ranked(
    label: str, category: str, suspects: list[str], score: float, rank: int
) -> RankedHypothesis:
    """A ranked hypothesis citing sig_001."""
    return RankedHypothesis(
        label=label,
        category=category,
        suspects=suspects,
        score=score,
        confidence=score,
        rank=rank,
        supporting_signals=["sig_001"],
        contributing_agents=["ConfigAgent"],
    )


def result(execution_id: str, deployment_id: str = "deploy-1", **extra: Any) -> ExecutionResult:
    """A small result: two ranked hypotheses, one signal, two agents (one fell back)."""
    values: dict[str, Any] = {
        "execution_id": execution_id,
        "deployment_id": deployment_id,
        "ranked_hypotheses": [
            ranked("pool_size lowered", "config_change", ["database.pool_size"], 0.9, 1),
            ranked("commit abc1234 regressed", "code_regression", ["abc1234"], 0.4, 2),
        ],
        "signals_used": [
            Signal(id="sig_001", type="config_change", description="pool 50 -> 5", source="config")
        ],
        "agent_outcomes": [
            AgentOutcome(
                agent_name="ConfigAgent",
                status=AgentStatus.OK,
                execution_time_ms=12.0,
                hypotheses_produced=1,
                hypotheses_accepted=1,
                usage=TokenUsage(prompt_tokens=100, completion_tokens=20, cost_usd=0.01, calls=1),
                model="m/one",
            ),
            AgentOutcome(
                agent_name="LogAgent",
                status=AgentStatus.TIMED_OUT,
                execution_time_ms=30000.0,
                reason="no answer in 30 s",
            ),
        ],
        "usage": TokenUsage(prompt_tokens=100, completion_tokens=20, cost_usd=0.01, calls=1),
        "execution_time_ms": 1500.0,
    }
    values.update(extra)
    return ExecutionResult(**values)


def incident(deployment_id: str = "deploy-1", **extra: Any) -> IncidentInput:
    """A small valid payload."""
    values: dict[str, Any] = {
        "deployment_id": deployment_id,
        "service": "checkout-api",
        "logs": ["2026-11-20T14:03:11Z ERROR pool exhausted"],
        "metrics": {"error_rate": [0.1, 0.2, 5.0]},
        "recent_commits": [{"sha": "abc1234def", "message": "Lower pool size"}],
        "config_snapshot": {"database": {"pool_size": 5}},
    }
    values.update(extra)
    return IncidentInput(**values)


def record(
    execution_id: str,
    *,
    deployment_id: str = "deploy-1",
    service: str | None = "checkout-api",
    started_at: datetime = T0,
    payload: bool = True,
    **context: Any,
) -> RunRecord:
    """A run record as `capture` would build it (already redacted)."""
    stored = None
    if payload:
        stored = StoredPayload(
            incident=incident(deployment_id),
            caps=PayloadCaps(),
            cuts=PayloadCuts(log_lines_total=1, original_bytes=300, stored_bytes=280),
            fingerprint="f" * 64,
        )
    return RunRecord(
        context=RunContext(trigger=context.pop("trigger", "cli"), **context),
        result=result(execution_id, deployment_id),
        payload=stored,
        service=service,
        started_at=started_at,
        finished_at=started_at + timedelta(seconds=2),
        engine_version="0.1.0+test",
    )


def feedback(execution_id: str, verdict: str = "wrong", **extra: Any) -> FeedbackRecord:
    """A verdict given now-ish."""
    values: dict[str, Any] = {
        "execution_id": execution_id,
        "verdict": verdict,
        "user": "U1",
        "created_at": T0 + timedelta(hours=1),
    }
    values.update(extra)
    return FeedbackRecord(**values)


def judged_run(*verdicts: dict[str, object]) -> StoredRun:
    """Run x1 (two ranked hypotheses) with these verdicts, oldest first."""
    res = result("x1")
    summary = RunSummary(
        execution_id="x1",
        trigger="cli",
        requested_by=None,
        origin=None,
        deployment_id="deploy-1",
        service=None,
        started_at=T0,
        finished_at=T0,
        engine_version="v",
        top_label=None,
        top_category=None,
        top_score=None,
        requires_human_review=False,
        cost_usd=None,
        total_tokens=0,
        slack_channel=None,
        slack_ts=None,
        slack_permalink=None,
        replay_of=None,
    )
    verdict_records = [feedback("x1", **v) for v in verdicts]
    return StoredRun(summary=summary, result=res, feedback=verdict_records)


@pytest.fixture
def clock() -> list[float]:
    """A settable wall clock for dedup claims: `clock[0]` is now, in seconds."""
    return [1_800_000_000.0]
