"""Tests for the log extractor (`sre.extractors.logs.extract_logs`) and its helpers."""

from __future__ import annotations

import random
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from alpha.schemas import IncidentInput
from sre.extractors.logs.deps import (
    DepKeys,
    StatusReader,
    dep_facts,
    dep_key,
    error_kinds,
    hosts_in,
    named_upstream,
    status_codes,
)
from sre.extractors.logs.extract import LogExtraction, extract_logs, merge_hosts
from sre.extractors.logs.significance import Windows, judge, poisson_llr
from sre.extractors.logs.stats import HostStats, listening_port
from sre.extractors.logs.trace import java_path, normalise_path

DEPLOY = datetime(2026, 11, 20, 14, 0, tzinfo=UTC)


def _iso(minutes: float) -> str:
    return (DEPLOY + timedelta(minutes=minutes)).isoformat().replace("+00:00", "Z")


def _incident(
    logs: list[str], deployed: datetime | None = DEPLOY, started: datetime | None = None
) -> IncidentInput:
    return IncidentInput(
        deployment_id="d-1",
        logs=logs,
        metrics={},
        recent_commits=[],
        config_snapshot={},
        deployed_at=deployed,
        incident_started_at=started,
    )


def _background(minutes: range, per_minute: int = 4, seed: int = 1) -> list[str]:
    """Steady INFO/WARN noise on both sides of the deploy."""
    rng = random.Random(seed)
    lines = []
    for m in minutes:
        for k in range(per_minute):
            lines.append(
                f"{_iso(m + k / per_minute)} INFO request GET /api/orders/{rng.randint(1, 999)}"
                f" took {rng.randint(1, 500)}ms status=200"
            )
        if m % 3 == 0:
            lines.append(f"{_iso(m + 0.5)} WARN cache miss for key user:{rng.randint(1, 99)}")
    return lines


def _by_type(result: LogExtraction, kind: str) -> list[Any]:
    return [f.value for f in result.findings if f.type == kind]


def _templates(result: LogExtraction) -> dict[str, Any]:
    return {v.template: v for v in _by_type(result, "log_template")}


# --------------------------------------------------------------------------- helpers


@pytest.mark.parametrize(
    ("text", "hosts"),
    [
        ("connect to payments.internal:443 timed out", ("payments.internal:443",)),
        ("upstream: http://inventory-svc:8080/items/4 failed", ("inventory-svc:8080",)),
        ("dial tcp 10.0.3.7:5432: connect: connection refused", ("10.0.3.7:5432",)),
        ("lookup ledger.svc.cluster.local: no such host", ("ledger.svc.cluster.local",)),
        ("failed at line:42 in Checkout.java:42 after retry:3", ()),
        ("redis:6379 unavailable", ("redis:6379",)),
        # documentation links in an error message are not peers
        ("OperationalError (Background on this error at: https://errs.example.org/e/7)", ()),
        ("timeout; see https://docs.vendor.io/limits for details", ()),
        ("POST https://api.vendor.io/v2/send failed: 503", ("api.vendor.io",)),
        # the local end of a socket (`local->remote`) is not a dependency
        ("read udp 10.4.0.9:40206->10.96.0.10:53: i/o timeout", ("10.96.0.10:53",)),
        # `grep -r` over log files: the file name before a date is no host
        ("/var/log/pods/ns_db-0_1f2e/mysql/0.log:2025-03-05T10:03:02Z could not resolve", ()),
        # nginx's error log: the upstream is the dependency, the request's host is its own
        (
            'upstream timed out, client: 10.244.3.1, server: , request: "POST /x HTTP/1.1",'
            ' upstream: "http://10.96.41.7:12346/x", host: "ui:8080", referrer: "http://ui:8080/"',
            ("10.96.41.7:12346",),
        ),
        # a topic partition records are written to is no host
        ("Error while appending records to clickstream.raw-5 in dir /var/lib/kafka/data-0", ()),
        # the client whose handshake failed is no dependency
        (
            'grpc: Server.Serve failed to complete security handshake from "10.244.16.138:38104":'
            " remote error: tls: expired certificate",
            (),
        ),
        # Istio's access log: after the upstream host come the proxy's own addresses and
        # its client's, which are no dependencies
        (
            '"GET /ratings/0 HTTP/1.1" 503 URX - "-" 0 95 633 - "-" "curl" "9a1c" "ratings:9080"'
            ' "10.244.2.97:9080" outbound|9080||ratings.default.svc.cluster.local'
            " 10.244.0.247:34119 10.96.201.77:9080 10.244.0.247:41611 - default",
            ("ratings:9080", "10.244.2.97:9080"),
        ),
        (
            '{"path":"/v1/search","upstream_host":"10.88.22.126:8080",'
            '"downstream_remote_address":"68.200.111.243:33274"}',
            ("10.88.22.126:8080",),
        ),
    ],
)
def test_hosts_in(text: str, hosts: tuple[str, ...]) -> None:
    """Hosts with ports, URLs, IPs and dotted names are found; counters and files are not."""
    assert hosts_in(text) == hosts


