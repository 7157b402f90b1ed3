"""ConfigAgent: which configuration change, if any, explains the symptoms.

Every changed key is weighed against the symptoms it can cause (a pool size against
connection waits and timeouts, a timeout against timeouts, a rate limit against 429s, a
feature flag against new errors on a new code path, permissions against 403s) and against
errors that name what it configures. A change that explains nothing is not blamed; a risky
value (a tiny pool, a tiny timeout, a flag newly on) and a drastic ratio add weight.
"""

from __future__ import annotations

from alpha.schemas import Hypothesis
from sre.agents.base import (
    MEDIUM,
    AgentBrief,
    Evidence,
    SpecialistAgent,
    hypothesis,
    merge_candidates,
)
from sre.agents.reading import fmt_value, short_sha
from sre.agents.relations import change_weights, config_label, key_support, risks_for
from sre.signals import ConfigChangeSignal, ConfigRiskSignal


class ConfigAgent(SpecialistAgent):
    """Rules over the config diff and risky config values."""

    name = "ConfigAgent"
    model = "google/gemini-2.0-flash"
    brief = AgentBrief("configuration and feature-flag changes", ("config", "commits"))

    def candidates_from(self, evidence: Evidence) -> list[Hypothesis]:
        """config_change hypotheses naming the key and the commit that changed it."""
        found = [h for c in evidence.config_changes() if (h := _weigh_change(c, evidence))]
        found += _unchanged_risks(evidence)
        return merge_candidates(found)


def _weigh_change(change: ConfigChangeSignal, evidence: Evidence) -> Hypothesis | None:
    key = change.value.key
    if not key.strip():  # a blank key names nothing a responder could restore
        return None
    support = key_support(key, evidence)
    if not support:
        return None
    risks = risks_for(key, evidence)
    shas = evidence.shas_for_key(key)
    weights = change_weights(change, support, evidence)
    reasons = list(support.reasons)
    if risks:
        weights.append(MEDIUM)
        reasons.append(risks[0].value.reason or "risky value")
    commits = [evidence.commit_for_sha(sha) for sha in shas]
    return hypothesis(
        label=config_label(change),
        description=(
            f"{config_label(change)}"
            + (f" in commit {short_sha(shas[0])}" if shas else "")
            + ": "
            + "; ".join(reasons)
            + "."
        ),
        category="config_change",
        suspects=[key, *shas],
        weights=weights,
        signals=[
            change.id,
            *(s.id for s in risks),
            *(c.id for c in commits if c is not None),
            *(s.id for s in support.signals),
        ],
    )


def _unchanged_risks(evidence: Evidence) -> list[Hypothesis]:
    """Risky values when no previous snapshot exists to diff against.

    Without the previous config, a risky value that governs the symptoms is the only config
    evidence there is; it stays a weak hypothesis, since it may have been there for years.
    """
    if evidence.incident.previous_config_snapshot is not None:
        return []
    found = []
    for risk in evidence.of(ConfigRiskSignal):
        key = risk.value.key
        if not key.strip() or evidence.config_change_for(key) is not None:
            continue
        support = key_support(key, evidence)
        if not support:
            continue
        found.append(
            hypothesis(
                label=f"{key} = {fmt_value(risk.value.value)} is risky",
                description=(
                    f"{key} is {fmt_value(risk.value.value)} "
                    f"({risk.value.reason or 'risky value'}); " + "; ".join(support.reasons) + "."
                ),
                category="config_change",
                suspects=[key, *evidence.shas_for_key(key)],
                weights=[*support.weights[:1]],
                signals=[risk.id, *(s.id for s in support.signals)],
            )
        )
    return found
