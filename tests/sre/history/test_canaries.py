"""A payload carrying canary secrets leaves none in the database file or its tables.

The demo incident with the whole canary corpus planted (logs, commit messages, patches,
nested config, Sentry-style lines, the deployment id) is investigated and recorded by the
real `alpha investigate` (its recorder), judged with a canary in the note, exported and
replayed; then every table is dumped and, for SQLite, every byte of the database files is
read: no 12-character fragment of any canary is found.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text

from sre.cli import main
from sre.history.spool import spool_folder
from sre.history.store import open_store
from sre.scenarios import scenario_dir
from tests.canaries import canary_corpus, leaks, planted_incident

CORPUS = canary_corpus()


def _leaked(output: str) -> dict[str, list[str]]:
    return {c.name: found for c in CORPUS if (found := leaks(c, output))}


async def _dump(url: str) -> str:
    """Every row of every table, as text."""
    async with open_store(url) as store, store.engine.connect() as connection:
        parts = []
        for table in ("investigations", "agent_runs", "payloads", "feedback", "dedup_keys"):
            rows = (await connection.execute(text(f"SELECT * FROM {table}"))).all()
            parts.extend(json.dumps([str(v) for v in row]) for row in rows)
            # JSON escapes would hide a raw secret from a plain search: decode them too.
            parts.extend(str(v) for row in rows for v in row)
    return "\n".join(parts)


def _run(capsys: pytest.CaptureFixture[str], *argv: str) -> Any:
    code = main([*argv, "--json"])
    captured = capsys.readouterr()
    assert code == 0, captured.err
    return json.loads(captured.out)


def test_no_canary_reaches_the_database(
    database_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Recorded run, payload, result, feedback, export and replay: no canary fragment stored."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ALPHA_DATABASE_URL", database_url)
    base = json.loads((scenario_dir() / "incident_b.json").read_text())["incident"]
    planted = planted_incident(CORPUS, base)
    path = tmp_path / "planted.json"
    path.write_text(json.dumps(planted))
    assert len(_leaked(path.read_text())) == len(CORPUS)  # every canary is in the input

    _run(capsys, "investigate", "--payload", str(path))
    spooled = spool_folder(database_url)
    if spooled is not None:  # SQLite: the run waits in the spool until the next opener
        (waiting,) = spooled.iterdir()
        assert _leaked(waiting.read_text()) == {} and "[REDACTED:" in waiting.read_text()
    (run,) = _run(capsys, "history")["runs"]
    execution_id = run["execution_id"]
    note = next(c for c in CORPUS if c.kind == "github").text
    _run(capsys, "feedback", execution_id, "--wrong", "--category", "database", "--note", note)
    exported = _run(capsys, "export-cases", str(tmp_path / "cases"))
    _run(capsys, "replay", execution_id)

    stored = asyncio.run(_dump(database_url))
    assert _leaked(stored) == {}
    # Not vacuous: the carriers were stored (every log line), with placeholders in them.
    shown = _run(capsys, "show", execution_id)
    assert shown["payload_cuts"]["log_lines_dropped"] == 0
    assert shown["payload_cuts"]["secrets_redacted"] >= 50
    assert stored.count("[REDACTED:") >= 50
    case = Path(exported["written"][0]).read_text()
    assert _leaked(case) == {} and "[REDACTED:" in case
    if database_url.startswith("sqlite"):
        database = Path(database_url.split("///", 1)[1])
        files = [p for p in database.parent.iterdir() if p.name.startswith(database.name)]
        files = [p for p in files if p.is_file()]
        raw = b"".join(p.read_bytes() for p in files).decode("latin-1")
        assert _leaked(raw) == {}
        assert raw.count("[REDACTED:") >= 50
