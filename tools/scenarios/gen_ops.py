"""Generators for resource, traffic, credential and infrastructure scenarios."""

# Stack frames and log lines are data, kept verbatim even past the line length.
# ruff: noqa: E501

from __future__ import annotations

import random
from datetime import timedelta

from common import (
    Log,
    clf_ts,
    every,
    go_std,
    innocent_commits,
    iso,
    java_ts,
    jline,
    logfmt,
    parse,
    points,
    py_ts,
    ramp,
    scenario,
    times,
    wobble,
    zap,
)


def indexer_heap_leak() -> dict:
    """search-indexer (Java): heap grows for hours, GC thrashes, pods get OOMKilled."""
    rng = random.Random("indexer_heap_leak")
    deployed = parse("2026-10-27T09:00:00Z")
    onset = deployed + timedelta(days=2, hours=6)
    start, end = onset - timedelta(minutes=40), onset + timedelta(minutes=10)
    log = Log()
    pods = ["search-indexer-0", "search-indexer-1"]

    def lb(dt, level, logger, msg):
        pod = rng.choice(pods)
        worker = f"indexer-worker-{rng.randint(1, 6)}"
        return f"{java_ts(dt)} {level:>5} [{pod}] [{worker}] {logger} - {msg}"

    for dt in times(rng, start, end, 60):
        log.add(
            dt,
            lb(
                dt,
                "INFO",
                "c.a.s.IndexWriterTask",
                f"indexed batch size={rng.randint(400, 500)} took={rng.randint(200, 900)}ms",
            ),
        )
    for dt in every(start, end, 60, 2000, rng):
        log.add(
            dt,
            lb(
                dt,
                "DEBUG",
                "c.a.s.KafkaPoller",
                f"lag partition=3 offset_lag={rng.randint(0, 300)}",
            ),
        )
    gc_start = onset - timedelta(minutes=25)
    for i, dt in enumerate(every(gc_start, end, 75, 3000, rng)):
        pause = 300 + 180 * i + rng.randint(0, 150)
        log.add(
            dt,
            f"[{iso(dt)}][gc] GC(1{i:03d}) Pause Full (G1 Compaction Pause) "
            f"{3900 + 4 * i}M->{3850 + 5 * i}M(4096M) {pause}.{rng.randint(100, 999)}ms",
        )
    for dt in times(rng, onset - timedelta(minutes=8), end, 7):
        log.add(dt, lb(dt, " WARN", "c.a.s.IndexWriterTask", "batch exceeded deadline, requeueing"))
    for dt in times(rng, onset, end, 6):
        log.add(
            dt,
            lb(dt, "ERROR", "c.a.s.IndexWriterTask", "unhandled error in worker"),
            "java.lang.OutOfMemoryError: Java heap space",
            "\tat java.base/java.util.Arrays.copyOf(Arrays.java:3541)",
            "\tat com.acme.search.cache.TermStatsCache.put(TermStatsCache.java:64)",
            "\tat com.acme.search.IndexWriterTask.run(IndexWriterTask.java:118)",
        )
    log.add(
        onset + timedelta(minutes=4),
        f"{iso(onset + timedelta(minutes=4))} kubelet: Container search-indexer "
        "in pod search-indexer-1 OOMKilled (exit code 137), restarting (restart count 7)",
    )
    commits = innocent_commits(
        rng,
        deployed,
        ["pom.xml"],
        ["src/main/java/com/acme/search/analyzers/GermanStemmer.java"],
        ["README.md"],
        [
            "Bump kafka-clients to 3.8.1",
            "Handle sharp s in the German stemmer",
            "README: local setup with podman",
        ],
    )
    heap = [round(1200 + 21.5 * i + rng.uniform(-40, 40)) for i in range(120)]
    heap[-6:] = [3990, 4010, 4050, 4071, 4090, 1350]
    return scenario(
        "indexer-heap-leak",
        "Heap of the indexer grows steadily for days since its last deploy until GC "
        "thrashes and pods are OOMKilled; recent commits are unrelated.",
        deployment_id="search-indexer-2.19.0",
        service="search-indexer",
        deployed=deployed,
        started=onset,
        logs=log.lines(),
        metrics={
            "jvm_heap_used_mb": {
                "points": points(onset - timedelta(hours=19, minutes=50), 600, heap),
                "unit": "MB",
            },
            "gc_pause_seconds_per_minute": {
                "baseline": [0.4, 0.5, 0.3],
                "current": [18.2, 24.9, 31.0],
            },
            "index_throughput_docs_per_s": {
                "baseline": wobble(rng, 1800, 5, 0.1, 0),
                "current": wobble(rng, 420, 5, 0.3, 0),
            },
            "container_restarts": 7,
        },
        commits=commits,
        config={
            "jvm": {"xmx_mb": 4096, "gc": "G1"},
            "cache": {"term_stats": {"enabled": True}},
            "kafka": {"topic": "catalog.changes", "max_poll_records": 500},
        },
        category="resource_exhaustion",
        suspects=[
            "jvm_heap_used_mb",
            "OutOfMemoryError",
            "TermStatsCache",
            "search-indexer-1",
        ],
    )