def test_a_proxys_access_log_names_the_upstream_beside_its_address() -> None:
    """Envoy gives the authority, then the address (`"api.paygrid.io" "34.117.22.10:443"`);
    Istio's JSON log the cluster beside the upstream host; a line with neither, nothing."""
    envoy = '"POST /v1/payment_intents HTTP/1.1" 503 - 515 180 2348 2345 "-" "httpx" "bcac"'
    assert named_upstream(f'{envoy} "api.paygrid.io" "34.117.22.10:443"') == (
        "api.paygrid.io",
        "34.117.22.10:443",
    )
    istio = (
        '{"response_code":504,"upstream_host":"10.88.28.32:8080",'
        '"upstream_cluster":"outbound|8080||ledger.prod.svc.cluster.local"}'
    )
    assert named_upstream(istio) == ("ledger.prod.svc.cluster.local", "10.88.28.32:8080")
    assert named_upstream("dial tcp 10.44.2.215:3550: connection refused") is None


def test_hosts_from_fields() -> None:
    """logfmt/JSON fields such as `host=` and `upstream=` name dependencies."""
    assert hosts_in("request failed", {"host": "payments.internal", "user": "x"}) == (
        "payments.internal",
    )
    assert hosts_in("failed", {"upstream": "http://inv:8080/x"}) == ("inv:8080",)


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("read timed out after 5000ms", ("timeout",)),
        ("context deadline exceeded", ("timeout",)),
        ("connect: connection refused", ("connection_refused",)),
        ("upstream returned 503", ("http_5xx",)),
        ("x509: certificate signed by unknown authority", ("tls",)),
        ("SSL handshake failed", ("tls",)),
        ("ClassLoader could not load", ()),
        ("dial tcp: lookup db: no such host", ("dns",)),
        ("401 Unauthorized from auth", ("auth",)),
        ("read: connection reset by peer", ("reset",)),
        ("rpc error: code = DeadlineExceeded desc = ctx", ("timeout",)),
        ("grpc status DEADLINE_EXCEEDED", ("timeout",)),
    ],
)
def test_error_kinds(text: str, kinds: tuple[str, ...]) -> None:
    """Error kinds are classified from the words and status codes of a line."""
    assert error_kinds(text, status_codes(text)) == kinds


@pytest.mark.parametrize(
    ("text", "codes"),
    [
        ("status=503", (503,)),
        ('"GET /x HTTP/1.1" 502 128', (502,)),
        ("upstream returned 500 after 3 tries", (500,)),
        ("took 503ms", ()),
        ('{"status_code": 504}', (504,)),
    ],
)
def test_status_codes(text: str, codes: tuple[int, ...]) -> None:
    """HTTP statuses need a status context; a bare number is not one."""
    assert status_codes(text) == codes


def _fill_digits(form: str, rng: random.Random) -> str:
    """`form` with each `{dN}` replaced by its own random run of N digits."""
    return re.sub(
        r"\{d(\d)\}", lambda m: "".join(rng.choice("0123456789") for _ in range(int(m[1]))), form
    )


def _digit_variants(forms: list[str], seed: int, count: int) -> Iterator[str]:
    """`count` lines, each a random one of `forms` with its own random digits."""
    rng = random.Random(seed)
    for _ in range(count):
        yield _fill_digits(rng.choice(forms), rng)


