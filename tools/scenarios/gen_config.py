"""Generators for the config-change scenarios."""

from __future__ import annotations

import random
from datetime import timedelta

from common import (
    Log,
    clf_ts,
    commit,
    every,
    iso,
    logfmt,
    parse,
    points,
    ramp,
    scenario,
    sha,
    times,
    wobble,
    zap,
)


def search_flag_rerank() -> dict:
    """search-api (Go, logfmt): a runtime flag turns on a reranker the service cannot afford."""
    rng = random.Random("search_flag_rerank")
    deployed = parse("2026-07-22T08:10:00Z")
    flipped = deployed + timedelta(minutes=27)
    start, end = deployed - timedelta(minutes=10), flipped + timedelta(minutes=16)
    log = Log()
    insts = ["search-api-1", "search-api-2", "search-api-3"]

    def lf(dt, level, msg, **kw):
        return logfmt(ts=iso(dt), level=level, inst=rng.choice(insts), msg=msg, **kw)

    for dt in every(start, end, 20, 400, rng):
        log.add(
            dt,
            lf(dt, "debug", "http request", method="GET", path="/readyz", status=200, dur="0.4ms"),
        )
    for dt in times(rng, start, end, 70):
        slow = dt > flipped
        dur = rng.randint(600, 2100) if slow else rng.randint(25, 140)
        log.add(
            dt,
            lf(
                dt,
                "info",
                "http request",
                method="GET",
                path="/v1/search",
                status=200 if not slow or rng.random() > 0.3 else 504,
                dur=f"{dur}ms",
                q_len=rng.randint(3, 40),
            ),
        )
    for dt in times(rng, start, end, 6):
        log.add(
            dt,
            lf(
                dt,
                "info",
                "index snapshot loaded",
                shard=rng.randint(0, 11),
                docs=rng.randint(800000, 900000),
            ),
        )
    for dt in times(rng, start, end, 5):
        log.add(
            dt,
            lf(
                dt,
                "warn",
                "spellcheck dictionary miss ratio high",
                ratio=f"{rng.uniform(0.2, 0.3):.2f}",
            ),
        )
    log.add(flipped, lf(flipped, "info", "runtime config reloaded", source="consul", version=1184))
    for dt in times(rng, flipped + timedelta(seconds=20), end, 26):
        log.add(
            dt,
            lf(
                dt,
                "error",
                "rerank failed, serving unranked results",
                err='Post "http://rerank.ml.svc:9000/v2/rerank": context deadline exceeded',
                candidates=rng.choice([200, 400, 1000]),
            ),
        )
    for dt in times(rng, flipped + timedelta(minutes=2), end, 6):
        log.add(
            dt, lf(dt, "warn", "worker pool saturated", pool="rerank", queued=rng.randint(40, 300))
        )
    commits = [
        commit(
            sha(rng),
            "Add synonyms for footwear category",
            "ines",
            deployed - timedelta(hours=1),
            ["data/synonyms/footwear.txt"],
        ),
        commit(
            sha(rng),
            "Refactor tokenizer benchmarks",
            "ines",
            deployed - timedelta(hours=3),
            ["internal/tokenize/bench_test.go"],
        ),
        commit(
            sha(rng),
            "go: bump golang.org/x/net to v0.27.0",
            "renovate[bot]",
            deployed - timedelta(hours=30),
            ["go.mod", "go.sum"],
        ),
    ]
    config = {
        "features": {"semantic_rerank": True, "spellcheck": True, "personalized_boost": False},
        "rerank": {
            "endpoint": "http://rerank.ml.svc:9000/v2/rerank",
            "timeout_ms": 300,
            "top_k": 1000,
        },
        "http": {"read_timeout_ms": 2000},
        "index": {"shards": 12},
    }
    prev = {**config, "features": {**config["features"], "semantic_rerank": False}}
    mstart = flipped - timedelta(minutes=36)
    return scenario(
        "search-flag-rerank",
        "The semantic reranking flag is switched on at runtime (no deploy); every "
        "query now waits on the reranker and search latency jumps.",
        deployment_id="search-api-v1.88.0",
        service="search-api",
        deployed=deployed,
        started=flipped + timedelta(minutes=1),
        logs=log.lines(),
        metrics={
            "search_latency_p99_ms": {
                "points": points(
                    mstart,
                    120,
                    wobble(rng, 130, 18, 0.12, 0) + ramp(rng, 1700, 2100, 8, 0.08, 0),
                ),
                "unit": "ms",
            },
            "http_504_per_minute": {
                "points": points(mstart, 120, [0] * 18 + [14, 22, 31, 27, 30, 35, 29, 33])
            },
            "goroutines": wobble(rng, 1400, 16, 0.1, 0),
            "qps": wobble(rng, 760, 16, 0.07, 0),
        },
        commits=commits,
        config=config,
        previous_config=prev,
        category="config_change",
        suspects=["features.semantic_rerank"],
    )


