"""Generators for a zone fault, a database failover and a retry storm."""

# Stack frames and log lines are data, kept verbatim even past the line length.
# ruff: noqa: E501

from __future__ import annotations

import random
from datetime import timedelta

from common import (
    Log,
    every,
    innocent_commits,
    iso,
    java_ts,
    jline,
    parse,
    points,
    py_ts,
    ramp,
    scenario,
    times,
    wobble,
)


def recs_zone_packet_loss() -> dict:
    """recommendations (Java, logback): one availability zone loses packets; unrelated calls time out."""
    rng = random.Random("recs_zone_packet_loss")
    deployed = parse("2026-08-19T07:15:00Z")
    onset = deployed + timedelta(hours=4, minutes=10)
    start, end = onset - timedelta(minutes=20), onset + timedelta(minutes=12)
    log = Log()
    pods = {
        "recs-5f7d-abc12": "eu-central-1a",
        "recs-5f7d-def34": "eu-central-1b",
        "recs-5f7d-ghi56": "eu-central-1b",
        "recs-5f7d-jkl78": "eu-central-1c",
    }
    names = list(pods)

    def lb(dt, pod, level, logger, msg):
        return f"{java_ts(dt)} {level:<5} [{pod}] {logger} - {msg}"

    for dt in every(start, end, 20, 700, rng):
        pod = rng.choice(names)
        log.add(dt, lb(dt, pod, "DEBUG", "c.a.r.Health", "liveness ok"))
    for dt in times(rng, start, end, 70):
        pod = rng.choice(names)
        bad = dt > onset and pods[pod] == "eu-central-1b"
        if bad and rng.random() < 0.7:
            continue
        log.add(
            dt,
            lb(
                dt,
                pod,
                "INFO",
                "c.a.r.RecommendController",
                f"recs user={rng.randint(10**6, 10**7)} items=24 took={rng.randint(20, 90)}ms",
            ),
        )
    deps = [
        ("feature-store.ml.svc", 8500),
        ("redis-recs.cache.svc", 6379),
        ("kafka-2.kafka.svc", 9092),
        ("catalog.internal.svc", 8080),
    ]
    for dt in times(rng, onset, end, 30):
        pod = rng.choice(["recs-5f7d-def34", "recs-5f7d-ghi56"])
        host, port = rng.choice(deps)
        log.add(
            dt,
            lb(
                dt,
                pod,
                "ERROR",
                "c.a.r.client.Upstream",
                f"call to {host}:{port} failed: java.net.SocketTimeoutException: Connect timed out",
            ),
        )
    for dt in times(rng, onset + timedelta(minutes=2), end, 3):
        log.add(
            dt,
            f"{iso(dt)} kubelet[ip-10-1-34-5.eu-central-1.compute.internal]: Node ip-10-1-34-5 status is now: NodeNotReady (zone eu-central-1b)",
        )
    for dt in times(rng, start, end, 4):
        log.add(
            dt,
            lb(
                dt,
                rng.choice(names),
                "WARN",
                "c.a.r.Ranker",
                "model version skew detected, using cached weights",
            ),
        )
    commits = innocent_commits(
        rng,
        deployed,
        ["build.gradle.kts"],
        ["src/main/java/com/acme/recs/Ranker.java"],
        ["docs/ranking.md"],
        [
            "Bump netty to 4.1.112",
            "Ranker: log model version once per minute",
            "Explain ranking features",
        ],
    )
    return scenario(
        "recs-zone-packet-loss",
        "Packet loss inside one availability zone: pods there time out talking to "
        "several unrelated services while pods in other zones are fine.",
        deployment_id="recommendations-2026.08.19",
        service="recommendations",
        deployed=deployed,
        started=onset,
        logs=log.lines(),
        metrics={
            "node_tcp_retransmits_per_second": {
                "baseline": wobble(rng, 12, 5, 0.3, 0),
                "current": wobble(rng, 640, 5, 0.2, 0),
            },
            "upstream_errors_per_minute": {
                "baseline": [1, 0, 2, 1],
                "current": [88, 97, 110, 92],
            },
            "jvm_threads_live": wobble(rng, 210, 20, 0.08, 0),
            "requests_per_second": wobble(rng, 480, 20, 0.08, 0),
        },
        commits=commits,
        config={
            "upstreams": {
                "feature_store": "feature-store.ml.svc:8500",
                "redis": "redis-recs.cache.svc:6379",
                "catalog": "catalog.internal.svc:8080",
            },
            "http": {"connect_timeout_ms": 1000},
        },
        category="infrastructure",
        suspects=["eu-central-1b", "ip-10-1-34-5", "node_tcp_retransmits_per_second"],
    )