# Status contexts whose digits vary: each alternative of the status pattern, a 1-5 test,
# runs of other lengths, several runs per line, and a non-ASCII line.
_STATUS_FORMS = [
    "status={d3} took {d2}ms",
    '10.0.0.{d1} "GET /x/{d4} HTTP/1.{d1}" {d3} {d3}',
    "upstream returned {d3} after {d3}ms, code {d3}",
    "{d3} bad gateway from {d3}.{d3}.{d1}.{d2}:{d4}",
    "got {d3} then {d3} then {d4}",
    "réponse {d3} statut code={d3}",
]


def test_status_reader_matches_status_codes() -> None:
    """`StatusReader` reads the same statuses as `status_codes`, over many digit variants."""
    reader = StatusReader()
    for line in _digit_variants(_STATUS_FORMS, seed=5, count=3000):
        assert reader.read(line) == status_codes(line), line


# Dependency errors whose digits vary, with digit runs running into letters next to
# statuses, hosts, ports, URLs and error-kind words.
_DEP_FORMS = [
    "connect to payments.internal:{d3} timed out after {d4}ms",
    "status {d3}ms got {d3}s returned {d3} bad gateway {d2}x",
    "upstream http://svc-{d1}:{d4}/items/{d3} returned {d3} in {d3}ms",
    "dial tcp 10.0.{d1}.{d2}:{d4}: connect: connection refused after {d1}rd try",
    "call to db{d1}.internal {d2}ms x509: certificate expired {d3}h ago",
    "GET /api/{d2} {d3}ms from client {d1}.{d1}.{d1}.{d1}:{d4} {d3} service unavailable",
    "lookup redis-{d1}.cache {d4}us: no such host, peer {d2}a.b:{d2}",
    "upstream http://{d1}.{d2}.{d3}.{d1}:{d4}/v{d1}/items/{d3} returned {d3}",
    "GET /api/{d3} {d3} Bad Gateway at /x/{d3} internal server error /{d3}/{d4}",
    "proxy //{d3}/{d2} -> https:///{d3}/{d1}.{d1}.{d1}.{d1}:{d4} NOT FOUND",
    "réponse /{d3} bad gateway /{d2}/{d3} forbidden",
]


def test_dep_key_groups_texts_with_the_same_facts() -> None:
    """Texts with one `dep_key` have the same dependency facts, over many digit variants."""
    for text in _digit_variants(_DEP_FORMS, seed=9, count=2000):
        assert dep_facts(text) == dep_facts(dep_key(text)), text


def test_dep_keys_remembered_per_blind_text_equal_dep_key() -> None:
    """`DepKeys` rebuilds each text around the runs found for its digit-blind form, giving
    `dep_key`'s text over many digit variants (non-ASCII text included)."""
    keys = DepKeys()
    for text in _digit_variants(_DEP_FORMS, seed=13, count=3000):
        assert keys.key(text) == dep_key(text), text


def test_dep_facts_reads_status_field() -> None:
    """A `status` field counts as an HTTP status and makes the kind http_5xx."""
    facts = dep_facts("upstream failed", {"upstream": "http://inv:8080", "status": "502"})
    assert facts.statuses == (502,)
    assert facts.kinds == ("http_5xx",)


def test_path_normalisation() -> None:
    """Container roots are stripped; Java classes map to source paths."""
    assert normalise_path("/app/app/db/pool.py") == "app/db/pool.py"
    assert normalise_path("/usr/src/app/src/x.js") == "src/x.js"
    assert normalise_path("file:///home/dev/proj/a.ts") == "proj/a.ts"
    assert java_path("com.x.Checkout$Inner", "Checkout.java", "java") == (
        "src/main/java/com/x/Checkout.java"
    )


def test_poisson_llr_grows_with_surprise() -> None:
    """The LLR is 0 for the expected count and larger the further the count is."""
    assert poisson_llr(10, 10) == 0
    assert poisson_llr(40, 10) > poisson_llr(20, 10) > 0


@pytest.mark.parametrize(
    ("before", "after", "kind", "reason"),
    [
        (10, 12, "other", None),  # noise
        (10, 100, "other", "rate_jump"),
        (2, 5, "other", None),  # tiny counts: ratio 2.5 but not significant
        (0, 1, "other", None),  # a one-off info line
        (0, 3, "other", "new"),
        (0, 1, "error", "new"),
        (60, 0, "other", "rate_drop"),
    ],
)
def test_judge(before: int, after: int, kind: str, reason: str | None) -> None:
    """Equal windows: jumps, drops and new templates fire; noise and one-offs do not."""
    windows = Windows(True, 30.0, 30.0, 1000, 1000)
    assert judge(before, after, kind, windows).reason == reason