def billing_timeout_lowered() -> dict:
    """billing-worker (Go, zap JSON): a client timeout is cut below the ledger's normal latency."""
    rng = random.Random("billing_timeout_lowered")
    deployed = parse("2026-06-02T13:30:00Z")
    start, end = deployed - timedelta(minutes=25), deployed + timedelta(minutes=15)
    log = Log()

    for dt in every(start, end, 30, 600, rng):
        log.add(dt, zap(dt, "debug", "server/health.go:21", "health ok"))
    for dt in times(rng, start, end, 60):
        ok = dt < deployed or rng.random() < 0.12
        if ok:
            log.add(
                dt,
                zap(
                    dt,
                    "info",
                    "billing/post.go:88",
                    "invoice posted",
                    invoice=f"INV-{rng.randint(100000, 999999)}",
                    ledger_ms=rng.randint(160, 420),
                ),
            )
    for dt in times(rng, start, end, 8):
        log.add(
            dt,
            zap(
                dt,
                "info",
                "queue/consumer.go:54",
                "batch received",
                size=rng.randint(20, 50),
                topic="billing.invoices",
            ),
        )
    for dt in times(rng, start, end, 4):
        log.add(
            dt,
            zap(
                dt,
                "warn",
                "fx/rates.go:40",
                "fx rate cache stale, using last known",
                currency=rng.choice(["CHF", "SEK", "PLN"]),
            ),
        )
    for dt in times(rng, deployed + timedelta(seconds=30), end, 34):
        log.add(
            dt,
            zap(
                dt,
                "error",
                "billing/post.go:97",
                "posting invoice to ledger failed",
                invoice=f"INV-{rng.randint(100000, 999999)}",
                error='Post "http://ledger.finance.svc:8080/v1/entries": context deadline exceeded '
                "(Client.Timeout exceeded while awaiting headers)",
                stacktrace="main.(*Poster).Post\n\t/src/billing/post.go:97\n"
                "main.(*Worker).handle\n\t/src/billing/worker.go:61",
            ),
        )
    for dt in times(rng, deployed + timedelta(minutes=3), end, 6):
        log.add(
            dt,
            zap(
                dt,
                "warn",
                "queue/consumer.go:77",
                "message nacked, will redeliver",
                attempt=rng.randint(2, 5),
            ),
        )
    culprit = sha(rng)
    commits = [
        commit(
            culprit,
            "Align HTTP client settings with platform defaults (PLAT-311)",
            "t.becker",
            deployed - timedelta(minutes=35),
            [
                {
                    "filename": "deploy/prod/billing-worker.toml",
                    "status": "modified",
                    "additions": 4,
                    "deletions": 4,
                    "patch": "@@ -14,10 +14,10 @@ [clients.ledger]\n base_url = "
                    '"http://ledger.finance.svc:8080"\n'
                    "-timeout_ms = 5000\n-max_idle_conns = 20\n+timeout_ms = 250\n+max_idle_conns "
                    "= 100\n"
                    " [clients.fx]\n-timeout_ms = 3000\n+timeout_ms = 1000",
                }
            ],
        ),
        commit(
            sha(rng),
            "Document the invoice retry policy",
            "g.osei",
            deployed - timedelta(hours=2),
            ["docs/retries.md"],
        ),
        commit(
            sha(rng),
            "Split fx rate cache into its own package",
            "g.osei",
            deployed - timedelta(hours=7),
            ["fx/rates.go", "fx/cache.go", "fx/cache_test.go"],
        ),
    ]
    config = {
        "clients": {
            "ledger": {
                "base_url": "http://ledger.finance.svc:8080",
                "timeout_ms": 250,
                "max_idle_conns": 100,
            },
            "fx": {"timeout_ms": 1000},
        },
        "queue": {"topic": "billing.invoices", "max_redeliveries": 5},
    }
    prev = {
        "clients": {
            "ledger": {
                "base_url": "http://ledger.finance.svc:8080",
                "timeout_ms": 5000,
                "max_idle_conns": 20,
            },
            "fx": {"timeout_ms": 3000},
        },
        "queue": {"topic": "billing.invoices", "max_redeliveries": 5},
    }
    return scenario(
        "billing-timeout-lowered",
        "A settings clean-up cuts the ledger client timeout below the ledger's "
        "normal "
        "latency; posting fails with client timeouts while the ledger itself is healthy.",
        deployment_id="billing-worker-1.12.4",
        service="billing-worker",
        deployed=deployed,
        logs=log.lines(),
        metrics={
            "invoices_posted_per_minute": {
                "baseline": wobble(rng, 88, 6, 0.1, 0),
                "current": wobble(rng, 9, 6, 0.5, 0),
            },
            "ledger_server_latency_p50_ms": {
                "baseline": wobble(rng, 270, 6, 0.1, 0),
                "current": wobble(rng, 275, 6, 0.1, 0),
                "unit": "ms",
            },
            "queue_lag_messages": {
                "points": points(
                    deployed - timedelta(minutes=20),
                    150,
                    wobble(rng, 40, 8, 0.4, 0) + ramp(rng, 200, 3900, 6, 0.05, 0),
                )
            },
            "cpu_utilization": wobble(rng, 22, 14, 0.25, 0),
        },
        commits=commits,
        config=config,
        previous_config=prev,
        category="config_change",
        suspects=["clients.ledger.timeout_ms", culprit[:7]],
    )