def exporter_disk_full() -> dict:
    """report-exporter (Python, plain logging): the scratch volume fills up."""
    rng = random.Random("exporter_disk_full")
    deployed = parse("2026-09-01T06:00:00Z")
    onset = deployed + timedelta(hours=9, minutes=40)
    start, end = onset - timedelta(minutes=30), onset + timedelta(minutes=12)
    log = Log()
    host = "ip-10-20-3-44"

    def pl(dt, level, name, msg):
        return f"{py_ts(dt)} {host} {name}[{rng.randint(1200, 1300)}] {level}: {msg}"

    for dt in every(start, end, 60, 1000, rng):
        log.add(dt, pl(dt, "INFO", "exporter.scheduler", f"queue depth={rng.randint(0, 6)}"))
    for dt in times(rng, start, end, 45):
        ok = dt < onset
        if ok:
            log.add(
                dt,
                pl(
                    dt,
                    "INFO",
                    "exporter.jobs",
                    f"export {rng.randint(10**5, 10**6)} written "
                    f"rows={rng.randint(10**4, 10**6)} format=parquet",
                ),
            )
    for dt in times(rng, start, end, 4):
        log.add(dt, pl(dt, "WARNING", "exporter.s3", "multipart upload retried part=3"))
    for dt in times(rng, onset - timedelta(minutes=20), onset, 4):
        log.add(
            dt,
            pl(
                dt,
                "WARNING",
                "exporter.jobs",
                f"scratch space low: /var/lib/exporter/tmp {rng.randint(1, 4)}% free",
            ),
        )
    for dt in times(rng, onset, end, 15):
        jid = rng.randint(10**5, 10**6)
        log.add(
            dt,
            pl(dt, "ERROR", "exporter.jobs", f"export {jid} failed"),
            "Traceback (most recent call last):",
            '  File "/opt/exporter/exporter/jobs.py", line 203, in run',
            "    writer.write_table(batch)",
            '  File "/opt/exporter/exporter/sinks/parquet.py", line 58, in write_table',
            "    self._fh.write(buf)",
            f"OSError: [Errno 28] No space left on device: "
            f"'/var/lib/exporter/tmp/export-{jid}.parquet'",
        )
    commits = innocent_commits(
        rng,
        deployed,
        ["requirements.txt"],
        ["exporter/formats/csv.py"],
        ["docs/formats.md"],
        [
            "Bump pyarrow from 16.1.0 to 17.0.0",
            "Quote CSV headers consistently",
            "Document export formats",
        ],
    )
    disk = [round(min(100.0, 62 + 0.9 * i + rng.uniform(-0.4, 0.4)), 1) for i in range(42)]
    return scenario(
        "exporter-disk-full",
        "Temporary export files are never removed; the scratch volume on one host "
        "fills up and every export fails with ENOSPC.",
        deployment_id="report-exporter-0.31.2",
        service="report-exporter",
        deployed=deployed,
        started=onset,
        logs=log.lines(),
        metrics={
            "disk_used_percent": {
                "points": points(onset - timedelta(minutes=41), 60, disk),
                "unit": "%",
            },
            "exports_completed_per_minute": {
                "baseline": wobble(rng, 6, 5, 0.3, 0),
                "current": [0, 0, 0],
            },
            "cpu_utilization": wobble(rng, 45, 20, 0.3, 0),
            "memory_rss_mb": wobble(rng, 880, 20, 0.05, 0),
        },
        commits=commits,
        config={
            "scratch_dir": "/var/lib/exporter/tmp",
            "workers": 4,
            "s3": {"bucket": "acme-exports", "multipart_mb": 64},
        },
        category="resource_exhaustion",
        suspects=["disk_used_percent", "ip-10-20-3-44", "/var/lib/exporter"],
    )