# --------------------------------------------------------------------------- extractor


def test_new_error_template_after_deploy() -> None:
    """An error template only seen after the deploy is reported as new, with counts."""
    logs = _background(range(-30, 30))
    logs += [f"{_iso(m)} ERROR connect to payments.internal:443 timed out" for m in range(1, 21)]
    result = extract_logs(_incident(sorted(logs)))
    value = _templates(result)["connect to payments.internal:<*> timed out"]
    assert value.is_new is True
    assert value.reason == "new"
    assert (value.count_before, value.count_after) == (0, 20)
    assert value.hosts == ["payments.internal:443"]
    assert value.first_seen == "2026-11-20T14:01:00Z"
    assert result.findings[0].type == "log_template"
    assert result.findings[0].severity == "high"


def test_rate_jump_detected_and_noise_not() -> None:
    """A template whose rate rises 10x fires; steady templates on both sides do not."""
    logs = _background(range(-30, 30))
    logs += [f"{_iso(m)} WARN slow query on orders table" for m in range(-30, 0, 10)]
    logs += [f"{_iso(m / 3)} WARN slow query on orders table" for m in range(0, 90)]
    result = extract_logs(_incident(sorted(logs)))
    templates = _templates(result)
    jump = templates["slow query on orders table"]
    assert jump.reason == "rate_jump"
    assert jump.rate_ratio == pytest.approx(30.0, rel=0.05)
    assert not any("request GET" in t for t in templates)
    assert not any("cache miss" in t for t in templates)


def test_exceptions_and_frames_per_language() -> None:
    """Python, Java, Go and Node traces give exception findings and app frame files."""
    logs = _background(range(-10, 10))
    logs += [
        f"{_iso(1)} ERROR checkout failed",
        "Traceback (most recent call last):",
        '  File "/app/app/db/pool.py", line 42, in acquire',
        '  File "/usr/lib/python3.11/site-packages/psycopg2/pool.py", line 9, in get',
        "psycopg2.OperationalError: pool exhausted",
        f"{_iso(2)} ERROR Checkout failed",
        "java.lang.IllegalStateException: boom",
        "\tat com.x.shop.Checkout.pay(Checkout.java:42)",
        "\tat java.util.ArrayList.get(ArrayList.java:10)",
        "Caused by: java.sql.SQLTimeoutException: slow",
        f"{_iso(3)} INFO between",
        "panic: runtime error: invalid memory address or nil pointer dereference",
        "goroutine 1 [running]:",
        "main.handler(0x0)",
        "\t/src/app/handler.go:123 +0x1d",
        f"{_iso(4)} ERROR unhandled rejection",
        "TypeError: Cannot read properties of undefined (reading 'id')",
        "    at handler (/app/src/routes/cart.js:10:5)",
        "    at process (node:internal/process/task_queues:95:5)",
    ]
    result = extract_logs(_incident(logs))
    exceptions = {v.exception_type: v for v in _by_type(result, "exception")}
    assert set(exceptions) == {
        "psycopg2.OperationalError",
        "java.lang.IllegalStateException",
        "java.sql.SQLTimeoutException",
        "panic: runtime error",
        "TypeError",
    }
    assert exceptions["psycopg2.OperationalError"].frames[0].file == "app/db/pool.py"
    assert exceptions["psycopg2.OperationalError"].is_new is True
    assert exceptions["TypeError"].frames[0].line == 10
    assert result.frame_files == [
        "app/db/pool.py",
        "src/main/java/com/x/shop/Checkout.java",
        "src/app/handler.go",
        "src/routes/cart.js",
    ]


def test_dependency_findings_and_hosts() -> None:
    """Each failing downstream host gets one finding with kinds and statuses."""
    logs = _background(range(-10, 10))
    for m in range(1, 9):
        logs.append(
            f'{{"ts": "{_iso(m)}", "level": "error", "msg": "upstream failed",'
            f' "upstream": "http://inventory-svc:8080/items/{m}", "status": 503}}'
        )
        logs.append(f"{_iso(m)} ERROR dial tcp 10.0.3.{m}:5432: connect: connection refused")
    result = extract_logs(_incident(logs))
    deps = {v.host: v for v in _by_type(result, "dependency_errors")}
    assert deps["inventory-svc:8080"].count_after == 8
    assert deps["inventory-svc:8080"].error_kinds == ["http_5xx"]
    assert deps["inventory-svc:8080"].status_codes == [503]
    assert deps["10.0.3.4:5432"].error_kinds == ["connection_refused"]
    assert result.hosts[0] == "inventory-svc:8080"
    assert len(result.hosts) == 9


