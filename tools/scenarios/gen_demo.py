"""Generator of the demo scenario, incident_b (checkout-api, Python)."""

# Stack frames and log lines are data, kept verbatim even past the line length.
# ruff: noqa: UP031

from __future__ import annotations

import random
from datetime import timedelta

from common import (
    Log,
    commit,
    every,
    parse,
    points,
    py_ts,
    ramp,
    scenario,
    sha,
    times,
    wobble,
)


def incident_b() -> dict:
    """checkout-api (Python): a commit rewrites order persistence and shrinks the DB pool."""
    rng = random.Random("incident_b")
    deployed = parse("2026-11-20T14:02:00Z")
    start, end = deployed - timedelta(minutes=22), deployed + timedelta(minutes=14)
    hosts = ["checkout-api-6d9f7b-2xkqp", "checkout-api-6d9f7b-8mzrt", "checkout-api-6d9f7b-q4wlc"]
    log = Log()

    def line(dt, level, logger, msg, host=None):
        host = host or rng.choice(hosts)
        return f"{py_ts(dt)} {level:<7} [{logger}] host={host} {msg}"

    for dt in every(start, end, 30, 900, rng):
        log.add(
            dt, line(dt, "INFO", "gunicorn.access", '10.8.0.4 "GET /healthz HTTP/1.1" 200 2 0.001')
        )
    for dt in times(rng, start, end, 70):
        path = rng.choice(["/v1/cart", "/v1/checkout", "/v1/orders/recent", "/v1/cart/items"])
        method = "POST" if path in ("/v1/checkout", "/v1/cart/items") else "GET"
        ms = rng.randint(40, 190) if dt < deployed else rng.randint(60, 400)
        status = 200 if method == "GET" else 201
        log.add(
            dt,
            line(
                dt,
                "INFO",
                "gunicorn.access",
                f'10.8.{rng.randint(1, 9)}.{rng.randint(2, 250)} "{method} {path} HTTP/1.1" '
                f"{status} {rng.randint(90, 4000)} {ms / 1000:.3f}",
            ),
        )
    for dt in times(rng, start, end, 10):
        log.add(
            dt,
            line(
                dt,
                "INFO",
                "app.pricing",
                f"price cache refreshed items={rng.randint(1800, 2100)} "
                f"took_ms={rng.randint(30, 90)}",
            ),
        )
    for dt in times(rng, start, end, 5):
        log.add(
            dt,
            line(
                dt,
                "WARNING",
                "app.clients.tax",
                f"tax-service slow response path=/rates region=EU took_ms={rng.randint(900, 1400)}",
            ),
        )
    for dt in times(rng, start, deployed, 2):
        log.add(
            dt,
            line(
                dt,
                "ERROR",
                "app.api.checkout",
                "payment declined order_id=%d reason=card_expired" % rng.randint(880000, 889999),
            ),
        )
    # rollout
    log.add(
        deployed - timedelta(seconds=40),
        line(
            deployed - timedelta(seconds=40),
            "INFO",
            "gunicorn.error",
            "Handling signal: term",
            hosts[0],
        ),
    )
    for i, host in enumerate(hosts):
        dt = deployed + timedelta(seconds=5 + 20 * i)
        log.add(
            dt,
            line(
                dt,
                "INFO",
                "gunicorn.error",
                "Booting worker with pid: %d" % rng.randint(30, 90),
                host,
            ),
            line(
                dt + timedelta(milliseconds=300),
                "INFO",
                "app.db",
                "engine created dialect=postgresql pool=QueuePool size=10 max_overflow=0",
                host,
            ),
        )
    trace = [
        "Traceback (most recent call last):",
        '  File "/srv/app/api/checkout.py", line 88, in create_order',
        "    order = repository.save_order(cart, customer)",
        '  File "/srv/app/orders/repository.py", line 57, in save_order',
        "    with self._session.begin():",
        '  File "/usr/local/lib/python3.11/site-packages/sqlalchemy/orm/session.py", line 1856, in '
        "begin",
        "    trans = self._autobegin_t(begin=True)",
        '  File "/usr/local/lib/python3.11/site-packages/sqlalchemy/pool/impl.py", line 168, in '
        "_do_get",
        "    raise exc.TimeoutError(",
        "sqlalchemy.exc.TimeoutError: QueuePool limit of size 10 overflow 0 reached, connection "
        "timed "
        "out, timeout 30.00 (Background on this error at: https://sqlalche.me/e/20/3o7r)",
    ]
    for dt in times(rng, deployed + timedelta(minutes=3), end, 16):
        oid = rng.randint(890000, 899999)
        log.add(
            dt,
            line(dt, "ERROR", "app.api.checkout", f"order creation failed order_ref={oid}"),
            *trace,
        )
    for dt in times(rng, deployed + timedelta(minutes=4), end, 9):
        log.add(
            dt,
            line(
                dt,
                "INFO",
                "gunicorn.access",
                f'10.8.{rng.randint(1, 9)}.{rng.randint(2, 250)} "POST /v1/checkout HTTP/1.1" 503 '
                f"61 {rng.uniform(29.5, 31):.3f}",
            ),
        )
    for dt in times(rng, deployed + timedelta(minutes=5), end, 4):
        log.add(
            dt,
            line(dt, "WARNING", "gunicorn.error", "WORKER TIMEOUT (pid:%d)" % rng.randint(30, 90)),
        )
    culprit, docs, refactor, bump = sha(rng), sha(rng), sha(rng), sha(rng)
    commits = [
        commit(
            culprit,
            "Persist orders in a single transaction with retries\n\n"
            "Order rows and line items were written in separate commits, which left "
            "orphans when the second write failed. Also trims the pool settings to "
            "what staging uses.",
            "m.okafor",
            deployed - timedelta(minutes=41),
            [
                {
                    "filename": "app/orders/repository.py",
                    "status": "modified",
                    "additions": 31,
                    "deletions": 12,
                    "patch": "@@ -49,14 +49,33 @@ class OrderRepository:\n     def "
                    "save_order(self, cart, customer):\n"
                    "-        order = Order.from_cart(cart, customer)\n-        "
                    "self._session.add(order)\n"
                    "-        self._session.commit()\n+        for attempt in range(3):\n"
                    "+            try:\n+                with self._session.begin():\n"
                    "+                    order = Order.from_cart(cart, customer)\n"
                    "+                    self._session.add(order)\n"
                    "+                    self._reserve_stock(order)  # calls inventory over HTTP\n"
                    "+                    self._session.add_all(order.line_items)\n"
                    "+                return order\n+            except OperationalError:\n"
                    "+                time.sleep(0.5 * (attempt + 1))\n+        raise "
                    "OrderNotSaved(cart.id)",
                },
                {
                    "filename": "app/api/checkout.py",
                    "status": "modified",
                    "additions": 4,
                    "deletions": 2,
                    "patch": "@@ -85,6 +85,8 @@ def create_order(request):\n-    order = "
                    "save_order(cart, customer)\n"
                    "+    order = repository.save_order(cart, customer)",
                },
                {
                    "filename": "config/production.yaml",
                    "status": "modified",
                    "additions": 2,
                    "deletions": 2,
                    "patch": "@@ -10,8 +10,8 @@ database:\n   host: pg-checkout.internal\n-  "
                    "pool_size: 50\n"
                    "-  max_overflow: 20\n+  pool_size: 10\n+  max_overflow: 0\n   pool_timeout_s: "
                    "30",
                },
            ],
        ),
        commit(
            docs,
            "Update checkout on-call runbook with new dashboard links",
            "j.ruiz",
            deployed - timedelta(minutes=95),
            [
                {
                    "filename": "docs/runbooks/checkout.md",
                    "status": "modified",
                    "additions": 14,
                    "deletions": 3,
                }
            ],
        ),
        commit(
            refactor,
            "Extract currency formatting into app/utils/money.py",
            "s.lindqvist",
            deployed - timedelta(minutes=130),
            [
                {
                    "filename": "app/utils/money.py",
                    "status": "added",
                    "additions": 48,
                    "deletions": 0,
                },
                {
                    "filename": "app/emails/receipt.py",
                    "status": "modified",
                    "additions": 3,
                    "deletions": 29,
                },
            ],
        ),
        commit(
            bump,
            "Bump structlog from 24.1.0 to 24.4.0",
            "dependabot[bot]",
            deployed - timedelta(hours=20),
            [
                {
                    "filename": "requirements.txt",
                    "status": "modified",
                    "additions": 1,
                    "deletions": 1,
                    "patch": "@@ -21 +21 @@\n-structlog==24.1.0\n+structlog==24.4.0",
                }
            ],
        ),
    ]
    config = {
        "database": {
            "host": "pg-checkout.internal",
            "pool_size": 10,
            "max_overflow": 0,
            "pool_timeout_s": 30,
        },
        "http": {"workers": 4, "timeout_s": 30},
        "clients": {
            "inventory": {"base_url": "http://inventory.internal", "timeout_s": 2},
            "tax": {"base_url": "http://tax.internal", "timeout_s": 3},
        },
        "features": {"express_checkout": True, "gift_cards": False},
    }
    prev = {**config, "database": {**config["database"], "pool_size": 50, "max_overflow": 20}}
    mstart = deployed - timedelta(minutes=20)
    lat = wobble(rng, 180, 10, 0.12, 0) + [210, 640] + ramp(rng, 1500, 2600, 8, 0.1, 0)
    err = wobble(rng, 0.25, 10, 0.4, 2) + [0.3, 1.9] + ramp(rng, 5.5, 9.0, 8, 0.15, 2)
    conns = wobble(rng, 21, 10, 0.2, 0) + [10.0] * 10
    return scenario(
        "incident_b",
        "checkout-api deploy rewrites order persistence (longer transactions that "
        "call inventory inside) and shrinks the DB pool in the same commit; pool "
        "timeouts and 503s follow.",
        deployment_id="deploy-2026-11-20-1402",
        service="checkout-api",
        deployed=deployed,
        started=deployed + timedelta(minutes=3),
        logs=log.lines(),
        metrics={
            "latency_p99_ms": {"points": points(mstart, 120, lat), "unit": "ms"},
            "error_rate": {"points": points(mstart, 120, err), "unit": "%"},
            "db_connections_in_use": {"points": points(mstart, 120, conns)},
            "requests_per_second": {
                "baseline": wobble(rng, 420, 6, 0.08, 0),
                "current": wobble(rng, 410, 6, 0.1, 0),
            },
            "cpu_utilization": {
                "baseline": wobble(rng, 38, 6, 0.15, 0),
                "current": wobble(rng, 33, 6, 0.2, 0),
                "unit": "%",
            },
            "memory_rss_mb": wobble(rng, 612, 12, 0.03, 0),
        },
        commits=commits,
        config=config,
        previous_config=prev,
        category=["code_regression", "config_change"],
        suspects=[culprit[:7], "database.pool_size", "database.max_overflow"],
    )


SCENARIOS = [incident_b]