def public_api_surge() -> dict:
    """public-api (Node/Express + nginx): a client's retry loop multiplies search traffic."""
    rng = random.Random("public_api_surge")
    deployed = parse("2026-12-01T17:20:00Z")
    onset = deployed + timedelta(minutes=26)
    start, end = deployed - timedelta(minutes=12), onset + timedelta(minutes=10)
    log = Log()

    def ng(dt, ip, path, status, rt, ua):
        size = rng.randint(200, 6000)
        return f'{ip} - - [{clf_ts(dt)}] "GET {path} HTTP/1.1" {status} {size} "-" "{ua}" {rt:.3f}'

    for dt in every(start, end, 30, 500, rng):
        log.add(dt, ng(dt, "10.0.0.2", "/healthz", 200, 0.001, "kube-probe/1.30"))
    for dt in times(rng, start, end, 60):
        log.add(
            dt,
            ng(
                dt,
                f"{rng.randint(30, 220)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
                rng.choice(["/v2/products/123", "/v2/search?q=lamp", "/v2/categories"]),
                200,
                rng.uniform(0.02, 0.2),
                "Mozilla/5.0",
            ),
        )
    for dt in times(rng, onset, end, 110):
        status = rng.choice([200, 200, 429, 429, 429, 503])
        log.add(
            dt,
            ng(
                dt,
                f"203.0.113.{rng.randint(10, 40)}",
                f"/v2/search?q={rng.choice(['sofa', 'desk', 'lamp', 'rug'])}"
                f"&page={rng.randint(1, 50)}",
                status,
                rng.uniform(0.3, 2.5),
                "okhttp/4.12.0 shopsync/3.2",
            ),
        )
    for dt in times(rng, onset + timedelta(minutes=1), end, 8):
        log.add(
            dt,
            jline(
                level="warn", time=iso(dt), msg="event loop lag high", lagMs=rng.randint(180, 900)
            ),
        )
    for dt in times(rng, onset + timedelta(minutes=2), end, 5):
        log.add(
            dt,
            jline(
                level="error",
                time=iso(dt),
                msg="load shedding active",
                inflight=rng.randint(900, 1200),
                limit=800,
            ),
        )
    for dt in times(rng, start, end, 3):
        log.add(
            dt,
            jline(
                level="warn",
                time=iso(dt),
                msg="deprecated query param 'sort_by' used",
                path="/v2/search",
            ),
        )
    commits = innocent_commits(
        rng,
        deployed,
        ["package-lock.json"],
        ["src/routes/categories.ts"],
        ["openapi/CHANGELOG.md"],
        [
            "chore(deps): bump express from 4.19.2 to 4.21.1",
            "Cache category tree for 60s",
            "Note the sort_by deprecation in the changelog",
        ],
    )
    mstart = onset - timedelta(minutes=38)
    return scenario(
        "public-api-surge",
        "One integration client hammers /v2/search from a small address range; "
        "request "
        "rate goes up sixfold, event loop lag and load shedding follow.",
        deployment_id="public-api-2026-12-01-b",
        service="public-api",
        deployed=deployed,
        started=onset,
        logs=log.lines(),
        metrics={
            "requests_per_second": {
                "points": points(
                    mstart,
                    60,
                    wobble(rng, 820, 38, 0.08, 0) + ramp(rng, 4200, 5400, 10, 0.06, 0),
                )
            },
            "http_429_per_second": {
                "points": points(mstart, 60, [0] * 38 + ramp(rng, 900, 2100, 10, 0.1, 0))
            },
            "cpu_utilization": {
                "baseline": wobble(rng, 40, 5, 0.15, 0),
                "current": wobble(rng, 96, 5, 0.02, 0),
                "unit": "%",
            },
            "latency_p99_ms": {
                "baseline": wobble(rng, 160, 5, 0.1, 0),
                "current": wobble(rng, 2300, 5, 0.2, 0),
            },
        },
        commits=commits,
        config={
            "rate_limit": {"per_ip_rps": 20, "burst": 40},
            "shedding": {"max_inflight": 800},
        },
        category="traffic_surge",
        suspects=["requests_per_second", "/v2/search", "203.0.113"],
    )


