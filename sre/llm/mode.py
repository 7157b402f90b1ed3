"""The LLM mode's state: process-level configuration and per-investigation sessions.

    mode = configured_mode(required=False)                           # once per process
    sessions = LLMSessions(mode, deadline=29.0)                     # once per runtime
    session = sessions.for_incident(incident)                       # one per investigation

`LLMMode` holds what lives as long as the process: the client factory, the per-agent
models, the limits and the circuit breakers (one per provider). An `LLMSession` holds what
belongs to one investigation: the token cap and the redactor (placeholders stay stable
across that investigation's agents). `LLMSessions` gives each investigation its own session
even when one runtime serves many, concurrently or not: sessions are keyed by the incident
object the agents receive, and dropped when that object is.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from alpha.core.errors import ConfigurationError
from alpha.core.http import NetworkPolicy
from alpha.llm.base import LLMClient
from alpha.schemas import IncidentInput, TokenUsage
from sre.agents.roster import AGENT_NAMES
from sre.llm.breaker import BreakerBoard, CircuitBreaker
from sre.llm.budget import TokenCap
from sre.llm.prompt import Prompt
from sre.llm.settings import (
    DEFAULT_COMPLETION_TOKENS,
    DEFAULT_DEADLINE,
    DEFAULT_PROMPT_BUDGET,
    DEFAULT_TOKEN_CAP,
    ReasoningSettings,
    load_settings,
)
from sre.redaction import Redactor
from sre.redaction.boundary import IncidentRedactors

if TYPE_CHECKING:
    from alpha.agents.base import BaseAgent
    from alpha.llm.settings import LLMSettings

ClientFactory = Callable[[str], LLMClient]
"""Builds a fresh client for a model id (one per call, so usage is attributed per agent)."""

REPAIR_ATTEMPTS = 1
# Extra prompt tokens of a repair call: the previous answer (<= 2,000 chars) and the error.
_REPAIR_OVERHEAD = 1_200
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
    token_cap: int = DEFAULT_TOKEN_CAP
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
        network: NetworkPolicy | None = None,
    ) -> LLMMode:
        """The mode for the configured endpoint (OpenRouter or any OpenAI-compatible one).

        Args:
            llm: Endpoint, key, per-attempt timeout and retries.
            reasoning: Per-agent models, budget, cap, deadline, breaker policy.
            sleep: How the client waits between attempts (tests record instead of waiting).
            network: Proxies and CA bundle of the process (`alpha.core.http`).
        """
        from alpha.llm.openrouter import OpenRouterClient

        def factory(model: str) -> LLMClient:
            client = OpenRouterClient.from_settings(llm, model=model, sleep=sleep, network=network)
            client.max_tokens = reasoning.max_completion_tokens
            return client

        models = {n: m for n in AGENT_NAMES if (m := reasoning.model_override(n)) is not None}
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

    @classmethod
    def for_client(cls, client: LLMClient) -> LLMMode:
        """A mode that asks one given client (the design's `LogAgent(llm=client)` form).

        Every call goes to `client`; each call's usage is attributed to the agent that made
        it (read from the client's `last_usage`), and the client is never closed by us.
        """
        return cls(
            client_factory=lambda _model: _SharedClient(client),
            provider=getattr(client, "base_url", None) or type(client).__name__,
            default_model=client.model or None,
        )

    def model_for(self, agent: BaseAgent) -> str:
        """The model this agent uses: its override, the global model, else its own."""
        chosen = self.models.get(agent.name) or self.default_model or agent.model
        if not chosen:
            return "default"
        return chosen

    def session(
        self, *, deadline: float | None = None, redactor: Redactor | None = None
    ) -> LLMSession:
        """Per-investigation state: a redactor and token cap, this process's breaker.

        Args:
            deadline: Seconds for one agent's LLM work in this run (default: the mode's).
            redactor: The investigation's redactor (a fresh one when None).
        """
        return LLMSession(
            mode=self,
            redactor=redactor if redactor is not None else Redactor(),
            cap=TokenCap(self.token_cap),
            breaker=self.breakers.for_provider(self.provider),
            deadline=self.deadline if deadline is None else deadline,
        )


class _SharedClient(LLMClient):
    """A per-call view of a shared client: its own usage, no `aclose` (the owner closes)."""

    def __init__(self, client: LLMClient) -> None:
        super().__init__()
        self._client = client
        self.model = client.model

    async def complete(self, system: str, user: str) -> str:
        before = self._client.usage
        try:
            return await self._client.complete(system, user)
        finally:
            self._count(before)

    async def complete_json(self, system: str, user: str, schema: dict[str, object]) -> str:
        before = self._client.usage
        try:
            return await self._client.complete_json(system, user, schema)
        finally:
            self._count(before)

    def _count(self, before: TokenUsage) -> None:
        """Add what the shared client spent on this call (its total grew by exactly that)."""
        after = self._client.usage
        spent = TokenUsage(
            prompt_tokens=after.prompt_tokens - before.prompt_tokens,
            completion_tokens=after.completion_tokens - before.completion_tokens,
            cost_usd=None if after.cost_usd is None else after.cost_usd - (before.cost_usd or 0.0),
            calls=after.calls - before.calls,
        )
        self.usage = self.usage.add(spent)
        self.last_usage = spent


def configured_mode(*, required: bool, network: NetworkPolicy | None = None) -> LLMMode | None:
    """The process's LLM mode from the environment and `.env` (call once, at an entry point).

    Args:
        required: Whether a missing endpoint is an error (`alpha --llm`) or means "no LLM"
            (the bot, which uses an LLM only when one is configured).

        network: Proxies and CA bundle (read from the environment when None).

    Raises:
        ConfigurationError: a malformed setting, or no endpoint while `required`.
    """
    llm, reasoning = load_settings()
    if not llm.configured:
        if required:
            raise ConfigurationError(
                "--llm needs OPENROUTER_API_KEY or ALPHA_LLM_BASE_URL (see .env.example)"
            )
        return None
    return LLMMode.from_settings(
        llm, reasoning, network=network or NetworkPolicy.from_environment()
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

    def for_incident(self, incident: IncidentInput) -> LLMSession:
        """This session, whatever the incident (a fixed session serves one investigation)."""
        return self

    def call_tokens(self, prompt: Prompt) -> int:
        """Estimated tokens of one call: the prompt and a full-length answer."""
        return prompt.estimated_tokens + self.mode.completion_tokens

    def reservation(self, prompt: Prompt) -> int:
        """Worst-case tokens of one agent's calls: the first answer and one repair."""
        per_call = self.call_tokens(prompt)
        return per_call + REPAIR_ATTEMPTS * (per_call + _REPAIR_OVERHEAD)


class LLMSessions:
    """One `LLMSession` per investigation for the agents of one runtime.

    Args:
        mode: The process's LLM mode.
        deadline: Seconds for one agent's LLM work (default: the mode's).
        redactors: Each investigation's redactor (`sre.redaction.boundary`), shared with
            the engine's signal redaction; each session gets a fresh one when None.
    """

    def __init__(
        self,
        mode: LLMMode,
        *,
        deadline: float | None = None,
        redactors: IncidentRedactors | None = None,
    ) -> None:
        self.mode = mode
        self.deadline = deadline
        self.redactors = redactors
        self._sessions: dict[int, tuple[weakref.ref[IncidentInput], LLMSession]] = {}

    def for_incident(self, incident: IncidentInput) -> LLMSession:
        """The session of the investigation of this incident object (created on first use)."""
        key = id(incident)
        entry = self._sessions.get(key)
        if entry is not None and entry[0]() is incident:
            return entry[1]
        redactor = self.redactors.for_incident(incident) if self.redactors else None
        session = self.mode.session(deadline=self.deadline, redactor=redactor)

        def forget(_ref: object, key: int = key) -> None:
            self._sessions.pop(key, None)

        self._sessions[key] = (weakref.ref(incident, forget), session)
        return session

    def __len__(self) -> int:
        return len(self._sessions)
