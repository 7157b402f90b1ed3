"""The bot's memory: recorded runs, verdicts from the buttons, `/alpha history`, replays.

`BotHistory` wraps the history store (`sre.history.store.HistoryStore`) for the bot:

- every finished investigation is recorded (redacted and capped by `sre.history.capture`,
  in a worker thread) with who asked, how (slash command, alert, webhook, Rerun), in which
  channel, and a permalink to the bot's message;
- Correct / Wrong are stored with the Slack user id; Wrong opens a modal asking for the
  real cause (category, suspect, note), stored when submitted;
- the Rerun button replays the stored payload when a fresh fetch gives the same payload
  (the live sources are unchanged), or uses the fresh one, and the message says which;
- runs older than `ALPHA_RETENTION_DAYS` are purged at start and then once a day.

Nothing here may crash an investigation or a listener: a database failure is logged and
the user is told in Slack terms.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiohttp
from slack_sdk.errors import SlackApiError
from slack_sdk.web.async_client import AsyncWebClient

from alpha.core.errors import AlphaError
from alpha.schemas import ExecutionResult, IncidentInput
from bot.blocks import Block, code, escape, truncate
from sre.history.capture import capture, fingerprint
from sre.history.records import (
    FeedbackRecord,
    PayloadCaps,
    PurgeReport,
    RunContext,
    RunSummary,
    StoredRun,
    now_utc,
)
from sre.history.store import HistoryStore
from sre.redaction import Redactor
from sre.taxonomy import CATEGORIES

log = logging.getLogger(__name__)

FEEDBACK_MODAL = "alpha_feedback_modal"
CATEGORY_BLOCK, CATEGORY_ACTION = "alpha_cause_category", "category"
SUSPECT_BLOCK, SUSPECT_ACTION = "alpha_cause_suspect", "suspect"
NOTE_BLOCK, NOTE_ACTION = "alpha_cause_note", "note"
HISTORY_LIMIT = 10
# A slash command must be answered within 3 s; the history query gets this much of it.
HISTORY_TIMEOUT_S = 2.0
RETENTION_INTERVAL_S = 24 * 3600.0
_MAX_SUSPECT = 200
_MAX_NOTE = 2000

Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class PayloadChoice:
    """What a Rerun investigates, and the sentence that says why."""

    incident: IncidentInput | None
    note: str | None
    replayed: bool = False


class BotHistory:
    """The history store as the bot uses it.

    Args:
        store: the open store (its owner closes it).
        client: the Web API client (permalinks).
        retention_days: runs older than this are purged; 0 keeps everything.
        caps: the stored payload's bounds.
        clock: now (aware, UTC), injected for retention and verdict times.
    """

    def __init__(
        self,
        store: HistoryStore,
        client: AsyncWebClient,
        *,
        retention_days: int = 90,
        caps: PayloadCaps | None = None,
        clock: Callable[[], datetime] = now_utc,
    ) -> None:
        self.store = store
        self.client = client
        self.retention_days = retention_days
        self.caps = caps
        self._clock = clock

    # ------------------------------------------------------------------ runs

    async def record(
        self, result: ExecutionResult, incident: IncidentInput | None, context: RunContext
    ) -> bool:
        """Record a finished run; False (and a log line) when it could not be."""
        try:
            if context.slack_channel and context.slack_ts and not context.slack_permalink:
                link = await self._permalink(context.slack_channel, context.slack_ts)
                context = context.model_copy(update={"slack_permalink": link})
            record = await asyncio.to_thread(
                capture, incident, result, context, caps=self.caps, clock=self._clock
            )
            await self.store.record(record)
        except AlphaError as error:
            log.warning("run %s not recorded: %s", result.execution_id, error)
            return False
        return True

    async def _permalink(self, channel: str, ts: str) -> str | None:
        try:
            response = await self.client.chat_getPermalink(channel=channel, message_ts=ts)
        except (SlackApiError, aiohttp.ClientError, TimeoutError) as error:
            log.info("no permalink for %s/%s: %s", channel, ts, type(error).__name__)
            return None
        link = response.get("permalink")
        return link if isinstance(link, str) and link.startswith("https://") else None

    async def choose_payload(
        self, channel: str, ts: str, fresh: IncidentInput | None, fresh_error: str | None
    ) -> PayloadChoice:
        """For a Rerun of message `ts`: the stored payload if the sources are unchanged.

        Args:
            channel: the channel of the message whose Rerun was clicked.
            ts: that message.
            fresh: the payload fetched again now (None when the fetch failed).
            fresh_error: why the fetch failed.
        """
        try:
            run_id = await self.store.find_by_message(channel, ts)
            stored = await self.store.payload(run_id) if run_id else None
        except AlphaError as error:
            log.warning("stored payload of %s/%s not read: %s", channel, ts, error)
            run_id, stored = None, None
        if stored is None:
            note = "Re-fetched the live data (no stored payload for this message)."
            return PayloadChoice(fresh, note if fresh is not None else None)
        if fresh is None:
            why = fresh_error or "nothing could be fetched"
            note = f"Replayed the stored payload of {run_id}: the live sources failed ({why})."
            return PayloadChoice(stored.incident, note, replayed=True)
        if await asyncio.to_thread(fingerprint, fresh) == stored.fingerprint:
            note = f"Replayed the stored payload of {run_id}: the live sources are unchanged."
            return PayloadChoice(stored.incident, note, replayed=True)
        note = f"Re-fetched: the live sources changed since run {run_id}."
        return PayloadChoice(fresh, note)

    async def recent(self, deployment_id: str | None) -> list[RunSummary]:
        """The newest runs (of one deployment), for `/alpha history`.

        Raises:
            StorageError: the database failed.
            TimeoutError: it did not answer in time for Slack's 3 s.
        """
        async with asyncio.timeout(HISTORY_TIMEOUT_S):
            return await self.store.history(deployment_id=deployment_id, limit=HISTORY_LIMIT)

    # ------------------------------------------------------------------ feedback

    async def judged_message(self, execution_id: str, channel: str, ts: str) -> StoredRun | None:
        """The stored run behind a button, only if it is the run of that very message.

        A button value can be forged; a verdict is accepted only for the run whose answer
        is the message the button is on.
        """
        try:
            full_id = await self.store.resolve(execution_id)
            run = await self.store.get(full_id)
        except AlphaError as error:
            log.info("feedback on %r not stored: %s", execution_id, error)
            return None
        if run is None or (run.summary.slack_channel, run.summary.slack_ts) != (channel, ts):
            log.warning("feedback for %r arrived from another message; ignored", execution_id)
            return None
        return run

    async def add_feedback(
        self,
        run: StoredRun,
        *,
        verdict: str,
        rank: int,
        user: str,
        category: str | None = None,
        suspect: str = "",
        note: str = "",
    ) -> bool:
        """Store a verdict given in Slack (suspect and note redacted); False when it failed."""
        redactor = Redactor()
        suspects = [redactor.redact(suspect.strip())[:_MAX_SUSPECT]] if suspect.strip() else []
        try:
            feedback = FeedbackRecord(
                execution_id=run.summary.execution_id,
                verdict=verdict,
                rank=rank,
                category=category,
                suspects=suspects,
                note=redactor.redact(note.strip())[:_MAX_NOTE],
                user=user,
                source="slack",
                created_at=self._clock(),
            )
            await self.store.add_feedback(feedback)
        except (AlphaError, ValueError) as error:
            log.warning("feedback on %s not stored: %s", run.summary.execution_id, error)
            return False
        return True

    # ------------------------------------------------------------------ retention

    async def purge_expired(self) -> PurgeReport | None:
        """Delete runs older than the retention (none when it is 0)."""
        if self.retention_days <= 0:
            return None
        before = self._clock() - timedelta(days=self.retention_days)
        try:
            report = await self.store.purge(before)
        except AlphaError as error:
            log.warning("retention purge failed: %s", error)
            return None
        log.info("retention: %d run(s) older than %s purged", report.runs, before.date())
        return report

    async def retention_loop(
        self, *, interval_s: float = RETENTION_INTERVAL_S, sleep: Sleep = asyncio.sleep
    ) -> None:
        """Purge now, then every `interval_s` seconds, until cancelled."""
        while True:
            await self.purge_expired()
            await sleep(interval_s)


# --------------------------------------------------------------------------- rendering


def feedback_modal(metadata: dict[str, Any], heading: str | None) -> dict[str, Any]:
    """The `views.open` modal asking for the real cause (category, suspect, note).

    Args:
        metadata: what the submission needs back (run, rank, message); kept in
            `private_metadata`, which Slack returns untouched.
        heading: the first line of the hypothesis judged wrong, shown for context.
    """
    options = [
        {
            "text": {"type": "plain_text", "text": name.replace("_", " ")},
            "value": name,
            "description": {"type": "plain_text", "text": truncate(meaning, 75)},
        }
        for name, meaning in CATEGORIES.items()
    ]
    blocks: list[Block] = []
    if heading:
        blocks.append(
            {
                "type": "context",
                "elements": [
                    {"type": "mrkdwn", "text": truncate(f"Judged wrong: {heading}", 2000)}
                ],
            }
        )
    blocks += [
        {
            "type": "input",
            "block_id": CATEGORY_BLOCK,
            "label": {"type": "plain_text", "text": "What was the real cause?"},
            "element": {
                "type": "static_select",
                "action_id": CATEGORY_ACTION,
                "placeholder": {"type": "plain_text", "text": "Root-cause category"},
                "options": options,
            },
        },
        {
            "type": "input",
            "block_id": SUSPECT_BLOCK,
            "optional": True,
            "label": {"type": "plain_text", "text": "Suspect"},
            "hint": {"type": "plain_text", "text": "A config key, a commit SHA, a host, a service"},
            "element": {
                "type": "plain_text_input",
                "action_id": SUSPECT_ACTION,
                "max_length": _MAX_SUSPECT,
            },
        },
        {
            "type": "input",
            "block_id": NOTE_BLOCK,
            "optional": True,
            "label": {"type": "plain_text", "text": "Note"},
            "element": {
                "type": "plain_text_input",
                "action_id": NOTE_ACTION,
                "multiline": True,
                "max_length": _MAX_NOTE,
            },
        },
    ]
    return {
        "type": "modal",
        "callback_id": FEEDBACK_MODAL,
        "private_metadata": json.dumps(metadata, separators=(",", ":")),
        "title": {"type": "plain_text", "text": "Alpha: what was it?"},
        "submit": {"type": "plain_text", "text": "Save"},
        "close": {"type": "plain_text", "text": "Skip"},
        "blocks": blocks,
    }


@dataclass(frozen=True)
class Correction:
    """The real cause as submitted in the modal."""

    category: str | None
    suspect: str
    note: str


def read_submission(view: dict[str, Any]) -> Correction:
    """The modal's values (absent or malformed ones are empty, never an exception)."""
    values = (view.get("state") or {}).get("values") or {}

    def value(block: str, action: str, key: str = "value") -> Any:
        entry = (values.get(block) or {}).get(action) or {}
        return entry.get(key) if isinstance(entry, dict) else None

    selected = value(CATEGORY_BLOCK, CATEGORY_ACTION, "selected_option")
    category = selected.get("value") if isinstance(selected, dict) else None
    suspect = value(SUSPECT_BLOCK, SUSPECT_ACTION)
    note = value(NOTE_BLOCK, NOTE_ACTION)
    return Correction(
        category=category if category in CATEGORIES else None,
        suspect=suspect if isinstance(suspect, str) else "",
        note=note if isinstance(note, str) else "",
    )