def shipping_cert_expired() -> dict:
    """shipping-quotes (Go, zap JSON): the mTLS client certificate for a carrier API expired."""
    rng = random.Random("shipping_cert_expired")
    deployed = parse("2026-11-02T10:00:00Z")
    expiry = parse("2026-11-05T00:00:00Z")
    start, end = expiry - timedelta(minutes=20), expiry + timedelta(minutes=15)
    log = Log()

    for dt in every(start, end, 20, 600, rng):
        log.add(dt, zap(dt, "debug", "http/server.go:44", "GET /health 200"))
    for dt in times(rng, start, end, 60):
        carrier = rng.choice(["carrierlink", "parcelnow", "carrierlink", "swiftpost"])
        if carrier == "carrierlink" and dt >= expiry:
            continue
        log.add(
            dt,
            zap(
                dt,
                "info",
                "quotes/quote.go:73",
                "quote ok",
                carrier=carrier,
                ms=rng.randint(90, 600),
                zone=rng.choice(["EU1", "EU2", "UK"]),
            ),
        )
    for dt in times(rng, start, end, 4):
        log.add(
            dt,
            zap(
                dt,
                "warn",
                "quotes/quote.go:91",
                "carrier quote slow",
                carrier="swiftpost",
                ms=rng.randint(2000, 3000),
            ),
        )
    for dt in times(rng, expiry, end, 30):
        log.add(
            dt,
            zap(
                dt,
                "error",
                "carriers/carrierlink/client.go:118",
                "quote request failed",
                carrier="carrierlink",
                error='Post "https://api.carrierlink.com/v3/rates": remote error: tls: expired '
                "certificate",
            ),
        )
    for dt in times(rng, expiry + timedelta(minutes=1), end, 5):
        log.add(
            dt,
            zap(
                dt,
                "warn",
                "quotes/quote.go:102",
                "returning partial quote set",
                missing=["carrierlink"],
            ),
        )
    commits = innocent_commits(
        rng,
        deployed,
        ["go.sum", "go.mod"],
        ["carriers/swiftpost/zones.go"],
        ["docs/carriers.md"],
        [
            "build(deps): bump google.golang.org/grpc from 1.67.0 to 1.67.1",
            "swiftpost: add zone UK-NI",
            "docs: carrier onboarding checklist",
        ],
    )
    return scenario(
        "shipping-cert-expired",
        "The client certificate used for mutual TLS with one carrier expires at "
        "midnight; that carrier refuses every handshake while the others keep quoting.",
        deployment_id="shipping-quotes-5.2.1",
        service="shipping-quotes",
        deployed=deployed,
        started=expiry,
        logs=log.lines(),
        metrics={
            "carrier_quote_errors_per_minute": {
                "points": points(
                    start, 60, wobble(rng, 1, 20, 0.9, 0) + wobble(rng, 55, 15, 0.15, 0)
                )
            },
            "quotes_per_minute": wobble(rng, 400, 20, 0.08, 0),
            "quote_latency_p95_ms": {
                "baseline": wobble(rng, 650, 5, 0.1, 0),
                "current": wobble(rng, 610, 5, 0.1, 0),
            },
        },
        commits=commits,
        config={
            "carriers": {
                "carrierlink": {
                    "base_url": "https://api.carrierlink.com/v3",
                    "client_cert": "/etc/certs/carrierlink/client.pem",
                    "client_key": "/etc/certs/carrierlink/client.key",
                },
                "parcelnow": {"base_url": "https://api.parcelnow.eu"},
                "swiftpost": {"base_url": "https://rates.swiftpost.co.uk"},
            }
        },
        category="certificate_or_credentials",
        suspects=["api.carrierlink.com", "carriers.carrierlink.client_cert", "carrierlink"],
    )


