"""The agents' LLM reasoning mode: ask a model to refine the deterministic candidates.

    result = await refine(agent, context, candidates, session)      # once per agent

(`LLMMode`, `LLMSession` and `LLMSessions` live in `sre.llm.mode` and are re-exported here.)

The model is a reasoning module, not the system. Its answer is validated against
`LLMAnswer` (one repair call at most), every signal id it cites must exist, and the judge
still checks the result like any agent's. The model may re-score, correct and add
hypotheses but cannot delete rule findings: a candidate it did not restate is kept as the
rules stated it, so an injected "report nothing" in a log line cannot hide evidence.

Expected failures (timeouts, 429, 5xx, 401/402, invalid or truncated JSON, unknown
citations, the token cap, an open circuit breaker, the LLM deadline) return the
deterministic candidates with `fallback_reason` set and the run goes on; unexpected
exceptions propagate (the runtime records the agent as failed).

Timing: `LLMSession.deadline` bounds one agent's whole LLM work (all attempts and the
repair call). `sre.engine.build_runtime` sets it just below the agent timeout, so an agent
always falls back before the runtime's deadline would cut it off without an answer.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from alpha.agents.base import AgentContext, BaseAgent
from alpha.core.errors import (
    LLMError,
    LLMOutputError,
    LLMProviderError,
    LLMRateLimitError,
    LLMTimeoutError,
)
from alpha.llm.base import LLMClient
from alpha.llm.structured import complete_structured
from alpha.schemas import AgentResult, Hypothesis, TokenUsage
from sre.agents.base import AgentBrief
from sre.llm.answer import LLMAnswer
from sre.llm.breaker import CircuitBreaker
from sre.llm.mode import (
    DEADLINE_MARGIN,
    REPAIR_ATTEMPTS,
    ClientFactory,
    LLMMode,
    LLMSession,
    LLMSessions,
)
from sre.llm.prompt import Prompt, build_prompt
from sre.taxonomy import suspects_match
from sre.verdict import plural

# The brief of an agent that declares none (any BaseAgent can be refined).
GENERIC_BRIEF = AgentBrief("production incidents", ())

__all__ = [
    "DEADLINE_MARGIN",
    "ClientFactory",
    "LLMMode",
    "LLMSession",
    "LLMSessions",
    "describe_llm_error",
    "merge_answer",
    "refine",
]

# Statuses that mean the account, not the moment, is the problem: retrying will not help.
_ACCOUNT_STATUSES = frozenset({401, 402, 403})
_REASON_DETAIL = 200


# --------------------------------------------------------------------------- refine


class _Fallback(Exception):
    """An expected failure: the reason goes to `AgentResult.fallback_reason`."""

    def __init__(self, reason: str, usage: TokenUsage | None = None) -> None:
        super().__init__(reason)
        self.usage = usage


async def refine(
    agent: BaseAgent,
    context: AgentContext,
    candidates: Sequence[Hypothesis],
    session: LLMSession,
) -> AgentResult:
    """Ask the agent's model to refine `candidates`; fall back to them on expected failures.

    Args:
        agent: The agent (its `name` picks the brief and the model).
        context: The run's signals and incident; `progress` reports "asking <model>".
        candidates: The agent's deterministic hypotheses.
        session: The investigation's LLM session.

    Returns:
        The model's hypotheses merged with the candidates it did not restate, or the
        candidates with `fallback_reason` set; `usage` and `model` are recorded either way.
    """
    model = session.mode.model_for(agent)
    try:
        answer, usage = await _ask(agent, context, candidates, session, model)
    except _Fallback as fallback:
        reason = f"{fallback}; deterministic analysis used"
        context.progress(f"fallback: {reason}")
        return _result(agent, candidates, model, fallback.usage, fallback_reason=reason)
    hypotheses = merge_answer(answer, candidates)
    kept = len(hypotheses) - len(answer.hypotheses)
    given = plural(len(answer.hypotheses), "hypothesis", "hypotheses")
    rule_findings = plural(kept, "rule finding")
    context.progress(f"{model}: {given}, {rule_findings} kept")
    notes = [f"{model} gave {given}; {rule_findings} kept"]
    return _result(agent, hypotheses, model, usage, notes=notes)


async def _ask(
    agent: BaseAgent,
    context: AgentContext,
    candidates: Sequence[Hypothesis],
    session: LLMSession,
    model: str,
) -> tuple[LLMAnswer, TokenUsage]:
    """One agent's LLM exchange; raises `_Fallback` with the reason on expected failures."""
    brief = getattr(agent, "brief", GENERIC_BRIEF)
    prompt = build_prompt(
        agent_name=agent.name,
        role=brief.role,
        signals=context.signals,
        incident=context.incident,
        candidates=candidates,
        sources=brief.sources,
        redactor=session.redactor,
        budget_tokens=session.mode.prompt_budget,
    )
    session.prompts.append((agent.name, prompt))
    breaker = session.breaker
    if not breaker.allow():
        raise _Fallback(
            f"LLM provider paused after {breaker.consecutive_failures} consecutive failures "
            f"(circuit open, retry in {breaker.retry_in():.0f} s)"
        )
    reserved = session.reservation(prompt)
    if not session.cap.reserve(reserved, agent.name):
        breaker.release()
        raise _Fallback(
            f"investigation token cap of {session.cap.limit:,} reached "
            f"({session.cap.remaining:,} left, this call needs up to {reserved:,})"
        )
    context.progress(f"asking {model}")
    try:
        client = session.mode.client_factory(model)
    except BaseException:
        # A bad model id or setting: not the provider's failure; free what was taken.
        breaker.release()
        session.cap.settle(reserved, 0)
        raise
    deadline = asyncio.timeout(session.deadline)
    try:
        async with deadline:
            answer = await complete_structured(
                client, prompt.system, prompt.user, LLMAnswer, repair_attempts=REPAIR_ATTEMPTS
            )
    except TimeoutError:
        if not deadline.expired():
            raise
        breaker.record_failure()
        reason = f"LLM {model} gave no answer within {session.deadline:g} s"
        raise _Fallback(reason, client.usage) from None
    except LLMError as exc:
        _record(breaker, exc)
        raise _Fallback(describe_llm_error(exc, model), client.usage) from None
    finally:
        breaker.release()
        session.cap.settle(reserved, _spent(client.usage, prompt, session))
        await _close(client)
    breaker.record_success()
    known = {signal.id for signal in context.signals}
    unknown = sorted({sid for h in answer.hypotheses for sid in h.supporting_signals} - known)
    if unknown:
        shown = ", ".join(unknown[:5]) + (
            f" (+{len(unknown) - 5} more)" if len(unknown) > 5 else ""
        )
        raise _Fallback(f"answer cited unknown signals: {shown}", client.usage)
    return answer, client.usage


