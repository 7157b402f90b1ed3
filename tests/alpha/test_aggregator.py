"""Grouping, bonus, merge, ordering and top-N of the aggregator."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alpha.aggregation.aggregator import Aggregator
from alpha.judge.judge import JudgedResult
from alpha.schemas import AgentResult, Hypothesis


def _hyp(label: str, confidence: float = 0.5, **changes: object) -> Hypothesis:
    fields: dict[str, object] = {
        "label": label,
        "confidence": confidence,
        "supporting_signals": ["sig_001"],
    }
    fields.update(changes)
    return Hypothesis.model_validate(fields)


def _res(agent: str, *hypotheses: Hypothesis) -> JudgedResult:
    """An agent's result as the judge passes it on (every hypothesis accepted)."""
    return JudgedResult(
        valid=True, result=AgentResult(agent_name=agent, hypotheses=list(hypotheses))
    )


def _prefix_or_contained(a: str, b: str) -> bool:
    """A vertical's matching rule, as one would inject it (here: either contains the other)."""
    return min(len(a), len(b)) >= 3 and (a in b or b in a)


def test_label_containment_groups_case_insensitively():
    """'DB pool exhausted' and 'db pool exhausted after deploy' from two agents merge."""
    ranked = Aggregator().aggregate(
        [
            _res("a", _hyp("DB pool exhausted", 0.6)),
            _res("b", _hyp("db pool exhausted after deploy", 0.7)),
        ]
    )
    assert len(ranked) == 1
    assert ranked[0].label == "db pool exhausted after deploy"
    assert ranked[0].contributing_agents == ["b", "a"]
    assert ranked[0].score == pytest.approx(0.8)


def test_same_category_and_matching_suspects_group():
    """Different labels with one known category and suspects matching by the injected rule
    merge."""
    ranked = Aggregator(suspects_match=_prefix_or_contained).aggregate(
        [
            _res("a", _hyp("N+1 query", 0.6, category="code_regression", suspects=["9f3c2ab71d"])),
            _res("b", _hyp("Bad deploy", 0.5, category="code_regression", suspects=["9F3C2AB"])),
        ]
    )
    assert len(ranked) == 1
    assert ranked[0].suspects == ["9f3c2ab71d", "9F3C2AB"]


def test_default_suspect_rule_is_equality_ignoring_case():
    """Without an injected rule, only equal suspects (ignoring case) match: no taxonomy in alpha."""
    pair = [
        _res("a", _hyp("N+1 query", 0.6, category="code_regression", suspects=["9f3c2ab71d"])),
        _res("b", _hyp("Bad deploy", 0.5, category="code_regression", suspects=["9F3C2AB"])),
    ]
    assert len(Aggregator().aggregate(pair)) == 2
    same = [
        _res("a", _hyp("N+1 query", 0.6, category="code_regression", suspects=["9F3C2AB"])),
        _res("b", _hyp("Bad deploy", 0.5, category="code_regression", suspects=["9f3c2ab"])),
    ]
    assert len(Aggregator().aggregate(same)) == 1


def test_contributing_agent_is_the_representatives():
    """The ranked hypothesis names its most confident member's agent, and every agent."""
    ranked = Aggregator().aggregate(
        [_res("a", _hyp("pool exhausted", 0.5)), _res("b", _hyp("pool exhausted", 0.9))]
    )
    assert ranked[0].contributing_agent == "b"
    assert ranked[0].contributing_agents == ["b", "a"]


def test_hypotheses_refused_by_the_judge_are_not_aggregated():
    """Only the hypotheses left in a verdict's result count: a refused result adds nothing."""
    refused = JudgedResult(
        valid=False,
        result=AgentResult(agent_name="b", hypotheses=[]),
        rejection_reason="agent name is missing",
    )
    ranked = Aggregator().aggregate([_res("a", _hyp("pool exhausted", 0.5)), refused])
    assert [h.contributing_agents for h in ranked] == [["a"]]


def test_unknown_category_with_same_suspects_does_not_group():
    """Suspects alone never merge hypotheses whose category is unknown."""
    ranked = Aggregator().aggregate(
        [
            _res("a", _hyp("first idea", suspects=["checkout-api"])),
            _res("b", _hyp("second idea", suspects=["checkout-api"])),
        ]
    )
    assert len(ranked) == 2


