"""The agents' LLM reasoning mode: ask a model to refine the deterministic candidates.

    mode = LLMMode.from_settings(llm_settings, reasoning_settings)   # once per process
    session = mode.session()                                        # once per investigation
    result = await refine(agent, context, candidates, session)      # once per agent

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
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from alpha.agents.base import AgentContext, BaseAgent
from alpha.errors import (
    LLMError,
    LLMOutputError,
    LLMProviderError,
    LLMRateLimitError,
    LLMTimeoutError,
)
from alpha.llm.base import LLMClient
from alpha.llm.structured import complete_structured
from alpha.schemas import AgentResult, Hypothesis, TokenUsage
from alpha.taxonomy import suspects_match
from sre.llm.answer import LLMAnswer
from sre.llm.breaker import BreakerBoard, CircuitBreaker
from sre.llm.budget import TokenCap
from sre.llm.prompt import DEFAULT_PROMPT_BUDGET, Prompt, brief_for, build_prompt
from sre.redaction import Redactor

if TYPE_CHECKING:
    from alpha.llm.settings import LLMSettings
    from sre.llm.settings import ReasoningSettings

ClientFactory = Callable[[str], LLMClient]
"""Builds a fresh client for a model id (one per call, so usage is attributed per agent)."""

REPAIR_ATTEMPTS = 1
DEFAULT_DEADLINE = 45.0
DEFAULT_COMPLETION_TOKENS = 1_500
# Extra prompt tokens of a repair call: the previous answer (<= 2,000 chars) and the error.
_REPAIR_OVERHEAD = 1_200
# Statuses that mean the account, not the moment, is the problem: retrying will not help.
_ACCOUNT_STATUSES = frozenset({401, 402, 403})
_REASON_DETAIL = 200
# Seconds kept between the LLM deadline and the agent's timeout for the fallback itself.
DEADLINE_MARGIN = 1.0


@dataclass
class LLMMode:
    """Process-level LLM configuration: client factory, per-agent models, breakers.

    Args:
        client_factory: Builds a client for a model id.
        provider: The provider's base URL (names the circuit breaker).
        models: Per-agent model overrides (agent name -> model id).
        default_model: The model for every agent without an override (`ALPHA_LLM_MODEL`);
            None lets each agent's own `model` attribute decide.
        prompt_budget: Estimated tokens a prompt may take.
        token_cap: Tokens one investigation may spend.
        completion_tokens: The completion limit sent with each call (counted in the cap).
        deadline: Seconds one agent's LLM work may take, repair call included.
        breakers: The process's breakers, one per provider.
    """

    client_factory: ClientFactory
    provider: str = "llm"
    models: dict[str, str] = field(default_factory=dict)
    default_model: str | None = None
    prompt_budget: int = DEFAULT_PROMPT_BUDGET
    token_cap: int = 100_000
    completion_tokens: int = DEFAULT_COMPLETION_TOKENS
    deadline: float = DEFAULT_DEADLINE
    breakers: BreakerBoard = field(default_factory=BreakerBoard)

    @classmethod
    def from_settings(
        cls,
        llm: LLMSettings,
        reasoning: ReasoningSettings,
        *,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
    ) -> LLMMode:
        """The mode for the configured endpoint (OpenRouter or any OpenAI-compatible one).

        Args:
            llm: Endpoint, key, per-attempt timeout and retries.
            reasoning: Per-agent models, budget, cap, deadline, breaker policy.
            sleep: How the client waits between attempts (tests record instead of waiting).
        """
        from alpha.llm.openrouter import OpenRouterClient

        def factory(model: str) -> LLMClient:
            return OpenRouterClient(
                model,
                sleep=sleep,
                api_key=llm.api_key(),
                base_url=llm.base_url,
                timeout=llm.timeout,
                retries=llm.retries,
                max_retry_after=llm.max_retry_after,
                max_tokens=reasoning.max_completion_tokens,
                app_url=llm.app_url,
                app_title=llm.app_title,
            )

        names = ("LogAgent", "MetricsAgent", "CommitAgent", "ConfigAgent")
        models = {n: m for n in names if (m := reasoning.model_override(n)) is not None}
        return cls(
            client_factory=factory,
            provider=llm.effective_base_url,
            models=models,
            default_model=(llm.model or "").strip() or None,
            prompt_budget=reasoning.prompt_budget,
            token_cap=reasoning.token_cap,
            completion_tokens=reasoning.max_completion_tokens,
            deadline=reasoning.deadline,
            breakers=BreakerBoard(reasoning.breaker_failures, reasoning.breaker_cooldown),
        )

    def model_for(self, agent: BaseAgent) -> str:
        """The model this agent uses: its override, the global model, else its own."""
        chosen = self.models.get(agent.name) or self.default_model or agent.model
        if not chosen:
            return "default"
        return chosen

    def session(self, *, deadline: float | None = None) -> LLMSession:
        """Per-investigation state: a fresh redactor and token cap, this process's breaker.

        Args:
            deadline: Seconds for one agent's LLM work in this run (default: the mode's).
        """
        return LLMSession(
            mode=self,
            redactor=Redactor(),
            cap=TokenCap(self.token_cap),
            breaker=self.breakers.for_provider(self.provider),
            deadline=self.deadline if deadline is None else deadline,
        )


@dataclass
class LLMSession:
    """The LLM state of one investigation, shared by its agents."""

    mode: LLMMode
    redactor: Redactor
    cap: TokenCap
    breaker: CircuitBreaker
    deadline: float
    prompts: list[tuple[str, Prompt]] = field(default_factory=list)

    def reservation(self, prompt: Prompt) -> int:
        """Worst-case tokens of one agent's calls: the first answer and one repair."""
        per_call = prompt.estimated_tokens + self.mode.completion_tokens
        return per_call + REPAIR_ATTEMPTS * (per_call + _REPAIR_OVERHEAD)


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
    context.progress(
        f"{model}: {len(answer.hypotheses)} hypothesis(es), {kept} rule finding(s) kept"
    )
    notes = [f"{model} gave {len(answer.hypotheses)} hypothesis(es); {kept} rule finding(s) kept"]
    return _result(agent, hypotheses, model, usage, notes=notes)


async def _ask(
    agent: BaseAgent,
    context: AgentContext,
    candidates: Sequence[Hypothesis],
    session: LLMSession,
    model: str,
) -> tuple[LLMAnswer, TokenUsage]:
    """One agent's LLM exchange; raises `_Fallback` with the reason on expected failures."""
    brief = brief_for(agent.name)
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
    return usage.calls * (prompt.estimated_tokens + session.mode.completion_tokens)


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
    with it (or both name none). Pure.
    """
    refined = [h.to_hypothesis() for h in answer.hypotheses]
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
