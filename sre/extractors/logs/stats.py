"""Streaming accumulation of per-template, per-exception and per-host counts.

`LogAccumulator.add(record, ts, after)` is called once per record in one pass; it keeps
only bounded aggregates (never the records), so a million lines use memory proportional
to the number of templates, not lines.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TypeVar

from sre.extractors.entities import line_entity
from sre.extractors.logs.by_entity import EntityCounts, EntityTally
from sre.extractors.logs.deps import DepKeys, StatusReader, dep_facts, error_kinds
from sre.extractors.logs.parse import ERROR_LEVELS, LEVEL_RANK, LogRecord
from sre.extractors.logs.shapes import LineParser
from sre.extractors.logs.templates import Cluster, TemplateMiner
from sre.extractors.logs.trace import Frame, Trace, parse_trace, primary_type

_ERRORISH_RE = re.compile(
    r"\b(?:error|exception|fail(?:ed|ure)?|timed? ?out|refused|unreachable|panic|fatal)\b",
    re.I,
)
_LIST_CAP = 10
_CACHE_LIMIT = 50_000
_CONTINUATION_CHARS = 4_000
# How the lines of one shape find their emitter. Shape keys mask every token holding a digit
# (`shapes.KEY_RE`), so a name with a digit (a pod's hash, `web-01`) differs between lines
# of one shape; a name without one is part of the key and the same for all of them.
_SAME = 0  # the shape's first emitter is everyone's
_SECOND_TOKEN = 1  # a collector prefix: the token after the time, looked up in a memo
_EACH_LINE = 2  # read from each line
_TOKEN_MEMO_LIMIT = 100_000
# Lines that name the object the following lines are about (cheap first-character test).
_CONTEXT_STARTS = frozenset("N$")
# First characters of the shape keys whose lines may start with one of `_CONTEXT_STARTS`: a
# shape key is of the line (its first word kept, or masked to `0`: `$` is no separator) or of
# what follows a leading time or a collector prefix, whose lines start with neither.
_CONTEXT_SHAPE_STARTS = frozenset({"N", "$", "0", ""})
_NAME_LINE = re.compile(r"^Name:\s+(?P<obj>[\w.-]{2,253})\s*$")
_KUBECTL = re.compile(r"^\$ kubectl\s+(?:describe|logs|get)\s+(?P<args>.*)$")
# Resource kinds (and short names) `kubectl get/describe/logs` takes before a name.
_KUBE_KINDS = frozenset(
    {"all", "pod", "pods", "po", "node", "nodes", "no", "deploy", "deployment", "deployments"}
    | {"statefulset", "statefulsets", "sts", "daemonset", "daemonsets", "ds", "job", "jobs"}
    | {"cronjob", "cronjobs", "cj", "pvc", "pv", "persistentvolumeclaim"}
    | {"persistentvolumeclaims", "persistentvolume", "persistentvolumes", "svc", "service"}
    | {"services", "event", "events", "ev", "secret", "secrets", "configmap", "configmaps"}
    | {"cm", "ingress", "ingresses", "ing", "replicaset", "replicasets", "rs", "namespace"}
    | {"namespaces", "ns", "hpa", "horizontalpodautoscaler", "endpoints", "ep"}
    | {"endpointslices", "networkpolicy", "networkpolicies", "netpol", "serviceaccount"}
    | {"serviceaccounts", "sa", "storageclass", "storageclasses", "sc", "lease", "leases"}
)
# Options that take the next word as their value (`-n orders`, `-o wide`).
_KUBE_VALUE_FLAGS = frozenset(
    {"-n", "--namespace", "-l", "--selector", "-L", "--label-columns", "-o", "--output"}
    | {"-c", "--container", "--context", "--cluster", "--field-selector", "--sort-by"}
    | {"--since", "--since-time", "--tail", "--kubeconfig", "-s", "--server", "--user"}
)


def kubectl_object(command: str) -> str | None:
    """The object a `$ kubectl get|describe|logs` line is about, or None for a listing.

    `kubectl describe pod -n orders orders-api-6c8b7d9f45-2pv5z` -> the pod;
    `kubectl logs job/ecr-cred-refresher-29654400` -> the job; `kubectl get events -A` and
    `kubectl get nodes -L zone` list many objects and name none (`events` and `nodes` are
    kinds, not entities; `-n orders` is a namespace, not the object).
    """
    m = _KUBECTL.match(command)
    if m is None:
        return None
    words = m.group("args").split("|", 1)[0].split()
    skip_value = False
    for word in words:
        if skip_value:
            skip_value = False
            continue
        if word.startswith("-"):
            skip_value = word in _KUBE_VALUE_FLAGS
            continue
        _, slash, name = word.partition("/")
        if slash:
            return name or None
        if all(part.lower() in _KUBE_KINDS for part in word.split(",")):
            continue
        return word if re.fullmatch(r"[a-z0-9][\w.-]{1,252}", word) else None
    return None


_MAX_FRAMES = 10
# An exception's message kept: long enough for the cause a wrapper states at its end
# (`BeanCreationException: ... [Data source rejected ...: "Too many connections"]`).
_EXCEPTION_MESSAGE_CHARS = 500
# A stack frame or an elision line of a logged trace (Java, Python, Go, Node, .NET).
_FRAME_LINE = re.compile(r"\s|\.\.\. \d+ (?:more|common frames)|File \"|goroutine ")
# Exception headers of a trace read for the hosts it failed on, at most.
_HEADER_LINES = 5
_T = TypeVar("_T")


def _push(items: list[_T], value: _T) -> None:
    if value not in items and len(items) < _LIST_CAP:
        items.append(value)


def _extend(items: list[_T], values: Iterable[_T]) -> None:
    for value in values:
        if value not in items and len(items) < _LIST_CAP:
            items.append(value)


@dataclass(frozen=True, slots=True)
class _ShapeFacts:
    """What an error line's shape says, whatever its digit runs."""

    trace: Trace
    text_kinds: tuple[str, ...]
    needs_line: bool


