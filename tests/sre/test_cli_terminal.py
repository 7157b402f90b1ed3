"""The installed `alpha` as a person sees it: in a real 80x24 and 160x50 terminal (a pty
read through a VT100 emulator), piped into a reader that leaves early, interrupted with
Ctrl-C in the middle of a million-line parse, and `--version` / `--brief`."""

from __future__ import annotations

import fcntl
import json
import os
import pty
import select
import signal
import struct
import subprocess
import termios
from pathlib import Path

import pyte
import pytest

from sre.scenarios import scenario_dir

pytestmark = pytest.mark.timeout(180)


def screen_after(argv: list[str], columns: int, rows: int, cwd: Path) -> list[str]:
    """The rows a `columns` x `rows` terminal shows once `argv` has exited."""
    leader, follower = pty.openpty()
    fcntl.ioctl(follower, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    env = {**os.environ, "TERM": "xterm-256color"}
    for name in ("COLUMNS", "LINES", "NO_COLOR", "FORCE_COLOR", "TERM_PROGRAM"):
        env.pop(name, None)
    process = subprocess.Popen(
        argv, stdin=follower, stdout=follower, stderr=follower, cwd=cwd, env=env
    )
    os.close(follower)
    screen = pyte.Screen(columns, rows)
    stream = pyte.ByteStream(screen)
    while True:
        ready, _, _ = select.select([leader], [], [], 60)
        if not ready:
            break
        try:
            data = os.read(leader, 65536)
        except OSError:  # the child closed the terminal
            break
        if not data:
            break
        stream.feed(data)
    assert process.wait(timeout=60) == 0
    os.close(leader)
    return [line.rstrip() for line in screen.display]


def test_demo_at_80x24_shows_the_verdict_without_scrolling(
    alpha_script: Path, tmp_path: Path
) -> None:
    """After `alpha demo` in an 80x24 terminal the screen still shows the three verdict
    lines (and the first action), every row fits the width, and the report says it was cut."""
    rows = screen_after([str(alpha_script), "demo"], 80, 24, tmp_path)
    text = "\n".join(rows)
    verdict = [r for r in rows if r.startswith(("What broke", "How sure", "Do now"))]
    assert [r.split()[0] for r in verdict] == ["What", "How", "Do"], text
    assert "Restore database.pool_size 10 -> 50" in verdict[2]
    assert "Next actions" in text and "shortened to fit" in text
    assert all(len(r) <= 80 for r in rows)


def test_demo_at_160x50_shows_everything(alpha_script: Path, tmp_path: Path) -> None:
    """A larger terminal gets the verdict, the evidence, the actions and the summary whole."""
    rows = screen_after([str(alpha_script), "demo"], 160, 50, tmp_path)
    text = "\n".join(rows)
    assert rows.index(next(r for r in rows if r.startswith("What broke"))) < rows.index(
        "Next actions"
    )
    assert "Summary" in text and "shortened to fit" not in text
    assert "Evidence for #1" in text


def test_a_reader_leaving_early_ends_the_run_quietly(alpha_script: Path, tmp_path: Path) -> None:
    """`alpha demo | head -3` and `alpha investigate --json | head -1`: whatever the reader
    took, the command exits 0 with no traceback when the pipe closes before it is done."""
    for argv in (["demo"], ["investigate", "--scenario", "incident_b", "--json"]):
        process = subprocess.Popen(
            [str(alpha_script), *argv],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=tmp_path,
        )
        assert process.stdout is not None
        process.stdout.close()  # the reader is gone before anything is written
        _, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        assert b"Traceback" not in err and b"BrokenPipe" not in err
    done = subprocess.run(
        f"'{alpha_script}' demo 2>/dev/null | head -3",
        shell=True,
        capture_output=True,
        text=True,
        cwd=tmp_path,
        check=True,
        timeout=120,
    )
    assert [line.split()[0] for line in done.stdout.splitlines()] == ["What", "How", "Do"]


def _million_line_payload(path: Path) -> int:
    """The demo incident with its logs repeated to a million lines."""
    document = json.loads((scenario_dir() / "incident_b.json").read_text())["incident"]
    logs = document["logs"]
    document["logs"] = (logs * (1_000_000 // len(logs) + 1))[:1_000_000]
    path.write_text(json.dumps(document))
    return len(document["logs"])


def _sigint_as_from_a_terminal() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def test_ctrl_c_stops_a_million_line_parse_in_the_middle(
    alpha_script: Path, tmp_path: Path
) -> None:
    """SIGINT while the logs are being parsed ends the command with status 130 and one line,
    before the parse gets to the end (the extraction thread stops at its next check)."""
    total = _million_line_payload(tmp_path / "big.json")
    process = subprocess.Popen(
        [str(alpha_script), "investigate", "--payload", "big.json"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        text=True,
        # As from a terminal: a suite started in the background (`cmd &` in a script) has
        # SIGINT ignored, which a child inherits and Python then honours.
        preexec_fn=_sigint_as_from_a_terminal,
    )
    assert process.stderr is not None
    seen = []
    for line in process.stderr:
        seen.append(line)
        if "parsing logs:" in line:
            process.send_signal(signal.SIGINT)
            break
    rest, err = process.communicate(timeout=60)
    seen.append(err)
    assert process.returncode == 130, "".join(seen)
    assert err.rstrip().endswith("alpha: interrupted")
    assert f"parsed {total:,} log lines" not in "".join(seen)
    assert "Traceback" not in "".join(seen) and rest == ""


def test_version_and_brief(alpha_script: Path, tmp_path: Path) -> None:
    """`alpha --version` names the installed version; `--brief` prints the verdict alone."""
    version = subprocess.run(
        [str(alpha_script), "--version"], capture_output=True, text=True, check=True, cwd=tmp_path
    )
    assert version.stdout.strip() == "alpha 0.1.0"
    brief = subprocess.run(
        [str(alpha_script), "investigate", "--scenario", "cart-redis-refused", "--brief"],
        capture_output=True,
        text=True,
        check=True,
        cwd=tmp_path,
    )
    lines = brief.stdout.splitlines()
    assert [line[:12] for line in lines] == ["What broke  ", "How sure    ", "Do now      "]
    assert "Page the owners of redis-cart-0" in lines[2]
    assert brief.stderr == ""