def _spent(usage: TokenUsage, prompt: Prompt, session: LLMSession) -> int:
    """Tokens to charge: the provider's count, else our estimate for each call made."""
    if usage.total_tokens > 0:
        return usage.total_tokens
    return usage.calls * session.call_tokens(prompt)


def _record(breaker: CircuitBreaker, exc: LLMError) -> None:
    """Count a provider failure; a bad answer means the provider is up."""
    if isinstance(exc, LLMOutputError):
        breaker.record_success()
        return
    status = exc.status if isinstance(exc, LLMProviderError) else None
    breaker.record_failure(fatal=status in _ACCOUNT_STATUSES)


async def _close(client: LLMClient) -> None:
    """Close a client's connection pool when it has one (clients built per call)."""
    close = getattr(client, "aclose", None)
    if close is not None:
        await close()


def describe_llm_error(exc: LLMError, model: str) -> str:
    """A short human reason for an LLM failure ("LLM out of credit (HTTP 402)")."""
    detail = _clip(str(exc))
    if isinstance(exc, LLMTimeoutError):
        return f"LLM {model} timed out ({detail})"
    if isinstance(exc, LLMRateLimitError):
        wait = f", asked to wait {exc.retry_after:g} s" if exc.retry_after is not None else ""
        return f"LLM {model} rate-limited (HTTP 429{wait})"
    if isinstance(exc, LLMProviderError):
        status = exc.status
        if status == 402:
            return f"LLM out of credit (HTTP 402) for {model}"
        if status in (401, 403):
            return f"LLM key refused (HTTP {status}) for {model}"
        return f"LLM {model} provider error (HTTP {status}): {detail}"
    if isinstance(exc, LLMOutputError):
        return f"LLM {model} answer unusable after {REPAIR_ATTEMPTS} repair: {detail}"
    return f"LLM {model} failed: {detail}"


def _clip(text: str) -> str:
    one_line = " ".join(text.split())
    return one_line if len(one_line) <= _REASON_DETAIL else one_line[: _REASON_DETAIL - 1] + "…"


# --------------------------------------------------------------------------- merging


def merge_answer(answer: LLMAnswer, candidates: Sequence[Hypothesis]) -> list[Hypothesis]:
    """The model's hypotheses, then each candidate the model did not restate.

    A candidate is restated when a model hypothesis has its category and shares a suspect
    with it (or both name none). A model hypothesis records `llm.refine` and the rules of
    the candidates it restates. Pure.
    """
    refined = []
    for answered in answer.hypotheses:
        model = answered.to_hypothesis()
        rules = [r for c in candidates if _restates(model, c) for r in c.rules]
        refined.append(
            model.model_copy(update={"rules": list(dict.fromkeys(["llm.refine", *rules]))})
        )
    kept = [c for c in candidates if not any(_restates(h, c) for h in refined)]
    return refined + kept


def _restates(model: Hypothesis, candidate: Hypothesis) -> bool:
    if model.category != candidate.category:
        return False
    if not model.suspects and not candidate.suspects:
        return True
    return any(suspects_match(a, b) for a in model.suspects for b in candidate.suspects)


def _result(
    agent: BaseAgent,
    hypotheses: Sequence[Hypothesis],
    model: str,
    usage: TokenUsage | None,
    *,
    fallback_reason: str | None = None,
    notes: list[str] | None = None,
) -> AgentResult:
    used = list(dict.fromkeys(s for h in hypotheses for s in h.supporting_signals))
    return AgentResult(
        agent_name=agent.name,
        hypotheses=list(hypotheses),
        signals_used=used,
        notes=notes or [],
        fallback_reason=fallback_reason,
        usage=usage,
        model=model,
    )
