"""One investigation as Slack sees it: post a message, gather data, run, edit, reply.

The runner knows nothing of HTTP or Bolt: it receives its collaborators (`Services`) so the
payload source and the engine can be swapped (the real assembler and `sre.engine` in
production; loopback-backed ones in tests and the load benchmark).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from alpha.core.errors import AlphaError
from alpha.core.events import EventSubscriber
from alpha.schemas import AgentEvent, ExecutionResult, IncidentInput
from bot.blocks import (
    MAX_BLOCKS,
    Message,
    code,
    render_error,
    render_final,
    render_progress,
    render_signals,
)
from bot.investigations import Slot
from bot.progress import MAX_SOURCE_MESSAGE, RunView
from bot.publisher import FINAL_DEADLINE_S, Clock, PublisherStats, Sleep, ThrottledPublisher
from bot.slack_calls import SlackCallFailed, slack_call
from bot.targets import Target
from sre.history.records import RunContext
from sre.redaction import one_line, redact
from sre.references import References, from_payload
from sre.scenarios import incident_b

if TYPE_CHECKING:
    from bot.history import BotHistory
    from sre.integrations.assembler import SourceProgress

log = logging.getLogger(__name__)


class AssemblyLike(Protocol):
    """What `sre.integrations.assembler.Assembly` provides to the bot (and, when it has
    them, `references`: links and identity of its commits and Sentry issues)."""

    @property
    def incident(self) -> IncidentInput | None: ...
    @property
    def gaps(self) -> list[str]: ...
    @property
    def error(self) -> str | None: ...


@dataclass(frozen=True)
class DemoAssembly:
    """The bundled demo incident (`/alpha demo`), with what its payload says of its commits."""

    incident: IncidentInput
    gaps: list[str]
    error: None
    references: References

    @classmethod
    def load(cls) -> DemoAssembly:
        """The demo of `sre.scenarios.incident_b`; nothing is fetched."""
        scenario = incident_b.scenario()
        return cls(scenario.incident, [], None, from_payload(scenario.incident))


class AssembleFn(Protocol):
    """Fetches the payload of one id (a deployment, a Sentry issue) from the live sources.

    `progress` hears what each source is doing as it happens, and when it is done or failed
    (`sre.integrations.assembler.SourceProgress`); it may be called from any thread.
    """

    def __call__(
        self, target_id: str, /, *, progress: SourceProgress
    ) -> Awaitable[AssemblyLike]: ...


class Engine(Protocol):
    """Runs one investigation (`AlphaRuntime.execute` or `sre.engine.investigate`)."""

    def __call__(
        self,
        incident: IncidentInput,
        *,
        subscribers: Sequence[EventSubscriber],
        gaps: Sequence[str],
    ) -> Awaitable[ExecutionResult]: ...


@dataclass
class Services:
    """The runner's collaborators.

    Args:
        assemble_deployment: deployment id -> Assembly (the real assembler by default),
            telling the runner's `progress` what each source is doing.
        assemble_sentry_issue: Sentry issue id -> Assembly, the same way.
        engine: runs the investigation with event subscribers.
        agent_names: panels shown before the first event, in display order.
        update_interval: seconds between two edits of one message.
        live_sources: names of the live sources configured ("GitHub", "Sentry"), named in
            the message while the payload is gathered; with none, the bot refuses to start
            investigations and says how to fix it.
        agent_names: panels shown before the first event, in display order.
        update_interval: seconds between two edits of one message.
        final_deadline: seconds the final edit of a message is retried before the runner
            falls back to a new message in the thread.
        clock: monotonic clock for the publisher's throttle.
        sleep: the publisher's sleep, injected with `clock`.
    """

    assemble_deployment: AssembleFn
    assemble_sentry_issue: AssembleFn
    engine: Engine
    live_sources: Sequence[str]
    agent_names: Sequence[str] = ()
    update_interval: float = 1.0
    final_deadline: float = FINAL_DEADLINE_S
    clock: Clock = time.monotonic
    sleep: Sleep = asyncio.sleep


# Tells the person who asked for a run something privately (`respond` of a command or a
# button); alert triage has nobody to tell.
TellRequester = Callable[[str], Awaitable[None]]
# Slack codes for "the bot is not in that channel": the requester is told to invite it.
_NOT_IN_CHANNEL = frozenset({"not_in_channel", "channel_not_found"})

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
        self,
        services: Services,
        client: AsyncWebClient,
        update_client: AsyncWebClient,
        history: BotHistory | None = None,
    ) -> None:
        self.services = services
        self.client = client
        self.update_client = update_client
        self.history = history
        # The publishers' statistics, kept for the load benchmark and for tests.
        self.publisher_stats: list[PublisherStats] = []

    async def run(
        self,
        slot: Slot,
        target: Target,
        *,
        channel: str,
        thread_ts: str | None = None,
        tell_requester: TellRequester | None = None,
        context: RunContext | None = None,
        rerun_of: str | None = None,
    ) -> None:
        """Post the message, wait for a slot, investigate, publish the final state, record.

        The final state always reaches someone: the message itself (edits retried for
        minutes), else a new message in its thread, else a private note to the requester.

        Args:
            slot: the manager's concurrency slot for this job.
            target: what to investigate.
            channel: where to post.
            thread_ts: post in this thread (alert triage), else at the channel's top level.
            tell_requester: tells the requester privately when the channel cannot be used
                (the first post fails, e.g. `not_in_channel`, or the final state cannot land).
            context: who asked and how, for the history (recorded when a store is set).
            rerun_of: the `ts` of the message whose Rerun was clicked: its stored payload
                is replayed when the live sources are unchanged.
        """
        view = RunView(
            title=target.plain_title,
            agent_names=self.services.agent_names,
            source_names=() if target.kind == "demo" else self.services.live_sources,
        )
        view.phase = "queued" if slot.would_wait else "gathering"
        try:
            ts = await self._post(channel, thread_ts, render_progress(view))
        except SlackCallFailed as error:
            log.warning("could not post in %s: %s", channel, error.code)
            if error.code in _NOT_IN_CHANNEL:
                note = "Invite me with `/invite @Alpha` and try again."
            else:
                note = "Slack did not accept the message; try again in a few minutes."
            await _tell(
                tell_requester, f"I could not post in this channel ({code(error.code)}). {note}"
            )
            return
        publisher = ThrottledPublisher(
            self.update_client,
            channel,
            ts,
            interval=self.services.update_interval,
            clock=self.services.clock,
            sleep=self.services.sleep,
            final_deadline=self.services.final_deadline,
        )
        self.publisher_stats.append(publisher.stats)
        outcome: tuple[ExecutionResult, IncidentInput] | None = None
        rerun = (channel, rerun_of) if rerun_of is not None else None
        try:
            async with asyncio.TaskGroup() as group:
                group.create_task(publisher.run())
                outcome = await self._investigate(slot, target, view, publisher, rerun)
        except asyncio.CancelledError:
            await self._say_cancelled(channel, ts, target)
            raise
        final = publisher.final
        if not publisher.stats.final_landed and final is not None:
            await self._deliver_elsewhere(channel, thread_ts or ts, final, tell_requester)
        if outcome is None:
            return
        result, incident = outcome
        await self._post_signals(channel, thread_ts or ts, result)
        if self.history is not None and context is not None:
            # After the answer is in Slack: recording is never on the requester's path.
            where = context.model_copy(update={"slack_channel": channel, "slack_ts": ts})
            await self.history.record(result, incident, where)

    async def _deliver_elsewhere(
        self, channel: str, thread_ts: str, final: Message, tell_requester: TellRequester | None
    ) -> None:
        """The message could not be edited: post its final state in the thread, else tell
        the requester privately."""
        note = "(I could not update the message above, so here is how the investigation ended.)"
        context = {"type": "context", "elements": [{"type": "mrkdwn", "text": note}]}
        # One block is added in front, so one is dropped at the end if the message is full.
        message = Message(
            text=f"{note}\n{final.text}", blocks=[context, *final.blocks][:MAX_BLOCKS]
        )
        try:
            await self._post(channel, thread_ts, message)
            return
        except SlackCallFailed as error:
            log.warning("final state not posted in the thread either: %s", error.code)
        await _tell(tell_requester, f"Slack refused my messages in this channel. {final.text}")

    async def _payload(
        self, target: Target, rerun: tuple[str, str] | None, progress: SourceProgress
    ) -> tuple[AssemblyLike, IncidentInput | None, str | None]:
        """The assembly, and what to investigate: the fresh payload or, for a Rerun of
        unchanged sources, the stored one (with the sentence that says which)."""
        assembly = await self._assemble(target, progress)
        if rerun is None or self.history is None:
            return assembly, assembly.incident, None
        choice = await self.history.choose_payload(
            rerun[0], rerun[1], assembly.incident, assembly.error
        )
        return assembly, choice.incident, choice.note

    async def _investigate(
        self,
        slot: Slot,
        target: Target,
        view: RunView,
        publisher: ThrottledPublisher,
        rerun: tuple[str, str] | None = None,
    ) -> tuple[ExecutionResult, IncidentInput] | None:
        try:
            async with slot:
                if view.phase != "gathering":
                    # Out of the queue; a run that never waited was posted as gathering.
                    view.phase = "gathering"
                    publisher.submit(render_progress(view))
                progress = _source_progress(view, publisher)
                assembly, incident, note = await self._payload(target, rerun, progress)
                if incident is None:
                    error = assembly.error or "nothing could be assembled"
                    publisher.finish(render_error(target.plain_title, error, assembly.gaps))
                    return None
                if note is not None:
                    view.note = note

                def on_event(event: AgentEvent) -> None:
                    view.apply(event)
                    publisher.submit(render_progress(view))

                result = await self.services.engine(
                    incident, subscribers=[on_event], gaps=assembly.gaps
                )
                refs = getattr(assembly, "references", None)
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
            render_final(
                result,
                title=target.plain_title,
                rerun_value=target.to_value(),
                refs=refs if isinstance(refs, References) else None,
                note=note,
            )
        )
        return result, incident

    async def _assemble(self, target: Target, progress: SourceProgress) -> AssemblyLike:
        """The payload of `target`: fetched from the live sources, or the bundled demo."""
        if target.kind == "demo":
            return DemoAssembly.load()
        if target.kind == "deployment":
            return await self.services.assemble_deployment(target.id, progress=progress)
        return await self.services.assemble_sentry_issue(target.id, progress=progress)

    async def _say_cancelled(self, channel: str, ts: str, target: Target) -> None:
        """Best effort, bounded: leave the message saying the run stopped, not "running"."""
        message = render_error(target.plain_title, "cancelled: the bot was stopped; use Rerun")
        try:
            async with asyncio.timeout(CANCEL_NOTICE_TIMEOUT_S):
                await slack_call(
                    "chat.update",
                    self.update_client.chat_update(
                        channel=channel, ts=ts, text=message.text, blocks=message.blocks
                    ),
                )
        except SlackCallFailed as error:
            log.warning("could not mark %s/%s as cancelled: %s", channel, ts, error.code)
        except TimeoutError:
            log.warning("could not mark %s/%s as cancelled: no answer in time", channel, ts)

    async def _post(self, channel: str, thread_ts: str | None, message: Message) -> str:
        """`chat.postMessage` of a rendered message, links never unfurled; returns its `ts`.

        Raises:
            SlackCallFailed: on any failure, including an answer without a `ts`.
        """
        posted = await slack_call(
            "chat.postMessage",
            self.client.chat_postMessage(
                channel=channel,
                thread_ts=thread_ts,
                text=message.text,
                blocks=message.blocks,
                unfurl_links=False,
                unfurl_media=False,
            ),
        )
        ts = posted.data.get("ts") if isinstance(posted.data, dict) else None
        if not isinstance(ts, str) or not ts:
            raise SlackCallFailed("chat.postMessage", "no_ts_in_answer")
        return ts

    async def _post_signals(self, channel: str, thread_ts: str, result: ExecutionResult) -> None:
        for message in render_signals(result.signals_used):
            try:
                await self._post(channel, thread_ts, message)
            except SlackCallFailed as error:
                log.warning("signal list not posted: %s", error.code)
                return


def _source_progress(view: RunView, publisher: ThrottledPublisher) -> SourceProgress:
    """A `SourceProgress` that shows each source's word in the in-progress message.

    The assembler calls it from the loop it runs on (the worker's, in production) and from
    PyGithub's threads: the word is redacted and put on one line in the calling thread, then
    handed to the bot's loop (`call_soon_threadsafe`), the only thread that touches the view
    and the publisher. The publisher's throttle decides how often Slack sees it; the Slack
    client's redaction boundary and the renderer's escaping apply to it like to any text.
    """
    loop = asyncio.get_running_loop()

    def show(name: str, message: str, done: bool, failed: bool) -> None:
        view.source(name, message, done=done, failed=failed)
        publisher.submit(render_progress(view))

    def progress(name: str, message: str, *, done: bool = False, failed: bool = False) -> None:
        # Redacted before the cut: a secret cut in half would no longer match its rule.
        cleaned = one_line(redact(message))[:MAX_SOURCE_MESSAGE]
        # A closed loop means the bot stopped; a thread finishing late has nobody to tell.
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(show, one_line(name)[:40], cleaned, done, failed)

    return progress


async def _tell(tell_requester: TellRequester | None, text: str) -> None:
    """Tell the requester privately, if there is one; a failure to do so is only logged."""
    if tell_requester is None:
        log.error("nobody to tell: %s", text[:200])
        return
    try:
        await tell_requester(text)
    except (aiohttp.ClientError, TimeoutError, SlackApiError, SlackCallFailed) as error:
        log.error("could not tell the requester either: %s", type(error).__name__)