def test_emitter_host_field_is_not_a_dependency() -> None:
    """A `host` field on every line names the log's source, not a failing dependency."""
    logs = [
        f'{{"ts": "{_iso(m)}", "level": "{lvl}", "msg": "{msg}", "host": "web-1"}}'
        for m in range(-5, 5)
        for lvl, msg in (("info", "ok"), ("error", "write failed"))
    ]
    assert extract_logs(_incident(logs)).hosts == []


def test_volume_counts_records() -> None:
    """log_volume counts records and errors per window (a trace is one record)."""
    logs = [f"{_iso(-1)} INFO a", f"{_iso(1)} ERROR b", "Traceback (most recent call last):"]
    (volume,) = _by_type(extract_logs(_incident(logs)), "log_volume")
    assert volume.model_dump() == {
        "lines_before": 1,
        "lines_after": 1,
        "errors_before": 0,
        "errors_after": 1,
        "error_share_before": 0.0,
        "error_share_after": 1.0,
        "split_at": "2026-11-20T14:00:00Z",
        "split_by": "deployed_at",
        "listeners": {},
    }


@pytest.mark.parametrize(
    ("message", "port"),
    [
        ("starting grpc server at :3550", "3550"),
        ("Now listening on: http://[::]:7070", "7070"),
        ("Tomcat started on port(s): 8080 (http) with context path ''", "8080"),
        ("Server listening at 0.0.0.0:50051", "50051"),
        ("Listening on port 9080", "9080"),
        # a peer's address, a time of day: not where we listen
        ("connection to db:5432 started", None),
        ("server started on 10.0.0.3:8080", None),
        ("job started at 10:32", None),
    ],
)
def test_a_server_announcing_its_port(message: str, port: str | None) -> None:
    assert listening_port(message) == port


def test_volume_lists_the_workloads_listening_on_each_port() -> None:
    """Announcements are read per emitter: two workloads on 8080, one on 3550."""
    logs = [
        f"{_iso(-2)} productcatalogservice-w5jfzdn8xc-jfxtw starting grpc server at :3550",
        f"{_iso(-2)} cart-7f9c8d6b5-x2k4p Tomcat started on port(s): 8080 (http)",
        f"{_iso(-1)} orders-5d8b7c9f4-q2wxz Tomcat started on port(s): 8080 (http)",
        f"{_iso(1)} orders-5d8b7c9f4-q2wxz ERROR dial tcp 10.44.2.215:3550: connection refused",
    ]
    (volume,) = _by_type(extract_logs(_incident(logs)), "log_volume")
    assert volume.listeners == {"3550": ["productcatalogservice"], "8080": ["cart", "orders"]}


def test_no_timestamps_means_no_baseline() -> None:
    """Without any timestamp every record is in the incident window; errors are reported."""
    logs = ["worker started", "ERROR db write failed", "ERROR db write failed", "all good"]
    result = extract_logs(_incident(logs))
    (value,) = _by_type(result, "log_template")
    assert value.reason == "frequent"
    assert value.is_new is False
    assert value.count_before == 0
    assert value.count_after == 2
    assert value.rate_ratio is None


def test_untimed_lines_inherit_previous_time() -> None:
    """An untimed record takes the previous record's time (leading ones the first time)."""
    logs = ["ERROR early failure", f"{_iso(-5)} INFO start", f"{_iso(5)} INFO later"]
    logs += ["ERROR late failure"] * 3
    templates = _templates(extract_logs(_incident(logs)))
    assert templates["late failure"].count_after == 3
    assert templates.get("early failure") is None  # it was before the deploy, alone


def test_bounded_number_of_findings() -> None:
    """Hundreds of new templates still give at most 15 template findings."""
    logs = [f"{_iso(-m)} INFO baseline line" for m in range(1, 30)]
    words = [f"w{chr(97 + i % 26)}{chr(97 + i // 26 % 26)}" for i in range(400)]
    for i, w in enumerate(words):
        word = w.replace("w", "")
        logs.append(f"{_iso(1 + i / 100)} ERROR {word} {word} {word} {word} failed")
    result = extract_logs(_incident(logs))
    assert len(_by_type(result, "log_template")) == 15


