"""Bolt listeners: `/alpha`, `@Alpha` mentions, direct messages, Sentry alerts in channels,
and the message buttons.

The same words work everywhere: `investigate <deployment_id>`, `demo` (the bundled demo,
no source needed: it checks that an install can post), `history [deployment_id]` and
`help`, typed after `/alpha`, after a mention of the bot (`@Alpha investigate deploy-42`,
answered in the mention's thread) or in a direct message to it (answered there). Listeners
acknowledge first and hand the slow work to the `InvestigationManager`; a refused requester
(allow-lists) gets a polite answer and nothing is fetched for them.
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, Literal

from slack_bolt import BoltResponse
from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond

from alpha.core.errors import AlphaError
from bot.blocks import (
    FEEDBACK_ACTION_PREFIX,
    RERUN_ACTION,
    USAGE,
    acknowledge_feedback,
    code,
    hypothesis_heading,
)
from bot.conversations import ephemeral, message_words, post_in
from bot.dedup import DedupStore
from bot.history import (
    CATEGORY_BLOCK,
    FEEDBACK_MODAL,
    BotHistory,
    correction_detail,
    feedback_modal,
    read_submission,
    render_history,
)
from bot.investigations import InvestigationManager, Job, Slot
from bot.redacting_client import slack_safe
from bot.runner import InvestigationRunner, TellRequester
from bot.sentry_alerts import parse_alert
from bot.settings import BotSettings
from bot.slack_calls import SlackCallFailed, slack_call
from bot.targets import DEMO_ID, MAX_BUTTON_VALUE, Target, deployment_problem
from sre.history.records import RunContext, Trigger

log = logging.getLogger(__name__)

# Slack redelivers an event for up to about an hour; a delivery's key is kept that long.
DELIVERY_TTL_S = 3600.0
# A Rerun's claim on its message lasts until its run ends, and at most this long (a bot that
# died mid-run must not block the button forever).
RERUN_LEASE_S = 3600.0
# Characters of a command's text that are read; Slack's own limit is far below.
MAX_COMMAND_CHARS = 1000
_FEEDBACK = re.compile(rf"^{FEEDBACK_ACTION_PREFIX}(correct|wrong)_(\d{{1,2}})$")

REFUSAL = (
    "Sorry, Alpha is not enabled for you in this channel. "
    "Ask your workspace admin to add you (or the channel) to its allow-list."
)
NO_SOURCE = (
    ":warning: Alpha has no data source set up yet, so it cannot investigate a deployment. "
    "An admin of the bot can connect Sentry (`SENTRY_AUTH_TOKEN`, `SENTRY_ORG`, "
    "`SENTRY_PROJECT`) and/or GitHub (`GITHUB_TOKEN`, `GITHUB_REPOSITORY`) in the bot's "
    "environment and restart it; the bot's install guide (docs/slack.md) has the steps."
)
NO_SENTRY = (
    ":warning: Alpha is not connected to Sentry, so it cannot investigate a Sentry issue. "
    "An admin of the bot can set `SENTRY_AUTH_TOKEN`, `SENTRY_ORG` and `SENTRY_PROJECT` in "
    "the bot's environment and restart it."
)


@dataclass(frozen=True)
class Command:
    """A parsed `/alpha` command: what to do, and the problem when it cannot be done."""

    action: Literal["investigate", "demo", "history", "help", "usage"]
    deployment_id: str | None = None
    problem: str | None = None


def parse_command(text: str | None) -> Command:
    """Parse the text after `/alpha`; never raises, bad input gives `usage` with a reason."""
    words = (text or "")[:MAX_COMMAND_CHARS].split()
    if not words or words[0].lower() == "help":
        return Command("help")
    verb = words[0].lower()
    if verb == "history":
        return _parse_history(words)
    if verb == "demo":
        return (
            Command("demo") if len(words) == 1 else Command("usage", problem="demo takes nothing")
        )
    if verb != "investigate":
        return Command("usage", problem=f"unknown subcommand {code(words[0][:50])}")
    if len(words) != 2:
        problem = "missing the deployment id" if len(words) == 1 else "expected one deployment id"
        return Command("usage", problem=problem)
    deployment_id = words[1]
    invalid = deployment_problem(deployment_id)
    if invalid is not None:
        return Command("usage", problem=invalid)
    return Command("investigate", deployment_id=deployment_id)


def _parse_history(words: list[str]) -> Command:
    """`/alpha history [deployment_id]`."""
    if len(words) > 2:
        return Command("usage", problem="expected at most one deployment id after history")
    if len(words) == 1:
        return Command("history")
    invalid = deployment_problem(words[1])
    if invalid is not None:
        return Command("usage", problem=invalid)
    return Command("history", deployment_id=words[1])


class Handlers:
    """The listeners, bound to their collaborators.

    Args:
        settings: allow-lists, alert channels, dedup window.
        manager: owns the investigation tasks.
        runner: turns a target into a Slack message (and records it when `history` is set).
        dedup: the at-most-once claims, shared with every other process on the same store.
        history: the bot's memory; None runs without one (no history, verdicts only logged).
    """

    def __init__(
        self,
        settings: BotSettings,
        manager: InvestigationManager,
        runner: InvestigationRunner,
        dedup: DedupStore,
        history: BotHistory | None = None,
    ) -> None:
        self.settings = settings
        self.manager = manager
        self.runner = runner
        self.dedup = dedup
        self.history = history
        self.live_sources = tuple(runner.services.live_sources)

    def register(self, app: AsyncApp) -> Handlers:
        """Attach every listener to `app`, behind the once-per-delivery middleware."""
        app.middleware(self.once_per_delivery)
        app.command("/alpha")(self.on_command)
        app.event("app_mention")(self.on_mention)
        app.event("message")(self.on_message)
        app.action(RERUN_ACTION)(self.on_rerun)
        app.action(_FEEDBACK)(self.on_feedback)
        app.view(FEEDBACK_MODAL)(self.on_feedback_submit)
        return self

    async def once_per_delivery(
        self, body: dict[str, Any], next: Callable[[], Awaitable[None]]
    ) -> BoltResponse | None:
        """Bolt middleware: a delivery seen before (in any process on the store) is acked
        with an empty answer and reaches no listener.

        Covers Slack's redeliveries of events (same `event_id`), Socket Mode's resent
        envelopes and replayed commands or clicks (same `trigger_id`).
        """
        key = delivery_key(body)
        if key is not None and not await self.dedup.claim(key, DELIVERY_TTL_S):
            log.info("ignored a repeated delivery (%s)", key.split(":", 1)[0])
            return BoltResponse(status=200, body="")
        await next()
        return None

    def _allowed(self, user_id: str | None, channel_id: str | None) -> bool:
        return self.settings.user_allowed(user_id) and self.settings.channel_allowed(channel_id)

    def _source_problem(self, target: Target) -> str | None:
        """Why `target` cannot be investigated with the sources configured, in Slack terms."""
        if target.kind == "demo":
            return None  # bundled: it needs no source, which is what makes it a check
        if not self.live_sources:
            return NO_SOURCE
        if target.kind == "sentry_issue" and "Sentry" not in self.live_sources:
            return NO_SENTRY
        return None

    def _job(
        self,
        target: Target,
        channel: str,
        thread_ts: str | None = None,
        tell_requester: TellRequester | None = None,
        lease: str | None = None,
        context: RunContext | None = None,
        rerun_of: str | None = None,
    ) -> Job:
        """The manager job that runs `target` into `channel` (a thread of it when given).

        `lease`, when given, is a claim released once the run ends (a Rerun button's).
        """

        async def job(slot: Slot) -> None:
            try:
                await self.runner.run(
                    slot,
                    target,
                    channel=channel,
                    thread_ts=thread_ts,
                    tell_requester=tell_requester,
                    context=context,
                    rerun_of=rerun_of,
                )
            finally:
                if lease is not None:
                    await self.dedup.release(lease)

        return job

    async def on_command(
        self, ack: AsyncAck, command: dict[str, Any], respond: AsyncRespond
    ) -> None:
        """`/alpha investigate <id>` and `/alpha help`: ack within 3 s, then investigate."""
        user, channel = command.get("user_id"), command.get("channel_id")
        parsed = parse_command(command.get("text"))
        if parsed.action == "help":
            await ack(text=USAGE, response_type="ephemeral")
            return
        if parsed.action == "usage":
            # The problem quotes what was typed: through the redaction boundary.
            await ack(
                text=f":warning: {slack_safe(parsed.problem or '')}\n{USAGE}",
                response_type="ephemeral",
            )
            return
        if not self._allowed(user, channel) or not isinstance(channel, str):
            log.info("refused /alpha from user %s in channel %s", user, channel)
            await ack(text=REFUSAL, response_type="ephemeral")
            return
        if parsed.action == "history":
            await ack(
                text=await self._history_text(parsed.deployment_id), response_type="ephemeral"
            )
            return
        target = _target(parsed)
        problem = self._source_problem(target)
        if problem is not None:
            await ack(text=problem, response_type="ephemeral")
            return
        queued = self.manager.active >= self.manager.max_concurrent
        note = " It is queued behind other investigations." if queued else ""
        await ack(
            text=f"Investigating {target.title}; I'll post the results in this channel.{note}",
            response_type="ephemeral",
        )

        context = RunContext(
            trigger="slash_command", requested_by=str(user), origin=f"slack:{channel}"
        )
        job = self._job(target, channel, tell_requester=_private(respond), context=context)
        self.manager.submit(job, name=f"{parsed.action} {target.id}")

    async def _history_text(self, deployment_id: str | None) -> str:
        """The ephemeral answer to `/alpha history` (never raises: Slack waits for the ack)."""
        if self.history is None:
            return "No history is kept: the bot runs without a database."
        try:
            runs = await self.history.recent(deployment_id)
        except (AlphaError, TimeoutError) as error:
            log.warning("/alpha history failed: %s", error)
            return "The history database did not answer; the bot's logs have details."
        return render_history(runs, deployment_id)

    async def on_mention(self, event: dict[str, Any]) -> None:
        """`@Alpha investigate <id>`, `@Alpha demo`, `@Alpha help`: answered in the thread of
        the mention (help, usage and refusals privately, to whoever mentioned the bot)."""
        channel, user, ts = event.get("channel"), event.get("user"), event.get("ts")
        if not isinstance(channel, str) or not isinstance(user, str) or not isinstance(ts, str):
            return
        thread = event.get("thread_ts") if isinstance(event.get("thread_ts"), str) else ts
        await self._converse(
            message_words(event.get("text")),
            user,
            channel,
            thread,
            tell=ephemeral(self.runner.client, channel, user, thread),
            trigger="mention",
        )

    async def on_direct_message(self, event: dict[str, Any]) -> None:
        """A person's message in the bot's DM: the same words as `/alpha`, answered there."""
        if event.get("subtype") is not None or event.get("bot_id"):
            return  # edits, joins and other bots' messages (the bot's own included)
        channel, user = event.get("channel"), event.get("user")
        if not isinstance(channel, str) or not isinstance(user, str):
            return
        await self._converse(
            message_words(event.get("text")),
            user,
            channel,
            None,
            tell=post_in(self.runner.client, channel, None),
            trigger="direct_message",
        )

    async def _converse(
        self,
        text: str,
        user: str,
        channel: str,
        thread: str | None,
        *,
        tell: TellRequester,
        trigger: Trigger,
    ) -> None:
        """Act on words typed to the bot in a message (a mention or a DM)."""
        parsed = parse_command(text)
        if parsed.action == "help":
            await tell(USAGE)
            return
        if parsed.action == "usage":
            await tell(f":warning: {slack_safe(parsed.problem or '')}\n{USAGE}")
            return
        # A DM is the requester's own conversation: only the user allow-list applies there.
        allowed = self.settings.user_allowed(user) and (
            trigger == "direct_message" or self.settings.channel_allowed(channel)
        )
        if not allowed:
            log.info("refused a message command from user %s in channel %s", user, channel)
            await tell(REFUSAL)
            return
        if parsed.action == "history":
            await tell(await self._history_text(parsed.deployment_id))
            return
        target = _target(parsed)
        problem = self._source_problem(target)
        if problem is not None:
            await tell(problem)
            return
        context = RunContext(trigger=trigger, requested_by=user, origin=f"slack:{channel}")
        job = self._job(target, channel, thread, tell_requester=tell, context=context)
        self.manager.submit(job, name=f"{parsed.action} {target.id}")

    async def on_message(self, event: dict[str, Any]) -> None:
        """A direct message to the bot is a command; a message in an alert channel from the
        Sentry app starts one triage per issue."""
        if event.get("channel_type") == "im":
            await self.on_direct_message(event)
            return
        if event.get("channel") not in self.settings.alert_channels:
            return
        alert = parse_alert(event, self.settings.sentry_app_ids)
        if alert is None:
            return
        await self.triage_sentry_issue(alert.issue_id, alert.channel, alert.reply_thread)

    async def triage_sentry_issue(
        self, issue_id: str, channel: str, thread_ts: str | None, trigger: Trigger = "alert"
    ) -> bool:
        """Investigate a Sentry issue once per dedup window, answering in `channel`.

        Args:
            trigger: `alert` (a Sentry message in a channel) or `webhook`, for the history.

        Returns:
            True if an investigation was started.
        """
        if not self.settings.channel_allowed(channel):
            log.info("Sentry issue %s ignored: channel %s not allowed", issue_id, channel)
            return False
        target = Target("sentry_issue", issue_id)
        if self._source_problem(target) is not None:
            log.warning("Sentry issue %s not triaged: Sentry is not configured", issue_id)
            return False
        window = self.settings.alert_dedup_window_s
        if not await self.dedup.claim(f"sentry:{issue_id}", window):
            log.info("Sentry issue %s already triaged within %.0f s", issue_id, window)
            return False
        context = RunContext(trigger=trigger, requested_by="sentry", origin=f"slack:{channel}")
        job = self._job(target, channel, thread_ts, context=context)
        self.manager.submit(job, name=f"triage sentry {issue_id}")
        return True

    async def on_rerun(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        """The Rerun button: one new run per message at a time, however often it is clicked."""
        await ack()
        user = _id_of(body.get("user"))
        channel = _id_of(body.get("channel"))
        message = body.get("message")
        ts = message.get("ts") if isinstance(message, dict) else None
        thread_ts = message.get("thread_ts") if isinstance(message, dict) else None
        # The value comes back from the client: validated exactly like typed input.
        target = Target.from_value(_first_action(body).get("value"))
        if target is None or channel is None or not isinstance(ts, str):
            log.warning("ignored a malformed Rerun action")
            return
        if not self._allowed(user, channel):
            await respond(text=REFUSAL, response_type="ephemeral", replace_original=False)
            return
        problem = self._source_problem(target)
        if problem is not None:
            await respond(text=problem, response_type="ephemeral", replace_original=False)
            return
        lease = f"rerun:{channel}:{ts}"
        if not await self.dedup.claim(lease, RERUN_LEASE_S):
            log.info("ignored a repeated Rerun click on %s", lease)
            return
        thread = thread_ts if isinstance(thread_ts, str) else None
        context = RunContext(trigger="button", requested_by=str(user), origin=f"slack:{channel}")
        job = self._job(
            target,
            channel,
            thread,
            tell_requester=_private(respond),
            lease=lease,
            context=context,
            rerun_of=ts,
        )
        self.manager.submit(job, name=f"rerun {target.id}")

    async def on_feedback(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        """Correct / Wrong: store the verdict with the user id and show it on the message.

        Wrong also opens a modal asking for the real cause (`views.open`, within the
        trigger's 3 s); its submission is `on_feedback_submit`.
        """
        await ack()
        user = _id_of(body.get("user")) or ""
        channel = _id_of(body.get("channel"))
        message = body.get("message")
        action = _first_action(body)
        match = _FEEDBACK.fullmatch(str(action.get("action_id") or "")[:100])
        if match is None or channel is None or not isinstance(message, dict):
            return
        ts = message.get("ts")
        if not isinstance(ts, str):
            return
        if not self._allowed(user, channel):
            await respond(text=REFUSAL, response_type="ephemeral", replace_original=False)
            return
        verdict, rank = match.group(1), int(match.group(2))
        try:
            recorded = json.loads(str(action.get("value") or "{}")[:MAX_BUTTON_VALUE])
        except (ValueError, RecursionError):
            recorded = {}
        execution_id = recorded.get("x") if isinstance(recorded, dict) else None
        old_blocks = message.get("blocks")
        old_blocks = old_blocks if isinstance(old_blocks, list) else []
        heading = hypothesis_heading(old_blocks, rank)
        log.info(
            "feedback: verdict=%s rank=%d execution=%r user=%s hypothesis=%r",
            verdict,
            rank,
            execution_id,
            user,
            heading,
        )
        if self.history is not None and isinstance(execution_id, str):
            where = (channel, ts)
            await self._store_verdict(
                self.history, body, execution_id, where, verdict, rank, heading
            )
        blocks = acknowledge_feedback(old_blocks, rank, verdict, user)
        update = self.runner.client.chat_update(
            channel=channel, ts=ts, text=str(message.get("text") or ""), blocks=blocks
        )
        try:
            await slack_call("chat.update", update)
        except SlackCallFailed as error:
            log.warning("feedback acknowledgement not shown: %s", error.code)

    async def _store_verdict(
        self,
        history: BotHistory,
        body: dict[str, Any],
        execution_id: str,
        where: tuple[str, str],
        verdict: str,
        rank: int,
        heading: str | None,
    ) -> None:
        """Store a verdict on the run of this very message; Wrong opens the real-cause modal."""
        channel, ts = where
        user = _id_of(body.get("user")) or ""
        run = await history.judged_message(execution_id, channel, ts)
        if run is None:
            return
        await history.add_feedback(run, verdict=verdict, rank=rank, user=user)
        trigger_id = body.get("trigger_id")
        if verdict != "wrong" or not isinstance(trigger_id, str):
            return
        metadata = {"x": run.summary.execution_id, "r": rank, "c": channel, "t": ts}
        opening = self.runner.client.views_open(
            trigger_id=trigger_id, view=feedback_modal(metadata, heading)
        )
        try:
            await slack_call("views.open", opening)
        except SlackCallFailed as error:
            log.warning("real-cause modal not opened: %s", error.code)

    async def on_feedback_submit(
        self, ack: AsyncAck, body: dict[str, Any], view: dict[str, Any]
    ) -> None:
        """The real-cause modal: store the correction, then say it in the message's thread."""
        correction = read_submission(view)
        if correction.category is None:
            await ack(
                response_action="errors",
                errors={CATEGORY_BLOCK: "Pick the category of the real cause."},
            )
            return
        await ack()
        user = _id_of(body.get("user")) or ""
        try:
            metadata = json.loads(str(view.get("private_metadata") or "{}")[:MAX_BUTTON_VALUE])
            execution_id, rank = str(metadata["x"]), int(metadata["r"])
            channel, ts = str(metadata["c"]), str(metadata["t"])
        except (ValueError, KeyError, TypeError, RecursionError):
            log.warning("ignored a real-cause submission with malformed metadata")
            return
        if self.history is None or not self._allowed(user, channel):
            return
        run = await self.history.judged_message(execution_id, channel, ts)
        if run is None:
            return
        stored = await self.history.add_feedback(
            run,
            verdict="wrong",
            rank=rank,
            user=user,
            category=correction.category,
            suspect=correction.suspect,
            note=correction.note,
        )
        if not stored:
            return
        text = (
            f"<@{user}> corrected hypothesis #{rank}{correction_detail(correction)}. "
            "It will be a test case (`alpha export-cases`)."
        )
        posting = self.runner.client.chat_postMessage(
            channel=channel, thread_ts=ts, text=text, unfurl_links=False, unfurl_media=False
        )
        try:
            await slack_call("chat.postMessage", posting)
        except SlackCallFailed as error:
            log.warning("correction not shown: %s", error.code)


def delivery_key(body: dict[str, Any]) -> str | None:
    """The at-most-once key of a Slack delivery: its event id, else its trigger id."""
    event_id = body.get("event_id")
    if isinstance(event_id, str) and event_id:
        return f"event:{event_id}"
    trigger_id = body.get("trigger_id")
    if isinstance(trigger_id, str) and trigger_id:
        kind = "command" if "command" in body else "action"
        return f"{kind}:{trigger_id}"
    return None


def _target(parsed: Command) -> Target:
    """What a parsed `investigate` or `demo` command is about."""
    if parsed.action == "demo":
        return Target("demo", DEMO_ID)
    return Target("deployment", str(parsed.deployment_id))


def _private(respond: AsyncRespond) -> TellRequester:
    """Tell the requester through the request's `response_url`, visible only to them.

    The text may quote a final message; it passes the redaction boundary like every body.
    """

    async def tell(text: str) -> None:
        await respond(text=slack_safe(text), response_type="ephemeral", replace_original=False)

    return tell


def _id_of(value: object) -> str | None:
    """The `id` of a Slack object (`{"id": "U1"}`), when it is a non-empty string."""
    ident = value.get("id") if isinstance(value, dict) else None
    return ident if isinstance(ident, str) and ident else None


def _first_action(body: dict[str, Any]) -> dict[str, Any]:
    """The first element of `actions` when it is an object, else an empty one."""
    actions = body.get("actions")
    first = actions[0] if isinstance(actions, list) and actions else None
    return first if isinstance(first, dict) else {}
