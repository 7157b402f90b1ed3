"""Generators for dependency-failure and database scenarios (no recent change to blame)."""

# Stack frames and log lines are data, kept verbatim even past the line length.
# ruff: noqa: E501

from __future__ import annotations

import random
from datetime import timedelta

from common import (
    Log,
    every,
    go_std,
    innocent_commits,
    iso,
    java_ts,
    jline,
    logfmt,
    parse,
    points,
    ramp,
    scenario,
    times,
    wobble,
)


def payments_gateway_5xx() -> dict:
    """payment-service (Python, JSON): the card processor starts timing out and answering 503."""
    rng = random.Random("payments_gateway_5xx")
    deployed = parse("2026-04-18T10:15:00Z")
    onset = deployed + timedelta(minutes=19)
    start, end = deployed - timedelta(minutes=15), onset + timedelta(minutes=15)
    log = Log()

    def j(dt, level, name, msg, **kw):
        return jline(asctime=iso(dt), levelname=level, name=name, message=msg, **kw)

    for dt in every(start, end, 30, 800, rng):
        log.add(dt, j(dt, "INFO", "uvicorn.access", '10.1.0.3:51234 - "GET /healthz HTTP/1.1" 200'))
    for dt in times(rng, start, end, 60):
        bad = dt > onset and rng.random() < 0.6
        if not bad:
            log.add(
                dt,
                j(
                    dt,
                    "INFO",
                    "payments.charge",
                    "charge captured",
                    amount_minor=rng.randint(500, 90000),
                    currency=rng.choice(["EUR", "USD", "GBP"]),
                    processor_ms=rng.randint(180, 650),
                ),
            )
    for dt in times(rng, start, end, 5):
        log.add(
            dt,
            j(
                dt,
                "WARNING",
                "payments.fraud",
                "risk score above review threshold",
                score=round(rng.uniform(0.7, 0.9), 2),
            ),
        )
    for dt in times(rng, start, onset, 2):
        log.add(dt, j(dt, "ERROR", "payments.charge", "card declined", code="insufficient_funds"))
    tb = (
        "Traceback (most recent call last):\n"
        '  File "/app/payments/processor.py", line 141, in capture\n    resp = '
        "self._session.post(url, json=body, timeout=10)\n"
        '  File "/usr/local/lib/python3.11/site-packages/requests/adapters.py", line 713, in send\n'
        "    raise ReadTimeout(e, request=request)\n"
        "requests.exceptions.ReadTimeout: HTTPSConnectionPool(host='api.paygate.io', port=443): "
        "Read timed out. (read timeout=10)"
    )
    for dt in times(rng, onset, end, 16):
        log.add(
            dt,
            j(dt, "ERROR", "payments.charge", "capture failed", processor="paygate", exc_info=tb),
        )
    for dt in times(rng, onset, end, 14):
        log.add(
            dt,
            j(
                dt,
                "ERROR",
                "payments.processor",
                "processor returned error",
                host="api.paygate.io",
                status=rng.choice([502, 503, 503, 503]),
                attempt=rng.randint(1, 3),
            ),
        )
    for dt in times(rng, onset + timedelta(minutes=3), end, 4):
        log.add(
            dt, j(dt, "WARNING", "payments.breaker", "circuit half-open", target="api.paygate.io")
        )
    commits = innocent_commits(
        rng,
        deployed,
        ["poetry.lock"],
        ["payments/reports/export.py", "payments/reports/tests/test_export.py"],
        ["docs/adr/0012-idempotency-keys.md"],
        [
            "Bump pydantic-settings from 2.3.4 to 2.4.0",
            "Stream CSV export instead of building it in memory",
            "ADR: idempotency keys for refunds",
        ],
    )
    return scenario(
        "payments-gateway-5xx",
        "The card processor slows down and answers 503 twenty minutes after an "
        "unrelated deploy; captures fail.",
        deployment_id="payment-service-8812",
        service="payment-service",
        deployed=deployed,
        started=onset,
        logs=log.lines(),
        metrics={
            "paygate_request_p99_ms": {
                "points": points(
                    start,
                    120,
                    wobble(rng, 700, 17, 0.15, 0) + ramp(rng, 7800, 10000, 8, 0.03, 0),
                ),
                "unit": "ms",
            },
            "capture_error_rate": {
                "points": points(
                    start, 120, wobble(rng, 0.6, 17, 0.4, 2) + ramp(rng, 22, 61, 8, 0.1, 1)
                ),
                "unit": "%",
            },
            "requests_per_second": wobble(rng, 95, 20, 0.1, 0),
            "cpu_utilization": wobble(rng, 31, 20, 0.2, 0),
        },
        commits=commits,
        config={
            "processors": {
                "paygate": {"base_url": "https://api.paygate.io", "timeout_s": 10},
                "fallback": None,
            },
            "breaker": {"failure_threshold": 20, "reset_s": 60},
        },
        category="dependency_failure",
        suspects=["api.paygate.io", "paygate"],
    )