def test_findings_are_ordered_high_severity_first() -> None:
    """Findings come high severity first, though the medium ones appeared first in the logs."""
    logs = _background(range(-20, 20))
    logs += [f"{_iso(m)} WARN cache miss ratio high on shard 3" for m in range(1, 9)]
    logs += [f"{_iso(m)} ERROR connect to payments.internal:443 timed out" for m in range(10, 18)]
    findings = extract_logs(_incident(sorted(logs))).findings
    ranks = [{"high": 0, "medium": 1, "low": 2}[f.severity] for f in findings]
    assert {0, 1} <= set(ranks)
    assert ranks == sorted(ranks)


def test_value_keys_follow_the_contract() -> None:
    """log_template and exception values carry every key the contract lists."""
    logs = [f"{_iso(-1)} INFO a", f"{_iso(1)} ERROR x failed", "ValueError: bad"]
    result = extract_logs(_incident(logs))
    template = _by_type(result, "log_template")[0]
    assert {
        "template", "level", "count_before", "count_after", "rate_before", "rate_after",
        "rate_ratio", "is_new", "example", "first_seen", "exception_types", "status_codes",
        "hosts", "files",
    } <= set(template.model_dump())  # fmt: skip
    exception = _by_type(result, "exception")[0]
    assert set(exception.model_dump()) == {
        "exception_type", "message", "count_before", "count_after", "is_new", "frames", "files",
    }  # fmt: skip


def test_empty_logs() -> None:
    """No lines give only a zero volume finding."""
    result = extract_logs(_incident([]))
    assert [f.type for f in result.findings] == ["log_volume"]
    assert result.frame_files == [] and result.hosts == []


def test_200k_lines_complete_with_bounded_output() -> None:
    """200,000 mixed lines are processed and still give a bounded number of findings."""
    rng = random.Random(5)
    logs = []
    for i in range(200_000):
        minute = -60 + i * 120 / 200_000
        roll = rng.random()
        if minute > 0 and roll < 0.1:
            logs.append(f"{_iso(minute)} ERROR dial tcp 10.0.3.{i % 7}:5432: connection refused")
        elif roll < 0.5:
            logs.append(f'{{"ts": "{_iso(minute)}", "level": "info", "msg": "served {i}"}}')
        else:
            logs.append(f"{_iso(minute)} INFO request {i} took {i % 300}ms")
    result = extract_logs(_incident(logs))
    assert len(result.findings) <= 15 + 10 + 10 + 1
    (volume,) = _by_type(result, "log_volume")
    assert volume.lines_before + volume.lines_after == 200_000
    assert len(result.hosts) == 7


def test_error_fields_are_read_for_hosts_kinds_and_exceptions() -> None:
    """logfmt `err=` and JSON `exception` fields feed hosts, kinds and exception types."""
    facts = dep_facts("query failed", {"err": "dial tcp 10.0.0.9:5432: connection refused"})
    assert facts.hosts == ("10.0.0.9:5432",)
    assert facts.kinds == ("connection_refused",)
    logs = [f"{_iso(-1)} INFO ok"] + [
        f'{{"ts": "{_iso(m)}", "level": "error", "msg": "save failed",'
        f' "exception": "sqlalchemy.exc.IntegrityError: duplicate key"}}'
        for m in range(1, 4)
    ]
    exceptions = _by_type(extract_logs(_incident(logs)), "exception")
    assert [e.exception_type for e in exceptions] == ["sqlalchemy.exc.IntegrityError"]
    assert exceptions[0].count_after == 3


def test_split_falls_back_to_incident_start() -> None:
    """When the log begins after the deploy, the incident start splits the windows."""
    logs = _background(range(0, 60))
    logs += [f"{_iso(m)} ERROR disk quota exceeded on volume data" for m in range(31, 41)]
    started = DEPLOY + timedelta(minutes=30)
    result = extract_logs(_incident(sorted(logs), DEPLOY - timedelta(days=2), started))
    (volume,) = _by_type(result, "log_volume")
    assert volume.split_by == "incident_started_at"
    assert volume.split_at == "2026-11-20T14:30:00Z"
    value = _templates(result)["disk quota exceeded on volume data"]
    assert value.is_new is True
    assert "after the incident start" in result.findings[0].description


