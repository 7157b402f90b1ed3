"""Shared rule helpers of the SRE agents (`sre.agents.base` and the reading helpers)."""

from __future__ import annotations

from types import UnionType
from typing import Any, Literal, Union, get_args, get_origin

from hypothesis import given
from hypothesis import strategies as st
from pydantic import BaseModel

from alpha.schemas import Signal
from sre.agents.base import CONFIDENCE_CAP, CONFIDENCE_FLOOR, Evidence, confidence, hypothesis
from sre.agents.hosts import dependency_groups, plausible_host
from sre.agents.patterns import _KEY_FAMILIES as KEY_FAMILIES
from sre.agents.patterns import _METRIC_FAMILIES as METRIC_FAMILIES
from sre.agents.patterns import (
    SYMPTOM_PATTERNS,
    WHOLE_KEY_FAMILIES,
    key_families,
    metric_families,
    symptoms_in,
)
from sre.agents.reading import exception_types, is_trouble, paths_match, text_files
from sre.agents.relations import config_label
from sre.extractors.texthosts import text_hosts
from sre.signals import SIGNAL_CLASSES
from tests.sre.builders import SHA_BAD, Signals, incident

# --------------------------------------------------------------------------- helper tests


def test_confidence_is_calibrated_between_floor_and_cap() -> None:
    """One weak piece of evidence stays low; converging strong evidence stays below 0.95."""
    assert 0.2 <= confidence(0.08) <= 0.4
    assert 0.8 <= confidence(0.3, 0.3, 0.15) <= 0.95
    assert confidence(0.3, 0.3, 0.3, 0.3) == CONFIDENCE_CAP
    assert confidence(-1.0) == CONFIDENCE_FLOOR


def test_wildcard_and_loopback_addresses_are_never_suspects() -> None:
    """`0.0.0.0:443`, `127.0.0.1`, `[::]:8080`, `localhost:5432` name no one to act on."""
    found = hypothesis(
        label="TLS handshakes fail",
        description="x",
        category="certificate_or_credentials",
        suspects=["0.0.0.0:443", "127.0.0.1", "[::]:8080", "localhost:5432", "origin.shop.io"],
        weights=[0.3],
        signals=[],
    )
    assert found.suspects == ["origin.shop.io"]


@given(st.lists(st.floats(min_value=-1, max_value=1), max_size=8))
def test_confidence_always_in_range(weights: list[float]) -> None:
    """Whatever the weights, confidence is within [floor, cap]."""
    assert CONFIDENCE_FLOOR <= confidence(*weights) <= CONFIDENCE_CAP


def test_paths_match_suffixes_not_bare_basenames() -> None:
    """Absolute frame paths match repository paths; a shared `__init__.py` alone does not."""
    assert paths_match("/srv/app/checkout/cart.py", "checkout/cart.py")
    assert paths_match("checkout/cart.py", "/srv/app/checkout/cart.py")
    assert not paths_match("checkout/__init__.py", "billing/__init__.py")
    assert not paths_match("checkout/cart.py", "checkout/cart_test.py")


@given(st.text(max_size=60), st.text(max_size=60))
def test_paths_match_is_symmetric(a: str, b: str) -> None:
    """paths_match(a, b) == paths_match(b, a) for any strings."""
    assert paths_match(a, b) == paths_match(b, a)


# Known pieces mixed with arbitrary text: most generated inputs exercise a parser, and what a
# known piece carries must be found whatever surrounds it.
_FRAME = "(/app/src/svc/orders.py:42)"
_CALL = 'Post "https://api.pay-1.example.com/v1"'
_PIECES = st.sampled_from(
    [_FRAME, _CALL, "too many open files", "deadlock detected", "db_connections_in_use"]
)
_PARSER_TEXT = st.lists(st.one_of(st.text(max_size=40), _PIECES), max_size=8).map(" ".join)


@given(_PARSER_TEXT)
def test_text_parsers_keep_their_invariants(text: str) -> None:
    """The free-text parsers return known families and what the text holds, once each."""
    assert symptoms_in(text) <= set(SYMPTOM_PATTERNS)
    assert metric_families(text) <= set(METRIC_FAMILIES)
    assert key_families(text) <= set(KEY_FAMILIES) | set(WHOLE_KEY_FAMILIES)
    if "." in text:  # only the last two dotted segments count
        assert key_families("outer." + text) == key_families(text)
    files = text_files(text)
    assert len(files) == len(set(files))
    assert all(f and not f.startswith("/") and f in text for f in files)
    hosts = text_hosts(text)
    assert len(hosts) == len(set(hosts))
    assert all(h == h.lower() and h.split(":")[0] in text.lower() for h in hosts)
    # What a known piece carries is found wherever it sits.
    if f" {_FRAME}" in f" {text}":
        assert "app/src/svc/orders.py" in files
    if f" {_CALL}" in f" {text}":
        assert "api.pay-1.example.com" in hosts
    if " too many open files" in f" {text}":
        assert "fd" in symptoms_in(text)