@dataclass(slots=True)
class _ShapeCount:
    """What `LogAccumulator.add` decides alike for every inexact record of one shape.

    Such records carry their shape's representative message and level, so their template,
    level and (for unlevelled lines) the error words are the same; only statuses, being
    digits, are read per line, and only when the shape's first line had one.
    """

    stats: TemplateStats
    cluster: Cluster
    has_status: bool
    error: bool  # an error whatever its statuses (by level, or by words when unlevelled)
    error_if_5xx: bool  # unlevelled without error words: a 5xx status makes it an error
    warn: bool
    quiet: bool  # its error details add nothing per line (see `LogAccumulator._is_quiet`)
    entity: EntityCounts | None  # the emitter of the shape's first line (None: unknown)
    entity_mode: int  # how later lines find theirs: `_SAME`, `_SECOND_TOKEN` or `_EACH_LINE`
    maybe_context: bool  # its lines may name a context (see `_CONTEXT_SHAPE_STARTS`)
    listens: bool  # its first line announced a port it listens on (`listening_port`)


@dataclass(slots=True)
class TemplateStats:
    """Counts and examples for one mined template."""

    cluster_id: int
    count_before: int = 0
    count_after: int = 0
    level: str | None = None
    example: str = ""
    example_after: bool = False
    first_seen: float | None = None
    exception_types: list[str] = field(default_factory=list)
    status_codes: list[int] = field(default_factory=list)
    hosts: list[str] = field(default_factory=list)
    files: list[str] = field(default_factory=list)
    # The continuation lines of the template's first multi-line record (a stack trace, the
    # indented block of `kubectl describe`), clipped: signatures are looked for in them too.
    continuation: str = ""
    # The object being described when the template was first seen (`Name: <pod>` of a
    # `kubectl describe` block, the object of a `$ kubectl ...` command), if any.
    context: str | None = None


