"""Block Kit rendering: limits, escaping of adversarial text, and the golden final message.

The final message is compared with tests/bot/golden/final_message.json, the message while the
sources are fetched with tests/bot/golden/progress_message.json; regenerate them with
`ALPHA_UPDATE_GOLDEN=1 python -m pytest tests/bot/test_blocks.py` (the test then reports
"skipped: golden file written") and review the diff.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st

from alpha.schemas import AgentOutcome, AgentStatus, ExecutionResult, Signal, TokenUsage
from bot.blocks import (
    MAX_BLOCKS,
    MAX_HEADER_CHARS,
    MAX_MESSAGE_CHARS,
    MAX_SECTION_CHARS,
    TRUNCATED,
    enforce_limits,
    escape,
    render_error,
    render_final,
    render_progress,
    render_signals,
    truncate,
)
from bot.progress import RunView
from sre.redaction import one_line
from sre.references import CommitRef, IssueRef, References
from tests.bot.harness import hypothesis_sections, ranked

GOLDEN = Path(__file__).parent / "golden" / "final_message.json"
PROGRESS_GOLDEN = Path(__file__).parent / "golden" / "progress_message.json"
ADVERSARIAL = "<!channel> <!here> <@U123> <https://evil.example|https://sentry.io> & <#C1>"


def _result(**overrides: object) -> ExecutionResult:
    values: dict[str, object] = {
        "execution_id": "exec-golden",
        "deployment_id": "deploy-42",
        "ranked_hypotheses": [
            ranked(
                "Pool size lowered in 9f3c2ab",
                1,
                suspects=["database.pool_size", "9f3c2ab"],
                contributing_agents=["ConfigAgent", "CommitAgent"],
            ),
            ranked("Database overloaded", 2, category="database", contributing_agents=["LogAgent"]),
        ],
        "signals_used": [
            Signal(
                id="sig_001",
                type="config_change",
                description="database.pool_size 50 -> 5",
                source="config",
                severity="high",
            ),
        ],
        "agent_outcomes": [
            AgentOutcome(agent_name="LogAgent", status=AgentStatus.OK, execution_time_ms=10),
            AgentOutcome(
                agent_name="MetricsAgent",
                status=AgentStatus.TIMED_OUT,
                execution_time_ms=30000,
                reason="no answer within 30 s",
            ),
            AgentOutcome(
                agent_name="CommitAgent",
                status=AgentStatus.OK,
                execution_time_ms=12,
                fallback_reason="LLM unreachable: HTTP 503",
            ),
        ],
        "summary": "The pool size was lowered from 50 to 5 in 9f3c2ab.",
        "next_actions": ["Revert 9f3c2ab", "Raise database.pool_size back to 50"],
        "requires_human_review": True,
        "review_reasons": ["an agent timed out"],
        "gaps": ["Sentry unreachable: HTTP 503 after 3 tries"],
        "usage": TokenUsage(prompt_tokens=1200, completion_tokens=300, cost_usd=0.0042, calls=3),
        "execution_time_ms": 2345.0,
    }
    values.update(overrides)
    return ExecutionResult(**values)  # type: ignore[arg-type]


def _all_text(blocks: list[dict[str, object]]) -> str:
    return json.dumps(blocks, ensure_ascii=False)


def test_final_message_matches_the_golden_file(golden: Callable[[Path, str], None]) -> None:
    """The final message's Block Kit JSON is exactly the reviewed golden file."""
    message = render_final(
        _result(),
        title="deployment deploy-42",
        rerun_value='{"kind":"deployment","id":"deploy-42"}',
    )
    rendered = {"text": message.text, "blocks": message.blocks}
    golden(GOLDEN, json.dumps(rendered, indent=2, ensure_ascii=False) + "\n")


def test_final_message_opens_with_the_verdict_and_what_is_missing() -> None:
    """The verdict comes right after the header (review request included), then what is
    missing (gaps, timed-out agents, the fallbacks in one line); the footer has the cost."""
    blocks = render_final(_result(), title="t", rerun_value="{}").blocks
    verdict, missing = blocks[1]["text"]["text"], blocks[2]["text"]["text"]
    assert verdict.splitlines() == [
        "*What broke*  Pool size lowered in 9f3c2ab (config change)",
        "*How sure*  :rotating_light: high confidence: score 0.80, 2 agents agree; next 0.70; "
        "needs human review: an agent timed out",
        "*Do now*  Revert 9f3c2ab",
    ]
    assert missing.splitlines() == [
        ":warning: *Missing*",
        "• Sentry unreachable: HTTP 503 after 3 tries",
        "• MetricsAgent timed out: no answer within 30 s",
        "• LLM not used, rules instead for 1 agent (CommitAgent): LLM unreachable: HTTP 503",
    ]
    assert "1,500 tokens in 3 LLM call(s) · $0.0042" in _all_text(blocks)


