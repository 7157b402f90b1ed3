"""SynthesisAgent: a short summary and concrete next actions after aggregation.

Runs as the runtime's post-aggregation step. Deterministic: the summary says what happened,
the top cause, how confident the ranking is and which agents agree; the actions are the
concrete steps a responder takes for that kind of cause, filled in with the suspects
(roll back this commit, restore this key to its old value, check this host's status).
"""

from __future__ import annotations

from collections.abc import Sequence

from alpha.schemas import IncidentInput, RankedHypothesis, Signal, Synthesis
from sre.agents.hosts import unique_hosts
from sre.agents.patterns import is_program_error
from sre.agents.reading import fmt_value, is_sha, metric_name, parse_iso, short_sha
from sre.signals import (
    ConfigChangeSignal,
    DependencyErrorsSignal,
    ExceptionSignal,
    LogTemplateSignal,
    MetricAnomalySignal,
    MetricGrowthSignal,
    MetricSaturationSignal,
    MetricValueSignal,
    SreSignal,
    typed_signals,
)

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
    # Only SRE signals (typed values) are read for details.
    by_id = {s.id: s for s in typed_signals(signals)}
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
    kind = top.category.replace("_", " ")
    agents = top.contributing_agents
    agree = (
        f"{', '.join(agents[:-1])} and {agents[-1]} agree"
        if len(agents) >= 2
        else f"only {agents[0]} supports it"
        if agents
        else "no agent is named"
    )
    text = (
        f"{opening} Most likely cause ({kind}): {top.label}; score {top.score:.2f}, "
        f"{_strength(top.score)}; {agree}."
    )
    if len(ranked) >= 2:
        runner = ranked[1]
        text += f" Next: {runner.label} ({runner.category.replace('_', ' ')}, {runner.score:.2f})."
    return text


# --------------------------------------------------------------------------- actions


def _actions(
    incident: IncidentInput, by_id: dict[str, SreSignal], ranked: Sequence[RankedHypothesis]
) -> list[str]:
    if not ranked:
        return [
            f"Review the error logs of {incident.service or 'the service'} since "
            f"deployment {incident.deployment_id}",
            f"Consider rolling back {incident.deployment_id} if the impact continues",
        ]
    chosen = [ranked[0]] + [h for h in ranked[1:2] if ranked[0].score - h.score <= _CLOSE]
    metrics = {
        metric_name(s)
        for s in by_id.values()
        if isinstance(
            s, MetricAnomalySignal | MetricSaturationSignal | MetricGrowthSignal | MetricValueSignal
        )
    }
    actions: list[str] = []
    for item in chosen:
        actions.extend(_for(item, incident, by_id, metrics))
    if ranked[0].score < 0.5:
        actions.append("Confirm with the service owner before acting: the evidence is thin")
    return list(dict.fromkeys(actions))[:MAX_ACTIONS]


def _for(
    item: RankedHypothesis,
    incident: IncidentInput,
    by_id: dict[str, SreSignal],
    metrics: set[str],
) -> list[str]:
    """The playbook of one cause, filled in with its suspects."""
    shas = [s for s in item.suspects if is_sha(s)]
    names = [s for s in item.suspects if not is_sha(s)]
    # Metric names say what moved, hosts and keys what to act on.
    targets = unique_hosts([n for n in names if n not in metrics])
    series = [n for n in names if n in metrics]
    cited = [by_id[i] for i in item.supporting_signals if i in by_id]
    deploy = incident.deployment_id
    service = incident.service or "the service"
    category = item.category
    if category == "code_regression":
        actions = [f"Roll back {short_sha(sha)} ({deploy})" for sha in shas] or [
            f"Roll back {deploy}"
        ]
        fix = _fix_hint(cited)
        return actions + ([fix] if fix else [])
    if category == "config_change":
        return _config_actions(names, shas, cited, deploy)
    if category == "dependency_failure":
        throttled = [host for host in targets[:2] if _throttled(host, cited)]
        if throttled:
            # Being throttled is a quota problem: more retries make it worse.
            host = throttled[0]
            since = _first(host, cited)
            return [
                f"Ask {host} to raise our rate limit or quota "
                + (f"(429 since {since})" if since else "(429s)"),
                f"Slow our calls to {host}: honour Retry-After and back off instead of retrying",
            ]
        return [f"Check the status of {host}{_since(host, cited)}" for host in targets[:2]] + [
            f"Page the owners of {targets[0]}; enable its fallback or circuit breaker"
            if targets
            else "Page the owners of the failing dependency"
        ]
    if category == "database":
        where = ", ".join(targets) if targets else "the database"
        watch = f" (watch {', '.join(series)})" if series else ""
        return [
            "Page the database on-call",
            f"Check locks, slow queries and replication on {where}{watch}",
        ]
    if category == "resource_exhaustion":
        where = ", ".join(targets) if targets else service
        what = f" ({', '.join(series)})" if series else ""
        return [
            f"Restart or scale out the affected instances of {where}",
            f"Find what holds the resource and raise its limit{what}",
        ]
    if category == "traffic_surge":
        return [
            f"Scale out {service}",
            f"Rate-limit or block the clients driving {', '.join(series or names) or 'the surge'}",
        ]
    if category == "certificate_or_credentials":
        where = ", ".join(targets) if targets else "the failing dependency"
        return [f"Renew or rotate the certificate or credentials used for {where}"]
    if category == "infrastructure":
        where = ", ".join(targets[:3]) if targets else "the affected hosts"
        return [
            "Page the platform/network on-call",
            f"Check DNS, node and network health for {where}",
        ]
    return [f"Investigate manually: {item.label}"]