def test_different_categories_with_same_suspects_do_not_group():
    """Matching suspects under different categories stay apart."""
    ranked = Aggregator().aggregate(
        [
            _res("a", _hyp("pool", category="config_change", suspects=["database.pool_size"])),
            _res("b", _hyp("db load", category="database", suspects=["database.pool_size"])),
        ]
    )
    assert len(ranked) == 2


def test_grouping_is_transitive():
    """A~B by label and B~C by suspects puts A, B and C in one group."""
    ranked = Aggregator(suspects_match=_prefix_or_contained).aggregate(
        [
            _res("a", _hyp("pool too small", 0.4)),
            _res(
                "b",
                _hyp("DB pool too small", 0.5, category="config_change", suspects=["pool_size"]),
            ),
            _res(
                "c",
                _hyp(
                    "limit lowered", 0.6, category="config_change", suspects=["database.pool_size"]
                ),
            ),
        ]
    )
    assert len(ranked) == 1
    assert sorted(ranked[0].contributing_agents) == ["a", "b", "c"]


def test_bonus_counts_distinct_agents_only():
    """Two matching hypotheses from the same agent earn no agreement bonus."""
    same = Aggregator().aggregate(
        [_res("a", _hyp("disk full", 0.6), _hyp("Disk full on node", 0.5))]
    )
    two = Aggregator().aggregate(
        [_res("a", _hyp("disk full", 0.6)), _res("b", _hyp("disk full", 0.5))]
    )
    assert same[0].score == pytest.approx(0.6)
    assert two[0].score == pytest.approx(0.7)
    assert len(same[0].contributing_agents) == 1


def test_score_is_capped_at_one():
    """Agreement cannot push a score above 1.0."""
    results = [_res(f"agent{i}", _hyp("same cause", 0.95)) for i in range(4)]
    assert Aggregator().aggregate(results)[0].score == 1.0


def test_ties_at_the_cap_break_by_agents_then_confidence_then_label():
    """Capped scores are ordered by agreement, then raw confidence, then label."""
    results = [
        _res(
            "a", _hyp("alpha", 0.95), _hyp("bravo", 0.99), _hyp("charlie", 1.0), _hyp("zulu", 1.0)
        ),
        _res("b", _hyp("alpha", 0.95), _hyp("bravo", 0.99)),
        _res("c", _hyp("alpha", 0.95)),
    ]
    ranked = Aggregator().aggregate(results)
    assert [r.score for r in ranked] == [1.0, 1.0, 1.0, 1.0]
    assert [r.label for r in ranked] == ["alpha", "bravo", "charlie", "zulu"]


def test_merge_unions_signals_and_suspects_without_duplicates():
    """Merged signals and suspects keep the representative's first, no duplicates."""
    ranked = Aggregator().aggregate(
        [
            _res(
                "a",
                _hyp(
                    "cert expired",
                    0.5,
                    supporting_signals=["sig_002", "sig_001"],
                    suspects=["api.example.com"],
                ),
            ),
            _res(
                "b",
                _hyp(
                    "Cert expired",
                    0.9,
                    supporting_signals=["sig_003", "sig_002"],
                    suspects=["API.example.com", "vault"],
                ),
            ),
        ]
    )
    assert ranked[0].supporting_signals == ["sig_003", "sig_002", "sig_001"]
    assert ranked[0].suspects == ["API.example.com", "vault"]


def test_merge_takes_highest_severity_and_known_category():
    """The merge keeps the highest severity and fills an unknown category from a member."""
    ranked = Aggregator().aggregate(
        [
            _res("a", _hyp("dns failure", 0.9, severity="low")),
            _res("b", _hyp("DNS failure", 0.4, severity="high", category="infrastructure")),
        ]
    )
    assert ranked[0].severity == "high" and ranked[0].category == "infrastructure"
    assert ranked[0].confidence == 0.9


def test_results_sorted_by_score_and_ranked():
    """Output is sorted by score descending with ranks 1..N."""
    ranked = Aggregator().aggregate(
        [_res("a", _hyp("low", 0.2), _hyp("high", 0.9), _hyp("mid", 0.5))]
    )
    assert [r.label for r in ranked] == ["high", "mid", "low"]
    assert [r.rank for r in ranked] == [1, 2, 3]