def subscriptions_db_failover() -> dict:
    """subscriptions-api (Python asyncpg, plain): the database fails over; writes hit a read-only node."""
    rng = random.Random("subscriptions_db_failover")
    deployed = parse("2026-07-07T12:40:00Z")
    onset = deployed + timedelta(hours=1, minutes=50)
    start, end = onset - timedelta(minutes=20), onset + timedelta(minutes=12)
    log = Log()
    dbhost = "pg-subscriptions.cluster-c8x2.eu-west-1.rds.amazonaws.com"

    def pl(dt, level, name, msg):
        return f"{py_ts(dt)} [{level}] {name}: {msg}"

    for dt in every(start, end, 30, 900, rng):
        log.add(dt, pl(dt, "DEBUG", "hypercorn.access", "GET /health 200"))
    for dt in times(rng, start, end, 60):
        if dt > onset and rng.random() < 0.5:
            continue
        log.add(
            dt,
            pl(
                dt,
                "INFO",
                "subs.api",
                f"{rng.choice(['GET', 'POST', 'PATCH'])} /v1/subscriptions/{rng.randint(10**5, 10**6)} "
                f"{rng.choice([200, 200, 201])} {rng.randint(8, 60)}ms",
            ),
        )
    for dt in times(rng, start, end, 5):
        log.add(
            dt, pl(dt, "INFO", "subs.billing", f"renewal batch queued size={rng.randint(100, 300)}")
        )
    log.add(
        onset,
        pl(
            onset,
            "WARNING",
            "subs.db",
            f"connection to {dbhost}:5432 lost: connection was closed in the middle of operation",
        ),
    )
    for dt in times(rng, onset, onset + timedelta(seconds=50), 8):
        log.add(
            dt,
            pl(
                dt,
                "ERROR",
                "subs.db",
                f"could not connect to {dbhost}:5432: [Errno 111] Connection refused",
            ),
        )
    for dt in times(rng, onset + timedelta(minutes=1), end, 20):
        log.add(
            dt,
            pl(dt, "ERROR", "subs.api", "PATCH /v1/subscriptions failed"),
            "Traceback (most recent call last):",
            '  File "/srv/subs/repository.py", line 142, in update_plan',
            "    await conn.execute(UPDATE_PLAN, plan_id, sub_id)",
            '  File "/usr/local/lib/python3.11/site-packages/asyncpg/connection.py", line 350, in execute',
            "    result = await self._protocol.query(query, timeout)",
            "asyncpg.exceptions.ReadOnlySQLTransactionError: cannot execute UPDATE in a read-only transaction",
        )
    commits = innocent_commits(
        rng,
        deployed,
        ["poetry.lock", "pyproject.toml"],
        ["subs/billing/proration.py", "tests/test_proration.py"],
        ["docs/plans.md"],
        [
            "Bump hypercorn to 0.17.3",
            "Round prorated credits to the cent",
            "Plans: document annual discounts",
        ],
    )
    return scenario(
        "subscriptions-db-failover",
        "The database cluster fails over; pooled connections keep pointing at the old "
        "primary, now a read-only replica, and every write fails.",
        deployment_id="subscriptions-api-7.3.1",
        service="subscriptions-api",
        deployed=deployed,
        started=onset,
        logs=log.lines(),
        metrics={
            "db_write_errors_per_minute": {
                "points": points(start, 60, [0] * 20 + ramp(rng, 30, 45, 12, 0.1, 0))
            },
            "db_pool_connections_in_use": {
                "baseline": wobble(rng, 9, 5, 0.2, 0),
                "current": wobble(rng, 10, 5, 0.2, 0),
            },
            "requests_per_second": wobble(rng, 140, 20, 0.1, 0),
            "latency_p99_ms": {
                "baseline": wobble(rng, 70, 5, 0.1, 0),
                "current": wobble(rng, 95, 5, 0.2, 0),
            },
        },
        commits=commits,
        config={
            "database": {
                "host": dbhost,
                "port": 5432,
                "pool_min": 5,
                "pool_max": 20,
                "target_session_attrs": "any",
            }
        },
        category="database",
        suspects=["pg-subscriptions", "ReadOnlySQLTransactionError"],
    )


