"""The judge's deterministic checks."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alpha.core.memory import StructuredMemory
from alpha.judge.judge import JudgeLayer
from alpha.schemas import AgentResult, Hypothesis, Signal


def _memory(*ids: str) -> StructuredMemory:
    return StructuredMemory(Signal(id=i, type="t", description="d", source="test") for i in ids)


def _hyp(label: str = "h", **changes: object) -> Hypothesis:
    fields: dict[str, object] = {
        "label": label,
        "confidence": 0.7,
        "severity": "high",
        "supporting_signals": ["sig_001"],
        "category": "config_change",
    }
    fields.update(changes)
    return Hypothesis.model_validate(fields)


MEMORY = _memory("sig_001", "sig_002")
# A vertical's taxonomy, as one would inject it (the runtime itself knows none).
CATEGORIES = ("config_change", "database", "unknown")


def test_good_result_passes_untouched():
    """A result whose hypotheses pass every check is valid and kept whole."""
    result = AgentResult(agent_name="a", hypotheses=[_hyp("x"), _hyp("y")])
    judged = JudgeLayer().validate(result, MEMORY, agent_name="a")
    assert judged.valid and judged.rejection_reason is None and judged.rejections == []
    assert [h.label for h in judged.result.hypotheses] == ["x", "y"]


def test_missing_agent_name_refuses_whole_result():
    """A blank agent name refuses the whole result."""
    judged = JudgeLayer().validate(AgentResult(agent_name="  ", hypotheses=[_hyp()]), MEMORY)
    assert not judged.valid
    assert judged.rejection_reason == "agent name is missing"
    assert judged.result.hypotheses == []
    assert len(judged.rejections) == 1 and judged.rejections[0].label is None


def test_agent_name_must_equal_the_agent_that_ran():
    """A result claiming another agent's name is refused, naming both."""
    judged = JudgeLayer().validate(
        AgentResult(agent_name="impostor", hypotheses=[_hyp()]), MEMORY, agent_name="logs"
    )
    assert not judged.valid
    assert "'impostor'" in judged.rejection_reason and "'logs'" in judged.rejection_reason
    assert judged.rejections[0].agent_name == "logs"


@pytest.mark.parametrize(
    ("changes", "expected"),
    [
        ({"supporting_signals": []}, "cites no signal"),
        ({"supporting_signals": ["sig_001", "sig_404"]}, "unknown signal(s) 'sig_404'"),
        ({"confidence": 1.2}, "confidence 1.2 is outside [0, 1]"),
        ({"confidence": -0.1}, "confidence -0.1 is outside [0, 1]"),
        ({"confidence": math.nan}, "confidence nan is outside [0, 1]"),
        ({"severity": "critical"}, "severity 'critical' is not one of high, low, medium"),
        ({"category": "cosmic_rays"}, "category 'cosmic_rays' is not a taxonomy id"),
    ],
)
def test_each_check_rejects_what_it_should(changes, expected):
    """Each hypothesis-level check rejects its bad case with a reason naming the problem."""
    result = AgentResult(agent_name="a", hypotheses=[_hyp("bad", **changes)])
    judged = JudgeLayer(valid_categories=CATEGORIES).validate(result, MEMORY, agent_name="a")
    assert judged.result.hypotheses == []
    assert not judged.valid and judged.rejection_reason == "all 1 hypotheses were rejected"
    assert len(judged.rejections) == 1
    assert judged.rejections[0].label == "bad"
    assert expected in judged.rejections[0].reason


def test_boundary_confidences_are_accepted():
    """Confidence 0 and 1 are inside the closed interval."""
    result = AgentResult(
        agent_name="a", hypotheses=[_hyp("lo", confidence=0.0), _hyp("hi", confidence=1.0)]
    )
    assert len(JudgeLayer().validate(result, MEMORY).result.hypotheses) == 2


def test_bad_hypotheses_dropped_good_ones_kept():
    """A mixed result keeps the good hypotheses and records each bad one."""
    result = AgentResult(
        agent_name="a",
        hypotheses=[
            _hyp("good1"),
            _hyp("bad1", confidence=3.0),
            _hyp("good2"),
            _hyp("bad2", supporting_signals=[]),
        ],
    )
    judged = JudgeLayer().validate(result, MEMORY, agent_name="a")
    assert judged.valid
    assert [h.label for h in judged.result.hypotheses] == ["good1", "good2"]
    assert [r.label for r in judged.rejections] == ["bad1", "bad2"]