def correction_detail(correction: Correction) -> str:
    """The escaped tail of the acknowledgement: `: real cause `database` (`db-1`)`."""
    if correction.category is None:
        return ""
    suspect = f" ({code(correction.suspect.strip()[:80])})" if correction.suspect.strip() else ""
    return f": real cause {code(correction.category)}{suspect}"


def render_history(runs: list[RunSummary], deployment_id: str | None) -> str:
    """`/alpha history`: one line per run, linked to its message when there is one."""
    scope = f" of {code(deployment_id)}" if deployment_id else ""
    if not runs:
        return f"No investigation{scope} recorded yet."
    lines = [f"*Recent investigations{scope}* (newest first)"]
    for run in runs:
        when = f"{run.started_at:%Y-%m-%d %H:%M}Z"
        ident = code(run.execution_id)
        if run.slack_permalink:
            ident = f"<{run.slack_permalink}|{escape(run.execution_id)}>"
        top = "no hypothesis"
        if run.top_label:
            score = f" ({run.top_score:.2f})" if run.top_score is not None else ""
            top = f"{escape(truncate(run.top_label, 120))}{score}"
        verdict = ""
        if run.verdict:
            by = f" by <@{escape(run.verdict_by)}>" if run.verdict_by else ""
            verdict = f" · marked *{run.verdict}*{by}"
        lines.append(f"• {ident} {when} {code(run.deployment_id)}: {top}{verdict}")
    return "\n".join(lines)
