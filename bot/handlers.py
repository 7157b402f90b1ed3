"""Bolt listeners: `/alpha`, Sentry alerts in channels, and the message buttons.

Listeners acknowledge first and hand the slow work to the `InvestigationManager`; a refused
requester (allow-lists) gets a polite answer and nothing is fetched for them.
"""

from __future__ import annotations

import json
import logging
import re
from dataclasses import dataclass
from typing import Any, Literal

from slack_bolt.async_app import AsyncAck, AsyncApp, AsyncRespond
from slack_sdk.errors import SlackApiError

from bot.blocks import (
    FEEDBACK_ACTION_PREFIX,
    RERUN_ACTION,
    USAGE,
    acknowledge_feedback,
    code,
    hypothesis_heading,
)
from bot.investigations import InvestigationManager, Job, Slot
from bot.redacting_client import slack_safe
from bot.runner import InvestigationRunner, PostFailure, Target
from bot.sentry_alerts import parse_alert
from bot.settings import BotSettings

log = logging.getLogger(__name__)

# Slack redelivers an event for up to about an hour; remember its id at least that long.
EVENT_DEDUP_WINDOW_S = 3600.0
MAX_DEPLOYMENT_ID = 200
_DEPLOYMENT_ID = re.compile(rf"^[\w.:/@+#=-]{{1,{MAX_DEPLOYMENT_ID}}}$")
_FEEDBACK = re.compile(rf"^{FEEDBACK_ACTION_PREFIX}(correct|wrong)_(\d+)$")

REFUSAL = (
    "Sorry, Alpha is not enabled for you in this channel. "
    "Ask your workspace admin to add you (or the channel) to its allow-list."
)


@dataclass(frozen=True)
class Command:
    """A parsed `/alpha` command: what to do, and the problem when it cannot be done."""

    action: Literal["investigate", "help", "usage"]
    deployment_id: str | None = None
    problem: str | None = None


def parse_command(text: str | None) -> Command:
    """Parse the text after `/alpha`; never raises, bad input gives `usage` with a reason."""
    words = (text or "").split()
    if not words or words[0].lower() == "help":
        return Command("help")
    verb = words[0].lower()
    if verb != "investigate":
        return Command("usage", problem=f"unknown subcommand {code(words[0][:50])}")
    if len(words) != 2:
        problem = "missing <deployment_id>" if len(words) == 1 else "expected one <deployment_id>"
        return Command("usage", problem=problem)
    deployment_id = words[1]
    if not _DEPLOYMENT_ID.match(deployment_id):
        return Command(
            "usage",
            problem=f"deployment_id {code(deployment_id[:50])} is not a valid id "
            f"(letters, digits and ._-:/@+#=, at most {MAX_DEPLOYMENT_ID} characters)",
        )
    return Command("investigate", deployment_id=deployment_id)