def _config_actions(
    names: list[str], shas: list[str], cited: list[SreSignal], deploy: str
) -> list[str]:
    """Restore the lead key; revert the commit for the rest of what it changed."""
    changes = [change for key in names if (change := _change_of(key, cited))]
    if not changes:
        reverts = [f"Revert commit {short_sha(sha)}" for sha in shas]
        return reverts or [f"Revert the configuration change in {deploy}"]
    actions = [_restore(changes[0])]
    if len(changes) > 1:
        rest = ", ".join(c.value.key for c in changes[1:3])
        actions.append(
            f"Revert commit {short_sha(shas[0])} (it also changed {rest})"
            if shas
            else f"Review the other changed keys: {rest}"
        )
    return actions


def _change_of(key: str, cited: list[SreSignal]) -> ConfigChangeSignal | None:
    for signal in cited:
        if isinstance(signal, ConfigChangeSignal) and signal.value.key == key:
            return signal
    return None


def _restore(change: ConfigChangeSignal) -> str:
    key = change.value.key
    old, new = change.value.old, change.value.new
    if change.value.change == "added":
        return f"Remove {key} (added as {fmt_value(new)})"
    shas = [short_sha(s) for s in change.value.commit_shas]
    origin = f" (changed in {shas[0]})" if shas else ""
    return f"Restore {key} {fmt_value(new)} -> {fmt_value(old)}{origin}"


def _since(host: str, cited: list[SreSignal]) -> str:
    kinds = [
        k.replace("_", " ")
        for signal in cited
        if isinstance(signal, DependencyErrorsSignal) and signal.value.host == host
        for k in signal.value.error_kinds
    ]
    what = ", ".join(dict.fromkeys(kinds)) or "errors"
    when = _first(host, cited)
    return f" ({what} since {when})" if when else f" ({what})"


def _throttled(host: str, cited: list[SreSignal]) -> bool:
    """Whether this host's cited errors are all HTTP 429 (throttling) rather than faults."""
    codes: set[int] = set()
    kinds: set[str] = set()
    for signal in cited:
        if isinstance(signal, DependencyErrorsSignal) and signal.value.host == host:
            codes |= set(signal.value.status_codes)
            kinds |= set(signal.value.error_kinds)
    return codes == {429} and not kinds


def _first(host: str, cited: list[SreSignal]) -> str | None:
    """When the log templates naming this host first appeared (HH:MM), if known."""
    times = [
        s.value.first_seen
        for s in cited
        if isinstance(s, LogTemplateSignal) and host in s.value.hosts and s.value.first_seen
    ]
    return _clock(min(times)) if times else None


def _clock(text: str) -> str | None:
    when = parse_iso(text)
    return when.strftime("%H:%M") if when else None


def _fix_hint(cited: list[SreSignal]) -> str | None:
    for signal in cited:
        if not isinstance(signal, ExceptionSignal):
            continue
        kind = signal.value.exception_type
        if signal.value.is_new and is_program_error(kind):
            files = signal.value.files
            where = f" in {files[0]}" if files else ""
            return f"Fix {kind}{where} before redeploying"
    return None
