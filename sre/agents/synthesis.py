"""SynthesisAgent: a short summary and concrete next actions after aggregation.

Runs as the runtime's post-aggregation step. Deterministic: the summary says what happened,
the top cause, how confident the ranking is and which agents agree; the actions are the
concrete steps a responder takes for that kind of cause, filled in with the suspects
(roll back this commit, restore this key to its old value, check this host's status).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from alpha.schemas import IncidentInput, RankedHypothesis, Signal, Synthesis
from alpha.taxonomy import CATEGORIES
from sre.agents.base import as_list, fmt_value, is_sha, short_sha

MAX_ACTIONS = 5
# Two causes closer than this are both worth acting on.
_CLOSE = 0.1


class SynthesisAgent:
    """The post-aggregation step: `await SynthesisAgent()(incident, signals, ranked)`."""

    name = "SynthesisAgent"
    model = "anthropic/claude-sonnet-4-6"

    async def __call__(
        self,
        incident: IncidentInput,
        signals: list[Signal],
        ranked: list[RankedHypothesis],
    ) -> Synthesis:
        """Summarise the ranking and propose next actions."""
        return synthesize(incident, signals, ranked)


def synthesize(
    incident: IncidentInput, signals: Sequence[Signal], ranked: Sequence[RankedHypothesis]
) -> Synthesis:
    """Pure summary and actions from the ranked hypotheses (see `SynthesisAgent`)."""
    by_id = {s.id: s for s in signals}
    return Synthesis(
        summary=_summary(incident, signals, ranked),
        next_actions=_actions(incident, by_id, ranked),
        agent_name=SynthesisAgent.name,
    )


# --------------------------------------------------------------------------- summary


def _strength(score: float) -> str:
    if score >= 0.8:
        return "high confidence"
    return "moderate confidence" if score >= 0.5 else "low confidence"


def _summary(
    incident: IncidentInput, signals: Sequence[Signal], ranked: Sequence[RankedHypothesis]
) -> str:
    subject = incident.service or "the service"
    opening = f"{len(signals)} signals in {subject} after deployment {incident.deployment_id}."
    if not ranked:
        return (
            f"{opening} No root cause stood out: no rule found evidence strong enough to "
            "name one. Investigate manually."
        )
    top = ranked[0]
    kind = CATEGORIES.get(top.category, "unclassified cause")
    agents = top.contributing_agents
    agree = (
        f"{', '.join(agents[:-1])} and {agents[-1]} agree"
        if len(agents) >= 2
        else f"only {agents[0]} supports it"
        if agents
        else "no agent is named"
    )
    text = (
        f"{opening} Most likely cause: {top.label} ({top.category}: {kind}), "
        f"score {top.score:.2f}, {_strength(top.score)}; {agree}."
    )
    if len(ranked) >= 2:
        runner = ranked[1]
        text += f" Next: {runner.label} ({runner.score:.2f})."
    return text


# --------------------------------------------------------------------------- actions


def _actions(
    incident: IncidentInput, by_id: dict[str, Signal], ranked: Sequence[RankedHypothesis]
) -> list[str]:
    if not ranked:
        return [
            f"Review the error logs of {incident.service or 'the service'} since "
            f"deployment {incident.deployment_id}",
            f"Consider rolling back {incident.deployment_id} if the impact continues",
        ]
    chosen = [ranked[0]] + [h for h in ranked[1:2] if ranked[0].score - h.score <= _CLOSE]
    actions: list[str] = []
    for item in chosen:
        actions.extend(_for(item, incident, by_id))
    if ranked[0].score < 0.5:
        actions.append("Confirm with the service owner before acting: the evidence is thin")
    return list(dict.fromkeys(actions))[:MAX_ACTIONS]


def _for(item: RankedHypothesis, incident: IncidentInput, by_id: dict[str, Signal]) -> list[str]:
    shas = [s for s in item.suspects if is_sha(s)]
    names = [s for s in item.suspects if not is_sha(s)]
    cited = [by_id[i] for i in item.supporting_signals if i in by_id]
    deploy = incident.deployment_id
    category = item.category
    if category == "code_regression":
        actions = [f"Roll back {short_sha(sha)} ({deploy})" for sha in shas] or [
            f"Roll back {deploy}"
        ]
        fix = _fix_hint(cited)
        return actions + ([fix] if fix else [])
    if category == "config_change":
        actions = [_restore(key, cited) for key in names if _change_of(key, cited)]
        actions += [f"Revert commit {short_sha(sha)}" for sha in shas if not actions]
        return actions or [f"Revert the configuration change in {deploy}"]
    if category == "dependency_failure":
        return [f"Check the status of {host}{_since(host, cited)}" for host in names] + [
            f"Page the owners of {names[0]}; enable its fallback or circuit breaker"
            if names
            else "Page the owners of the failing dependency"
        ]
    if category == "database":
        target = ", ".join(names) if names else "the database"
        return [
            "Page the database on-call",
            f"Check locks, slow queries and replication on {target}",
        ]
    if category == "resource_exhaustion":
        target = ", ".join(names) if names else incident.service or "the service"
        return [
            f"Restart or scale out the affected instances ({target})",
            f"Find what holds the resource and raise its limit ({target})",
        ]
    if category == "traffic_surge":
        service = incident.service or "the service"
        return [
            f"Scale out {service}",
            f"Rate-limit or block the clients driving {', '.join(names) or 'the surge'}",
        ]
    if category == "certificate_or_credentials":
        target = ", ".join(names) if names else "the failing dependency"
        return [f"Renew or rotate the certificate or credentials used for {target}"]
    if category == "infrastructure":
        target = ", ".join(names[:3]) if names else "the affected hosts"
        return [
            "Page the platform/network on-call",
            f"Check DNS, node and network health for {target}",
        ]
    return [f"Investigate manually: {item.label}"]


def _change_of(key: str, cited: list[Signal]) -> Signal | None:
    for signal in cited:
        if signal.type == "config_change" and signal.value.get("key") == key:
            return signal
    return None


def _restore(key: str, cited: list[Signal]) -> str:
    change = _change_of(key, cited)
    assert change is not None  # guarded by the caller
    old, new = change.value.get("old"), change.value.get("new")
    if change.value.get("change") == "added":
        return f"Remove {key} (added as {fmt_value(new)})"
    shas = [short_sha(str(s)) for s in as_list(change.value.get("commit_shas"))]
    origin = f" (changed in {shas[0]})" if shas else ""
    return f"Restore {key} {fmt_value(new)} -> {fmt_value(old)}{origin}"


def _since(host: str, cited: list[Signal]) -> str:
    kinds: list[str] = []
    first: str | None = None
    for signal in cited:
        if signal.type == "dependency_errors" and signal.value.get("host") == host:
            kinds += [str(k).replace("_", " ") for k in as_list(signal.value.get("error_kinds"))]
        if host in as_list(signal.value.get("hosts")) and signal.value.get("first_seen"):
            first = min(first or str(signal.value["first_seen"]), str(signal.value["first_seen"]))
    what = ", ".join(dict.fromkeys(kinds)) or "errors"
    when = _clock(first)
    return f" ({what} since {when})" if when else f" ({what})"


def _clock(text: str | None) -> str | None:
    if not text:
        return None
    try:
        return datetime.fromisoformat(text.replace("Z", "+00:00")).strftime("%H:%M")
    except ValueError:
        return None


def _fix_hint(cited: list[Signal]) -> str | None:
    for signal in cited:
        if signal.type == "exception" and signal.value.get("is_new"):
            files = [str(f) for f in as_list(signal.value.get("files"))]
            where = f" in {files[0]}" if files else ""
            return f"Fix {signal.value.get('exception_type')}{where} before redeploying"
    return None