class Handlers:
    """The listeners, bound to their collaborators.

    Args:
        settings: allow-lists, alert channels, dedup window.
        manager: owns the investigation tasks.
        runner: turns a target into a Slack message.
    """

    def __init__(
        self, settings: BotSettings, manager: InvestigationManager, runner: InvestigationRunner
    ) -> None:
        self.settings = settings
        self.manager = manager
        self.runner = runner

    def register(self, app: AsyncApp) -> Handlers:
        """Attach every listener to `app`."""
        app.command("/alpha")(self.on_command)
        app.event("message")(self.on_message)
        app.action(RERUN_ACTION)(self.on_rerun)
        app.action(_FEEDBACK)(self.on_feedback)
        return self

    def _allowed(self, user_id: str | None, channel_id: str | None) -> bool:
        return self.settings.user_allowed(user_id) and self.settings.channel_allowed(channel_id)

    def _job(
        self,
        target: Target,
        channel: str,
        thread_ts: str | None = None,
        on_post_failure: PostFailure | None = None,
    ) -> Job:
        """The manager job that runs `target` into `channel` (a thread of it when given)."""

        async def job(slot: Slot) -> None:
            await self.runner.run(
                slot, target, channel=channel, thread_ts=thread_ts, on_post_failure=on_post_failure
            )

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
        target = Target("deployment", str(parsed.deployment_id))
        queued = self.manager.active >= self.manager.max_concurrent
        note = " It is queued behind other investigations." if queued else ""
        await ack(
            text=f"Investigating {target.title}; I'll post the results in this channel.{note}",
            response_type="ephemeral",
        )

        async def tell_requester(error: str) -> None:
            await respond(
                text=f"I could not post in this channel ({code(error)}). "
                "Invite me with `/invite @Alpha` and try again.",
                response_type="ephemeral",
            )

        job = self._job(target, channel, on_post_failure=tell_requester)
        self.manager.submit(job, name=f"investigate {target.id}")

    async def on_message(self, body: dict[str, Any], event: dict[str, Any]) -> None:
        """A message in an alert channel from the Sentry app starts one triage per issue."""
        event_id = body.get("event_id")
        if isinstance(event_id, str) and not self.manager.first_time(
            f"event:{event_id}", EVENT_DEDUP_WINDOW_S
        ):
            log.info("ignored redelivered event %s", event_id)
            return
        if event.get("channel") not in self.settings.alert_channels:
            return
        alert = parse_alert(event, self.settings.sentry_app_ids)
        if alert is None:
            return
        self.triage_sentry_issue(alert.issue_id, alert.channel, alert.reply_thread)

    def triage_sentry_issue(self, issue_id: str, channel: str, thread_ts: str | None) -> bool:
        """Investigate a Sentry issue once per dedup window, answering in `channel`.

        Returns:
            True if an investigation was started.
        """
        if not self.settings.channel_allowed(channel):
            log.info("Sentry issue %s ignored: channel %s not allowed", issue_id, channel)
            return False
        window = self.settings.alert_dedup_window_s
        if not self.manager.first_time(f"sentry:{issue_id}", window):
            log.info("Sentry issue %s already triaged within %.0f s", issue_id, window)
            return False
        job = self._job(Target("sentry_issue", issue_id), channel, thread_ts)
        return self.manager.submit(job, name=f"triage sentry {issue_id}")

    async def on_rerun(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        """The Rerun button: one new run per message however often it is clicked."""
        await ack()
        user = (body.get("user") or {}).get("id")
        channel = (body.get("channel") or {}).get("id")
        message = body.get("message") or {}
        actions = body.get("actions") or [{}]
        target = Target.from_value(str(actions[0].get("value") or ""))
        if target is None or not isinstance(channel, str) or not message.get("ts"):
            log.warning("ignored a malformed Rerun action")
            return
        if not self._allowed(user, channel):
            await respond(text=REFUSAL, response_type="ephemeral", replace_original=False)
            return
        job = self._job(target, channel, message.get("thread_ts"))
        key = f"rerun:{channel}:{message['ts']}"
        if not self.manager.submit(job, key=key, name=f"rerun {target.id}"):
            log.info("ignored a repeated Rerun click on %s", key)

    async def on_feedback(self, ack: AsyncAck, body: dict[str, Any], respond: AsyncRespond) -> None:
        """Correct / Wrong: record the verdict in the log and show it on the message."""
        await ack()
        user = str((body.get("user") or {}).get("id") or "")
        channel = (body.get("channel") or {}).get("id")
        message = body.get("message") or {}
        action = (body.get("actions") or [{}])[0]
        match = _FEEDBACK.match(str(action.get("action_id") or ""))
        if match is None or not isinstance(channel, str) or not message.get("ts"):
            return
        if not self._allowed(user, channel):
            await respond(text=REFUSAL, response_type="ephemeral", replace_original=False)
            return
        verdict, rank = match.group(1), int(match.group(2))
        try:
            recorded = json.loads(str(action.get("value") or "{}"))
        except ValueError:
            recorded = {}
        old_blocks = message.get("blocks") or []
        log.info(
            "feedback: verdict=%s rank=%d execution=%r user=%s hypothesis=%r",
            verdict,
            rank,
            recorded.get("x") if isinstance(recorded, dict) else None,
            user,
            hypothesis_heading(old_blocks, rank),
        )
        blocks = acknowledge_feedback(old_blocks, rank, verdict, user)
        try:
            await self.runner.client.chat_update(
                channel=channel, ts=message["ts"], text=message.get("text") or "", blocks=blocks
            )
        except SlackApiError as error:
            log.warning("feedback acknowledgement not shown: %s", error.response.get("error"))
