"""Plant small, realistic bugs one at a time and report whether the test suite catches each.

The bugs are the ones issue 16 measured the suite with (judge, aggregator, executor,
redaction, publisher, dedup, config diff, retries, payload, LLM fallback, the two signature
layers, production defaults, detector thresholds). Each is a textual patch of one file,
applied to a scratch copy of the repository (tracked and untracked files, so uncommitted
work counts), never to the working tree. The copy is tested with this checkout's virtual
environment: `python -m pytest` run from the copy imports the copy's packages, and
`PYTHONPATH` points subprocesses (the `alpha` command) at it too.

A bug is *caught* when its test selection fails (pytest exit status 1). The selections are
the test modules that guard the patched code; `--full` runs the whole suite for each bug
instead (slow: the suite times the number of bugs).

Usage:
    .venv/bin/python tools/plant_bugs.py                 # every bug, targeted tests
    .venv/bin/python tools/plant_bugs.py --only robust   # bugs whose name contains "robust"
    .venv/bin/python tools/plant_bugs.py --full          # the whole suite per bug
    .venv/bin/python tools/plant_bugs.py --list          # the bugs and their selections
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Bug:
    """One planted bug: replace `old` (found exactly once) by `new` in `path`."""

    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]


BUGS: tuple[Bug, ...] = (
    Bug(
        "judge accepts citations of unknown signals",
        "alpha/judge/judge.py",
        "            if unknown:\n                problems.append(_unknown_ids(unknown))",
        "            if False:\n                problems.append(_unknown_ids(unknown))",
        ("tests/alpha/test_judge.py", "tests/alpha/test_seed_contract.py"),
    ),
    Bug(
        "agreement bonus 0",
        "alpha/aggregation/aggregator.py",
        "DEFAULT_AGREEMENT_BONUS = 0.1",
        "DEFAULT_AGREEMENT_BONUS = 0.0",
        ("tests/alpha/test_aggregator.py", "tests/alpha/test_seed_contract.py"),
    ),
    Bug(
        "executor timeout ignored",
        "alpha/core/executor.py",
        "deadline = asyncio.timeout(seconds)",
        "deadline = asyncio.timeout(None)",
        ("tests/alpha/core/test_executor.py", "tests/alpha/core/test_runtime.py"),
    ),
    Bug(
        "ghp_ redaction off",
        "sre/redaction/rules.py",
        'r"(?i)\\b(?P<secret>gh[pousr]_[0-9a-z]{20,255})"',
        'r"(?i)\\b(?P<secret>gh[pousr]_NEVER[0-9a-z]{20,255})"',
        ("tests/sre/redaction",),
    ),
    Bug(
        "publisher ignores its interval after a send",
        "bot/publisher.py",
        "self._not_before = self._clock() + self._interval",
        "self._not_before = self._clock()",
        ("tests/bot/test_publisher.py",),
    ),
    Bug(
        "event-id dedup off",
        "bot/handlers.py",
        "    if isinstance(event_id, str) and event_id:\n",
        "    if False:\n",
        ("tests/bot/test_flow.py", "tests/bot/test_replays.py", "tests/bot/test_inbound.py"),
    ),
    Bug(
        "config diff drops changed keys",
        "sre/extractors/config.py",
        "        elif not _same(before[key], after[key]):",
        "        elif False:",
        ("tests/sre/extractors/test_config.py",),
    ),
    Bug(
        "bool equal to int in the config diff",
        "sre/extractors/config.py",
        "        return type(a) is type(b) and a == b",
        "        return bool(a == b)",
        ("tests/sre/extractors/test_config.py",),
    ),
    Bug(
        "Sentry 429 not retried",
        "sre/integrations/http.py",
        "    if status in (403, 429):",
        "    if status in (403,):",
        ("tests/sre/integrations/test_sentry.py",),
    ),
    Bug(
        "payload accepts unknown keys",
        "alpha/schemas/incident.py",
        'class _Input(BaseModel):\n    model_config = ConfigDict(extra="forbid")',
        'class _Input(BaseModel):\n    model_config = ConfigDict(extra="ignore")',
        ("tests/alpha/test_schemas.py", "tests/sre/test_payload.py"),
    ),
    Bug(
        "LLM invalid JSON escapes the fallback",
        "sre/llm/refine.py",
        "    except LLMError as exc:\n        _record(breaker, exc)",
        "    except LLMOutputError:\n        raise\n    except LLMError as exc:\n"
        "        _record(breaker, exc)",
        ("tests/sre/llm",),
    ),
    Bug(
        "our stale-timestamp check removed",
        "bot/app.py",
        "    if abs(now - int(timestamp)) > MAX_CLOCK_SKEW_S:",
        "    if False:",
        ("tests/bot/test_security.py",),
    ),
    Bug(
        "Bolt's request verifier removed alone",
        "bot/app.py",
        "        request_verification_enabled=verify,",
        "        request_verification_enabled=False,",
        ("tests/bot/test_security.py",),
    ),
    Bug(
        "ThrottledPublisher default interval 1.0 -> 0.0",
        "bot/publisher.py",
        "        interval: float = 1.0,",
        "        interval: float = 0.0,",
        ("tests/bot/test_publisher.py", "tests/bot/test_settings.py"),
    ),
    Bug(
        "BotSettings.update_interval_s default -> 0.001",
        "bot/settings.py",
        "    update_interval_s: float = Field(\n        default=1.0,",
        "    update_interval_s: float = Field(\n        default=0.001,",
        ("tests/bot/test_settings.py", "tests/bot/test_publisher.py"),
    ),
    Bug(
        "metric robust-z threshold 3.5 -> 7.0",
        "sre/extractors/shifts.py",
        "MIN_ROBUST_Z = 3.5",
        "MIN_ROBUST_Z = 7.0",
        ("tests/sre/extractors/test_metrics.py", "tests/sre/extractors/test_thresholds.py"),
    ),
    Bug(
        "metric relative-change threshold 0.25 -> 0.5",
        "sre/extractors/shifts.py",
        "MIN_RELATIVE_CHANGE = 0.25",
        "MIN_RELATIVE_CHANGE = 0.5",
        ("tests/sre/extractors/test_metrics.py", "tests/sre/extractors/test_thresholds.py"),
    ),
    Bug(
        "429 without Retry-After not retried (Sentry)",
        "sre/integrations/http.py",
        "        if status == 429 or wait is not None:",
        "        if wait is not None:",
        ("tests/sre/integrations/test_sentry.py",),
    ),
    Bug(
        "429 without Retry-After not retried (GitHub)",
        "sre/integrations/github.py",
        "        return status == 429 or status >= 500 or limited",
        "        return (status == 429 and _server_wait(exc) is not None) or status >= 500 "
        "or limited",
        ("tests/sre/integrations/test_github.py",),
    ),
)


def scratch_copy(destination: Path) -> None:
    """Copy every tracked and untracked (not ignored) file of the checkout."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    ).stdout.split(b"\0")
    for raw in filter(None, listed):
        relative = raw.decode()
        source = ROOT / relative
        if not source.is_file():
            continue  # deleted in the working tree
        target = destination / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(source, target)