def test_footer_omits_usage_when_no_llm_was_used() -> None:
    """A deterministic run (no LLM calls) has no token/cost note."""
    text = _all_text(render_final(_result(usage=TokenUsage()), title="t", rerun_value="{}").blocks)
    assert "tokens" not in text and "needs human review" in text


def test_adversarial_text_is_escaped_everywhere() -> None:
    """Mentions, broadcasts and spoofed links from payloads or models arrive as inert text."""
    result = _result(
        ranked_hypotheses=[
            ranked(
                ADVERSARIAL,
                1,
                suspects=[ADVERSARIAL],
                description=ADVERSARIAL,
                category=ADVERSARIAL,
                contributing_agents=[ADVERSARIAL],
            )
        ],
        signals_used=[
            Signal(id="sig_001", type=ADVERSARIAL, description=ADVERSARIAL, source=ADVERSARIAL)
        ],
        summary=ADVERSARIAL,
        next_actions=[ADVERSARIAL],
        gaps=[ADVERSARIAL],
        review_reasons=[ADVERSARIAL],
    )
    view = RunView(title=ADVERSARIAL, agent_names=[ADVERSARIAL], source_names=[ADVERSARIAL])
    view.source(ADVERSARIAL, ADVERSARIAL, failed=True)
    view.phase = "running"
    view.agent(ADVERSARIAL).last_message = ADVERSARIAL
    view.agent(ADVERSARIAL).state = "running"
    messages = [
        render_final(result, title=ADVERSARIAL, rerun_value="{}"),
        *render_signals(result.signals_used),
        render_error(ADVERSARIAL, ADVERSARIAL, [ADVERSARIAL]),
        render_progress(view),
    ]
    for message in messages:
        for text in (message.text, _all_text(message.blocks)):
            assert (
                "<!" not in text and "<@" not in text and "<http" not in text and "<#" not in text
            )
        assert "&lt;!channel&gt;" in _all_text(message.blocks)


def _gathering_view() -> RunView:
    """A deployment whose GitHub is still fetching while Sentry has failed."""
    view = RunView(
        title="deployment 102", agent_names=["LogAgent"], source_names=["GitHub", "Sentry"]
    )
    view.phase = "gathering"
    view.source("GitHub", "resolving 102")
    view.source("Sentry", "listing issues")
    view.source("GitHub", "3 commits; files of 1/3")
    view.source("Sentry", "Sentry unreachable: HTTP 503 after 3 tries", failed=True)
    return view


def test_progress_while_gathering_matches_the_golden_file(
    golden: Callable[[Path, str], None],
) -> None:
    """The message while the sources are fetched (one fetching, one failed with its gap) is
    exactly the reviewed golden file."""
    message = render_progress(_gathering_view())
    rendered = {"text": message.text, "blocks": message.blocks}
    golden(PROGRESS_GOLDEN, json.dumps(rendered, indent=2, ensure_ascii=False) + "\n")


def test_progress_shows_each_sources_latest_word_and_keeps_it_with_the_agents() -> None:
    """Each source shows only its latest word; the lines stay (done or failed) once the
    agents run, above their panels."""
    view = _gathering_view()
    gathering = _all_text(render_progress(view).blocks)
    assert ":hourglass_flowing_sand: *GitHub* fetching · 3 commits; files of 1/3" in gathering
    assert "resolving 102" not in gathering and "listing issues" not in gathering
    assert ":x: *Sentry* failed · Sentry unreachable: HTTP 503 after 3 tries" in gathering
    view.source("GitHub", "3 commits", done=True)
    view.phase = "running"
    running = _all_text(render_progress(view).blocks)
    assert ":white_check_mark: *GitHub* done · 3 commits" in running
    assert running.index("*Sentry* failed") < running.index("*LogAgent*")
    assert "Gathering data" not in running


def test_progress_without_sources_names_none() -> None:
    """A run with no live source (the demo) says "Gathering data" and has no source line."""
    message = render_progress(
        RunView(title="demo incident_b", agent_names=["LogAgent"], phase="gathering")
    )
    assert message.blocks[1]["elements"][0]["text"] == ":mag: Gathering data"
    assert len(message.blocks) == 2


def test_many_hypotheses_stay_within_50_blocks_with_a_marker() -> None:
    """60 hypotheses (120 blocks) are cut to at most 50 blocks, the last saying so."""
    result = _result(ranked_hypotheses=[ranked(f"h{i}", i) for i in range(1, 61)])
    blocks = render_final(result, title="t", rerun_value="{}").blocks
    assert len(blocks) <= MAX_BLOCKS
    assert "truncated" in _all_text(blocks[-1:])
    assert len(_all_text(blocks)) <= MAX_MESSAGE_CHARS


def test_long_texts_are_cut_to_section_and_header_limits() -> None:
    """A 10,000-character summary and a 400-character title respect 3,000 and 150."""
    result = _result(summary="x" * 10_000)
    blocks = render_final(result, title="d" * 400, rerun_value="{}").blocks
    header = blocks[0]["text"]["text"]
    assert len(header) <= MAX_HEADER_CHARS and header.endswith(TRUNCATED)
    sections = [b["text"]["text"] for b in blocks if b["type"] == "section"]
    assert all(len(s) <= MAX_SECTION_CHARS for s in sections)
    assert any(s.endswith(TRUNCATED) for s in sections)


