"""One investigation as Slack sees it: post a message, gather data, run, edit, reply.

The runner knows nothing of HTTP or Bolt: it receives its collaborators (`Services`) so the
payload source and the engine can be swapped (the real assembler and `sre.engine` in
production; loopback-backed ones in tests and the load benchmark).
"""

from __future__ import annotations

import asyncio
import functools
import json
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient
from slack_sdk.web.async_slack_response import AsyncSlackResponse

from alpha.core.errors import AlphaError
from alpha.core.events import EventSubscriber
from alpha.schemas import AgentEvent, ExecutionResult, IncidentInput
from bot.blocks import Message, code, render_error, render_final, render_progress, render_signals
from bot.investigations import Slot
from bot.progress import RunView
from bot.publisher import Clock, PublisherStats, Sleep, ThrottledPublisher
from sre.redaction import one_line, redact

log = logging.getLogger(__name__)


class AssemblyLike(Protocol):
    """What `sre.integrations.assembler.Assembly` provides to the bot."""

    @property
    def incident(self) -> IncidentInput | None: ...
    @property
    def gaps(self) -> list[str]: ...
    @property
    def error(self) -> str | None: ...


AssembleFn = Callable[[str], Awaitable[AssemblyLike]]


class Engine(Protocol):
    """Runs one investigation (`AlphaRuntime.execute` or `sre.engine.investigate`)."""

    def __call__(
        self,
        incident: IncidentInput,
        *,
        subscribers: Sequence[EventSubscriber],
        gaps: Sequence[str],
    ) -> Awaitable[ExecutionResult]: ...


TargetKind = Literal["deployment", "sentry_issue"]
_KIND_NAMES: dict[TargetKind, str] = {"deployment": "deployment", "sentry_issue": "Sentry issue"}


@dataclass(frozen=True)
class Target:
    """What to investigate: a deployment id or a Sentry issue id."""

    kind: TargetKind
    id: str

    @functools.cached_property
    def shown_id(self) -> str:
        """The id as it may be shown: redacted, on one line (it was typed or sent to us)."""
        return one_line(redact(self.id))

    @property
    def title(self) -> str:
        """How the message names it (escaped, ready for mrkdwn)."""
        return f"{_KIND_NAMES[self.kind]} {code(self.shown_id)}"

    @property
    def plain_title(self) -> str:
        """The same for plain-text headers, where backticks would show literally."""
        return f"{_KIND_NAMES[self.kind]} {self.shown_id}"

    def to_value(self) -> str:
        """The Rerun button's value."""
        return json.dumps({"kind": self.kind, "id": self.id})

    @classmethod
    def from_value(cls, value: str) -> Target | None:
        """Parse a Rerun button's value; None when it is not one of ours."""
        try:
            data = json.loads(value)
        except ValueError:
            return None
        if not isinstance(data, dict):
            return None
        kind, ident = data.get("kind"), data.get("id")
        if kind not in ("deployment", "sentry_issue") or not isinstance(ident, str) or not ident:
            return None
        return cls(kind=kind, id=ident)


@dataclass
class Services:
    """The runner's collaborators.

    Args:
        assemble_deployment: deployment id -> Assembly (the real assembler by default).
        assemble_sentry_issue: Sentry issue id -> Assembly.
        engine: runs the investigation with event subscribers.
        agent_names: panels shown before the first event, in display order.
        update_interval: seconds between two edits of one message.
        clock: monotonic clock for the publisher's throttle.
        sleep: the publisher's sleep, injected with `clock`.
    """

    assemble_deployment: AssembleFn
    assemble_sentry_issue: AssembleFn
    engine: Engine
    agent_names: Sequence[str] = ()
    update_interval: float = 1.0
    clock: Clock = time.monotonic
    sleep: Sleep = asyncio.sleep


PostFailure = Callable[[str], Awaitable[None]]

# How long a shutting-down bot spends telling a channel that its run was cancelled.
CANCEL_NOTICE_TIMEOUT_S = 2.0