def test_symptom_families_recognise_generic_wording() -> None:
    """Common wordings across stacks map to their symptom family."""
    assert "tls" in symptoms_in("remote error: tls: expired certificate")
    assert "dns" in symptoms_in("dial tcp: lookup pricing.svc on 10.96.0.10:53: no such host")
    assert "oom" in symptoms_in("java.lang.OutOfMemoryError: Java heap space")
    assert "fd" in symptoms_in("accept4: too many open files")
    assert "lock" in symptoms_in("ERROR: deadlock detected")
    assert "conn_pool" in symptoms_in("QueuePool limit of size 5 overflow 0 reached")
    assert "conn_pool" not in symptoms_in("HTTPSConnectionPool(host='x'): Read timed out")
    assert "credential_expired" in symptoms_in("The provided token has expired.")
    # A cache refusing writes at its memory limit ran out of memory: no program error.
    assert "oom" in symptoms_in(
        "ReplyError: OOM command not allowed when used memory > 'maxmemory'."
    )
    assert "oom" in symptoms_in("SERVER_ERROR out of memory storing object")


def test_text_files_and_hosts_are_found_in_stack_text() -> None:
    """Source paths and URL hosts are read from unparsed error text."""
    text = 'at render (/app/src/services/templateService.js:57:31) Post "https://api.x.io/v1"'
    assert "app/src/services/templateService.js" in text_files(text)
    assert text_hosts(text) == ["api.x.io"]


def test_database_lock_holders_and_open_circuits_have_their_own_families() -> None:
    """Postgres lock-wait wording and circuit-breaker lines map to lock and circuit_open."""
    assert "lock" in symptoms_in("process 812 still waiting for ShareLock on transaction 77")
    assert "lock" in symptoms_in("DETAIL: Process holding the lock: 4410. Wait queue: 812.")
    assert "lock" in symptoms_in('{"state": "idle in transaction", "xact_age_s": 900}')
    assert "lock" not in symptoms_in("acquired advisory lockfile for the cron run")
    assert "circuit_open" in symptoms_in("Circuit breaker 'geo' is OPEN, rejecting calls")
    assert "circuit_open" in symptoms_in("call rejected with BrokenCircuitException")
    assert "circuit_open" not in symptoms_in("circuit breaker for 'geo' closed again")


def test_a_managed_databases_network_series_are_not_the_networks() -> None:
    """Cloud SQL's and Azure SQL's connection counts sit under `network`: their clients'
    connections to the database, not a network fault; a NAT gateway's stay the network's."""
    assert "network" not in metric_families(
        'cloudsql.googleapis.com/database/network/connections{database_id="p:orders-pg"}'
    )
    assert "network" not in metric_families("Microsoft.Sql/servers/databases/network_bytes")
    assert "network" in metric_families("nat_gateway_packets_drop_count")


def test_grpc_status_codes_map_to_their_http_families() -> None:
    """gRPC DeadlineExceeded, Unavailable and ResourceExhausted read as timeout, 5xx and 429."""
    assert "timeout" in symptoms_in("rpc error: code = DeadlineExceeded desc = ctx")
    assert "timeout" in symptoms_in("grpc status DEADLINE_EXCEEDED")
    assert "http_5xx" in symptoms_in("rpc error: code = Unavailable desc = closing")
    assert "rate_limited" in symptoms_in("rpc error: code = ResourceExhausted desc = quota")
    assert "http_5xx" not in symptoms_in("feature unavailable for this plan")