def test_progress_message_for_a_long_run_keeps_limits() -> None:
    """A view with 80 agents (unknown to the panel list) still renders within the limits."""
    view = RunView(title="deployment x", agent_names=[f"Agent{i}" for i in range(80)])
    view.phase = "running"
    message = render_progress(view)
    assert len(message.blocks) <= MAX_BLOCKS and message.text


@given(st.text(max_size=400))
def test_escape_removes_every_control_character(text: str) -> None:
    """After escaping no raw `<`, `>`, newline or control character remains, and unescaping
    gives back the text on one line."""
    escaped = escape(text)
    assert "<" not in escaped and ">" not in escaped and "\n" not in escaped
    assert not any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in escaped)
    restored = escaped.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    assert restored == one_line(text)


@given(st.text(alphabet="a<>&;b", max_size=300), st.integers(min_value=20, max_value=200))
def test_truncate_respects_the_limit_and_never_splits_an_entity(text: str, limit: int) -> None:
    """Truncated escaped text fits the limit and never ends in a partial `&amp;`-style entity."""
    escaped = escape(text)
    cut = truncate(escaped, limit)
    assert len(cut) <= limit
    if cut != escaped:
        body = cut[: -len(TRUNCATED)]
        assert not re.search(r"&[a-z]{0,3}$", body)


def test_enforce_limits_keeps_small_messages_untouched() -> None:
    """A message within every limit is returned unchanged."""
    blocks = [{"type": "section", "text": {"type": "mrkdwn", "text": "hi"}}] * 5
    assert enforce_limits(blocks) == blocks


def test_shas_and_sentry_ids_become_links_outside_code_spans() -> None:
    """A commit and a Sentry issue the sources gave URLs for are linked where they are
    named in text (not inside inline code), with author, PR and counts in a context line."""
    refs = References(
        commits=(
            CommitRef(
                sha="9f3c2ab71d0e4c55a8b1f0e2d3c4b5a697887766",
                url="https://github.example/o/r/commit/9f3c2ab71d0e",
                author="dana",
                pr_number=482,
                pr_url="https://github.example/o/r/pull/482",
            ),
        ),
        issues=(
            IssueRef(
                issue_id="4512345678",
                short_id="CHECKOUT-3F",
                url="https://sentry.example/issues/4512345678/",
                events=1532,
                users=210,
                title="KeyError 'sku'",
            ),
        ),
    )
    blocks = render_final(_result(), title="t", rerun_value="{}", refs=refs).blocks
    verdict = blocks[1]["text"]["text"]
    assert "*Do now*  Revert <https://github.example/o/r/commit/9f3c2ab71d0e|9f3c2ab>" in verdict
    context = next(b for b in blocks if b["type"] == "context" and "dana" in _all_text([b]))
    texts = [e["text"] for e in context["elements"]]
    assert texts[0] == (
        "<https://github.example/o/r/commit/9f3c2ab71d0e|9f3c2ab> by dana, "
        "<https://github.example/o/r/pull/482|PR #482>"
    )
    assert texts[1] == (
        "<https://sentry.example/issues/4512345678/|CHECKOUT-3F>: 1,532 events, 210 users: "
        "KeyError 'sku'"
    )
    suspects = next(s for s in hypothesis_sections(blocks) if "Suspects" in s)
    assert "`9f3c2ab`" in suspects  # inline code stays code


def test_a_url_that_could_break_out_of_a_link_is_dropped() -> None:
    """A reference URL with `|`, `>` or spaces (or not http) is not kept: no link at all."""
    for url in ("https://x.example/a|<!channel>", "javascript:alert(1)", "https://a b", "ftp://x"):
        ref = CommitRef(sha="9f3c2ab71d0e4c55a8b1f0e2d3c4b5a697887766", url=url)
        assert ref.url is None
        refs = References(commits=(ref,))
        blocks = render_final(_result(), title="t", rerun_value="{}", refs=refs).blocks
        assert "<!channel>" not in _all_text(blocks) and "|9f3c2ab>" not in _all_text(blocks)


def test_a_tie_is_marked_on_both_causes_and_in_the_verdict() -> None:
    """Two causes with the same score: the verdict says tie and both sections say so."""
    result = _result(
        ranked_hypotheses=[
            ranked("A", 1, score=1.0),
            ranked("B", 2, score=1.0, category="database"),
        ]
    )
    message = render_final(result, title="t", rerun_value="{}")
    assert "tie at 1.00 with #2" in message.blocks[1]["text"]["text"]
    assert "(tie)" in message.text
    sections = hypothesis_sections(message.blocks)
    assert all("_tie: same score as another cause_" in s for s in sections)