class InvestigationRunner:
    """Runs investigations into Slack messages.

    Args:
        services: payload sources, engine and timing.
        client: Web API client for posts (may retry 429s itself).
        update_client: Web API client for `chat.update` (no 429 retry handler: the
            publisher honours `Retry-After` itself and sends the newest state).
    """

    def __init__(
        self, services: Services, client: AsyncWebClient, update_client: AsyncWebClient
    ) -> None:
        self.services = services
        self.client = client
        self.update_client = update_client
        # The publishers' statistics, kept for the load benchmark and for tests.
        self.publisher_stats: list[PublisherStats] = []

    async def run(
        self,
        slot: Slot,
        target: Target,
        *,
        channel: str,
        thread_ts: str | None = None,
        on_post_failure: PostFailure | None = None,
    ) -> None:
        """Post the message, wait for a slot, investigate, publish the final state.

        Args:
            slot: the manager's concurrency slot for this job.
            target: what to investigate.
            channel: where to post.
            thread_ts: post in this thread (alert triage), else at the channel's top level.
            on_post_failure: told the Slack error code if the first post fails (e.g.
                `not_in_channel`), so the requester can be answered another way.
        """
        view = RunView(title=target.plain_title, agent_names=self.services.agent_names)
        view.phase = "queued" if slot.would_wait else "gathering"
        first = render_progress(view)
        try:
            posted = await self._post(channel, thread_ts, first)
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as error:
            code_ = _slack_error_code(error)
            log.warning("could not post in %s: %s", channel, code_)
            if on_post_failure is not None:
                await on_post_failure(code_)
            return
        ts = str(posted["ts"])
        publisher = ThrottledPublisher(
            self.update_client,
            channel,
            ts,
            interval=self.services.update_interval,
            clock=self.services.clock,
            sleep=self.services.sleep,
        )
        self.publisher_stats.append(publisher.stats)
        result: ExecutionResult | None = None
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(publisher.run())
                result = await self._investigate(slot, target, view, publisher)
        except asyncio.CancelledError:
            await self._say_cancelled(channel, ts, target)
            raise
        if result is not None:
            await self._post_signals(channel, thread_ts or ts, result)

    async def _investigate(
        self, slot: Slot, target: Target, view: RunView, publisher: ThrottledPublisher
    ) -> ExecutionResult | None:
        try:
            async with slot:
                view.phase = "gathering"
                publisher.submit(render_progress(view))
                assemble = (
                    self.services.assemble_deployment
                    if target.kind == "deployment"
                    else self.services.assemble_sentry_issue
                )
                assembly = await assemble(target.id)
                if assembly.incident is None:
                    error = assembly.error or "nothing could be assembled"
                    publisher.finish(render_error(target.plain_title, error, assembly.gaps))
                    return None

                def on_event(event: AgentEvent) -> None:
                    view.apply(event)
                    publisher.submit(render_progress(view))

                result = await self.services.engine(
                    assembly.incident, subscribers=[on_event], gaps=assembly.gaps
                )
        except AlphaError as error:
            # Expected failures (a payload that breaks the contract, an integration error)
            # have messages written for people; redacted because they may quote the payload.
            log.warning("investigation of %s %r failed: %s", target.kind, target.id, error)
            publisher.finish(render_error(target.plain_title, redact(str(error))))
            return None
        except Exception:
            # Unexpected: keep the traceback in the logs (and Sentry), tell the channel
            # plainly, and never show a traceback to the user.
            log.exception("investigation of %s %r failed", target.kind, target.id)
            publisher.finish(
                render_error(target.plain_title, "internal error; the bot's logs have details")
            )
            return None
        publisher.finish(
            render_final(result, title=target.plain_title, rerun_value=target.to_value())
        )
        return result

    async def _say_cancelled(self, channel: str, ts: str, target: Target) -> None:
        """Best effort, bounded: leave the message saying the run stopped, not "running"."""
        message = render_error(target.plain_title, "cancelled: the bot was stopped; use Rerun")
        try:
            async with asyncio.timeout(CANCEL_NOTICE_TIMEOUT_S):
                await self.update_client.chat_update(
                    channel=channel, ts=ts, text=message.text, blocks=message.blocks
                )
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as error:
            log.warning(
                "could not mark %s/%s as cancelled: %s", channel, ts, _slack_error_code(error)
            )

    async def _post(
        self, channel: str, thread_ts: str | None, message: Message
    ) -> AsyncSlackResponse:
        """`chat.postMessage` of a rendered message, links never unfurled."""
        return await self.client.chat_postMessage(
            channel=channel,
            thread_ts=thread_ts,
            text=message.text,
            blocks=message.blocks,
            unfurl_links=False,
            unfurl_media=False,
        )

    async def _post_signals(self, channel: str, thread_ts: str, result: ExecutionResult) -> None:
        for message in render_signals(result.signals_used):
            try:
                await self._post(channel, thread_ts, message)
            except (SlackApiError, aiohttp.ClientError, TimeoutError) as error:
                log.warning("signal list not posted: %s", _slack_error_code(error))
                return


def _slack_error_code(error: Exception) -> str:
    """Slack's error code (`not_in_channel`, ...) or the kind of transport failure."""
    if isinstance(error, SlackApiError):
        return str(error.response.get("error") or error.response.status_code)
    return type(error).__name__
