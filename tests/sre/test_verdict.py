"""The verdict (what broke, how sure, do now, what is missing) and the terminal report built
on it: ties, gaps beside the verdict, fallbacks in one line, fitting a window, links."""

from __future__ import annotations

import io

from rich.console import Console

from alpha.schemas import AgentOutcome, AgentStatus, ExecutionResult, Rejection, Signal
from sre.references import CommitRef, IssueRef, References, from_payload, pr_number_in, safe_url
from sre.report import print_report, report_lines
from sre.verdict import fallback_line, verdict
from tests.bot.harness import ranked
from tests.sre.builders import incident

SHA = "9f3c2ab71d0e4c55a8b1f0e2d3c4b5a697887766"


def _result(**overrides: object) -> ExecutionResult:
    values: dict[str, object] = {
        "execution_id": "x1",
        "deployment_id": "deploy-42",
        "ranked_hypotheses": [
            ranked("Pool size lowered in 9f3c2ab", 1, score=0.9, suspects=[SHA]),
            ranked("Database overloaded", 2, score=0.6, category="database"),
        ],
        "signals_used": [
            Signal(id="sig_001", type="config_change", description="pool 50 -> 5", source="config")
        ],
        "next_actions": ["Roll back 9f3c2ab (deploy-42)", "Page the database on-call"],
        "summary": "One signal.",
        "execution_time_ms": 12.0,
    }
    values.update(overrides)
    return ExecutionResult(**values)  # type: ignore[arg-type]


def _outcome(name: str, model: str, reason: str | None = None, **kw: object) -> AgentOutcome:
    return AgentOutcome(
        agent_name=name,
        status=AgentStatus.OK,
        execution_time_ms=1.0,
        model=model,
        fallback_reason=reason,
        **kw,  # type: ignore[arg-type]
    )


def test_the_verdict_names_the_cause_the_confidence_and_the_first_action() -> None:
    """Three lines: the top cause and its category, confidence with who agrees and the
    runner-up's score, and the first next action."""
    found = verdict(_result())
    assert found.what_broke == "Pool size lowered in 9f3c2ab (config change)"
    assert found.how_sure == "high confidence: score 0.90, only ConfigAgent; next 0.60"
    assert found.action == "Roll back 9f3c2ab (deploy-42)"
    assert not found.tie and found.gaps == []


def test_a_tie_is_said_and_names_the_other_cause() -> None:
    """Scores equal to two decimals are a tie, said in the verdict."""
    result = _result(
        ranked_hypotheses=[
            ranked("A", 1, score=1.0),
            ranked("B", 2, score=0.999, category="code_regression"),
        ]
    )
    found = verdict(result)
    assert found.tie
    assert found.how_sure == "tie at 1.00 with #2, both acted on: B (code regression)"


def test_nothing_ranked_says_whether_the_judge_refused_or_nothing_was_proposed() -> None:
    """No cause: "nothing proposed" when nothing was rejected, else how many were rejected."""
    assert verdict(_result(ranked_hypotheses=[])).how_sure == (
        "needs human review: no rule found evidence strong enough to name a cause"
    )
    refused = _result(
        ranked_hypotheses=[], rejections=[Rejection(agent_name="a", reason="cites sig_9")]
    )
    assert (
        verdict(refused).how_sure
        == "needs human review: 1 hypothesis rejected by the evidence check"
    )


def test_gaps_failed_agents_and_one_fallback_line_sit_beside_the_verdict() -> None:
    """What is missing: each gap, each failed agent, and the LLM fallbacks in one line even
    when agents on different models failed the same way."""
    result = _result(
        gaps=["Sentry unreachable: HTTP 503 after 3 tries"],
        agent_outcomes=[
            _outcome(
                "LogAgent",
                "anthropic/claude-sonnet-4-6",
                "LLM out of credit (HTTP 402) "
                "for anthropic/claude-sonnet-4-6; deterministic analysis used",
            ),
            _outcome(
                "MetricsAgent",
                "google/gemini-2.0-flash",
                "LLM out of credit (HTTP 402) "
                "for google/gemini-2.0-flash; deterministic analysis used",
            ),
            AgentOutcome(
                agent_name="CommitAgent",
                status=AgentStatus.TIMED_OUT,
                execution_time_ms=30_000,
                reason="no answer within 30 s",
            ),
        ],
    )
    assert verdict(result).gaps == [
        "Sentry unreachable: HTTP 503 after 3 tries",
        "CommitAgent timed out: no answer within 30 s",
        "LLM not used, rules instead for 2 agents (LogAgent, MetricsAgent): "
        "LLM out of credit (HTTP 402)",
    ]