def test_top_n_is_configurable():
    """Only the top N survive; default N is 5."""
    results = [_res("a", *[_hyp(f"cause {c}", 0.1 * i) for i, c in enumerate("abcdefg", 1)])]
    assert len(Aggregator().aggregate(results)) == 5
    top2 = Aggregator(top_n=2).aggregate(results)
    assert [r.label for r in top2] == ["cause g", "cause f"]


def test_invalid_settings_are_refused():
    """top_n below 1 and a negative bonus raise ValueError naming the setting."""
    with pytest.raises(ValueError, match="top_n"):
        Aggregator(top_n=0)
    with pytest.raises(ValueError, match="agreement_bonus"):
        Aggregator(agreement_bonus=-0.1)


def test_empty_input_gives_empty_ranking():
    """No hypotheses, no ranking."""
    assert Aggregator().aggregate([]) == []
    assert Aggregator().aggregate([_res("a")]) == []


_labels = st.sampled_from(["db pool", "DB pool exhausted", "disk full", "dns", "cert expired", "x"])
_cats = st.sampled_from(["unknown", "config_change", "database"])
_suspects = st.lists(
    st.sampled_from(["pool_size", "database.pool_size", "9f3c2ab", "api"]), max_size=2
)
_hyps = st.builds(_hyp, _labels, st.floats(0, 1), category=_cats, suspects=_suspects)
_results = st.lists(
    st.tuples(st.sampled_from(["a", "b", "c"]), st.lists(_hyps, max_size=3)), max_size=5
)


@given(_results)
def test_aggregation_invariants(raw):
    """Ranks are 1..N, scores sorted, in [0, 1], and >= each group's best confidence."""
    results = [_res(agent, *hyps) for agent, hyps in raw]
    ranked = Aggregator(top_n=100).aggregate(results)
    assert [r.rank for r in ranked] == list(range(1, len(ranked) + 1))
    scores = [r.score for r in ranked]
    assert scores == sorted(scores, reverse=True)
    for r in ranked:
        assert 0.0 <= r.score <= 1.0 and r.score >= r.confidence - 1e-9
        assert len(set(r.contributing_agents)) == len(r.contributing_agents)
    total = sum(len(h) for _, h in raw)
    assert len(ranked) <= total


def test_ties_on_score_and_agents_rank_by_confidence_then_evidence():
    """At equal score and agent count, the higher confidence ranks first, then more signals
    (both against the alphabetical order that decides last)."""
    # Two agents each, both capped at 1.0: 0.92 + 0.1 and 0.95 + 0.1.
    capped = Aggregator().aggregate(
        [
            _res("a", _hyp("a cause", 0.92), _hyp("b cause", 0.95)),
            _res("b", _hyp("a cause", 0.92), _hyp("b cause", 0.95)),
        ]
    )
    assert [(r.label, r.score) for r in capped] == [("b cause", 1.0), ("a cause", 1.0)]
    even = Aggregator().aggregate(
        [
            _res("a", _hyp("a thin cause", 0.7, supporting_signals=["sig_001"])),
            _res("b", _hyp("b thick cause", 0.7, supporting_signals=["sig_001", "sig_002"])),
        ]
    )
    assert [r.label for r in even] == ["b thick cause", "a thin cause"]


def test_a_group_keeps_every_rule_that_fired_once():
    """A merged hypothesis lists the rules of all its members, each once, best first."""
    ranked = Aggregator().aggregate(
        [
            _res("a", _hyp("pool exhausted", 0.7, rules=["logs.pool", "relations.config"])),
            _res("b", _hyp("pool exhausted", 0.6, rules=["metrics.pool", "relations.config"])),
        ]
    )
    assert ranked[0].rules == ["logs.pool", "relations.config", "metrics.pool"]


def test_top_n_of_one_and_a_zero_bonus_are_allowed():
    """`top_n=1` keeps the best hypothesis alone; `agreement_bonus=0` scores agreement as none."""
    ranked = Aggregator(top_n=1, agreement_bonus=0.0).aggregate(
        [_res("a", _hyp("x cause", 0.6), _hyp("y cause", 0.5)), _res("b", _hyp("x cause", 0.6))]
    )
    assert [(r.label, r.score) for r in ranked] == [("x cause", 0.6)]
