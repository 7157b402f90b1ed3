"""More generators: a Go panic, fd exhaustion and expired credentials, for diversity of
languages, formats and names."""

# Stack frames and log lines are data, kept verbatim even past the line length.
# ruff: noqa: E501

from __future__ import annotations

import random
from datetime import timedelta

from common import (
    Log,
    commit,
    every,
    go_std,
    innocent_commits,
    iso,
    jline,
    logfmt,
    parse,
    points,
    ramp,
    scenario,
    sha,
    times,
    wobble,
)


def geo_nil_map_panic() -> dict:
    """geo-service (Go, std log): a new cache writes to a nil map; handlers panic."""
    rng = random.Random("geo_nil_map_panic")
    deployed = parse("2026-05-04T10:05:00Z")
    start, end = deployed - timedelta(minutes=20), deployed + timedelta(minutes=12)
    log = Log()

    for dt in every(start, end, 20, 500, rng):
        log.add(dt, go_std(dt, "GET /healthz 200 112µs"))
    for dt in times(rng, start, end, 60):
        path = rng.choice(["/v1/geocode", "/v1/reverse", "/v1/timezone"])
        if dt > deployed and path == "/v1/timezone" and rng.random() < 0.7:
            continue
        log.add(dt, go_std(dt, f"GET {path} 200 {rng.randint(3, 45)}.{rng.randint(100, 999)}ms"))
    for dt in times(rng, start, end, 5):
        log.add(
            dt, go_std(dt, f"geocode: provider cache warm, {rng.randint(90000, 99000)} entries")
        )
    for dt in times(rng, deployed + timedelta(seconds=40), end, 12):
        gid = rng.randint(1000, 9000)
        log.add(
            dt,
            go_std(
                dt,
                f"http: panic serving 10.2.{rng.randint(0, 9)}.{rng.randint(2, 250)}:{rng.randint(30000, 60000)}: assignment to entry in nil map",
            ),
            f"goroutine {gid} [running]:",
            "net/http.(*conn).serve.func1()",
            "\t/usr/local/go/src/net/http/server.go:1903 +0xbe",
            "panic({0x8a1b20?, 0xa0c1f0?})",
            "\t/usr/local/go/src/runtime/panic.go:770 +0x132",
            "github.com/acme/geo/internal/tz.(*Cache).Put(...)",
            "\t/src/internal/tz/cache.go:41",
            "github.com/acme/geo/internal/tz.(*Resolver).Lookup(0xc000134000, {0xc0001a2000, 0x5})",
            "\t/src/internal/tz/resolver.go:63 +0x1d4",
            "github.com/acme/geo/internal/api.(*Handler).Timezone(0xc00011e0f0, {0xa12f40, 0xc0002b41c0}, 0xc0001f2000)",
            "\t/src/internal/api/timezone.go:29 +0x9a",
        )
    culprit = sha(rng)
    commits = [
        commit(
            culprit,
            "tz: cache resolved zones per region\n\nCuts p50 of /v1/timezone by ~40% in the benchmark.",
            "a.kowalski",
            deployed - timedelta(minutes=33),
            [
                {
                    "filename": "internal/tz/cache.go",
                    "status": "added",
                    "additions": 52,
                    "deletions": 0,
                    "patch": "@@ -0,0 +1,52 @@\n+type Cache struct {\n+\tmu    sync.RWMutex\n+\tzones map[string]*time.Location\n+}\n+\n+func (c *Cache) Put(key string, loc *time.Location) {\n+\tc.mu.Lock()\n+\tdefer c.mu.Unlock()\n+\tc.zones[key] = loc\n+}",
                },
                {
                    "filename": "internal/tz/resolver.go",
                    "status": "modified",
                    "additions": 9,
                    "deletions": 3,
                },
                {
                    "filename": "internal/tz/cache_bench_test.go",
                    "status": "added",
                    "additions": 30,
                    "deletions": 0,
                },
            ],
        ),
        commit(
            sha(rng),
            "geocode: rename provider option structs",
            "s.ngata",
            deployed - timedelta(hours=3),
            ["internal/geocode/options.go", "internal/geocode/provider.go"],
        ),
        commit(
            sha(rng),
            "build(deps): bump golang.org/x/text from 0.16.0 to 0.17.0",
            "dependabot[bot]",
            deployed - timedelta(hours=18),
            ["go.mod", "go.sum"],
        ),
        commit(
            sha(rng),
            "docs: timezone endpoint examples",
            "s.ngata",
            deployed - timedelta(hours=20),
            ["docs/timezone.md"],
        ),
    ]
    return scenario(
        "geo-nil-map-panic",
        "A new timezone cache is never initialised; every cache write panics and "
        "the timezone endpoint fails while the others keep working.",
        deployment_id="geo-service-v0.44.0",
        service="geo-service",
        deployed=deployed,
        logs=log.lines(),
        metrics={
            "http_responses_5xx_per_second": {
                "baseline": [0, 0, 0.1, 0],
                "current": [4.2, 5.1, 4.8, 5.5],
            },
            "http_request_duration_p50_ms": {
                "baseline": wobble(rng, 11, 6, 0.2, 1),
                "current": wobble(rng, 10, 6, 0.2, 1),
            },
            "go_goroutines": wobble(rng, 220, 16, 0.15, 0),
        },
        commits=commits,
        config={
            "listen": ":8080",
            "geocode": {"provider": "nominatim", "cache_size": 100000},
        },
        category="code_regression",
        suspects=[culprit[:9]],
    )


