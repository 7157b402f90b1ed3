"""The history commands of the `alpha` command line.

    alpha history [--deployment ID] [--service S] [--limit N]    newest runs first
    alpha show EXECUTION_ID                                        a stored run
    alpha replay EXECUTION_ID                                      rerun with today's engine
    alpha feedback EXECUTION_ID --correct|--wrong [...]            judge a run
    alpha export-cases DIR                                         judged runs -> scenarios
    alpha calibration [--eval-report FILE]                         accuracy per score bin
    alpha purge [--older-than DAYS]                                delete old runs

Every command takes `--json` (stdout then carries exactly one JSON document). The database
is `ALPHA_DATABASE_URL`, or the embedded SQLite file (see `sre.history.settings`); an
execution id may be given by a unique prefix.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import json
import socket
import sys
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from alpha.core.errors import ConfigurationError, InputError
from sre.history.records import (
    FeedbackRecord,
    RunContext,
    StoredRun,
    Trigger,
    Verdict,
    now_utc,
)
from sre.history.settings import HistorySettings
from sre.taxonomy import CATEGORIES

if TYPE_CHECKING:
    from sre.history.store import SQLHistoryStore

T = TypeVar("T")
EXIT_OK = 0


def add_commands(commands: Any) -> None:
    """Add the history subcommands to the `alpha` parser's subparsers."""
    history = commands.add_parser("history", help="recent investigations, newest first")
    history.add_argument("--deployment", metavar="ID", help="only runs of this deployment")
    history.add_argument("--service", metavar="S", help="only runs of this service")
    history.add_argument("--limit", type=int, default=20, metavar="N", help="at most N (20)")
    _json(history)

    show = commands.add_parser("show", help="a stored run: result, feedback and links")
    show.add_argument("execution_id", metavar="EXECUTION_ID")
    _json(show)

    replay = commands.add_parser("replay", help="rerun a stored payload with today's engine")
    replay.add_argument("execution_id", metavar="EXECUTION_ID")
    replay.add_argument("--no-store", action="store_true", help="do not record the replay")
    _json(replay)

    feedback = commands.add_parser("feedback", help="say whether a run was right")
    feedback.add_argument("execution_id", metavar="EXECUTION_ID")
    verdict = feedback.add_mutually_exclusive_group(required=True)
    verdict.add_argument("--correct", action="store_true", help="the hypothesis was right")
    verdict.add_argument("--wrong", action="store_true", help="the hypothesis was wrong")
    feedback.add_argument(
        "--rank", type=int, default=1, metavar="N", help="which ranked hypothesis (1)"
    )
    feedback.add_argument(
        "--category", choices=sorted(CATEGORIES), help="the real cause's category (with --wrong)"
    )
    feedback.add_argument(
        "--suspect",
        action="append",
        default=[],
        metavar="S",
        help="the real cause's suspect (config key, commit, host); repeatable",
    )
    feedback.add_argument("--note", default="", metavar="TEXT", help="free text")
    _json(feedback)

    export = commands.add_parser(
        "export-cases", help="judged runs that name the real cause, as scenario files"
    )
    export.add_argument("folder", metavar="DIR")
    _json(export)

    calibration = commands.add_parser(
        "calibration", help="observed accuracy per score bin, from feedback"
    )
    calibration.add_argument("--bins", type=int, default=10, help="equal-width bins (10)")
    calibration.add_argument(
        "--eval-report",
        action="append",
        default=[],
        metavar="FILE",
        help="also use an `alpha eval --json` report; repeatable",
    )
    _json(calibration)

    purge = commands.add_parser("purge", help="delete runs older than the retention")
    purge.add_argument(
        "--older-than",
        type=int,
        metavar="DAYS",
        help="age in days (default: ALPHA_RETENTION_DAYS, 90)",
    )
    _json(purge)


