"""The `alpha` command line.

    alpha demo                                   the bundled demo incident, live panels
    alpha investigate --payload FILE|-           a payload or scenario file (- for stdin)
    alpha investigate --scenario NAME            a bundled scenario
    alpha investigate DEPLOYMENT_ID              live data from GitHub and Sentry
    alpha fetch DEPLOYMENT_ID                    print the assembled payload as JSON
    alpha eval PATH... [--json]                  score scenario files against their answers
    alpha scenarios                              list the bundled scenarios
    alpha history | show | replay | feedback | export-cases | calibration | purge
                                                 the investigation history (sre.history)

`alpha investigate` records each run in the history (`ALPHA_DATABASE_URL`, by default an
SQLite file in the user's data directory); `--no-store` skips it.

`--llm` (investigate, eval) lets each agent ask its model to refine its findings, when
OPENROUTER_API_KEY or ALPHA_LLM_BASE_URL is set (see .env.example); without it, or when a
call fails, the deterministic analysis is used.

Everything printed passes the redaction boundary (`sre.redaction.boundary`): secrets become
`[REDACTED:kind#n]` in text and `--json` output alike, and control characters are removed.
`--reveal` (investigate, fetch) keeps the values for a local user; LLM prompts are redacted
all the same. `--show-prompt` prints the prompts `--llm` would send, and sends nothing.

`.env` in the current directory is loaded at start without overriding the environment.
Invalid input ends with one line on stderr (``alpha: FILE: FIELD: problem``) and exit
status 2, never a traceback. With ``--json`` stdout carries only the JSON document.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import json
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

from pydantic import ValidationError
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from alpha.core.errors import AlphaError, ConfigurationError
from alpha.schemas import ExecutionResult, IncidentInput
from sre import evaluation
from sre.history import commands as history_commands
from sre.payload import load_payload
from sre.redaction import Redactor, install_log_redaction, one_line, redact, safe_text
from sre.redaction.boundary import (
    RedactingSubscriber,
    count_redacted,
    learn_incident,
    redact_payload,
    redact_result,
    redacted_line,
)
from sre.scenarios import incident_b, load_all, load_bundled

if TYPE_CHECKING:
    from sre.integrations.assembler import Assembly
    from sre.llm.refine import LLMMode

EXIT_OK = 0
EXIT_INPUT = 2
EXIT_INTERRUPTED = 130

# Evidence lines printed per hypothesis; `--json` carries every citation.
_EVIDENCE_SHOWN = 6
_LLM_HELP = "let each agent's model refine its findings (needs an LLM configured)"
_REVEAL_HELP = "print secrets as they are (local use only; LLM prompts stay redacted)"


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one `alpha: ...` line with status 2."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"alpha: {message} (see 'alpha --help')\n")
        raise SystemExit(EXIT_INPUT)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the `alpha` command."""
    parser = _Parser(prog="alpha", description="Incident investigator: ranked root causes.")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    commands.add_parser("demo", help="investigate the bundled demo incident (no setup needed)")

    investigate = commands.add_parser("investigate", help="investigate an incident")
    investigate.add_argument("deployment_id", nargs="?", help="deployment to fetch live")
    investigate.add_argument(
        "--payload", metavar="FILE", help="payload or scenario file, - for stdin"
    )
    investigate.add_argument("--scenario", metavar="NAME", help="a bundled scenario")
    investigate.add_argument("--json", action="store_true", help="print the result as JSON")
    investigate.add_argument("--llm", action="store_true", help=_LLM_HELP)
    investigate.add_argument(
        "--explain",
        action="store_true",
        help="also show, per hypothesis, the rules that produced it and every signal it cites",
    )
    investigate.add_argument("--reveal", action="store_true", help=_REVEAL_HELP)
    investigate.add_argument(
        "--show-prompt",
        action="store_true",
        help="print the redacted prompts --llm would send to the model, and send nothing",
    )
    investigate.add_argument(
        "--no-store", action="store_true", help="do not record the run in the history"
    )

    fetch = commands.add_parser("fetch", help="print the assembled payload of a deployment")
    fetch.add_argument("deployment_id")
    fetch.add_argument("--reveal", action="store_true", help=_REVEAL_HELP)

    run_eval = commands.add_parser("eval", help="score scenario files against their answers")
    run_eval.add_argument("paths", nargs="+", metavar="PATH", help="scenario files or folders")
    run_eval.add_argument("--json", action="store_true", help="print one JSON object")
    run_eval.add_argument("--llm", action="store_true", help=_LLM_HELP)

    commands.add_parser("scenarios", help="list the bundled scenarios")
    history_commands.add_commands(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the `alpha` command; returns the exit status."""
    _load_dotenv()
    _configure_logging()
    args = build_parser().parse_args(argv)
    handlers: dict[str, Callable[[argparse.Namespace], int]] = {
        "demo": _cmd_demo,
        "investigate": _cmd_investigate,
        "fetch": _cmd_fetch,
        "eval": _cmd_eval,
        "scenarios": _cmd_scenarios,
        **{
            name: functools.partial(_history_command, handler)
            for name, handler in history_commands.HANDLERS.items()
        },
    }
    try:
        return handlers[args.command](args)
    except AlphaError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `alpha eval ... | head`: the reader left. Point stdout at /dev/null so that the
        # interpreter's final flush does not raise again (the recipe in Python's docs).
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_OK


def _configure_logging() -> None:
    """Warnings to stderr, through the redaction filter like every other output."""
    import logging

    if not logging.getLogger().handlers:
        logging.basicConfig(level=logging.WARNING, format="alpha: %(levelname)s %(message)s")
    install_log_redaction()


def _load_dotenv() -> None:
    from dotenv import load_dotenv

    load_dotenv(Path.cwd() / ".env", override=False)


def _fail(message: str) -> int:
    # Error messages may quote the payload (a validation error shows the bad value).
    sys.stderr.write(f"alpha: {_safe_line(message)}\n")
    return EXIT_INPUT


def _safe_line(text: str) -> str:
    """One line of text as it may be printed: redacted, no control characters."""
    return " ".join(one_line(redact(text)).split())


def _stdout() -> Console:
    console = Console(file=sys.stdout, highlight=False)
    if not console.is_terminal:
        # A pipe or file has no width; Rich's 80 columns would fold every table row.
        console.width = 120
    return console


# --------------------------------------------------------------------------- commands


def _cmd_demo(args: argparse.Namespace) -> int:
    scenario = incident_b.scenario()
    console = _stdout()
    console.print(f"[bold]Demo:[/] {escape(scenario.description)}\n")
    _investigate_live(scenario.incident, console, gaps=[])
    return EXIT_OK


def _cmd_investigate(args: argparse.Namespace) -> int:
    sources = [s for s in (args.payload, args.scenario, args.deployment_id) if s is not None]
    if len(sources) != 1:
        return _fail(
            "investigate needs exactly one of --payload FILE, --scenario NAME or DEPLOYMENT_ID"
        )
    if args.show_prompt and (args.llm or args.json):
        return _fail("--show-prompt runs no model and prints prompts: drop --llm and --json")
    llm = None if args.show_prompt else _llm_mode(args)
    gaps: list[str] = []
    if args.payload is not None:
        incident = load_payload(args.payload).incident
    elif args.scenario is not None:
        incident = load_bundled(args.scenario).incident
    else:
        assembly = _assemble(args.deployment_id)
        if assembly.incident is None:
            return _fail(assembly.error or f"deployment {args.deployment_id!r}: nothing assembled")
        incident, gaps = assembly.incident, list(assembly.gaps)
    if args.show_prompt:
        return _show_prompts(incident, gaps)
    # Settings read before the run, so that a malformed one fails before any work.
    url = None if args.no_store else history_commands.history_settings().url()
    redactor = None if args.reveal else Redactor()
    result = _investigate_and_show(args, incident, gaps, llm, redactor)
    if url is not None:
        from sre.history.recorder import record_run

        # The store redacts what it keeps whatever was shown (--reveal included), with
        # the placeholders the user saw.
        problem = record_run(
            url, incident, result, history_commands.cli_context(), redactor=redactor
        )
        if problem is not None:
            sys.stderr.write(f"alpha: history: run not recorded: {problem}\n")
    return EXIT_OK


def _investigate_and_show(
    args: argparse.Namespace,
    incident: IncidentInput,
    gaps: list[str],
    llm: LLMMode | None,
    redactor: Redactor | None,
) -> ExecutionResult:
    """Investigate, print the result (through `redactor`; None with --reveal), return it."""
    if args.json:
        result = asyncio.run(
            _investigate(incident, gaps=gaps, llm=llm, redactor=redactor, reveal=args.reveal)
        )
        shown = redact_result(result, redactor)
        sys.stdout.write(shown.model_dump_json(indent=2) + "\n")
        sys.stdout.flush()
        return shown
    console = _stdout()
    shown = _investigate_live(
        incident, console, gaps=gaps, llm=llm, redactor=redactor, reveal=args.reveal
    )
    if args.explain:
        from sre.explain import explain_lines

        console.print("\n[bold]Why[/]")
        for line in explain_lines(shown):
            console.print(escape(one_line(line)), soft_wrap=True)
    return shown


def _history_command(
    handler: Callable[[argparse.Namespace, Console], int], args: argparse.Namespace
) -> int:
    return handler(args, _stdout())


def _show_prompts(incident: IncidentInput, gaps: Sequence[str]) -> int:
    """Run as `--llm` would, record each agent's prompt, print them; nothing is sent."""
    from sre.agents.roster import AGENT_NAMES
    from sre.llm.preview import CapturedPrompt, preview_mode
    from sre.llm.settings import load_settings

    settings, reasoning = load_settings()
    mode, recorder = preview_mode(reasoning, (settings.model or "").strip() or None)
    asyncio.run(_investigate(incident, gaps=gaps, llm=mode, redactor=Redactor()))

    def roster_order(prompt: CapturedPrompt) -> int:
        # Each system prompt opens with its agent's name ("You are LogAgent, ...").
        for index, name in enumerate(AGENT_NAMES):
            if prompt.system.startswith(f"You are {name},"):
                return index
        return len(AGENT_NAMES)

    prompts = sorted(recorder.prompts, key=roster_order)
    out = sys.stdout
    out.write(f"{len(prompts)} prompts, not sent (--show-prompt)\n")
    for prompt in prompts:
        # Already redacted when built; checked again, and made safe for a terminal.
        out.write(f"\n===== model {_safe_line(prompt.model)}\n--- system\n")
        out.write(safe_text(redact(prompt.system)) + "\n--- user\n")
        out.write(safe_text(redact(prompt.user)) + "\n")
    return EXIT_OK


def _cmd_fetch(args: argparse.Namespace) -> int:
    assembly = _assemble(args.deployment_id)
    for gap in assembly.gaps:
        sys.stderr.write(f"alpha: gap: {_safe_line(gap)}\n")
    if assembly.incident is None:
        return _fail(assembly.error or f"deployment {args.deployment_id!r}: nothing assembled")
    payload = assembly.incident.model_dump(mode="json", exclude_none=True)
    redactor = None if args.reveal else Redactor()
    if redactor is not None:
        learn_incident(redactor, assembly.incident)
    payload = redact_payload(payload, redactor)
    sys.stdout.write(json.dumps(payload, indent=2, ensure_ascii=False) + "\n")
    return EXIT_OK


def _cmd_eval(args: argparse.Namespace) -> int:
    llm = _llm_mode(args)
    investigator = None
    if llm is not None:
        mode = llm

        async def investigator(incident: IncidentInput) -> ExecutionResult:
            return await _investigate(incident, gaps=(), llm=mode)

    report, problems = asyncio.run(evaluation.evaluate(args.paths, investigator=investigator))
    for problem in problems:
        sys.stderr.write(f"alpha: {' '.join(problem.message.split())}\n")
    if args.json:
        sys.stdout.write(json.dumps(evaluation.report_json(report), indent=2) + "\n")
    elif report.cases or not problems:
        # Nothing ran because every path was bad: the errors above say it all, an empty
        # table would only be noise.
        render_eval(report, _stdout())
    return EXIT_INPUT if problems else EXIT_OK


def _cmd_scenarios(args: argparse.Namespace) -> int:
    table = Table(title="Bundled scenarios", show_lines=False)
    table.add_column("name", no_wrap=True)
    table.add_column("expected category", overflow="fold")
    table.add_column("description")
    for scenario in load_all():
        table.add_row(
            escape(scenario.name),
            escape(" | ".join(scenario.expected.categories)),
            escape(scenario.description),
        )
    _stdout().print(table)
    return EXIT_OK


# --------------------------------------------------------------------------- running


def _llm_mode(args: argparse.Namespace) -> LLMMode | None:
    """The LLM mode when `--llm` was given (settings read here, once).

    Raises:
        ConfigurationError: `--llm` without an endpoint configured, or a malformed setting.
    """
    if not getattr(args, "llm", False):
        return None
    from sre.llm.mode import configured_mode

    return configured_mode(required=True)


async def _investigate(
    incident: IncidentInput,
    *,
    gaps: Sequence[str],
    subscribers: Sequence[Any] = (),
    llm: LLMMode | None = None,
    redactor: Redactor | None = None,
    reveal: bool = False,
) -> ExecutionResult:
    from sre.engine import investigate

    return await investigate(
        incident,
        subscribers=subscribers,
        gaps=gaps,
        llm=llm,
        redactor=redactor,
        reveal=reveal,
    )


def _investigate_live(
    incident: IncidentInput,
    console: Console,
    *,
    gaps: Sequence[str],
    llm: LLMMode | None = None,
    redactor: Redactor | None = None,
    reveal: bool = False,
) -> ExecutionResult:
    """Run with the live agent panels, print the full report, return the result as shown.

    Args:
        redactor: The investigation's redactor; None only with `--reveal`.
    """
    from alpha.display.live import LiveDisplay
    from sre.agents.roster import AGENT_NAMES

    if redactor is None and not reveal:
        redactor = Redactor()
    # The report below shows the ranking with its evidence, so the display's own is not needed.
    with LiveDisplay(console, agent_names=AGENT_NAMES, show_result=False) as display:
        redacting = RedactingSubscriber(display, redactor)
        result = asyncio.run(
            _investigate(
                incident,
                gaps=gaps,
                subscribers=[redacting],
                llm=llm,
                redactor=redactor,
                reveal=reveal,
            )
        )
    shown = redact_result(result, redactor, single_line=True)
    render_result(shown, console)
    return shown


def _assemble(deployment_id: str) -> Assembly:
    """Fetch a deployment's payload from the configured live sources.

    Raises:
        ConfigurationError: settings are malformed, or no source is configured.
    """
    from sre.integrations.settings import IntegrationSettings

    try:
        settings = IntegrationSettings()
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        field = ".".join(str(part) for part in first["loc"]).upper()
        raise ConfigurationError(f"setting {field}: {first['msg']}") from None
    missing = {"GitHub": settings.missing_github(), "Sentry": settings.missing_sentry()}
    if all(missing.values()):
        needs = " or ".join(f"{', '.join(names)} ({source})" for source, names in missing.items())
        raise ConfigurationError(f"no live source is configured: set {needs}")
    from sre.integrations.assembler import assemble

    return asyncio.run(assemble(deployment_id, settings))


# --------------------------------------------------------------------------- rendering


def render_result(result: ExecutionResult, console: Console) -> None:
    """Print ranked hypotheses with their evidence, the summary and the next actions.

    Every string that came from the payload is escaped: a log line like ``[gc] ...`` must
    print as itself, not as Rich markup.
    """
    signals = {signal.id: signal for signal in result.signals_used}
    console.rule(f"Investigation of {escape(result.deployment_id)}")
    if not result.ranked_hypotheses:
        console.print("[yellow]No hypothesis survived the evidence check.[/]")
    for hypothesis in result.ranked_hypotheses:
        suspects = ", ".join(map(_short, hypothesis.suspects)) or "-"
        console.print(
            f"\n[bold]#{hypothesis.rank} {escape(hypothesis.label)}[/]  "
            f"[cyan]{escape(hypothesis.category)}[/]  score {hypothesis.score:.2f}  "
            f"[dim]({escape(', '.join(hypothesis.contributing_agents))})[/]"
        )
        console.print(f"  suspects: {escape(suspects)}")
        if hypothesis.description:
            console.print(f"  {escape(hypothesis.description)}")
        cited = hypothesis.supporting_signals
        for signal_id in cited[:_EVIDENCE_SHOWN]:
            signal = signals.get(signal_id)
            text = signal.description if signal else "(not among the extracted signals)"
            console.print(f"    [dim]{escape(signal_id)}[/] {escape(text)}")
        if len(cited) > _EVIDENCE_SHOWN:
            console.print(f"    [dim](+{len(cited) - _EVIDENCE_SHOWN} more signals)[/]")
    _render_footer(result, console)


def _render_footer(result: ExecutionResult, console: Console) -> None:
    if result.summary:
        console.print(f"\n[bold]Summary[/]\n{escape(result.summary)}")
    if result.next_actions:
        console.print("\n[bold]Next actions[/]")
        for number, action in enumerate(result.next_actions, start=1):
            console.print(f"  {number}. {escape(action)}")
    problems = [o for o in result.agent_outcomes if o.status != "ok"]
    for outcome in problems:
        console.print(
            f"[red]{escape(outcome.agent_name)} {outcome.status}[/]: {escape(outcome.reason or '')}"
        )
    for outcome in result.agent_outcomes:
        if outcome.fallback_reason:
            console.print(
                f"[yellow]{escape(outcome.agent_name)} fallback:[/] "
                f"{escape(outcome.fallback_reason)}"
            )
    for gap in result.gaps:
        console.print(f"[yellow]gap:[/] {escape(gap)}")
    if result.requires_human_review:
        reasons = "; ".join(result.review_reasons) or "evidence is thin"
        console.print(f"[bold yellow]Needs human review:[/] {escape(reasons)}")
    tokens = ""
    if result.usage.calls:
        from alpha.display.live import usage_text

        tokens = f", {result.usage.calls} LLM calls, {usage_text(result.usage)}"
    redacted = redacted_line(count_redacted(result.model_dump_json()))
    redacted = f", {redacted}" if redacted else ""
    console.print(
        f"\n[dim]{len(result.signals_used)} signals, {result.execution_time_ms:.0f} ms"
        f"{tokens}{redacted}[/]"
    )


def render_eval(report: evaluation.EvalReport, console: Console) -> None:
    """Print the eval report as tables: one row per case, then accuracy by category."""
    table = Table(title="Evaluation")
    for column in ("scenario", "expected", "rank", "ranked first", "score", "ms"):
        table.add_column(column, no_wrap=column != "ranked first", overflow="fold")
    for case in report.cases:
        top = case.predicted[0] if case.predicted else None
        table.add_row(
            escape(case.name),
            escape(case.expected.primary_category),
            str(case.rank) if case.rank is not None else "[red]none[/]",
            escape(f"{top.category} ({', '.join(map(_short, top.suspects[:2])) or '-'})")
            if top
            else "-",
            f"{top.score:.2f}" if top else "-",
            f"{case.elapsed_ms:.0f}",
        )
    console.print(table)
    by_category = Table(title="By category")
    for column in ("category", "cases", "top-1", "top-3"):
        by_category.add_column(column)
    for category, score in report.by_category.items():
        by_category.add_row(category, str(score.cases), f"{score.top1:.2f}", f"{score.top3:.2f}")
    console.print(by_category)
    console.print(
        f"[bold]top-1 {report.top1:.2f}   top-3 {report.top3:.2f}[/]   ({len(report.cases)} cases)"
    )


def _short(suspect: str) -> str:
    """A full commit SHA shortened to 10 characters, as `git log --oneline` would."""
    hex_digits = set("0123456789abcdef")
    if len(suspect) > 12 and set(suspect.lower()) <= hex_digits:
        return suspect[:10]
    return suspect


if __name__ == "__main__":
    raise SystemExit(main())