def gateway_auth_scope() -> dict:
    """api-gateway (nginx + Lua, mixed): a route permission change rejects a partner's calls."""
    rng = random.Random("gateway_auth_scope")
    deployed = parse("2026-05-11T19:00:00Z")
    start, end = deployed - timedelta(minutes=20), deployed + timedelta(minutes=15)
    log = Log()
    clients = ["web", "ios", "android", "partner-logistix"]

    def access(dt, client, method, path, status, rt):
        ip = f"172.20.{rng.randint(0, 30)}.{rng.randint(2, 250)}"
        return (
            f'{ip} - {client} [{clf_ts(dt)}] "{method} {path} HTTP/1.1" {status} '
            f"{rng.randint(120, 9000)} "
            f'"-" "{client}/2.1" rt={rt:.3f}'
        )

    for dt in every(start, end, 15, 300, rng):
        log.add(dt, access(dt, "lb-probe", "GET", "/__health", 200, 0.0))
    for dt in times(rng, start, end, 90):
        client = rng.choice(clients)
        if client == "partner-logistix":
            path, method = rng.choice([("/v2/shipments", "POST"), ("/v2/shipments/labels", "POST")])
            status = 403 if dt > deployed + timedelta(seconds=30) else 201
        else:
            path, method = rng.choice(
                [("/v2/orders", "GET"), ("/v2/profile", "GET"), ("/v2/cart", "PUT")]
            )
            status = 200
        log.add(dt, access(dt, client, method, path, status, rng.uniform(0.01, 0.3)))
    for dt in times(rng, deployed + timedelta(seconds=30), end, 18):
        log.add(
            dt,
            f"{iso(dt)} [warn] 31#31: *{rng.randint(10000, 99999)} [lua] authz.lua:142: deny "
            f"client="
            f"partner-logistix route=shipments.write reason=scope_missing, client: 172.20.9.14",
        )
    for dt in times(rng, start, end, 5):
        log.add(
            dt,
            f"{iso(dt)} [info] 29#29: *{rng.randint(10000, 99999)} client closed connection while "
            f"waiting for request, client: 172.20.{rng.randint(0, 30)}.{rng.randint(2, 250)}",
        )
    culprit = sha(rng)
    commits = [
        commit(
            culprit,
            "Tighten write scopes on logistics routes (SEC-204)",
            "n.dubois",
            deployed - timedelta(minutes=22),
            [
                {
                    "filename": "policies/routes.yaml",
                    "status": "modified",
                    "additions": 3,
                    "deletions": 1,
                    "patch": "@@ -40,7 +40,9 @@ shipments:\n   write:\n-    scopes: "
                    "[shipments.write, logistics.partner]\n"
                    "+    scopes: [shipments.write]\n+    require_mfa: false",
                }
            ],
        ),
        commit(
            sha(rng),
            "Upgrade lua-resty-http to 0.17.2",
            "renovate[bot]",
            deployed - timedelta(hours=5),
            ["rockspec/gateway-1.0-1.rockspec"],
        ),
        commit(
            sha(rng),
            "Add dashboard JSON for gateway latency",
            "b.koh",
            deployed - timedelta(hours=27),
            ["dashboards/gateway.json"],
        ),
    ]
    config = {
        "routes": {
            "shipments": {
                "write": {"scopes": ["shipments.write"], "require_mfa": False},
                "read": {"scopes": ["shipments.read"]},
            },
            "orders": {"read": {"scopes": ["orders.read"]}},
        },
        "rate_limit": {"default_rps": 200},
    }
    prev = {
        "routes": {
            "shipments": {
                "write": {"scopes": ["shipments.write", "logistics.partner"]},
                "read": {"scopes": ["shipments.read"]},
            },
            "orders": {"read": {"scopes": ["orders.read"]}},
        },
        "rate_limit": {"default_rps": 200},
    }
    return scenario(
        "gateway-auth-scope",
        "A route policy change drops a scope a logistics partner relies on; every "
        "shipment write from that partner is now refused with 403.",
        deployment_id="gateway-policies-2026-05-11-1900",
        service="api-gateway",
        deployed=deployed,
        logs=log.lines(),
        metrics={
            "http_403_per_minute": {
                "baseline": [1, 0, 2, 1, 0, 1],
                "current": [38, 41, 36, 44],
            },
            "http_requests_per_second": wobble(rng, 1300, 16, 0.06, 0),
            "upstream_latency_p95_ms": {
                "baseline": wobble(rng, 120, 5, 0.1, 0),
                "current": wobble(rng, 118, 5, 0.1, 0),
            },
        },
        commits=commits,
        config=config,
        previous_config=prev,
        category="config_change",
        suspects=["routes.shipments.write.scopes", culprit[:7]],
    )


SCENARIOS = [search_flag_rerank, billing_timeout_lowered, gateway_auth_scope]
