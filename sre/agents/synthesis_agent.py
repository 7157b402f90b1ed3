"""SynthesisAgent: a short summary and concrete next actions after aggregation.

Runs as the runtime's post-aggregation step. Deterministic: the summary says what happened,
the top cause, how confident the ranking is (a tie is said to be one) and which agents
agree; the actions come from `PLAYBOOK`, a table from a cause's category to the steps a
responder takes, refined by what its evidence shows (`sre.agents.cues`):

- `code_regression`: roll back the commit, only when a deploy or change is in the story;
  a migration holding a lock: cancel the blocking backend and rebuild concurrently instead
  (a rollback would not release the lock);
- `config_change`: restore the key to its old value; revert the commit for the other keys;
- `dependency_failure`: page the endpoint's owners (one endpoint, whatever its names) and
  switch to its fallback; a throttling one: ask for quota and back off;
- `database`: cancel the blocking query (lock waits), take a lagging replica out, check a
  failover, free storage; else page the database on-call;
- `resource_exhaustion`: scale out or restart; free the disk; find what holds the resource;
- `traffic_surge`: scale out; rate-limit the clients driving it;
- `certificate_or_credentials`: renew the certificate (TLS) or rotate the credential;
- `infrastructure`: page the platform on-call with what to check (DNS, nodes, network).

Every action carries a key (what it does, to what): two causes asking to revert and to roll
back the same commit give one action, and endpoints seen under an IP and a name are one.
With no `deployed_at` and no recent commits nothing is said or advised about a deploy.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from alpha.schemas import IncidentInput, RankedHypothesis, Signal, Synthesis
from sre.agents.cues import (
    Endpoint,
    error_statuses,
    lock_waits,
    merge_endpoints,
    metric_names,
    migration_of,
    signature_kinds,
    split_port,
)
from sre.agents.hosts import unique_hosts
from sre.agents.patterns import is_program_error
from sre.agents.reading import flatten_items, fmt_value, is_sha, parse_iso, short_sha
from sre.extractors.window import investigation_window
from sre.signals import (
    ConfigChangeSignal,
    ConfigRiskSignal,
    DependencyErrorsSignal,
    ExceptionSignal,
    LogTemplateSignal,
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
    typed = typed_signals(signals)
    has_deploy = investigation_window(incident).has_deploy
    return Synthesis(
        summary=_summary(incident, len(signals), ranked, has_deploy),
        next_actions=next_actions(incident, typed, ranked, has_deploy=has_deploy),
        agent_name=SynthesisAgent.name,
    )


def scores_tie(first: RankedHypothesis, second: RankedHypothesis) -> bool:
    """Whether two ranked causes show the same score (to the two decimals shown)."""
    return round(first.score, 2) == round(second.score, 2)


# --------------------------------------------------------------------------- summary


def _strength(score: float) -> str:
    if score >= 0.8:
        return "high confidence"
    return "moderate confidence" if score >= 0.5 else "low confidence"


def _plural(count: int, word: str) -> str:
    return f"{count} {word}" if count == 1 else f"{count} {word}s"


def _kind(category: str) -> str:
    return category.replace("_", " ")


def _agreement(agents: Sequence[str]) -> str:
    if len(agents) >= 2:
        return f"{', '.join(agents[:-1])} and {agents[-1]} agree"
    return f"only {agents[0]} supports it" if agents else "no agent is named"


def _summary(
    incident: IncidentInput, signal_count: int, ranked: Sequence[RankedHypothesis], deploy: bool
) -> str:
    subject = incident.service or "the service"
    where = (
        f"after deployment {incident.deployment_id}" if deploy else f"({incident.deployment_id})"
    )
    opening = f"{_plural(signal_count, 'signal')} in {subject} {where}."
    if not ranked:
        return (
            f"{opening} No root cause stood out: no rule found evidence strong enough to "
            "name one. Investigate manually."
        )
    top = ranked[0]
    if len(ranked) >= 2 and scores_tie(top, ranked[1]):
        runner = ranked[1]
        return (
            f"{opening} Two causes tie at score {top.score:.2f}: {top.label} "
            f"({_kind(top.category)}; {_agreement(top.contributing_agents)}) and "
            f"{runner.label} ({_kind(runner.category)}); the actions cover both."
        )
    text = (
        f"{opening} Most likely cause ({_kind(top.category)}): {top.label}; score "
        f"{top.score:.2f}, {_strength(top.score)}; {_agreement(top.contributing_agents)}."
    )
    if len(ranked) >= 2:
        runner = ranked[1]
        text += f" Next: {runner.label} ({_kind(runner.category)}, {runner.score:.2f})."
    return text


# --------------------------------------------------------------------------- actions


@dataclass(frozen=True)
class Action:
    """One next action and what it does to what (`("rollback", "5ae6cd2")`), for dedup."""

    text: str
    key: tuple[str, str]


@dataclass
class Case:
    """Everything a playbook reads about one ranked cause.

    Attributes:
        item: the ranked hypothesis.
        incident: the payload (its service, commits and their patches).
        has_deploy: a deploy or change is part of the story (`Window.has_deploy`).
        shas: suspects that are commit SHAs.
        names: other suspects that are not metrics (hosts, keys, pods).
        series: suspects that are metric names.
        keys: suspects that are configuration keys (of a snapshot or a config signal).
        cited: the typed signals the hypothesis cites.
        every: every typed signal of the run (lock waits show in signals no cause cites).
    """

    item: RankedHypothesis
    incident: IncidentInput
    has_deploy: bool
    shas: list[str]
    names: list[str]
    series: list[str]
    cited: list[SreSignal]
    every: list[SreSignal] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)

    @property
    def service(self) -> str:
        """The service under investigation, as actions name it."""
        return self.incident.service or "the service"

    @property
    def deploy(self) -> str:
        """The deployment as a parenthesised note, or nothing when there was none."""
        return f" ({self.incident.deployment_id})" if self.has_deploy else ""

    def endpoints(self) -> list[Endpoint]:
        """The suspect hosts, one per real endpoint (IP and name merged); bare words such as
        `dns` and configuration keys are not hosts."""
        hosts = [n for n in self.names if n not in self.keys and any(c in n for c in ".:-")]
        return merge_endpoints(unique_hosts(hosts), [*self.cited, *self.every])


Playbook = Callable[[Case], list[Action]]


def _code_regression(case: Case) -> list[Action]:
    actions: list[Action] = []
    for sha in case.shas:
        migration = migration_of(sha, case.every, case.incident)
        if migration is not None and lock_waits(case.every):
            return _blocking_migration(case, sha, migration.name, migration.builds_index)
        if case.has_deploy:
            actions.append(
                Action(f"Roll back {short_sha(sha)}{case.deploy}", ("rollback", short_sha(sha)))
            )
    if not case.shas and case.has_deploy:
        actions.append(
            Action(f"Roll back {case.incident.deployment_id}", ("rollback", "deployment"))
        )
    fix = _fix_hint(case.cited, redeploy=case.has_deploy)
    if fix:
        actions.append(Action(fix, ("fix", fix)))
    return actions or [Action(f"Find the change behind: {case.item.label}", ("manual", ""))]


def _blocking_migration(case: Case, sha: str, name: str, builds_index: bool) -> list[Action]:
    """A migration holding a lock: a rollback would not release it (the down-migration
    needs the same lock), so the blocker is cancelled and the change made non-blocking."""
    where = _database_name(case)
    cancel = Action(
        f"Cancel the backend running migration {name}{where}: it holds the lock the "
        "failing queries wait on (pg_blocking_pids(), then pg_cancel_backend(pid)); "
        f"rolling back {short_sha(sha)} would not release it",
        ("cancel", "blocker"),
    )
    if builds_index:
        fix = (
            f"Rebuild the index of {name} concurrently (CREATE INDEX CONCURRENTLY) "
            "before redeploying"
        )
    else:
        fix = f"Rewrite migration {name} so it takes no long lock, then redeploy"
    return [cancel, Action(fix, ("fix", name))]


def _database_name(case: Case) -> str:
    endpoints = case.endpoints()
    return f" on {endpoints[0].name}" if endpoints else ""


def _config_change(case: Case) -> list[Action]:
    """Restore the lead key; revert the commit for the rest of what it changed."""
    changes = [c for key in case.names if (c := _change_of(key, case.cited))]
    if not changes:
        reverts = [
            Action(f"Revert commit {short_sha(sha)}", ("rollback", short_sha(sha)))
            for sha in case.shas
        ]
        return reverts or [
            Action(
                f"Revert the configuration change{case.deploy}",
                ("rollback", "configuration"),
            )
        ]
    actions = [Action(_restore(changes[0]), ("restore", changes[0].value.key))]
    if len(changes) > 1:
        rest = ", ".join(c.value.key for c in changes[1:3])
        if case.shas:
            sha = short_sha(case.shas[0])
            actions.append(
                Action(f"Revert commit {sha} (it also changed {rest})", ("rollback", sha))
            )
        else:
            actions.append(Action(f"Review the other changed keys: {rest}", ("review", rest)))
    return actions


def _dependency_failure(case: Case) -> list[Action]:
    endpoints = case.endpoints()
    throttled = [e for e in endpoints[:2] if _throttled(e, case.cited)]
    if throttled:
        # Being throttled is a quota problem: more retries make it worse.
        name = throttled[0].name
        since = _first(throttled[0], case.cited)
        return [
            Action(
                f"Ask {name} to raise our rate limit or quota "
                + (f"(429 since {since})" if since else "(429s)"),
                ("quota", name),
            ),
            Action(
                f"Slow our calls to {name}: honour Retry-After and back off instead of retrying",
                ("backoff", name),
            ),
        ]
    if not endpoints:
        return [Action("Page the owners of the failing dependency", ("page", "dependency"))]
    actions = [
        Action(
            f"Page the owners of {endpoint.shown}{_since(endpoint, case.cited)}",
            ("page", endpoint.name),
        )
        for endpoint in endpoints[:2]
    ]
    lead = endpoints[0].name
    actions.append(
        Action(f"Switch {lead} to its fallback or open its circuit breaker", ("fallback", lead))
    )
    return actions


def _database(case: Case) -> list[Action]:
    where = ", ".join(e.name for e in case.endpoints()) or "the database"
    watch = f" (watch {', '.join(case.series)})" if case.series else ""
    kinds = signature_kinds([*case.cited, *case.every])
    if lock_waits(case.cited) or "db_locks" in kinds:
        return [
            Action(
                f"Cancel the blocking query on {where}: find it with pg_blocking_pids() "
                "(MySQL: sys.innodb_lock_waits), then pg_cancel_backend(pid)",
                ("cancel", "blocker"),
            ),
            Action("Page the database on-call", ("page", "database")),
        ]
    if "db_replica_lag" in kinds or any("lag" in s for s in case.series):
        return [
            Action(
                f"Send reads to the primary or take the lagging replica of {where} out of "
                f"rotation{watch}",
                ("replica", where),
            ),
            Action("Page the database on-call", ("page", "database")),
        ]
    if "db_failover" in kinds:
        return [
            Action(
                f"Confirm {where} has a healthy primary; restart the pools still pinned to "
                "the old one",
                ("failover", where),
            ),
            Action("Page the database on-call", ("page", "database")),
        ]
    if "db_storage_full" in kinds:
        return [Action(f"Free or add storage on {where}", ("storage", where))]
    return [
        Action("Page the database on-call", ("page", "database")),
        Action(f"Check locks, slow queries and replication on {where}{watch}", ("check", where)),
    ]


def _resource_exhaustion(case: Case) -> list[Action]:
    instances = [e.name for e in case.endpoints() if split_port(e.name)[1] is None]
    where = ", ".join(instances[:3]) or case.service
    what = f" ({', '.join(case.series)})" if case.series else ""
    kinds = signature_kinds(case.cited)
    if "disk_full" in kinds or "db_storage_full" in kinds:
        return [
            Action(
                f"Free disk space on {where} (rotate logs, delete temporary files)", ("disk", where)
            ),
            Action(f"Find what fills the disk and raise its quota{what}", ("limit", where)),
        ]
    return [
        Action(
            f"Scale out {case.service}, or restart the affected instances of {where}",
            ("scale", where),
        ),
        Action(f"Find what holds the resource and raise its limit{what}", ("limit", where)),
    ]


def _traffic_surge(case: Case) -> list[Action]:
    drivers = ", ".join(case.series or case.names) or "the surge"
    return [
        Action(f"Scale out {case.service}", ("scale", case.service)),
        Action(f"Rate-limit or block the clients driving {drivers}", ("ratelimit", drivers)),
    ]


def _certificate_or_credentials(case: Case) -> list[Action]:
    endpoints = case.endpoints()
    where = ", ".join(e.name for e in endpoints) or "the failing dependency"
    kinds = signature_kinds(case.cited)
    if kinds & {"tls_expired", "tls_untrusted", "tls_handshake"}:
        cert = f" ({', '.join(case.keys)})" if case.keys else ""
        target = where if endpoints else ""
        return [Action(f"Renew the TLS certificate used for {where}{cert}", ("renew", target))]
    secret = ", ".join(case.keys) or f"the credential used for {where}"
    refused = sorted(error_statuses(case.cited) & {401, 403})
    why = f" (HTTP {', '.join(map(str, refused))})" if refused else ""
    target = secret if case.keys or endpoints else ""
    return [Action(f"Rotate {secret} and redeploy it{why}", ("rotate", target))]


def _infrastructure(case: Case) -> list[Action]:
    endpoints = case.endpoints()
    resolvers = [e.name for e in endpoints if split_port(e.name)[1] == "53"]
    names = [e.name for e in endpoints if e.name not in resolvers]
    where = ", ".join(names[:3]) or "the affected hosts"
    kinds = signature_kinds(case.cited)
    if "dns_failure" in kinds:
        servers = f" ({', '.join(resolvers)})" if resolvers else ""
        check = f"Check the DNS resolvers{servers} and CoreDNS: {where} do not resolve"
    elif "node_not_ready" in kinds:
        check = f"Cordon and drain the NotReady nodes ({where}); check their kubelet"
    else:
        check = f"Check node and network health for {where}"
    return [
        Action("Page the platform/network on-call", ("page", "platform")),
        Action(check, ("check", where)),
    ]


PLAYBOOK: dict[str, Playbook] = {
    "code_regression": _code_regression,
    "config_change": _config_change,
    "dependency_failure": _dependency_failure,
    "database": _database,
    "resource_exhaustion": _resource_exhaustion,
    "traffic_surge": _traffic_surge,
    "certificate_or_credentials": _certificate_or_credentials,
    "infrastructure": _infrastructure,
}


def next_actions(
    incident: IncidentInput,
    signals: Sequence[SreSignal],
    ranked: Sequence[RankedHypothesis],
    *,
    has_deploy: bool,
) -> list[str]:
    """The next actions for the top cause (and a close runner-up), at most `MAX_ACTIONS`.

    Args:
        incident: the payload.
        signals: every typed signal of the run.
        ranked: the ranked causes, best first.
        has_deploy: whether a deploy or change is part of the story.
    """
    if not ranked:
        manual = [f"Review the error logs of {incident.service or 'the service'}"]
        if has_deploy:
            manual.append(f"Consider rolling back {incident.deployment_id} if the impact continues")
        return manual
    by_id = {s.id: s for s in signals}
    metrics = metric_names(signals)
    config_keys = _config_keys(incident, signals)
    chosen = [ranked[0]] + [h for h in ranked[1:2] if ranked[0].score - h.score <= _CLOSE]
    actions: list[Action] = []
    for item in chosen:
        case = Case(
            item=item,
            incident=incident,
            has_deploy=has_deploy,
            shas=[s for s in item.suspects if is_sha(s)],
            names=[s for s in item.suspects if not is_sha(s) and s not in metrics],
            series=[s for s in item.suspects if s in metrics],
            cited=[by_id[i] for i in item.supporting_signals if i in by_id],
            every=list(signals),
            keys=[s for s in item.suspects if s in config_keys],
        )
        playbook = PLAYBOOK.get(item.category)
        if playbook is None:
            actions.append(Action(f"Investigate manually: {item.label}", ("manual", item.label)))
        else:
            actions.extend(playbook(case))
    if ranked[0].score < 0.5:
        actions.append(
            Action(
                "Confirm with the service owner before acting: the evidence is thin",
                ("confirm", ""),
            )
        )
    return _unique(actions)[:MAX_ACTIONS]


def _unique(actions: Sequence[Action]) -> list[str]:
    """Action texts without repeats: the first action of each key (and text) wins, and an
    action with no particular target (`("rotate", "")`) yields to any of the same verb."""
    keys: set[tuple[str, str]] = set()
    verbs: set[str] = set()
    texts: dict[str, None] = {}
    for action in actions:
        verb, target = action.key
        if action.key in keys or action.text in texts or (not target and verb in verbs):
            continue
        keys.add(action.key)
        verbs.add(verb)
        texts[action.text] = None
    return list(texts)


def _config_keys(incident: IncidentInput, signals: Sequence[SreSignal]) -> set[str]:
    """Dotted keys of the config snapshots and of the config signals."""
    keys = {key for key, _ in flatten_items(incident.config_snapshot)}
    keys |= {key for key, _ in flatten_items(incident.previous_config_snapshot or {})}
    keys |= {s.value.key for s in signals if isinstance(s, ConfigChangeSignal | ConfigRiskSignal)}
    return keys


# --------------------------------------------------------------------------- details


def _change_of(key: str, cited: list[SreSignal]) -> ConfigChangeSignal | None:
    for signal in cited:
        if isinstance(signal, ConfigChangeSignal) and signal.value.key == key:
            return signal
    return None


def _restore(change: ConfigChangeSignal) -> str:
    key = change.value.key
    old, new = change.value.old, change.value.new
    if change.value.change == "added" or old is None:
        return f"Remove {key} (added as {fmt_value(new)})"
    shas = [short_sha(s) for s in change.value.commit_shas]
    origin = f" (changed in {shas[0]})" if shas else ""
    if change.value.change == "removed" or new is None:
        return f"Restore {key} = {fmt_value(old)} (removed){origin}"
    return f"Restore {key} {fmt_value(new)} -> {fmt_value(old)}{origin}"


def _endpoint_signals(endpoint: Endpoint, cited: list[SreSignal]) -> list[DependencyErrorsSignal]:
    names = {endpoint.name, *endpoint.aliases}
    return [s for s in cited if isinstance(s, DependencyErrorsSignal) and s.value.host in names]


def _since(endpoint: Endpoint, cited: list[SreSignal]) -> str:
    kinds = [
        k.replace("_", " ")
        for signal in _endpoint_signals(endpoint, cited)
        for k in signal.value.error_kinds
    ]
    what = ", ".join(dict.fromkeys(kinds)) or "errors"
    when = _first(endpoint, cited)
    return f": {what} since {when}" if when else f": {what}"


def _throttled(endpoint: Endpoint, cited: list[SreSignal]) -> bool:
    """Whether this endpoint's cited errors are all HTTP 429 (throttling) rather than faults."""
    codes: set[int] = set()
    kinds: set[str] = set()
    for signal in _endpoint_signals(endpoint, cited):
        codes |= set(signal.value.status_codes)
        kinds |= set(signal.value.error_kinds)
    return codes == {429} and not kinds


def _first(endpoint: Endpoint, cited: list[SreSignal]) -> str | None:
    """When the log templates naming this endpoint first appeared (HH:MM), if known."""
    names = {endpoint.name, *endpoint.aliases}
    times = [
        s.value.first_seen
        for s in cited
        if isinstance(s, LogTemplateSignal) and names & set(s.value.hosts) and s.value.first_seen
    ]
    return _clock(min(times)) if times else None


def _clock(text: str) -> str | None:
    when = parse_iso(text)
    return when.strftime("%H:%M") if when else None


def _fix_hint(cited: list[SreSignal], *, redeploy: bool) -> str | None:
    for signal in cited:
        if not isinstance(signal, ExceptionSignal):
            continue
        kind = signal.value.exception_type
        if signal.value.is_new and is_program_error(kind):
            files = signal.value.files
            where = f" in {files[0]}" if files else ""
            return f"Fix {kind}{where}" + (" before redeploying" if redeploy else "")
    return None