def run_tests(copy: Path, tests: tuple[str, ...], timeout: int) -> tuple[int, str, float]:
    """pytest's exit status, its last line and the seconds it took, run in `copy`."""
    env = dict(os.environ, PYTHONPATH=str(copy))
    command = [
        sys.executable,
        "-m",
        "pytest",
        "-x",
        "-q",
        "-p",
        "no:cacheprovider",
        f"--timeout={timeout}",
        *tests,
    ]
    started = time.monotonic()
    done = subprocess.run(command, cwd=copy, env=env, capture_output=True, text=True)
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    failed = [line for line in lines if line.startswith("FAILED") or line.startswith("ERROR")]
    last = failed[0] if failed else (lines[-1] if lines else done.stderr.strip()[-200:])
    return done.returncode, last, time.monotonic() - started


def main() -> int:
    """Plant each selected bug in a scratch copy and print caught / NOT caught per bug."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--only", help="plant only the bugs whose name contains this")
    parser.add_argument("--full", action="store_true", help="run the whole suite per bug")
    parser.add_argument("--list", action="store_true", help="list the bugs and stop")
    parser.add_argument("--timeout", type=int, default=120, help="pytest-timeout per test")
    args = parser.parse_args()
    bugs = [b for b in BUGS if not args.only or args.only.lower() in b.name.lower()]
    if args.list:
        for bug in bugs:
            print(f"{bug.name}: {bug.path} -> {' '.join(bug.tests)}")
        return 0
    with tempfile.TemporaryDirectory(prefix="alpha-planted-") as scratch:
        copy = Path(scratch)
        scratch_copy(copy)
        selection = sorted({t for b in bugs for t in b.tests})
        status, last, seconds = run_tests(copy, () if args.full else tuple(selection), args.timeout)
        if status != 0:
            print(f"the unpatched selection does not pass: {last}")
            return 2
        print(f"unpatched: {last} ({seconds:.0f} s)")
        caught = 0
        for bug in bugs:
            file = copy / bug.path
            original = file.read_text()
            if original.count(bug.old) != 1:
                print(f"PATCH FAILS  {bug.name}: the text to replace is not in {bug.path} once")
                continue
            file.write_text(original.replace(bug.old, bug.new))
            try:
                tests = () if args.full else bug.tests
                status, last, seconds = run_tests(copy, tests, args.timeout)
            finally:
                file.write_text(original)
            verdict = "caught" if status == 1 else "NOT caught" if status == 0 else f"rc {status}"
            caught += status == 1
            print(f"{verdict:<11} {bug.name} ({seconds:.0f} s): {last}")
        print(f"{caught} of {len(bugs)} planted bugs caught")
        return 0 if caught == len(bugs) else 1


if __name__ == "__main__":
    sys.exit(main())