def test_no_baseline_when_log_begins_after_both_times() -> None:
    """A log that begins after the deploy and the incident start has no baseline."""
    logs = [f"{_iso(m)} ERROR write failed" for m in range(10, 15)]
    result = extract_logs(_incident(logs, DEPLOY, DEPLOY + timedelta(minutes=5)))
    (volume,) = _by_type(result, "log_volume")
    assert (volume.split_by, volume.lines_before, volume.lines_after) == (None, 0, 5)
    assert _templates(result)["write failed"].reason == "frequent"


def test_pino_numeric_levels_and_error_objects() -> None:
    """pino's numeric levels map to names; an `err` object gives type, message and frames."""
    line = (
        '{"level":50,"time":"%s","msg":"send failed","err":{"type":"TypeError",'
        '"message":"x is undefined","stack":"TypeError: x is undefined\\n'
        '    at render (/app/src/render.js:5:3)"}}'
    )
    logs = [f'{{"level":30,"time":"{_iso(-1)}","msg":"ok"}}'] + [line % _iso(m) for m in (1, 2)]
    result = extract_logs(_incident(logs))
    assert _templates(result)["send failed"].level == "ERROR"
    (exception,) = _by_type(result, "exception")
    assert exception.exception_type == "TypeError"
    assert exception.frames[0].file == "src/render.js"
    assert result.frame_files == ["src/render.js"]


def test_go_http_panic_serving_client_is_not_a_dependency() -> None:
    """net/http's recovered panic names the panic and its app frames, not the client."""
    logs = [f"{_iso(-1)[:10].replace('-', '/')} 13:59:00 GET /healthz 200 112us"]
    for m in (1, 2):
        logs += [
            f"2026/11/20 14:0{m}:00 http: panic serving 10.2.8.{m}:3543{m}: assignment to entry"
            " in nil map",
            "goroutine 6349 [running]:",
            "net/http.(*conn).serve.func1()",
            "\t/usr/local/go/src/net/http/server.go:1903 +0xbe",
            "github.com/acme/geo/internal/tz.(*Cache).Put(...)",
            "\t/src/internal/tz/cache.go:41",
        ]
    result = extract_logs(_incident(logs))
    (exception,) = _by_type(result, "exception")
    assert exception.exception_type == "panic: assignment to entry in nil map"
    assert exception.count_after == 2
    assert exception.is_new is True
    assert result.frame_files == ["src/internal/tz/cache.go"]
    assert result.hosts == []


def test_merge_hosts_folds_spellings() -> None:
    """A host with and without its port, and its short name, count as one host."""
    hosts = [
        HostStats("kafka-0.kafka.svc.cluster.local", count_after=3, kinds={"timeout"}),
        HostStats("kafka-0", count_after=2, kinds={"dns"}),
        HostStats("kafka-0.kafka.svc.cluster.local:9092", count_after=4),
        HostStats("db", count_after=1),
        HostStats("db:5432", count_after=1),
        HostStats("db:5433", count_after=1),
    ]
    merged = {h.host: h for h in merge_hosts(hosts)}
    assert set(merged) == {"kafka-0.kafka.svc.cluster.local:9092", "db", "db:5432", "db:5433"}
    kafka = merged["kafka-0.kafka.svc.cluster.local:9092"]
    assert kafka.count_after == 9
    assert kafka.kinds == {"timeout", "dns"}


def test_access_log_5xx_count_as_errors() -> None:
    """Level-less access-log lines with a 5xx status count as errors, per line."""
    line = '10.0.0.{i} - - [{t}] "GET /v2/search HTTP/1.1" {code} 512 "-" "curl/8"'

    def clf(minutes: int) -> str:
        return (DEPLOY + timedelta(minutes=minutes)).strftime("%d/%b/%Y:%H:%M:%S +0000")

    logs = [line.format(i=i, t=clf(-10 + i), code=200) for i in range(10)]
    logs += [line.format(i=i, t=clf(1 + i), code=503 if i % 2 else 200) for i in range(10)]
    (volume,) = _by_type(extract_logs(_incident(logs)), "log_volume")
    assert (volume.errors_before, volume.errors_after) == (0, 5)
    assert volume.lines_before == 10