def cart_redis_refused() -> dict:
    """cart-service (Go, plain + logfmt): the Redis node behind the cart cache is gone."""
    rng = random.Random("cart_redis_refused")
    deployed = parse("2026-03-09T07:45:00Z")
    onset = deployed + timedelta(hours=5, minutes=12)
    start, end = onset - timedelta(minutes=20), onset + timedelta(minutes=12)
    log = Log()

    for dt in every(start, end, 10, 300, rng):
        log.add(dt, logfmt(time=iso(dt), level="debug", msg="probe", path="/healthz", status=200))
    for dt in times(rng, start, end, 75):
        miss = dt > onset
        log.add(
            dt,
            logfmt(
                time=iso(dt),
                level="info",
                msg="cart fetched",
                cart=f"c_{rng.randint(10**6, 10**7)}",
                cache="error" if miss else rng.choice(["hit", "hit", "hit", "miss"]),
                dur=f"{rng.randint(40, 250) if miss else rng.randint(2, 18)}ms",
            ),
        )
    for dt in times(rng, start, end, 5):
        log.add(dt, go_std(dt, f"pricing: promo rules reloaded ({rng.randint(40, 60)} rules)"))
    for dt in times(rng, onset, end, 30):
        log.add(
            dt,
            logfmt(
                time=iso(dt),
                level="error",
                msg="cache get failed, falling back to postgres",
                err="dial tcp 10.42.7.19:6379: connect: connection refused",
                addr="redis-cart-0.redis-cart.cache.svc:6379",
            ),
        )
    for dt in times(rng, onset + timedelta(seconds=30), end, 6):
        log.add(
            dt,
            go_std(
                dt,
                "redis: 2026/03/09 pool.go:360: redis: connection pool: failed to dial after 5 "
                "attempts: "
                "dial tcp 10.42.7.19:6379: connect: connection refused",
            ),
        )
    for dt in times(rng, onset + timedelta(minutes=2), end, 5):
        log.add(dt, logfmt(time=iso(dt), level="warn", msg="postgres pool busy", in_use=18, max=20))
    commits = innocent_commits(
        rng,
        deployed,
        ["go.mod", "go.sum"],
        ["internal/pricing/promo.go", "internal/pricing/promo_test.go"],
        ["CHANGELOG.md"],
        [
            "build(deps): bump github.com/prometheus/client_golang from 1.19.1 to 1.20.0",
            "pricing: simplify stacking of percentage promos",
            "Release notes for 4.7",
        ],
    )
    return scenario(
        "cart-redis-refused",
        "The Redis node behind the cart cache refuses connections hours after the "
        "last deploy; carts fall back to Postgres and slow down.",
        deployment_id="cart-service:4.7.0",
        service="cart-service",
        deployed=deployed,
        started=onset,
        logs=log.lines(),
        metrics={
            "cache_hit_ratio": {
                "baseline": [0.82, 0.85, 0.8, 0.84],
                "current": [0.0, 0.0, 0.0],
            },
            "cart_get_p99_ms": {
                "baseline": wobble(rng, 24, 6, 0.2, 0),
                "current": wobble(rng, 260, 6, 0.15, 0),
                "unit": "ms",
            },
            "pg_connections_in_use": {
                "baseline": wobble(rng, 6, 5, 0.3, 0),
                "current": [18, 19, 18, 20],
            },
            "requests_per_second": wobble(rng, 540, 16, 0.08, 0),
        },
        commits=commits,
        config={
            "redis": {"addr": "redis-cart-0.redis-cart.cache.svc:6379", "pool_size": 50},
            "postgres": {"dsn_host": "pg-cart", "max_conns": 20},
        },
        category="dependency_failure",
        suspects=["redis-cart", "10.42.7.19"],
    )


