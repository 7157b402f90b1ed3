"""Production wiring: the real assembler (Sentry + GitHub) and the SRE engine.

Imported lazily so that the bot's own modules (and its tests) do not depend on the SRE
vertical being importable at that moment. With a `Worker`, assembling and investigating
run on its loop, off the bot's (see `bot.worker`).
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, cast

from alpha.core.events import EventSubscriber
from alpha.core.http import NetworkPolicy
from alpha.schemas import ExecutionResult, IncidentInput
from bot.runner import AssemblyLike, Services
from bot.settings import BotSettings
from bot.worker import Worker, relay

if TYPE_CHECKING:
    from sre.integrations.assembler import SourceProgress


def live_sources(integration_settings: Any) -> list[str]:
    """The live sources whose settings are complete, e.g. `["GitHub", "Sentry"]`."""
    names = []
    if not integration_settings.missing_github():
        names.append("GitHub")
    if not integration_settings.missing_sentry():
        names.append("Sentry")
    return names


def default_services(
    settings: BotSettings,
    integration_settings: Any,
    *,
    llm: Any = None,
    worker: Worker | None = None,
    network: NetworkPolicy | None = None,
) -> Services:
    """Services backed by `sre.integrations.assembler` and `sre.engine.build_runtime`.

    Args:
        settings: the bot's settings (agent timeout, update interval).
        integration_settings: an `sre.integrations.settings.IntegrationSettings`, read once
            at the entry point.
        llm: an `sre.llm.mode.LLMMode` when an LLM is configured, else None (deterministic
            analysis). One runtime serves concurrent investigations: each gets its own
            token cap and redactor, and the process shares the circuit breakers.
        worker: when given (production), assembling and investigating run on its loop;
            without, on the caller's loop.
        network: proxies and CA bundle of the live sources (the environment's when None).
    """
    from sre.agents.roster import AGENT_NAMES
    from sre.engine import build_runtime
    from sre.integrations.assembler import assemble, assemble_from_sentry_issue
    from sre.redaction import Redactor
    from sre.redaction.boundary import IncidentRedactors, RedactingSubscriber, redact_result

    redactors = IncidentRedactors()
    runtime = build_runtime(agent_timeout=settings.agent_timeout_s, llm=llm, redactors=redactors)

    async def assemble_deployment(deployment_id: str, *, progress: SourceProgress) -> AssemblyLike:
        assembly = await assemble(
            deployment_id, integration_settings, network=network, progress=progress
        )
        return cast(AssemblyLike, assembly)

    async def assemble_issue(issue_id: str, *, progress: SourceProgress) -> AssemblyLike:
        assembly = await assemble_from_sentry_issue(
            issue_id, integration_settings, network=network, progress=progress
        )
        return cast(AssemblyLike, assembly)

    async def engine(
        incident: IncidentInput,
        *,
        subscribers: Sequence[EventSubscriber],
        gaps: Sequence[str],
    ) -> ExecutionResult:
        # One redactor per investigation: it learns the payload, redacts the signals as
        # they are extracted, the prompts, the live events and the final result.
        redactor = Redactor()
        await asyncio.to_thread(redactors.register, incident, redactor)
        shown = [RedactingSubscriber(subscriber, redactor) for subscriber in subscribers]
        result = await runtime.execute(incident, subscribers=shown, gaps=gaps)
        return await asyncio.to_thread(redact_result, result, redactor, single_line=True)

    services = Services(
        assemble_deployment=assemble_deployment,
        assemble_sentry_issue=assemble_issue,
        engine=engine,
        live_sources=live_sources(integration_settings),
        agent_names=list(AGENT_NAMES),
        update_interval=settings.update_interval_s,
    )
    return on_worker(services, worker) if worker is not None else services


def on_worker(services: Services, worker: Worker) -> Services:
    """The same services with assembling and investigating run on `worker`'s loop.

    The runner's event subscribers are synchronous and belong to the bot's loop: each event
    is relayed back there (`bot.worker.relay`). The sources' `progress` goes as it is: a
    `SourceProgress` is thread-safe by contract (PyGithub's threads call it too), and the
    runner's hands every word to its own loop.
    """

    async def assemble_deployment(deployment_id: str, *, progress: SourceProgress) -> AssemblyLike:
        return await worker.run(services.assemble_deployment(deployment_id, progress=progress))

    async def assemble_sentry_issue(issue_id: str, *, progress: SourceProgress) -> AssemblyLike:
        return await worker.run(services.assemble_sentry_issue(issue_id, progress=progress))

    async def engine(
        incident: IncidentInput,
        *,
        subscribers: Sequence[EventSubscriber],
        gaps: Sequence[str],
    ) -> ExecutionResult:
        relayed = [relay(subscriber) for subscriber in subscribers]
        return await worker.run(services.engine(incident, subscribers=relayed, gaps=gaps))

    return replace(
        services,
        assemble_deployment=assemble_deployment,
        assemble_sentry_issue=assemble_sentry_issue,
        engine=engine,
    )