def image_proxy_fd_leak() -> dict:
    """image-proxy (Go, logfmt): sockets to origins leak for days until accept fails."""
    rng = random.Random("image_proxy_fd_leak")
    deployed = parse("2026-03-27T09:30:00Z")
    onset = deployed + timedelta(days=4, hours=3)
    start, end = onset - timedelta(minutes=30), onset + timedelta(minutes=10)
    log = Log()
    host = "image-proxy-2"

    for dt in every(start, end, 15, 400, rng):
        ok = dt < onset or rng.random() < 0.3
        log.add(
            dt, logfmt(t=iso(dt), lvl="debug" if ok else "warn", host=host, msg="readiness", ok=ok)
        )
    for dt in times(rng, start, end, 70):
        if dt > onset and rng.random() < 0.6:
            continue
        log.add(
            dt,
            logfmt(
                t=iso(dt),
                lvl="info",
                host=host,
                msg="served",
                path=f"/img/{rng.randint(10**5, 10**6)}.webp",
                w=rng.choice([320, 640, 1280]),
                cache=rng.choice(["hit", "hit", "miss"]),
                ms=rng.randint(2, 90),
            ),
        )
    for dt in times(rng, start, end, 4):
        log.add(
            dt,
            logfmt(
                t=iso(dt),
                lvl="warn",
                host=host,
                msg="origin slow",
                origin="cdn-origin.media.internal",
                ms=rng.randint(900, 1500),
            ),
        )
    for dt in times(rng, onset - timedelta(minutes=6), end, 26):
        log.add(
            dt,
            go_std(
                dt,
                "http: Accept error: accept tcp [::]:8080: accept4: too many open files; retrying in 1s",
            ),
        )
    for dt in times(rng, onset - timedelta(minutes=4), end, 10):
        log.add(
            dt,
            logfmt(
                t=iso(dt),
                lvl="error",
                host=host,
                msg="origin fetch failed",
                err="dial tcp 10.30.2.8:443: socket: too many open files",
                origin="cdn-origin.media.internal",
            ),
        )
    commits = innocent_commits(
        rng,
        deployed,
        ["go.mod", "go.sum"],
        ["internal/resize/avif.go", "internal/resize/avif_test.go"],
        ["README.md"],
        [
            "build(deps): bump golang.org/x/image from 0.18.0 to 0.19.0",
            "resize: add AVIF encoder behind Accept negotiation",
            "README: cache headers",
        ],
    )
    fds = [round(min(1024, 180 + 1.75 * i + rng.uniform(-6, 6))) for i in range(480)]
    return scenario(
        "image-proxy-fd-leak",
        "Origin connections are not always closed; open descriptors on one proxy "
        "creep up for days until accept() fails with EMFILE.",
        deployment_id="image-proxy-3.2.0",
        service="image-proxy",
        deployed=deployed,
        started=onset,
        logs=log.lines(),
        metrics={
            "process_open_fds": {"points": points(onset - timedelta(hours=8), 60, fds)},
            "process_max_fds": 1024,
            "served_per_second": {
                "baseline": wobble(rng, 310, 5, 0.1, 0),
                "current": wobble(rng, 120, 5, 0.2, 0),
            },
            "memory_rss_mb": wobble(rng, 240, 20, 0.05, 0),
        },
        commits=commits,
        config={
            "origin": {"host": "cdn-origin.media.internal", "idle_conns": 64},
            "limits": {"nofile": 1024},
        },
        category="resource_exhaustion",
        suspects=["process_open_fds", "image-proxy-2", "limits.nofile"],
    )