def router_dns_failures() -> dict:
    """order-router (Go, mixed): cluster DNS times out; lookups of unrelated services fail."""
    rng = random.Random("router_dns_failures")
    deployed = parse("2026-06-30T08:00:00Z")
    onset = deployed + timedelta(hours=6, minutes=33)
    start, end = onset - timedelta(minutes=20), onset + timedelta(minutes=12)
    log = Log()
    targets = [
        "inventory.internal.svc.cluster.local",
        "pricing.internal.svc.cluster.local",
        "payments.internal.svc.cluster.local",
        "kafka-0.kafka.svc.cluster.local",
    ]

    for dt in every(start, end, 15, 400, rng):
        log.add(dt, logfmt(ts=iso(dt), level="debug", msg="probe ok"))
    for dt in times(rng, start, end, 70):
        if dt > onset and rng.random() < 0.5:
            continue
        log.add(
            dt,
            logfmt(
                ts=iso(dt),
                level="info",
                msg="order routed",
                order=f"o-{rng.randint(10**6, 10**7)}",
                dc=rng.choice(["eu-west-1a", "eu-west-1b"]),
                ms=rng.randint(20, 140),
            ),
        )
    for dt in times(rng, onset, end, 34):
        host = rng.choice(targets)
        kind = rng.choice(["i/o timeout", "i/o timeout", "server misbehaving"])
        log.add(
            dt,
            logfmt(
                ts=iso(dt),
                level="error",
                msg="upstream call failed",
                upstream=host.split(".")[0],
                err=f"dial tcp: lookup {host} on 10.96.0.10:53: read udp "
                f"10.244.{rng.randint(1, 9)}.{rng.randint(2, 250)}:{rng.randint(30000, 60000)}"
                f"->10.96.0.10:53: {kind}"
                if kind == "i/o timeout"
                else f"dial tcp: lookup {host} on 10.96.0.10:53: {kind}",
            ),
        )
    for dt in times(rng, onset + timedelta(minutes=1), end, 5):
        log.add(
            dt,
            go_std(
                dt,
                "kafka: client/metadata fetching metadata for all topics from broker "
                "kafka-0.kafka.svc.cluster.local:9092: dial tcp: lookup "
                "kafka-0.kafka.svc.cluster.local: i/o timeout",
            ),
        )
    for dt in times(rng, start, end, 4):
        log.add(
            dt,
            logfmt(
                ts=iso(dt),
                level="warn",
                msg="slow consumer",
                topic="orders.created",
                lag=rng.randint(100, 400),
            ),
        )
    commits = innocent_commits(
        rng,
        deployed,
        ["go.mod", "go.sum"],
        ["internal/routing/weights.go", "internal/routing/weights_test.go"],
        ["docs/routing.md"],
        [
            "build(deps): bump github.com/IBM/sarama from 1.43.2 to 1.43.3",
            "routing: read weights once per request",
            "docs: routing weights",
        ],
    )
    return scenario(
        "router-dns-failures",
        "Cluster DNS stops answering in time: lookups of several unrelated internal "
        "services and of Kafka fail from order-router; the code did not change.",
        deployment_id="order-router-9.4.0",
        service="order-router",
        deployed=deployed,
        started=onset,
        logs=log.lines(),
        metrics={
            "coredns_request_duration_p99_ms": {
                "baseline": wobble(rng, 3, 5, 0.3, 1),
                "current": wobble(rng, 2000, 5, 0.05, 0),
            },
            "coredns_pods_ready": {"baseline": 2, "current": 0},
            "orders_routed_per_minute": {
                "baseline": wobble(rng, 640, 5, 0.08, 0),
                "current": wobble(rng, 290, 5, 0.2, 0),
            },
            "cpu_utilization": wobble(rng, 28, 20, 0.2, 0),
        },
        commits=commits,
        config={
            "upstreams": {t.split(".")[0]: {"host": t} for t in targets},
            "dns": {"ndots": 5},
        },
        category="infrastructure",
        suspects=["coredns", "10.96.0.10", "dns"],
    )


SCENARIOS = [
    indexer_heap_leak,
    exporter_disk_full,
    public_api_surge,
    shipping_cert_expired,
    router_dns_failures,
]