def fulfillment_lock_waits() -> dict:
    """fulfillment-service (Java) + Postgres logs: lock contention on shipments, no recent change."""
    rng = random.Random("fulfillment_lock_waits")
    deployed = parse("2026-02-14T12:00:00Z")
    onset = deployed + timedelta(days=1, hours=2)
    start, end = onset - timedelta(minutes=25), onset + timedelta(minutes=15)
    log = Log()
    threads = [f"pool-3-thread-{i}" for i in range(1, 9)]

    def app(dt, level, logger, msg):
        return f"{java_ts(dt)} [{rng.choice(threads)}] {level:<5} {logger} - {msg}"

    def pg(dt, pid, sev, msg):
        return f"{java_ts(dt)} UTC [{pid}] fulfillment@fulfillment {sev}:  {msg}"

    for dt in every(start, end, 30, 900, rng):
        log.add(dt, app(dt, "DEBUG", "c.a.f.HealthIndicator", "db=UP queue=UP"))
    for dt in times(rng, start, end, 60):
        slow = dt > onset
        log.add(
            dt,
            app(
                dt,
                "INFO",
                "c.a.f.ShipmentService",
                f"shipment {rng.randint(5 * 10**6, 6 * 10**6)} status=PACKED "
                f"took={rng.randint(900, 8000) if slow else rng.randint(8, 60)}ms",
            ),
        )
    for dt in times(rng, start, end, 6):
        log.add(
            dt,
            app(dt, "INFO", "c.a.f.LabelPrinter", f"printed batch of {rng.randint(10, 40)} labels"),
        )
    for dt in times(rng, onset, end, 18):
        pid = rng.randint(40000, 49999)
        log.add(
            dt,
            pg(
                dt,
                pid,
                "LOG",
                f"process {pid} still waiting for ShareLock on transaction "
                f"{rng.randint(9 * 10**6, 10**7)} after 1000.{rng.randint(100, 999)} ms",
            ),
            pg(
                dt,
                pid,
                "DETAIL",
                f"Process holding the lock: {rng.randint(30000, 39999)}. Wait queue: "
                f"{pid}, {rng.randint(40000, 49999)}.",
            ),
            pg(
                dt,
                pid,
                "STATEMENT",
                "UPDATE shipments SET status = $1, updated_at = now() WHERE id = $2",
            ),
        )
    for dt in times(rng, onset + timedelta(minutes=2), end, 5):
        pid = rng.randint(40000, 49999)
        log.add(
            dt,
            pg(dt, pid, "ERROR", "deadlock detected"),
            pg(
                dt,
                pid,
                "DETAIL",
                f"Process {pid} waits for ShareLock on transaction "
                f"{rng.randint(9 * 10**6, 10**7)}; blocked by process {rng.randint(30000, 39999)}.",
            ),
        )
    for dt in times(rng, onset + timedelta(minutes=1), end, 9):
        log.add(
            dt,
            app(
                dt,
                "ERROR",
                "c.a.f.ShipmentService",
                "update failed: org.postgresql.util.PSQLException: ERROR: canceling statement due "
                "to "
                "lock timeout",
            ),
            "\tat org.postgresql.core.v3.QueryExecutorImpl.receiveErrorResponse(QueryExecutorImpl.java:2725)",
            "\tat com.acme.fulfillment.repo.ShipmentRepository.updateStatus(ShipmentRepository.java:77)",
            "\tat com.acme.fulfillment.ShipmentService.pack(ShipmentService.java:131)",
        )
    log.add(
        onset - timedelta(minutes=1),
        pg(
            onset - timedelta(minutes=1),
            31877,
            "LOG",
            "duration: 61234.554 ms  statement: UPDATE shipments SET carrier_zone = z.zone FROM "
            "carrier_zones z WHERE shipments.postcode = z.postcode",
        ),
    )
    commits = innocent_commits(
        rng,
        deployed,
        ["build.gradle.kts"],
        ["src/main/java/com/acme/fulfillment/LabelPrinter.java"],
        ["docs/oncall.md"],
        [
            "Bump micrometer to 1.13.4",
            "Reuse label printer sessions",
            "On-call notes for peak season",
        ],
    )
    return scenario(
        "fulfillment-lock-waits",
        "A long bulk update on the shipments table holds row locks; packing updates "
        "queue behind it, deadlock and hit the lock timeout. No recent deploy.",
        deployment_id="fulfillment-2026.02.14",
        service="fulfillment-service",
        deployed=deployed,
        started=onset,
        logs=log.lines(),
        metrics={
            "pg_locks_waiting": {
                "points": points(
                    start, 120, wobble(rng, 1, 12, 0.9, 0) + ramp(rng, 14, 40, 8, 0.1, 0)
                )
            },
            "pg_deadlocks_total": {"baseline": 0, "current": 5},
            "shipment_update_p99_ms": {
                "baseline": [40, 52, 38, 61],
                "current": [6100, 7900, 8800],
            },
            "db_cpu_percent": wobble(rng, 41, 20, 0.15, 0),
        },
        commits=commits,
        config={
            "datasource": {
                "host": "pg-fulfillment-primary",
                "pool": 24,
                "lock_timeout_ms": 8000,
            }
        },
        category="database",
        suspects=[
            "shipments",
            "pg-fulfillment-primary",
            "pg_locks_waiting",
            "pg_deadlocks_total",
        ],
    )