def stock_sync_expired_token() -> dict:
    """stock-sync (Python, JSON): the Vault agent stops renewing; S3 calls get ExpiredToken."""
    rng = random.Random("stock_sync_expired_token")
    deployed = parse("2026-02-02T08:00:00Z")
    onset = deployed + timedelta(hours=12)
    start, end = onset - timedelta(minutes=30), onset + timedelta(minutes=15)
    log = Log()

    def j(dt, level, logger, msg, **kw):
        return jline(time=iso(dt), level=level, logger=logger, msg=msg, **kw)

    for dt in every(start, end, 60, 900, rng):
        log.add(dt, j(dt, "INFO", "stock_sync.scheduler", "tick", pending=rng.randint(0, 4)))
    for dt in times(rng, start, end, 40):
        if dt > onset:
            continue
        log.add(
            dt,
            j(
                dt,
                "INFO",
                "stock_sync.snapshot",
                "snapshot uploaded",
                bucket="acme-stock-snapshots",
                key=f"wh/{rng.choice(['ams1', 'fra2', 'dub1'])}/{rng.randint(10**6, 10**7)}.json.gz",
                bytes=rng.randint(10**5, 10**6),
            ),
        )
    for dt in times(rng, start, end, 20):
        log.add(
            dt,
            j(
                dt,
                "INFO",
                "stock_sync.wms",
                "stock levels fetched",
                warehouse=rng.choice(["AMS1", "FRA2", "DUB1"]),
                skus=rng.randint(3000, 9000),
            ),
        )
    for dt in times(rng, onset - timedelta(minutes=25), onset, 5):
        log.add(
            dt,
            f'{iso(dt)} [WARN]  vault-agent: (auth.handler) error authenticating: error="Error making API request. '
            'Code: 403. Errors: * permission denied" backoff=' + f"{rng.randint(2, 60)}s",
        )
    for dt in times(rng, onset, end, 22):
        log.add(
            dt,
            j(
                dt,
                "ERROR",
                "stock_sync.snapshot",
                "upload failed",
                exc_info="Traceback (most recent call last):\n"
                '  File "/app/stock_sync/snapshot.py", line 77, in upload\n'
                "    self._s3.put_object(Bucket=bucket, Key=key, Body=body)\n"
                '  File "/usr/local/lib/python3.12/site-packages/botocore/client.py", line 1021, in _make_api_call\n'
                "    raise error_class(parsed_response, operation_name)\n"
                "botocore.exceptions.ClientError: An error occurred (ExpiredToken) when calling the "
                "PutObject operation: The provided token has expired.",
            ),
        )
    commits = innocent_commits(
        rng,
        deployed,
        ["requirements.txt"],
        ["stock_sync/wms.py"],
        ["docs/runbook.md"],
        [
            "Bump boto3 from 1.35.10 to 1.35.20",
            "wms: page through stock levels 500 at a time",
            "runbook: snapshot retention",
        ],
    )
    return scenario(
        "stock-sync-expired-token",
        "The Vault agent can no longer renew the AWS credentials it hands the service; "
        "once the last session token expires every S3 upload is refused.",
        deployment_id="stock-sync-2026.02.02",
        service="stock-sync",
        deployed=deployed,
        started=onset,
        logs=log.lines(),
        metrics={
            "snapshot_upload_errors_per_minute": {
                "points": points(start, 60, [0] * 30 + ramp(rng, 8, 14, 15, 0.2, 0))
            },
            "wms_fetch_latency_p95_ms": wobble(rng, 820, 20, 0.12, 0),
            "cpu_utilization": wobble(rng, 18, 20, 0.3, 0),
        },
        commits=commits,
        config={
            "aws": {
                "region": "eu-west-1",
                "credentials_source": "vault-agent",
                "role": "stock-sync-writer",
            },
            "s3": {"bucket": "acme-stock-snapshots"},
        },
        category="certificate_or_credentials",
        suspects=[
            "ExpiredToken",
            "vault-agent",
            "aws.credentials_source",
            "stock-sync-writer",
        ],
    )


SCENARIOS = [geo_nil_map_panic, image_proxy_fd_leak, stock_sync_expired_token]