@dataclass(slots=True)
class ExceptionStats:
    """Counts, an example message and frames for one exception type."""

    exception_type: str
    count_before: int = 0
    count_after: int = 0
    message: str = ""
    frames: list[Frame] = field(default_factory=list)
    files: list[str] = field(default_factory=list)


# A server announcing the port it listens on: a keyword, `on`/`at` (`port`, `port(s):`),
# then the port, alone or after a wildcard or loopback address (`starting grpc server at
# :3550`, `Now listening on: http://[::]:7070`, `Tomcat started on port(s): 8080`). Only a
# local address may precede the port: `connecting to db:5432` names a peer, not ourselves.
_LISTEN_WORDS = ("listen", "serving", "server", "started", "starting", "running")
_LISTENING_RE = re.compile(
    r"\b(?:listen(?:ing)?|serving|server|started|starting|running)\b[^\"=]{0,30}?"
    r"\b(?:on|at)(?: port(?:\(s\))?)?:?\s+(?:(?:https?|grpc|tcp)://)?"
    r"(?:0\.0\.0\.0|\[::\]|::|\*|localhost|127\.0\.0\.1)?:?(\d{2,5})\b(?![:.]\d)",
    re.I,
)


def listening_port(message: str) -> str | None:
    """The port a server says it listens on (`starting grpc server at :3550` -> 3550)."""
    low = message.lower()
    if not any(w in low for w in _LISTEN_WORDS):
        return None
    found = _LISTENING_RE.search(message)
    if found is None or not 0 < int(found.group(1)) < 65536:
        return None
    return found.group(1)


@dataclass(slots=True)
class HostStats:
    """Error counts and kinds for one downstream host."""

    host: str
    count_before: int = 0
    count_after: int = 0
    kinds: set[str] = field(default_factory=set)
    statuses: list[int] = field(default_factory=list)
    example: str = ""