def test_hosts_named_before_a_status_verb_or_by_a_circuit_breaker_are_found() -> None:
    """`<host> responded 503` and `circuit breaker for '<name>'` name the peer."""
    assert text_hosts("geo.corp.example responded 503 Service Unavailable") == ["geo.corp.example"]
    assert text_hosts("api.maps.io returned status 502 for tile 7") == ["api.maps.io"]
    assert text_hosts("Circuit breaker for 'geo-lookup' is open") == ["geo-lookup"]
    assert text_hosts("got 503 from ledger.internal.") == ["ledger.internal"]
    assert text_hosts("timeout calling geo.svc.cluster.local:8080") == [
        "geo.svc.cluster.local:8080"
    ]
    assert text_hosts("defaults loaded from settings.yaml; copied to order.status") == []
    # A source file or a version followed by a number is not a host.
    assert text_hosts("handler.py responded 500 to the client") == []
    assert text_hosts("v1.2 returned 200 rows") == []


def test_exception_types_fall_back_to_the_text() -> None:
    """An exception name inside a JSON error object is still recognised."""
    signals = Signals()
    signal = signals.template("push failed", example='{"err":{"type":"TypeError","msg":"x"}}')
    assert exception_types(signal) == ["TypeError"]


def test_is_trouble_needs_new_or_rising() -> None:
    """A steady template is not trouble; a new one or a tripled one is."""
    signals = Signals()
    assert is_trouble(signals.template("boom"))
    steady = signals.template("x", is_new=False, count_before=40, count_after=42, rate_ratio=1.05)
    assert not is_trouble(steady)
    rising = signals.template("y", is_new=False, count_before=5, count_after=40, rate_ratio=8.0)
    assert is_trouble(rising)


def test_config_label_reads_like_a_human_wrote_it() -> None:
    """Numeric, boolean, added and other changes get short labels."""
    signals = Signals()
    assert config_label(signals.config_change("database.pool_size", 50, 5)) == (
        "database.pool_size lowered 50 -> 5"
    )
    assert config_label(signals.config_change("features.x", False, True)) == "features.x turned on"
    assert config_label(signals.config_change("a.b", None, 3)) == "a.b added (3)"


def test_dependency_groups_join_a_name_and_its_address() -> None:
    """Errors to a DNS name that quote its IP are one dependency with the IP's own errors."""
    signals = Signals()
    name = signals.dependency(
        "redis-0.cache.svc:6379", [], example="dial tcp 10.4.7.19:6379: connection refused"
    )
    addr = signals.dependency("10.4.7.19:6379", ["connection_refused"])
    other = signals.dependency("payments.internal", ["timeout"])
    groups = dependency_groups([name, addr, other])
    assert [[s.id for s in g] for g in groups] == [[name.id, addr.id], [other.id]]


def test_source_positions_are_not_hosts() -> None:
    """`authz.lua:142` is a file position, not a host."""
    assert not plausible_host("authz.lua:142")
    assert plausible_host("api.paygate.io")


def test_evidence_hours_since_deploy_uses_incident_start() -> None:
    """The gap between deploy and incident start is measured in hours."""
    late = incident(incident_started_at="2026-11-21T02:02:00Z")
    evidence = Evidence.build([], late)
    assert evidence.hours_since_deploy() == 12.0
    assert Evidence.build([], incident()).staleness() == []
    very_late = incident(incident_started_at="2026-11-21T03:02:00Z")
    assert sum(Evidence.build([], very_late).staleness()) < 0


# Realistic atoms make the rules fire; arbitrary text and numbers make them meet the
# unexpected (within the value contract, which the models enforce).
_ATOMS = st.sampled_from(
    [
        "connection refused",
        "timed out",
        "x509: certificate has expired",
        "deadlock detected",
        "OutOfMemoryError",
        "KeyError",
        "app/cart.py",
        "pool exhausted",
        "429",
        "api.x.io",
        "db_connections_in_use",
        "requests_per_second",
        "database.pool_size",
        "up",
        "down",
        "ERROR",
        SHA_BAD,
        "timeout",
        "2026-11-20T14:05:00Z",
    ]
)
_TEXT = _ATOMS | st.text(max_size=30)
_NUMBER = st.integers(-5, 500) | st.floats(allow_nan=False, allow_infinity=False)
_JSON = st.recursive(
    _TEXT | st.none() | st.booleans() | _NUMBER,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=8), inner, max_size=3)
    ),
    max_leaves=6,
)


