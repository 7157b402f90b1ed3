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
    alpha --version                              the installed version

`alpha investigate` records each run in the history (`ALPHA_DATABASE_URL`, by default an
SQLite file in the user's data directory); `--no-store` skips it.

The report opens with the verdict (what broke, how sure, the one action to take now, then
whatever is missing), and on a terminal it fits the window (`sre.report`); `--brief`
(demo, investigate) prints the verdict's three lines alone. While it runs, live panels show
each source being fetched, the lines parsed and the rules fired per agent; Ctrl-C stops it
within a second (exit status 130). A reader that leaves early (`alpha demo | head -3`)
ends it quietly.

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
import contextlib
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
from alpha.core.http import NetworkPolicy
from alpha.schemas import ExecutionResult, IncidentInput
from sre import evaluation
from sre.history import commands as history_commands
from sre.payload import load_payload
from sre.redaction import Redactor, install_log_redaction, one_line, redact, safe_text
from sre.redaction.boundary import (
    RedactingSubscriber,
    learn_incident,
    redact_payload,
    redact_result,
)
from sre.references import References, from_payload
from sre.report import print_report
from sre.scenarios import incident_b, load_all, load_bundled

if TYPE_CHECKING:
    from sre.integrations.assembler import Assembly
    from sre.llm.refine import LLMMode

EXIT_OK = 0
EXIT_INPUT = 2
EXIT_INTERRUPTED = 130
# Seconds the live panels stay on screen at least: a demo run takes 20 ms.
MIN_VISIBLE_S = 1.0

_LLM_HELP = "let each agent's model refine its findings (needs an LLM configured)"
_REVEAL_HELP = "print secrets as they are (local use only; LLM prompts stay redacted)"
_BRIEF_HELP = "print only the verdict: what broke, how sure, the one action to take now"


def version() -> str:
    """The installed version of Alpha (`alpha --version`)."""
    from importlib.metadata import PackageNotFoundError
    from importlib.metadata import version as installed

    try:
        return installed("alpha-investigator")
    except PackageNotFoundError:
        return "unknown (not installed)"


class _Parser(argparse.ArgumentParser):
    """argparse that reports usage errors as one `alpha: ...` line with status 2."""

    def error(self, message: str) -> NoReturn:
        sys.stderr.write(f"alpha: {message} (see 'alpha --help')\n")
        raise SystemExit(EXIT_INPUT)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the `alpha` command."""
    parser = _Parser(prog="alpha", description="Incident investigator: ranked root causes.")
    parser.add_argument("--version", action="version", version=f"alpha {version()}")
    commands = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    demo = commands.add_parser(
        "demo", help="investigate the bundled demo incident (no setup needed)"
    )
    demo.add_argument("--brief", action="store_true", help=_BRIEF_HELP)

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
    investigate.add_argument("--brief", action="store_true", help=_BRIEF_HELP)
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
        code = handlers[args.command](args)
        sys.stdout.flush()  # a reader that left shows here, inside the handler below
        return code
    except AlphaError as exc:
        return _fail(str(exc))
    except KeyboardInterrupt:
        sys.stderr.write("alpha: interrupted\n")
        return EXIT_INTERRUPTED
    except BrokenPipeError:
        # `alpha demo | head -3`: the reader left. Point stdout at /dev/null so that the
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


def _progress_console(report: Console) -> Console:
    """Where progress is shown: with the report on a terminal, else on stderr, so that a
    piped stdout carries the report alone and starts with the verdict."""
    return report if report.is_terminal else Console(stderr=True, highlight=False)


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
    if not args.brief:
        # Context, not the answer: with the progress (stderr when piped), one row.
        shown_on = _progress_console(console)
        shown_on.print(
            f"[bold]Demo:[/] {escape(scenario.description)}",
            no_wrap=shown_on.is_terminal,
            overflow="ellipsis",
        )
    _investigate_live(
        scenario.incident, console, gaps=[], brief=args.brief, refs=from_payload(scenario.incident)
    )
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
    refs: References | None = None
    if args.payload is not None:
        incident = load_payload(args.payload).incident
    elif args.scenario is not None:
        incident = load_bundled(args.scenario).incident
    else:
        assembly = _assemble(args.deployment_id)
        if assembly.incident is None:
            return _fail(assembly.error or f"deployment {args.deployment_id!r}: nothing assembled")
        incident, gaps, refs = assembly.incident, list(assembly.gaps), assembly.references
    if args.show_prompt:
        return _show_prompts(incident, gaps)
    # Settings read before the run, so that a malformed one fails before any work.
    url = None if args.no_store else history_commands.history_settings().url()
    redactor = None if args.reveal else Redactor()
    result = _investigate_and_show(
        args, incident, gaps, llm, redactor, refs or from_payload(incident)
    )
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
    refs: References,
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
        incident,
        console,
        gaps=gaps,
        llm=llm,
        redactor=redactor,
        reveal=args.reveal,
        brief=args.brief,
        refs=refs,
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
    # Progress goes to stderr: stdout carries only the JSON document.
    assembly = _assemble(args.deployment_id, Console(stderr=True, highlight=False))
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

    return configured_mode(required=True, network=NetworkPolicy.from_environment())


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
    brief: bool = False,
    refs: References | None = None,
) -> ExecutionResult:
    """Run with the live agent panels, print the report (verdict first), return the result
    as shown.

    On a terminal the panels stay at least `MIN_VISIBLE_S` on screen and are then replaced
    by the report; piped, each event is a line (none with `brief`: the verdict alone).

    Args:
        redactor: The investigation's redactor; None only with `--reveal`.
        brief: print only the verdict's three lines.
        refs: links and identity of the commits and Sentry issues (redacted here).
    """
    from alpha.display.live import LiveDisplay
    from sre.agents.roster import AGENT_NAMES

    if redactor is None and not reveal:
        redactor = Redactor()
    shown_on = _progress_console(console)
    terminal = shown_on.is_terminal
    display = LiveDisplay(
        shown_on,
        agent_names=AGENT_NAMES,
        show_result=False,
        transient=terminal,
        min_visible=MIN_VISIBLE_S if terminal else 0.0,
    )
    subscribers = [] if brief and not terminal else [RedactingSubscriber(display, redactor)]
    with display if subscribers else contextlib.nullcontext():
        result = asyncio.run(
            _investigate(
                incident,
                gaps=gaps,
                subscribers=subscribers,
                llm=llm,
                redactor=redactor,
                reveal=reveal,
            )
        )
    shown = redact_result(result, redactor, single_line=True)
    refs = refs or References()
    if redactor is not None:
        refs = refs.redacted(redactor.redact)
    print_report(shown, console, refs, brief=brief)
    return shown


def _assemble(deployment_id: str, console: Console | None = None) -> Assembly:
    """Fetch a deployment's payload from the configured live sources, showing each source's
    progress on `console` (stdout's by default).

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
    from alpha.display.live import LiveDisplay
    from sre.integrations.assembler import assemble

    shown_on = _progress_console(console or _stdout())
    title = f"Fetching deployment {one_line(redact(deployment_id))}"
    with LiveDisplay(shown_on, title=title, show_result=False, transient=True) as display:
        return asyncio.run(
            assemble(
                deployment_id,
                settings,
                progress=display.source,
                network=NetworkPolicy.from_environment(),
            )
        )


# --------------------------------------------------------------------------- rendering


def render_eval(report: evaluation.EvalReport, console: Console) -> None:
    """Print the eval report as tables: one row per case, then accuracy by category."""
    table = Table(title="Evaluation")
    for column in ("scenario", "expected", "rank", "ranked first", "score", "ms"):
        table.add_column(column, no_wrap=column != "ranked first", overflow="fold")
    for case in report.cases:
        top = case.predicted[0] if case.predicted else None
        table.add_row(
            escape(case.name),
            escape(" | ".join(case.expected.categories)),
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