def profile_replica_lag() -> dict:
    """profile-api (Node, mixed): a MySQL replica falls minutes behind; reads go stale."""
    rng = random.Random("profile_replica_lag")
    deployed = parse("2026-01-20T15:30:00Z")
    onset = deployed + timedelta(hours=3)
    start, end = onset - timedelta(minutes=20), onset + timedelta(minutes=15)
    log = Log()

    for dt in every(start, end, 20, 700, rng):
        log.add(dt, f"{iso(dt)} info: GET /ping 200 0.9 ms")
    for dt in times(rng, start, end, 70):
        log.add(
            dt,
            f"{iso(dt)} info: {rng.choice(['GET', 'GET', 'PATCH'])} "
            f"/v1/profiles/{rng.randint(10**5, 10**6)} "
            f"200 {rng.uniform(4, 40):.1f} ms",
        )
    for dt in times(rng, start, end, 5):
        log.add(dt, f"{iso(dt)} warn: avatar resize queue delayed by {rng.randint(2, 6)}s")
    for dt in times(rng, onset, end, 22):
        log.add(
            dt,
            jline(
                time=iso(dt),
                level="warn",
                msg="read-after-write check failed, retrying on primary",
                replica="mysql-profile-replica-2",
                expected_version=rng.randint(40, 90),
                seen_version=rng.randint(10, 39),
            ),
        )
    for dt in times(rng, onset + timedelta(minutes=1), end, 8):
        log.add(
            dt,
            f"{iso(dt)} error: PATCH /v1/profiles/{rng.randint(10**5, 10**6)} 409 "
            f"{rng.uniform(40, 90):.1f} ms - "
            "version conflict (stale read)",
        )
    for dt in times(rng, onset + timedelta(minutes=2), end, 4):
        # A choice of one still draws from rng; the bundled file was made with this draw.
        log.add(
            dt,
            f"{iso(dt)} {rng.choice(['mysql-profile-replica-2'])} mysqld[2211]: [Warning] "
            f"[MY-010584] "
            f"Replica SQL for channel '': worker 3 waited {rng.randint(50, 90)}s for commit order",
        )
    commits = innocent_commits(
        rng,
        deployed,
        ["package.json", "package-lock.json"],
        ["src/avatars/resize.ts"],
        ["docs/api/profiles.md"],
        [
            "chore(deps): bump sharp from 0.33.4 to 0.33.5",
            "Resize avatars in a worker thread",
            "Document profile PATCH semantics",
        ],
    )
    return scenario(
        "profile-replica-lag",
        "A MySQL read replica falls minutes behind the primary; profile reads go "
        "stale and updates conflict. Recent commits are unrelated.",
        deployment_id="profile-api-2026-01-20",
        service="profile-api",
        deployed=deployed,
        started=onset,
        logs=log.lines(),
        metrics={
            "mysql_replica_lag_seconds": {
                "points": points(
                    start, 120, wobble(rng, 0.4, 10, 0.5, 2) + ramp(rng, 40, 340, 8, 0.05, 0)
                ),
                "unit": "s",
            },
            "http_409_per_minute": {"baseline": [0, 1, 0, 0], "current": [6, 9, 11, 8]},
            "latency_p99_ms": {
                "baseline": wobble(rng, 38, 5, 0.15, 0),
                "current": wobble(rng, 61, 5, 0.15, 0),
            },
            "requests_per_second": wobble(rng, 300, 16, 0.08, 0),
        },
        commits=commits,
        config={
            "mysql": {
                "primary": "mysql-profile-primary",
                "replicas": ["mysql-profile-replica-1", "mysql-profile-replica-2"],
                "read_from_replicas": True,
            }
        },
        category="database",
        suspects=["mysql-profile-replica-2", "mysql_replica_lag_seconds"],
    )


SCENARIOS = [payments_gateway_5xx, cart_redis_refused, fulfillment_lock_waits, profile_replica_lag]