def _json(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--json", action="store_true", help="print one JSON document")


HANDLERS: dict[str, Callable[[argparse.Namespace, Console], int]] = {}


def _command(name: str) -> Callable[[Callable[..., int]], Callable[..., int]]:
    def register(handler: Callable[..., int]) -> Callable[..., int]:
        HANDLERS[name] = handler
        return handler

    return register


# --------------------------------------------------------------------------- plumbing


def history_settings() -> HistorySettings:
    """The history settings, read once (a malformed value names its variable).

    Raises:
        ConfigurationError: a setting is malformed.
    """
    try:
        return HistorySettings()
    except ValidationError as error:
        first = error.errors(include_url=False)[0]
        names = {"database_url": "ALPHA_DATABASE_URL", "retention_days": "ALPHA_RETENTION_DAYS"}
        field = str(first["loc"][0]) if first["loc"] else ""
        raise ConfigurationError(f"{names.get(field, field)}: {first['msg']}") from None


def cli_context(trigger: Trigger = "cli", replay_of: str | None = None) -> RunContext:
    """Who and where for a run started from this terminal."""
    try:
        user: str | None = getpass.getuser()
    except (KeyError, OSError):
        user = None  # a container user without a passwd entry
    return RunContext(
        trigger=trigger,
        requested_by=user,
        origin=f"cli@{socket.gethostname()}",
        replay_of=replay_of,
    )


def _with_store(work: Callable[[SQLHistoryStore], Awaitable[T]]) -> T:
    from sre.history.store import open_store

    url = history_settings().url()

    async def run() -> T:
        async with open_store(url) as store:
            return await work(store)

    return asyncio.run(run())


def _print_json(document: Any) -> None:
    sys.stdout.write(json.dumps(document, indent=2, ensure_ascii=False) + "\n")


def _when(run_started: Any) -> str:
    return f"{run_started:%Y-%m-%d %H:%M:%S}Z"


# --------------------------------------------------------------------------- history


@_command("history")
def cmd_history(args: argparse.Namespace, console: Console) -> int:
    """`alpha history`: the newest runs, one line each."""
    if not 1 <= args.limit <= 1000:
        raise InputError(f"--limit: expected 1 to 1000, got {args.limit}")
    runs = _with_store(
        lambda store: store.history(
            deployment_id=args.deployment, service=args.service, limit=args.limit
        )
    )
    if args.json:
        _print_json({"runs": [run.model_dump(mode="json") for run in runs]})
        return EXIT_OK
    if not runs:
        console.print("No investigation recorded yet (alpha investigate records by default).")
        return EXIT_OK
    table = Table(title="History (newest first)")
    for column in ("execution", "started (UTC)", "deployment", "trigger", "top hypothesis"):
        table.add_column(column, overflow="fold")
    table.add_column("score", justify="right")
    table.add_column("verdict")
    for run in runs:
        top = f"{run.top_category}: {run.top_label}" if run.top_label else "-"
        verdict_text: str = run.verdict or ""
        if run.verdict_by:
            verdict_text += f" ({run.verdict_by})"
        table.add_row(
            escape(run.execution_id),
            _when(run.started_at),
            escape(run.deployment_id),
            escape(run.trigger),
            escape(top),
            f"{run.top_score:.2f}" if run.top_score is not None else "-",
            escape(verdict_text),
        )
    console.print(table)
    return EXIT_OK


# --------------------------------------------------------------------------- show


async def _load(store: SQLHistoryStore, prefix: str) -> StoredRun:
    run = await store.get(await store.resolve(prefix))
    if run is None:  # deleted between the two queries
        raise InputError(f"execution {prefix!r}: no such run in the history")
    return run


@_command("show")
def cmd_show(args: argparse.Namespace, console: Console) -> int:
    """`alpha show`: the stored result, its feedback and links."""
    run = _with_store(lambda store: _load(store, args.execution_id))
    if args.json:
        _print_json(run.model_dump(mode="json"))
        return EXIT_OK
    render_run_header(run, console)
    from sre.report import print_report

    # A stored run is read at leisure: the whole report, not one fitted to the window.
    print_report(run.result, console, fit=False)
    render_feedback(run, console)
    return EXIT_OK


def render_run_header(run: StoredRun, console: Console) -> None:
    """Who ran it, when, with which engine, where it was posted, what was stored."""
    s = run.summary
    seconds = (s.finished_at - s.started_at).total_seconds()
    who = " ".join(x for x in (s.requested_by and f"by {s.requested_by}", s.origin) if x)
    console.print(
        f"[bold]execution {escape(s.execution_id)}[/]  ({escape(s.trigger)} {escape(who)})"
    )
    console.print(
        f"  started {_when(s.started_at)}, took {seconds:.1f} s, engine {s.engine_version}"
    )
    if s.service:
        console.print(f"  service {escape(s.service)}")
    if s.replay_of:
        console.print(f"  replay of {escape(s.replay_of)}")
    if s.slack_channel:
        link = s.slack_permalink or f"channel {s.slack_channel}, message {s.slack_ts}"
        console.print(f"  Slack: {escape(link)}")
    if run.payload_cuts is not None:
        console.print(f"  payload: {escape(run.payload_cuts.describe())}")
    else:
        console.print("  payload: not stored (replay is not possible)")
    if s.total_tokens or s.cost_usd is not None:
        cost = f", ${s.cost_usd:.4f}" if s.cost_usd is not None else ""
        console.print(f"  LLM: {s.total_tokens:,} tokens{cost}")


def render_feedback(run: StoredRun, console: Console) -> None:
    """Every verdict on the run, oldest first."""
    if not run.feedback:
        console.print("\n[dim]No feedback yet: alpha feedback ID --correct | --wrong[/]")
        return
    console.print("\n[bold]Feedback[/]")
    for fb in run.feedback:
        cause = ""
        if fb.category:
            suspects = f" ({', '.join(fb.suspects)})" if fb.suspects else ""
            cause = f"; real cause {fb.category}{suspects}"
        note = f": {fb.note}" if fb.note else ""
        console.print(
            escape(
                f"  {_when(fb.created_at)} #{fb.rank} {fb.verdict} by {fb.user or '?'} "
                f"via {fb.source}{cause}{note}"
            )
        )


# --------------------------------------------------------------------------- replay


@_command("replay")
def cmd_replay(args: argparse.Namespace, console: Console) -> int:
    """`alpha replay`: the stored payload through today's engine, and what changed."""
    from sre.engine import investigate
    from sre.history.recorder import record_run
    from sre.history.records import StoredPayload
    from sre.history.replay import compare
    from sre.history.version import engine_version

    async def load(store: SQLHistoryStore) -> tuple[StoredRun, StoredPayload | None]:
        run = await _load(store, args.execution_id)
        return run, await store.payload(run.summary.execution_id)

    run, payload = _with_store(load)
    original = run.summary.execution_id
    if payload is None:
        raise InputError(f"execution {original!r}: its payload was not stored, nothing to replay")
    result = asyncio.run(investigate(payload.incident))
    problem = None
    if not args.no_store:
        context = cli_context("replay", replay_of=original)
        problem = record_run(history_settings().url(), payload.incident, result, context)
    recorded = not args.no_store and problem is None
    diff = compare(run.result.ranked_hypotheses, result.ranked_hypotheses)
    now = engine_version()
    if args.json:
        _print_json(
            {
                "replay_of": original,
                "execution_id": result.execution_id,
                "recorded": recorded,
                "engine_then": run.summary.engine_version,
                "engine_now": now,
                "payload": payload.cuts.model_dump(mode="json"),
                "changed": diff.changed,
                "top_changed": diff.top_changed,
                "changes": [c.model_dump(mode="json") for c in diff.changes],
                "result": result.model_dump(mode="json"),
            }
        )
    else:
        render_replay(run, payload, diff, result.execution_id, now, console)
    if problem is not None:
        sys.stderr.write(f"alpha: history: replay not recorded: {problem}\n")
    elif recorded and not args.json:
        console.print(f"[dim]recorded as {escape(result.execution_id)}[/]")
    return EXIT_OK


def render_replay(
    run: StoredRun, payload: Any, diff: Any, new_id: str, now: str, console: Console
) -> None:
    """The ranking before and after, one row per conclusion."""
    then = run.summary.engine_version
    engine = f"engine {then} (unchanged)" if then == now else f"engine {then} -> {now}"
    console.print(f"[bold]Replay of {escape(run.summary.execution_id)}[/] as {escape(new_id)}")
    console.print(f"  {escape(engine)}; payload: {escape(payload.cuts.describe())}")
    table = Table()
    for column in ("rank", "score", "change", "category", "hypothesis"):
        table.add_column(column, overflow="fold")
    for change in diff.changes:
        rank = f"{change.before_rank or '-'} -> {change.after_rank or '-'}"
        before = "-" if change.before_score is None else f"{change.before_score:.2f}"
        after = "-" if change.after_score is None else f"{change.after_score:.2f}"
        table.add_row(
            rank,
            f"{before} -> {after}",
            change.change,
            escape(change.category),
            escape(change.label),
        )
    console.print(table)
    if not diff.changed:
        console.print("The ranking is unchanged.")
    elif diff.top_changed:
        console.print("[bold yellow]The top hypothesis changed.[/]")
    else:
        console.print("The ranking changed below the top hypothesis.")


# --------------------------------------------------------------------------- feedback


@_command("feedback")
def cmd_feedback(args: argparse.Namespace, console: Console) -> int:
    """`alpha feedback`: record a verdict (the real cause with --wrong)."""
    verdict: Verdict = "correct" if args.correct else "wrong"
    if args.correct and (args.category or args.suspect):
        raise InputError("--category/--suspect: give the real cause with --wrong only")
    if args.suspect and not args.category:
        raise InputError("--suspect: give --category too (the real cause's category)")

    async def record(store: SQLHistoryStore) -> FeedbackRecord:
        run = await _load(store, args.execution_id)
        ranked = len(run.result.ranked_hypotheses)
        if ranked and not 1 <= args.rank <= ranked:
            raise InputError(f"--rank: the run ranked {ranked} hypotheses, got {args.rank}")
        from sre.redaction import Redactor

        redactor = Redactor()
        feedback = FeedbackRecord(
            execution_id=run.summary.execution_id,
            verdict=verdict,
            rank=args.rank,
            category=args.category,
            suspects=[redactor.redact(s) for s in args.suspect if s.strip()],
            note=redactor.redact(args.note)[:4000],
            user=cli_context().requested_by,
            source="cli",
            created_at=now_utc(),
        )
        await store.add_feedback(feedback)
        return feedback

    feedback = _with_store(record)
    if args.json:
        _print_json(feedback.model_dump(mode="json"))
    else:
        console.print(
            f"Recorded: {escape(feedback.execution_id)} #{feedback.rank} {feedback.verdict}"
        )
    return EXIT_OK


# --------------------------------------------------------------------------- export


@_command("export-cases")
def cmd_export_cases(args: argparse.Namespace, console: Console) -> int:
    """`alpha export-cases DIR`: judged runs naming the real cause become scenario files."""
    from sre.history.cases import ExportReport, Skipped, to_scenario, write_scenario

    folder = Path(args.folder)
    if folder.exists() and not folder.is_dir():
        raise InputError(f"{folder}: not a folder")
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise InputError(f"{folder}: cannot create: {error.strerror or error}") from None

    async def export(store: SQLHistoryStore) -> ExportReport:
        written: list[str] = []
        skipped: list[Skipped] = []
        for run in await store.judged_runs():
            execution_id = run.summary.execution_id
            payload = await store.payload(execution_id)
            if payload is None:
                skipped.append(Skipped(execution_id=execution_id, reason="no stored payload"))
                continue
            scenario = to_scenario(run, payload)
            if scenario is None:
                reason = "the latest verdict does not name the real cause (--wrong --category)"
                skipped.append(Skipped(execution_id=execution_id, reason=reason))
                continue
            written.append(str(write_scenario(scenario, folder)))
        return ExportReport(written=written, skipped=skipped)

    report = _with_store(export)
    if args.json:
        _print_json(report.model_dump(mode="json"))
        return EXIT_OK
    for path in report.written:
        console.print(f"wrote {escape(path)}")
    for skip in report.skipped:
        console.print(f"[dim]skipped {escape(skip.execution_id)}: {escape(skip.reason)}[/]")
    console.print(
        f"{len(report.written)} case(s) written; score them with: alpha eval {escape(str(folder))}"
    )
    return EXIT_OK


# --------------------------------------------------------------------------- calibration


@_command("calibration")
def cmd_calibration(args: argparse.Namespace, console: Console) -> int:
    """`alpha calibration`: observed accuracy per score bin, and the ECE."""
    from sre.history.calibration import calibrate, labels_from_eval, labels_from_feedback
    from sre.payload import parse_json, read_bytes

    extra = []
    for path in args.eval_report:
        data, name = read_bytes(path)
        extra.extend(labels_from_eval(parse_json(data, name), name))

    async def judged(store: SQLHistoryStore) -> list[StoredRun]:
        return await store.judged_runs()

    labels = [*labels_from_feedback(_with_store(judged)), *extra]
    report = calibrate(labels, args.bins)
    if args.json:
        _print_json(report.model_dump(mode="json"))
        return EXIT_OK
    if not report.samples:
        console.print(
            "No labelled hypothesis yet: give feedback (alpha feedback, or Correct/Wrong in "
            "Slack), or pass --eval-report FILE from alpha eval --json."
        )
        return EXIT_OK
    table = Table(title="Calibration: how often a score was right")
    for column in ("score bin", "hypotheses", "mean score", "observed accuracy"):
        table.add_column(column, justify="right")
    for b in report.bins:
        if b.count:
            table.add_row(
                f"{b.lower:.1f}-{b.upper:.1f}",
                str(b.count),
                f"{b.mean_score:.2f}",
                f"{b.accuracy:.2f}",
            )
    console.print(table)
    sources = ", ".join(f"{n} from {source}" for source, n in report.by_source.items())
    console.print(
        f"expected calibration error {report.ece:.3f} over {report.samples} hypotheses ({sources})"
    )
    return EXIT_OK


# --------------------------------------------------------------------------- purge


@_command("purge")
def cmd_purge(args: argparse.Namespace, console: Console) -> int:
    """`alpha purge`: delete runs older than `--older-than` days (or the retention)."""
    settings = history_settings()
    days = settings.retention_days if args.older_than is None else args.older_than
    if days < 0:
        raise InputError(f"--older-than: expected a number of days >= 0, got {days}")
    before = now_utc() - timedelta(days=days)
    report = _with_store(lambda store: store.purge(before))
    if args.json:
        _print_json(report.model_dump(mode="json"))
    else:
        console.print(
            f"Deleted {report.runs} run(s) started before {_when(report.before)} "
            f"and {report.dedup_keys} expired dedup key(s)."
        )
    return EXIT_OK