def test_different_fallback_reasons_are_counted_in_the_one_line() -> None:
    """Two reasons: both named with how many agents each."""
    line = fallback_line(
        [
            _outcome("A", "m/1", "LLM m/1 timed out (45 s)"),
            _outcome("B", "m/2", "LLM m/2 timed out (45 s)"),
            _outcome("C", "m/1", "investigation token cap of 100 reached"),
        ]
    )
    assert line == (
        "LLM not used, rules instead for 3 agents (A, B, C): LLM timed out (45 s) (2); "
        "investigation token cap of 100 reached (1)"
    )


def test_the_report_fits_a_small_window_and_keeps_the_verdict_and_actions() -> None:
    """At 24 rows the report is cut (summary, evidence first) to fit, never the verdict or
    the actions; the footer says it was shortened. Unlimited, nothing is cut."""
    many = [ranked(f"cause {i}", i, score=0.9 - i / 100) for i in range(1, 15)]
    result = _result(ranked_hypotheses=many, summary="word " * 200)
    cut = [line.plain for line in report_lines(result, width=80, height=12)]
    assert len(cut) <= 12
    assert cut[0].startswith("What broke  cause 1") and cut[2].startswith("Do now")
    assert "Next actions" in cut and "  2. Page the database on-call" in cut
    assert "shortened to fit" in cut[-1]
    whole = [line.plain for line in report_lines(result)]
    assert "Summary" in whole and "shortened" not in whole[-1] and len(whole) > 20


def test_brief_is_the_three_lines() -> None:
    """`--brief`: what broke, how sure, do now."""
    lines = [line.plain for line in report_lines(_result(), brief=True)]
    assert [line.split()[0] for line in lines] == ["What", "How", "Do"]


def test_shas_and_issue_ids_are_terminal_hyperlinks_and_urls_when_piped() -> None:
    """On a terminal a known SHA is an OSC 8 hyperlink; piped, the Links section prints the
    URLs, with the author, the pull request and the Sentry counts."""
    refs = References(
        commits=(
            CommitRef(
                sha=SHA,
                url="https://github.example/o/r/commit/9f3c2ab",
                author="dana",
                pr_number=482,
                pr_url="https://github.example/o/r/pull/482",
            ),
        ),
        issues=(
            IssueRef(
                issue_id="45",
                short_id="CHECKOUT-3F",
                url="https://sentry.example/issues/45/",
                events=1532,
                users=210,
            ),
        ),
    )
    terminal = Console(file=io.StringIO(), width=120, height=40, force_terminal=True)
    print_report(_result(), terminal, refs)
    shown = terminal.file.getvalue()  # type: ignore[attr-defined]
    assert "\x1b]8;" in shown and "https://github.example/o/r/commit/9f3c2ab" in shown
    piped = Console(file=io.StringIO(), width=120)
    print_report(_result(), piped, refs)
    text = piped.file.getvalue()  # type: ignore[attr-defined]
    assert "\x1b" not in text
    assert (
        "  9f3c2ab by dana, PR #482  https://github.example/o/r/commit/9f3c2ab  "
        "https://github.example/o/r/pull/482"
    ) in text
    assert "  CHECKOUT-3F: 1,532 events, 210 users  https://sentry.example/issues/45/" in text


def test_references_read_pull_requests_and_keep_only_safe_urls() -> None:
    """PR numbers from squash and merge messages; only plain http(s) URLs are links."""
    assert pr_number_in("Tune retries (#482)") == 482
    assert pr_number_in("Merge pull request #17 from a/b\n\nbody (#3)") == 17
    assert pr_number_in("No pull request here #12 mid-line") is None
    assert safe_url("https://x.example/a?b=1") == "https://x.example/a?b=1"
    for bad in ("javascript:x", "https://a|b", "https://a>b", "http://a b", 42):
        assert safe_url(bad) is None
    payload = incident(recent_commits=[{"sha": SHA, "message": "Fix (#9)", "author": "kim"}])
    ref = from_payload(payload).commit("9f3c2ab")
    assert ref is not None and (ref.author, ref.pr_number, ref.url) == ("kim", 9, None)