@dataclass
class LogAccumulator:
    """One-pass aggregates over log records (see module docstring)."""

    parser: LineParser = field(default_factory=LineParser)
    miner: TemplateMiner = field(default_factory=TemplateMiner)
    templates: dict[int, TemplateStats] = field(default_factory=dict)
    exceptions: dict[str, ExceptionStats] = field(default_factory=dict)
    hosts: dict[str, HostStats] = field(default_factory=dict)
    frame_counts: dict[str, int] = field(default_factory=dict)
    field_hosts: dict[str, int] = field(default_factory=dict)
    records_before: int = 0
    records_after: int = 0
    errors_before: int = 0
    errors_after: int = 0
    min_ts: float | None = None
    max_ts: float | None = None
    tally: EntityTally = field(default_factory=EntityTally)
    _dep_cache: dict[str, tuple[tuple[str, ...], tuple[str, ...], tuple[int, ...]]] = field(
        default_factory=dict
    )
    _status_shapes: set[str] = field(default_factory=set)
    _statuses: StatusReader = field(default_factory=StatusReader)
    _dep_keys: DepKeys = field(default_factory=DepKeys)
    _shapes: dict[str, _ShapeFacts] = field(default_factory=dict)
    _errorish_cache: dict[str, bool] = field(default_factory=dict)
    _counts: dict[str, _ShapeCount] = field(default_factory=dict)
    _token_entities: dict[str, EntityCounts | None] = field(default_factory=dict)
    _context: str | None = None
    # Port -> workloads that announced listening on it (`listening_port`).
    listeners: dict[str, set[str]] = field(default_factory=dict)

    def add(self, record: LogRecord, ts: float | None, after: bool) -> None:
        """Count one record at time `ts` in the window `after` (True) or the baseline."""
        # This runs once per record: for a shape already seen, what `_classify` decides is
        # inlined from `_ShapeCount`, as function calls are a large share of the cost per line.
        if ts is not None:
            if self.min_ts is None or ts < self.min_ts:
                self.min_ts = ts
            if self.max_ts is None or ts > self.max_ts:
                self.max_ts = ts
        exact = record.exact
        known = None if exact else self._counts.get(record.shape)
        if (known is None or known.maybe_context) and record.raw[:1] in _CONTEXT_STARTS:
            self._note_context(record.raw)
        if known is None:
            # `_error_details` may replace an inexact record's text with its own: keep the
            # shape's representative text for `_remember_shape`.
            message = record.message
            stats, is_error = self._classify(record)
            details = is_error or record.level == "WARN"
            entity, entity_mode = self._emitter(record)
            warn = record.level == "WARN"
            port = listening_port(message)
            if entity is not None:
                self._note_listener(entity, port)
        else:
            # The level needs no update: the shape's level was merged into its template's
            # when the shape was first counted, and a template's level only ever rises.
            known.cluster.size += 1  # `TemplateMiner.add`'s count
            stats = known.stats
            is_error = known.error
            if known.has_status:
                codes = self._statuses.read(record.raw)
                _extend(stats.status_codes, codes)
                if known.error_if_5xx:
                    is_error = any(code >= 500 for code in codes)
            details = (is_error or known.warn) and not known.quiet
            warn = known.warn
            mode = known.entity_mode
            if mode == _SAME:
                entity = known.entity
            elif mode == _SECOND_TOKEN:
                entity = self._second_token_emitter(record)
            else:
                entity = self._emitter(record)[0]
            if known.listens and entity is not None:
                # Lines of one shape differ in their digits: each says its own port.
                self._note_listener(entity, listening_port(record.raw))
        if entity is not None:
            if after:
                entity.records_after += 1
            else:
                entity.records_before += 1
            level = "ERROR" if is_error else "WARN" if warn else "INFO"
            self.tally.count_template(entity, stats.cluster_id, level, after, ts)
        if after:
            stats.count_after += 1
            if stats.first_seen is None and ts is not None:
                stats.first_seen = ts
            self.records_after += 1
            self.errors_after += is_error
        else:
            stats.count_before += 1
            self.records_before += 1
            self.errors_before += is_error
        if not stats.example or (after and not stats.example_after):
            stats.example, stats.example_after = record.raw, after
        if record.fields:
            self._note_field_host(record)
        if record.continuation and not stats.continuation:
            stats.continuation = "\n".join(record.continuation)[:_CONTINUATION_CHARS]
        if details or record.continuation:
            self._error_details(stats, record, after)
        if known is None and not exact and len(self._counts) < _CACHE_LIMIT:
            self._remember_shape(
                record.shape, message, record.level, stats, entity, entity_mode, port is not None
            )

    def _note_context(self, raw: str) -> None:
        """Remember the object a `kubectl describe` block or a `$ kubectl` command is about
        (a command that lists many objects forgets the last one)."""
        if raw.startswith("$ kubectl"):
            self._context = kubectl_object(raw)
            return
        m = _NAME_LINE.match(raw)
        if m is not None:
            self._context = m.group("obj")

    def _emitter(self, record: LogRecord) -> tuple[EntityCounts | None, int]:
        """The entity that emitted a record, and how later lines of its shape find theirs."""
        found = line_entity(record.raw, record.fields)
        if found is None:
            return None, _SAME
        counts = self.tally.entity(found.name, found.kind, found.workload)
        if not any(c.isdigit() for c in found.name):
            return counts, _SAME
        tokens = record.raw.split(None, 2)
        if found.kind == "pod" and len(tokens) > 1 and tokens[1] == found.name:
            self._token_entities[found.name] = counts
            return counts, _SECOND_TOKEN
        return counts, _EACH_LINE

    def _second_token_emitter(self, record: LogRecord) -> EntityCounts | None:
        tokens = record.raw.split(None, 2)
        if len(tokens) < 2:
            return None
        token = tokens[1]
        if token in self._token_entities:
            return self._token_entities[token]
        counts = self._emitter(record)[0]
        if len(self._token_entities) < _TOKEN_MEMO_LIMIT:
            self._token_entities[token] = counts
        return counts

    def _classify(self, record: LogRecord) -> tuple[TemplateStats, bool]:
        """The template stats and error verdict of an exact record, or of the first inexact
        one of its shape (`add` counts it); merges its level and statuses into the stats."""
        message = record.message
        cid = self.miner.add(message).id
        stats = self.templates.get(cid)
        if stats is None:
            stats = self.templates[cid] = TemplateStats(cid, context=self._context)
        level = record.level
        if (
            level is not None
            and level != stats.level
            and (stats.level is None or LEVEL_RANK[level] > LEVEL_RANK[stats.level])
        ):
            stats.level = level
        codes = self._status_codes(stats, record)
        if level is None:
            return stats, self._errorish(message) or any(code >= 500 for code in codes)
        # Access logs carry no level: their 5xx statuses count as errors above.
        return stats, level in ERROR_LEVELS

    def _note_listener(self, entity: EntityCounts, port: str | None) -> None:
        if port is not None:
            self.listeners.setdefault(port, set()).add(entity.workload)

    def _remember_shape(
        self,
        shape: str,
        message: str,
        level: str | None,
        stats: TemplateStats,
        entity: EntityCounts | None,
        entity_mode: int,
        listens: bool,
    ) -> None:
        # Only when the miner will keep mapping this message to the same cluster (see
        # `TemplateMiner.settled`): then the cached cluster is what `miner.add` would return.
        cluster = self.miner.settled(message)
        if cluster is None:
            return
        words = level is None and self._errorish(message)
        error = level in ERROR_LEVELS if level is not None else words
        has_status = shape in self._status_shapes
        self._counts[shape] = _ShapeCount(
            stats,
            cluster,
            has_status,
            error,
            level is None and not words,
            level == "WARN",
            self._is_quiet(shape),
            entity,
            entity_mode,
            shape[:1] in _CONTEXT_SHAPE_STARTS,
            listens,
        )

    def _is_quiet(self, shape: str) -> bool:
        # Whether `_error_details` does nothing for a line of this shape without continuation
        # lines: known facts name no exception, no frame, and nothing is read per line.
        facts = self._shapes.get(shape)
        return facts is not None and not (
            facts.needs_line or facts.trace.exception_types or facts.trace.frames
        )

    def _status_codes(self, stats: TemplateStats, record: LogRecord) -> tuple[int, ...]:
        # Statuses are digits, so lines of one shape differ in them: read them per line, but
        # only for shapes whose first line had one (most shapes have none).
        codes: tuple[int, ...] = ()
        if record.exact:
            codes = self._statuses.read(record.raw)
            if codes and len(self._status_shapes) < _CACHE_LIMIT:
                self._status_shapes.add(record.shape)
        elif record.shape in self._status_shapes:
            codes = self._statuses.read(record.raw)
        _extend(stats.status_codes, codes)
        return codes

    def _errorish(self, message: str) -> bool:
        # Unlevelled lines of one shape share their representative message: remember it.
        got = self._errorish_cache.get(message)
        if got is None:
            got = _ERRORISH_RE.search(message) is not None
            if len(self._errorish_cache) < _CACHE_LIMIT:
                self._errorish_cache[message] = got
        return got

    def _note_field_host(self, record: LogRecord) -> None:
        # Structured logs often name their *own* host in a `host` field on every line;
        # counting it on every record lets `emitter_hosts` tell it from a dependency.
        value = record.fields.get("host") if record.fields else None
        if value:
            key = value.strip().lower()
            self.field_hosts[key] = self.field_hosts.get(key, 0) + 1

    def _error_details(self, stats: TemplateStats, record: LogRecord, after: bool) -> None:
        shape = None if record.continuation else self._shapes.get(record.shape)
        if shape is None:
            self._exact(record)
            trace = parse_trace(record)
            hosts, kinds, statuses = self._deps(record)
            if not record.continuation and len(self._shapes) < _CACHE_LIMIT:
                text_kinds = error_kinds(record.message)
                needs_line = bool(hosts or statuses or record.fields)
                self._shapes[record.shape] = _ShapeFacts(trace, text_kinds, needs_line)
        else:
            # Same shape as an earlier line: only digit runs differ, so the exception and
            # the kinds named in words are the same; hosts and statuses are read per line.
            trace, hosts, kinds, statuses = shape.trace, (), shape.text_kinds, ()
            if shape.needs_line:
                self._exact(record)
                hosts, kinds, statuses = self._deps(record)
        _extend(stats.exception_types, trace.exception_types)
        if trace.exception_types:
            self._count_exceptions(record, trace.exception_types, trace, after)
        for frame in trace.frames:
            if frame.in_app:
                _push(stats.files, frame.file)
                if after:
                    self.frame_counts[frame.file] = self.frame_counts.get(frame.file, 0) + 1
        _extend(stats.status_codes, statuses)
        for host in hosts:
            _push(stats.hosts, host)
            self._count_host(host, kinds, statuses, record.raw, after)

    def _exact(self, record: LogRecord) -> None:
        if not record.exact:
            # The record carries its shape's representative text; details need its own.
            record.message, record.fields = self.parser.own_text(record.raw)
            record.exact = True

    def _count_exceptions(
        self, record: LogRecord, types: tuple[str, ...], trace: Trace, after: bool
    ) -> None:
        main = primary_type(trace, record)
        for exc_type in types:
            exc = self.exceptions.get(exc_type)
            if exc is None:
                exc = self.exceptions[exc_type] = ExceptionStats(exc_type)
            if after:
                exc.count_after += 1
            else:
                exc.count_before += 1
            if not exc.message and trace.message:
                exc.message = trace.message[:_EXCEPTION_MESSAGE_CHARS]
            if exc_type == main and not exc.frames and trace.frames:
                in_app = [f for f in trace.frames if f.in_app]
                others = [f for f in trace.frames if not f.in_app]
                exc.frames = (in_app + others)[:_MAX_FRAMES]
            for frame in trace.frames:
                if frame.in_app:
                    _push(exc.files, frame.file)

    def _deps(self, record: LogRecord) -> tuple[tuple[str, ...], tuple[str, ...], tuple[int, ...]]:
        if record.continuation:
            # A logged stack trace names the host it failed on in its exception messages
            # (`ResourceAccessException: I/O error on POST request for "http://quote:8000"`,
            # `Caused by: ...`), not in the line that announced it; its frames name none.
            headers = [line for line in record.continuation if not _FRAME_LINE.match(line)]
            facts = dep_facts(" ".join([record.message, *headers[:_HEADER_LINES]]), record.fields)
            return facts.hosts, facts.kinds, facts.statuses
        if record.fields:
            facts = dep_facts(record.message, record.fields)
            return facts.hosts, facts.kinds, facts.statuses
        # Keyed by `dep_key`: error messages often differ only in a duration.
        key = self._dep_keys.key(record.message)
        got = self._dep_cache.get(key)
        if got is None:
            facts = dep_facts(record.message)
            got = (facts.hosts, facts.kinds, facts.statuses)
            if len(self._dep_cache) < _CACHE_LIMIT:
                self._dep_cache[key] = got
        return got

    def _count_host(
        self,
        host: str,
        kinds: tuple[str, ...],
        statuses: tuple[int, ...],
        raw: str,
        after: bool,
    ) -> None:
        stats = self.hosts.get(host)
        if stats is None:
            stats = self.hosts[host] = HostStats(host, example=raw)
        if after:
            stats.count_after += 1
        else:
            stats.count_before += 1
        stats.kinds.update(kinds)
        _extend(stats.statuses, statuses)

    def emitter_hosts(self) -> set[str]:
        """`host` field values present on at least half of all records (the log's source)."""
        total = self.records_before + self.records_after
        return {h for h, n in self.field_hosts.items() if total and n * 2 >= total}