def _of_type(annotation: Any) -> st.SearchStrategy[Any]:
    """Values of one field type of a signal value model, realistic atoms first."""
    origin, args = get_origin(annotation), get_args(annotation)
    if annotation is str:
        return _TEXT
    if annotation is bool:
        return st.booleans()
    if annotation is int:
        return st.integers(0, 500)
    if annotation is float:
        return st.floats(-10, 1e6, allow_nan=False).map(float)
    if origin is Literal:
        return st.sampled_from(args)
    if origin is list:
        return st.lists(_of_type(args[0]), max_size=3)
    if origin is dict:
        return st.dictionaries(_of_type(args[0]), _of_type(args[1]), max_size=3)
    if origin in (UnionType, Union):
        return st.one_of(*(st.none() if a is type(None) else _of_type(a) for a in args))
    if isinstance(annotation, type) and issubclass(annotation, BaseModel):
        return _value_of(annotation)
    return _JSON  # config values: anything a snapshot holds


# Fields with a contract beyond their type (a commit's SHA: 7 to 64 hex digits).
_FIELDS = {
    # A config key names a path, never nothing (with "" ConfigAgent's risk rule would name
    # no suspect; the value models accept it: reported, not changed here).
    "key": _TEXT.filter(bool),
    "sha": st.sampled_from([SHA_BAD, "9f3c2ab"]) | st.from_regex(r"[0-9a-f]{7,40}", fullmatch=True),
}


def _value_of(model: type[BaseModel]) -> st.SearchStrategy[Any]:
    """Contract-valid values of a signal value model, every field drawn by its type."""
    fields = {
        name: _FIELDS[name] if name in _FIELDS else _of_type(info.annotation)
        for name, info in model.model_fields.items()
    }
    return st.fixed_dictionaries(fields).map(model.model_validate)


_VALUE_MODELS = [cls.model_fields["value"].annotation for cls in SIGNAL_CLASSES.values()]


def _firing_values() -> dict[type[BaseModel], BaseModel]:
    """A value per signal type that makes some rule fire: where near-real inputs start."""
    s = Signals()
    built = [
        s.template("pool exhausted waiting for connection"),
        s.exception("KeyError", "'sku'", ["app/cart.py"]),
        s.dependency("api.x.io", ["timeout"]),
        s.anomaly("db_connections_in_use", 10, 50),
        s.saturation("db_connections_in_use", 10, 10, "database.pool_size"),
        s.growth("heap_used_mb", 100, 900),
        s.config_change("database.pool_size", 50, 5, [SHA_BAD]),
        s.config_risk("logging.level", "DEBUG", "debug logging in production"),
        s.commit(SHA_BAD, "Rework cart", code=["app/cart.py"]),
    ]
    return {type(signal.value): signal.value for signal in built}


_FIRING = _firing_values()


def _near_firing(model: type[BaseModel]) -> st.SearchStrategy[Any]:
    """A value that fires a rule with some of its fields redrawn by type (still valid)."""
    base = _FIRING[model].model_dump()
    changes = st.fixed_dictionaries(
        {},
        optional={
            name: _FIELDS[name] if name in _FIELDS else _of_type(info.annotation)
            for name, info in model.model_fields.items()
        },
    )
    return changes.map(lambda changed: model.model_validate({**base, **changed}))


@st.composite
def _signal_lists(draw: st.DrawFn) -> list[Signal]:
    models = draw(st.lists(st.sampled_from(_VALUE_MODELS), max_size=8))
    s = Signals()
    for model in models:
        near = _near_firing(model) if model in _FIRING else st.nothing()
        s.add(draw(near | _value_of(model)))
    return s.items


def test_agents_never_crash_and_cite_only_given_signals() -> None:
    """Any contract-valid signal values never crash an agent; hypotheses stay in contract;
    at least a third of the generated inputs make some rule produce a hypothesis."""
    from sre.agents import CommitAgent, ConfigAgent, LogAgent, MetricsAgent
    from sre.taxonomy import VALID_CATEGORIES

    exercised: list[bool] = []

    @given(_signal_lists())
    def check(signals: list[Signal]) -> None:
        ids = {s.id for s in signals}
        produced = 0
        for agent in (LogAgent(), MetricsAgent(), CommitAgent(), ConfigAgent()):
            for h in agent.candidates(signals, incident()):
                produced += 1
                assert set(h.supporting_signals) <= ids and h.supporting_signals
                assert CONFIDENCE_FLOOR <= h.confidence <= CONFIDENCE_CAP
                assert h.category in VALID_CATEGORIES
                assert h.suspects
        exercised.append(produced > 0)

    check()
    # Inputs that fire no rule check nothing: they must not be most of the run.
    assert sum(exercised) * 3 >= len(exercised), f"{sum(exercised)} of {len(exercised)}"