def test_all_failed_checks_are_named():
    """A hypothesis failing several checks lists every one of them."""
    bad = _hyp("bad", confidence=2.0, severity="huge", category="nope", supporting_signals=["x"])
    reason = (
        JudgeLayer(valid_categories=CATEGORIES)
        .validate(AgentResult(agent_name="a", hypotheses=[bad]), MEMORY)
        .rejections[0]
        .reason
    )
    for part in ("unknown signal", "confidence", "severity", "category"):
        assert part in reason


def test_without_a_taxonomy_any_category_passes():
    """The generic judge accepts any category until a vertical declares its own."""
    result = AgentResult(agent_name="a", hypotheses=[_hyp("x", category="cosmic_rays")])
    assert JudgeLayer().validate(result, MEMORY, agent_name="a").result.hypotheses != []


def test_a_hypothesis_claiming_another_agent_is_refused():
    """A set `contributing_agent` must name the agent that ran; empty is filled in later."""
    result = AgentResult(
        agent_name="a",
        hypotheses=[_hyp("mine", contributing_agent="a"), _hyp("forged", contributing_agent="b")],
    )
    judged = JudgeLayer().validate(result, MEMORY, agent_name="a")
    assert [h.label for h in judged.result.hypotheses] == ["mine"]
    assert "contributing_agent 'b' is not the agent that ran" in judged.rejections[0].reason


def test_empty_result_is_valid():
    """An agent that found nothing is valid, with nothing to keep."""
    judged = JudgeLayer().validate(AgentResult(agent_name="a"), MEMORY, agent_name="a")
    assert judged.valid and judged.result.hypotheses == []


def test_categories_are_configurable():
    """A judge built with other categories accepts them and refuses taxonomy ones."""
    judge = JudgeLayer(valid_categories={"fraud"})
    result = AgentResult(agent_name="a", hypotheses=[_hyp("f", category="fraud"), _hyp("c")])
    judged = judge.validate(result, MEMORY)
    assert [h.label for h in judged.result.hypotheses] == ["f"]


def test_judge_does_not_mutate_input():
    """Validation returns a copy; the agent's own result keeps its hypotheses."""
    result = AgentResult(agent_name="a", hypotheses=[_hyp("x", confidence=5.0)])
    JudgeLayer().validate(result, MEMORY)
    assert len(result.hypotheses) == 1


@given(
    confidence=st.floats(allow_nan=True, allow_infinity=True),
    cited=st.lists(st.sampled_from(["sig_001", "sig_002", "sig_404", ""]), max_size=4),
)
def test_kept_hypotheses_always_satisfy_the_invariants(confidence, cited):
    """Whatever an agent returns, every kept hypothesis cites known signals with 0<=c<=1."""
    result = AgentResult(
        agent_name="a", hypotheses=[_hyp("p", confidence=confidence, supporting_signals=cited)]
    )
    judged = JudgeLayer().validate(result, MEMORY, agent_name="a")
    for hypothesis in judged.result.hypotheses:
        assert 0.0 <= hypothesis.confidence <= 1.0
        assert hypothesis.supporting_signals
        assert all(sid in MEMORY for sid in hypothesis.supporting_signals)
    assert len(judged.result.hypotheses) + len(judged.rejections) == 1


def test_rejection_reasons_are_exact_and_summarise_long_lists():
    """Reasons quote up to five unknown ids, summarise the rest, and join problems with '; '."""
    judge = JudgeLayer()
    five = [f"sig_{i}" for i in range(5)]
    assert judge.check_hypothesis(_hyp(supporting_signals=five), MEMORY) == [
        "cites unknown signal(s) 'sig_0', 'sig_1', 'sig_2', 'sig_3', 'sig_4'"
    ]
    seven = [f"sig_{i}" for i in range(7)]
    assert judge.check_hypothesis(_hyp(supporting_signals=seven), MEMORY) == [
        "cites unknown signal(s) 'sig_0', 'sig_1', 'sig_2', 'sig_3', 'sig_4' and 2 more"
    ]
    bare = _hyp().model_copy(update={"supporting_signals": []})
    assert judge.check_hypothesis(bare, MEMORY) == ["cites no signal"]
    twice_bad = _hyp("z", supporting_signals=["sig_404"], confidence=0.5).model_copy(
        update={"confidence": 1.5}
    )
    judged = judge.validate(AgentResult(agent_name="a", hypotheses=[twice_bad]), MEMORY)
    assert judged.rejections[0].reason == (
        "cites unknown signal(s) 'sig_404'; confidence 1.5 is outside [0, 1]"
    )


def test_a_nameless_result_is_owned_by_an_unnamed_agent():
    """A result with a blank name and no runner name is refused as `<unnamed agent>`'s."""
    judged = JudgeLayer().validate(AgentResult(agent_name="  ", hypotheses=[_hyp()]), MEMORY)
    assert judged.valid is False
    assert judged.rejections[0].agent_name == "<unnamed agent>"