def auth_retry_storm() -> dict:
    """auth-service (Go, zap JSON): a mobile backend retries without backoff after a blip."""
    rng = random.Random("auth_retry_storm")
    deployed = parse("2026-04-29T06:50:00Z")
    onset = deployed + timedelta(hours=3, minutes=2)
    start, end = onset - timedelta(minutes=15), onset + timedelta(minutes=12)
    log = Log()

    def zap(dt, level, msg, **kw):
        return jline(level=level, ts=iso(dt), logger="auth", msg=msg, **kw)

    for dt in every(start, end, 15, 400, rng):
        log.add(dt, zap(dt, "debug", "health"))
    for dt in times(rng, start, end, 50):
        log.add(
            dt,
            zap(
                dt,
                "info",
                "token issued",
                client=rng.choice(["web", "partner-api", "mobile-bff"]),
                grant=rng.choice(["refresh_token", "authorization_code"]),
                ms=rng.randint(8, 40),
            ),
        )
    for dt in times(rng, onset - timedelta(seconds=50), onset, 4):
        log.add(dt, zap(dt, "warn", "slow key lookup", ms=rng.randint(700, 1300)))
    for dt in times(rng, onset, end, 80):
        status = rng.choice([200, 429, 429, 503])
        log.add(
            dt,
            zap(
                dt,
                "info" if status == 200 else "warn",
                "token request",
                client="mobile-bff",
                status=status,
                retry_attempt=rng.randint(1, 9),
                ms=rng.randint(200, 3000),
            ),
        )
    for dt in times(rng, onset + timedelta(minutes=1), end, 6):
        log.add(
            dt,
            zap(
                dt,
                "error",
                "concurrency limit reached, shedding",
                inflight=rng.randint(2000, 2600),
                limit=2000,
            ),
        )
    commits = innocent_commits(
        rng,
        deployed,
        ["go.mod", "go.sum"],
        ["internal/jwks/rotate.go"],
        ["docs/clients.md"],
        [
            "build(deps): bump github.com/golang-jwt/jwt/v5 from 5.2.0 to 5.2.1",
            "jwks: log rotation at info level",
            "docs: client registration",
        ],
    )
    mstart = onset - timedelta(minutes=14)
    return scenario(
        "auth-retry-storm",
        "After a one-minute slowdown the mobile backend retries token requests with no "
        "backoff; request rate triples and the service sheds load long after the blip.",
        deployment_id="auth-service-12.0.3",
        service="auth-service",
        deployed=deployed,
        started=onset,
        logs=log.lines(),
        metrics={
            "token_requests_per_second": {
                "points": points(
                    mstart,
                    60,
                    wobble(rng, 1900, 14, 0.07, 0) + ramp(rng, 5200, 6100, 12, 0.05, 0),
                )
            },
            "inflight_requests": {
                "baseline": wobble(rng, 340, 5, 0.15, 0),
                "current": [1990, 2000, 2000, 2000],
            },
            "cpu_utilization": {
                "baseline": wobble(rng, 35, 5, 0.1, 0),
                "current": wobble(rng, 93, 5, 0.03, 0),
            },
            "key_lookup_p99_ms": {
                "baseline": wobble(rng, 4, 5, 0.3, 1),
                "current": wobble(rng, 5, 5, 0.3, 1),
            },
        },
        commits=commits,
        config={
            "limits": {"max_inflight": 2000},
            "clients": {"mobile-bff": {"rps_quota": None}},
        },
        category="traffic_surge",
        suspects=["mobile-bff", "token_requests_per_second"],
    )


SCENARIOS = [recs_zone_packet_loss, subscriptions_db_failover, auth_retry_storm]
