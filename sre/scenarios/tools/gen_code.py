"""Generators for the code-regression scenarios (including the demo, incident_b)."""

# Stack frames and log lines are data, kept verbatim even past the line length.
# ruff: noqa: E501, UP031

from __future__ import annotations

import random
from datetime import timedelta

from common import (
    Log,
    every,
    iso,
    java_ts,
    jline,
    parse,
    pick,
    points,
    py_ts,
    ramp,
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
        host = host or pick(rng, hosts)
        return f"{py_ts(dt)} {level:<7} [{logger}] host={host} {msg}"

    for dt in every(start, end, 30, 900, rng):
        log.add(
            dt, line(dt, "INFO", "gunicorn.access", '10.8.0.4 "GET /healthz HTTP/1.1" 200 2 0.001')
        )
    for dt in times(rng, start, end, 70):
        path = pick(rng, ["/v1/cart", "/v1/checkout", "/v1/orders/recent", "/v1/cart/items"])
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
        {
            "sha": culprit,
            "message": "Persist orders in a single transaction with retries\n\n"
            "Order rows and line items were written in separate commits, which left "
            "orphans when the second write failed. Also trims the pool settings to "
            "what staging uses.",
            "author": "m.okafor",
            "timestamp": iso(deployed - timedelta(minutes=41), ms=False),
            "files": [
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
        },
        {
            "sha": docs,
            "message": "Update checkout on-call runbook with new dashboard links",
            "author": "j.ruiz",
            "timestamp": iso(deployed - timedelta(minutes=95), ms=False),
            "files": [
                {
                    "filename": "docs/runbooks/checkout.md",
                    "status": "modified",
                    "additions": 14,
                    "deletions": 3,
                }
            ],
        },
        {
            "sha": refactor,
            "message": "Extract currency formatting into app/utils/money.py",
            "author": "s.lindqvist",
            "timestamp": iso(deployed - timedelta(minutes=130), ms=False),
            "files": [
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
        },
        {
            "sha": bump,
            "message": "Bump structlog from 24.1.0 to 24.4.0",
            "author": "dependabot[bot]",
            "timestamp": iso(deployed - timedelta(hours=20), ms=False),
            "files": [
                {
                    "filename": "requirements.txt",
                    "status": "modified",
                    "additions": 1,
                    "deletions": 1,
                    "patch": "@@ -21 +21 @@\n-structlog==24.1.0\n+structlog==24.4.0",
                }
            ],
        },
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
    return {
        "name": "incident_b",
        "description": "checkout-api deploy rewrites order persistence (longer transactions that "
        "call inventory inside) and shrinks the DB pool in the same commit; pool "
        "timeouts and 503s follow.",
        "incident": {
            "deployment_id": "deploy-2026-11-20-1402",
            "service": "checkout-api",
            "environment": "production",
            "deployed_at": iso(deployed, ms=False),
            "incident_started_at": iso(deployed + timedelta(minutes=3), ms=False),
            "logs": log.lines(),
            "metrics": {
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
            "recent_commits": commits,
            "config_snapshot": config,
            "previous_config_snapshot": prev,
        },
        "expected": {
            "category": ["code_regression", "config_change"],
            "suspects": [culprit[:7], "database.pool_size", "database.max_overflow"],
        },
    }


def orders_n_plus_one() -> dict:
    """orders-service (Django, JSON logs): serializer change issues one query per line item."""
    rng = random.Random("orders_n_plus_one")
    deployed = parse("2026-10-03T09:40:00Z")
    start, end = deployed - timedelta(minutes=25), deployed + timedelta(minutes=18)
    log = Log()
    pods = ["orders-web-0", "orders-web-1", "orders-web-2", "orders-web-3"]

    def j(dt, level, logger, event, **kw):
        return jline(
            timestamp=iso(dt), level=level, logger=logger, event=event, pod=pick(rng, pods), **kw
        )

    for dt in every(start, end, 20, 2000, rng):
        log.add(dt, j(dt, "debug", "django.server", "GET /health/ 200", duration_ms=1))
    for dt in times(rng, start, end, 60):
        after = dt > deployed + timedelta(minutes=2)
        path = pick(
            rng, ["/api/orders/", "/api/orders/history/", "/api/orders/{id}/", "/api/returns/"]
        )
        dur = (
            rng.randint(35, 160)
            if not after
            else (rng.randint(2200, 9000) if "history" in path else rng.randint(80, 700))
        )
        log.add(
            dt,
            j(
                dt,
                "info",
                "orders.access",
                "request finished",
                method="GET",
                path=path,
                status=200,
                duration_ms=dur,
                user_id=rng.randint(10000, 99999),
            ),
        )
    for dt in times(rng, start, end, 8):
        log.add(
            dt,
            j(
                dt,
                "info",
                "orders.tasks",
                "celery beat scheduled",
                task="orders.tasks.expire_carts",
            ),
        )
    for dt in times(rng, start, end, 4):
        log.add(
            dt,
            j(
                dt,
                "warning",
                "orders.returns",
                "return window lookup used fallback policy",
                merchant_id=rng.randint(100, 400),
            ),
        )
    for dt in times(rng, deployed + timedelta(minutes=2), end, 30):
        q = rng.randint(180, 420)
        log.add(
            dt,
            j(
                dt,
                "warning",
                "orders.db",
                "slow request query count",
                path="/api/orders/history/",
                queries=q,
                db_time_ms=rng.randint(1900, 8700),
            ),
        )
    for dt in times(rng, deployed + timedelta(minutes=2), end, 14):
        log.add(
            dt,
            f"{iso(dt)} pg-orders-primary postgres[{rng.randint(20000, 29999)}]: LOG:  duration: "
            f'{rng.uniform(1.1, 4.5):.3f} ms  statement: SELECT "catalog_product"."id", '
            f'"catalog_product"."sku", "catalog_product"."thumbnail_url" FROM '
            f'"catalog_product" WHERE "catalog_product"."id" = {rng.randint(1000, 90000)} LIMIT 21',
        )
    exc = (
        "Traceback (most recent call last):\n"
        '  File "/app/orders/views.py", line 74, in history\n    return Response(serializer.data)\n'
        '  File "/app/orders/serializers.py", line 112, in get_items\n'
        "    product = Product.objects.get(pk=item.product_id)\n"
        '  File "/usr/local/lib/python3.12/site-packages/django/db/backends/utils.py", line 105, '
        "in _execute\n"
        "    return self.cursor.execute(sql, params)\n"
        "django.db.utils.OperationalError: canceling statement due to statement timeout"
    )
    for dt in times(rng, deployed + timedelta(minutes=6), end, 11):
        log.add(
            dt,
            j(
                dt,
                "error",
                "django.request",
                "Internal Server Error: /api/orders/history/",
                status=500,
                exc_info=exc,
            ),
        )
    culprit = sha(rng)
    commits = [
        {
            "sha": culprit,
            "message": "Show product thumbnails in order history (#2291)",
            "author": "p.sato",
            "timestamp": iso(deployed - timedelta(minutes=30), ms=False),
            "files": [
                {
                    "filename": "orders/serializers.py",
                    "status": "modified",
                    "additions": 18,
                    "deletions": 2,
                    "patch": "@@ -104,6 +104,22 @@ class "
                    "OrderHistorySerializer(serializers.ModelSerializer):\n"
                    "+    items = serializers.SerializerMethodField()\n+\n"
                    "+    def get_items(self, order):\n+        out = []\n"
                    "+        for item in order.items.all():\n"
                    "+            product = Product.objects.get(pk=item.product_id)\n"
                    '+            out.append({"sku": product.sku, "qty": item.quantity,\n'
                    '+                        "thumbnail": '
                    "product.thumbnail_url})\n+        return out",
                },
                {
                    "filename": "frontend/src/pages/OrderHistory.tsx",
                    "status": "modified",
                    "additions": 22,
                    "deletions": 4,
                },
            ],
        },
        {
            "sha": sha(rng),
            "message": "Bump boto3 to 1.35.30",
            "author": "renovate[bot]",
            "timestamp": iso(deployed - timedelta(hours=5), ms=False),
            "files": [
                {
                    "filename": "requirements/base.txt",
                    "status": "modified",
                    "additions": 2,
                    "deletions": 2,
                }
            ],
        },
        {
            "sha": sha(rng),
            "message": "Move refund email templates under templates/emails/",
            "author": "a.nwosu",
            "timestamp": iso(deployed - timedelta(hours=3), ms=False),
            "files": [
                "templates/emails/refund_issued.html",
                "templates/emails/refund_denied.html",
                "orders/emails.py",
            ],
        },
        {
            "sha": sha(rng),
            "message": "docs: describe the returns state machine",
            "author": "a.nwosu",
            "timestamp": iso(deployed - timedelta(hours=26), ms=False),
            "files": ["docs/returns.md"],
        },
    ]
    config = {
        "DATABASES": {
            "default": {
                "HOST": "pg-orders-primary",
                "CONN_MAX_AGE": 60,
                "OPTIONS": {"statement_timeout_ms": 5000},
            }
        },
        "CELERY": {"broker": "redis://redis-orders:6379/2", "concurrency": 8},
        "PAGINATION": {"page_size": 50},
    }
    mstart = deployed - timedelta(minutes=24)
    return {
        "name": "orders-n-plus-one",
        "description": "Order history serializer now loads each product separately; the database "
        "CPU saturates and history requests hit the statement timeout.",
        "incident": {
            "deployment_id": "orders-web-v2024.10.03.2",
            "service": "orders-service",
            "environment": "production",
            "deployed_at": iso(deployed, ms=False),
            "logs": log.lines(),
            "metrics": {
                "db_cpu_percent": {
                    "points": points(
                        mstart, 180, wobble(rng, 34, 8, 0.15, 0) + ramp(rng, 70, 97, 6, 0.04, 0)
                    ),
                    "unit": "%",
                },
                "db_queries_per_second": {
                    "baseline": wobble(rng, 1300, 8, 0.1, 0),
                    "current": wobble(rng, 14500, 6, 0.1, 0),
                },
                "latency_p95_ms": {
                    "baseline": [140, 150, 133, 161, 148],
                    "current": [2900, 4100, 3650, 5020],
                },
                "http_requests_per_second": wobble(rng, 210, 14, 0.1, 0),
                "http_5xx_per_minute": {"baseline": [0, 1, 0, 0, 2], "current": [4, 9, 12, 15]},
            },
            "recent_commits": commits,
            "config_snapshot": config,
            "previous_config_snapshot": config,
        },
        "expected": {"category": "code_regression", "suspects": [culprit[:10]]},
    }


def inventory_npe() -> dict:
    """inventory-service (Spring Boot, logback): NullPointerException on bundle SKUs."""
    rng = random.Random("inventory_npe")
    deployed = parse("2026-09-15T16:20:00Z")
    start, end = deployed - timedelta(minutes=30), deployed + timedelta(minutes=20)
    log = Log()
    threads = [f"http-nio-8080-exec-{i}" for i in range(1, 11)]

    def lb(dt, level, logger, msg):
        return f"{java_ts(dt)} {level:>5} 1 --- [{pick(rng, threads)}] {logger:<40} : {msg}"

    for dt in every(start, end, 15, 500, rng):
        log.add(
            dt,
            lb(
                dt,
                "DEBUG",
                "o.s.b.a.health.HealthEndpointSupport",
                "Health check UP (db, redis, diskSpace)",
            ),
        )
    for dt in times(rng, start, end, 55):
        sku = f"SKU-{rng.randint(10000, 99999)}"
        log.add(
            dt,
            lb(
                dt,
                "INFO",
                "c.a.inventory.web.ReservationController",
                f"reserve sku={sku} qty={rng.randint(1, 4)} "
                f"warehouse=WH-{pick(rng, ['AMS1', 'FRA2', 'DUB1'])} ok",
            ),
        )
    for dt in times(rng, start, end, 9):
        log.add(
            dt,
            lb(
                dt,
                "INFO",
                "c.a.inventory.sync.StockSyncJob",
                f"synced {rng.randint(300, 900)} stock levels from WMS in {rng.randint(200, 900)} "
                f"ms",
            ),
        )
    for dt in times(rng, start, end, 4):
        log.add(
            dt,
            lb(
                dt,
                " WARN",
                "c.a.inventory.client.WarehouseClient",
                "WMS responded 429, retrying in 500 ms",
            ),
        )
    for dt in times(rng, start, deployed, 2):
        log.add(
            dt,
            lb(
                dt,
                "ERROR",
                "c.a.inventory.web.ReservationController",
                "reservation rejected: insufficient stock sku=SKU-%d" % rng.randint(10000, 99999),
            ),
        )
    npe = [
        "java.lang.NullPointerException: Cannot invoke "
        '"com.acme.inventory.model.StockLevel.getAvailable()" '
        'because "level" is null',
        "\tat com.acme.inventory.service.ReservationService.reserveComponents(ReservationService.java:142)",
        "\tat com.acme.inventory.service.ReservationService.reserve(ReservationService.java:97)",
        "\tat com.acme.inventory.web.ReservationController.reserve(ReservationController.java:58)",
        "\tat java.base/jdk.internal.reflect.DirectMethodHandleAccessor.invoke(DirectMethodHandleAccessor.java:103)",
        "\tat org.springframework.web.servlet.FrameworkServlet.service(FrameworkServlet.java:885)",
        "\tat org.apache.tomcat.util.threads.ThreadPoolExecutor$Worker.run(ThreadPoolExecutor.java:659)",
        "\tat java.base/java.lang.Thread.run(Thread.java:1583)",
    ]
    for dt in times(rng, deployed + timedelta(minutes=1), end, 14):
        log.add(
            dt,
            lb(
                dt,
                "ERROR",
                "o.a.c.c.C.[.[.[/].[dispatcherServlet]",
                "Servlet.service() for servlet [dispatcherServlet] threw exception",
            ),
            *npe,
        )
    culprit = sha(rng)
    commits = [
        {
            "sha": culprit,
            "message": "Reserve bundle SKUs component by component\n\nINV-812",
            "author": "k.brandt",
            "timestamp": iso(deployed - timedelta(minutes=50), ms=False),
            "files": [
                {
                    "filename": "src/main/java/com/acme/inventory/service/ReservationService.java",
                    "status": "modified",
                    "additions": 46,
                    "deletions": 9,
                    "patch": "@@ -130,6 +130,21 @@ public class ReservationService {\n"
                    "+    private void reserveComponents(Bundle bundle, String warehouse) {\n"
                    "+        for (Component c : bundle.components()) {\n"
                    "+            StockLevel level = stock.find(c.sku(), warehouse);\n"
                    "+            if (level.getAvailable() < c.quantity()) {\n"
                    "+                throw new InsufficientStockException(c.sku());\n+            "
                    "}",
                },
                {
                    "filename": "src/test/java/com/acme/inventory/service/ReservationServiceTest.java",
                    "status": "modified",
                    "additions": 38,
                    "deletions": 0,
                },
            ],
        },
        {
            "sha": sha(rng),
            "message": "Upgrade jackson-databind to 2.17.2",
            "author": "dependabot[bot]",
            "timestamp": iso(deployed - timedelta(hours=2), ms=False),
            "files": [
                {"filename": "pom.xml", "status": "modified", "additions": 1, "deletions": 1}
            ],
        },
        {
            "sha": sha(rng),
            "message": "Rename warehouse metrics tag to wh_code",
            "author": "l.moretti",
            "timestamp": iso(deployed - timedelta(hours=4), ms=False),
            "files": ["src/main/java/com/acme/inventory/client/WarehouseClient.java"],
        },
        {
            "sha": sha(rng),
            "message": "Fix typos in README",
            "author": "l.moretti",
            "timestamp": iso(deployed - timedelta(hours=28), ms=False),
            "files": ["README.md"],
        },
    ]
    config = {
        "spring": {
            "datasource": {
                "url": "jdbc:postgresql://pg-inventory:5432/inventory",
                "hikari": {"maximum-pool-size": 20},
            }
        },
        "inventory": {
            "bundles": {"enabled": True},
            "wms": {"base-url": "https://wms.acme.internal", "retry-attempts": 3},
        },
    }
    return {
        "name": "inventory-bundle-npe",
        "description": "A new bundle reservation path dereferences a missing stock level; "
        "reservations for bundle SKUs fail with HTTP 500.",
        "incident": {
            "deployment_id": "inventory-service@3.41.0",
            "service": "inventory-service",
            "environment": "prod",
            "deployed_at": iso(deployed, ms=False),
            "logs": log.lines(),
            "metrics": {
                "http_server_requests_5xx_ratio": {
                    "baseline": [0.1, 0.2, 0.1, 0.1],
                    "current": [3.9, 4.6, 4.4, 5.1],
                    "unit": "%",
                },
                "http_server_requests_p99_ms": {
                    "baseline": wobble(rng, 85, 6, 0.1, 0),
                    "current": wobble(rng, 92, 6, 0.1, 0),
                },
                "jvm_memory_used_mb": wobble(rng, 740, 16, 0.06, 0),
                "hikaricp_connections_active": wobble(rng, 6, 12, 0.3, 0),
            },
            "recent_commits": commits,
            "config_snapshot": config,
        },
        "expected": {"category": "code_regression", "suspects": [culprit[:8]]},
    }


def notifications_typeerror() -> dict:
    """notification-gateway (Node, pino): a refactor loses the user locale."""
    rng = random.Random("notifications_typeerror")
    deployed = parse("2026-08-07T11:05:00Z")
    start, end = deployed - timedelta(minutes=20), deployed + timedelta(minutes=15)
    log = Log()
    hosts = ["notif-gw-7c4d9-abx1z", "notif-gw-7c4d9-kk2pq"]

    def pino(dt, level, msg, **kw):
        return jline(
            level=level,
            time=iso(dt),
            pid=rng.choice([18, 19]),
            hostname=pick(rng, hosts),
            msg=msg,
            **kw,
        )

    for dt in every(start, end, 30, 800, rng):
        log.add(
            dt,
            pino(
                dt,
                20,
                "request completed",
                req={"method": "GET", "url": "/livez"},
                res={"statusCode": 200},
                responseTime=1,
            ),
        )
    for dt in times(rng, start, end, 50):
        ch = pick(rng, ["push", "email", "sms"])
        if dt > deployed and ch == "push":
            continue
        log.add(
            dt,
            pino(
                dt,
                30,
                "notification sent",
                channel=ch,
                templateId=pick(rng, ["order_shipped", "otp", "promo_weekly"]),
                latencyMs=rng.randint(30, 300),
            ),
        )
    for dt in times(rng, start, end, 6):
        log.add(
            dt,
            pino(
                dt,
                40,
                "APNs feedback: device token unregistered",
                tokenSuffix=f"{rng.randint(1000, 9999)}",
            ),
        )
    stack = (
        "TypeError: Cannot read properties of undefined (reading 'locale')\n"
        "    at renderTemplate (/app/src/services/templateService.js:57:31)\n"
        "    at PushHandler.send (/app/src/handlers/sendPush.js:33:22)\n"
        "    at process.processTicksAndRejections (node:internal/process/task_queues:95:5)\n"
        "    at async Consumer.handle (/app/node_modules/@acme/queue/lib/consumer.js:88:9)"
    )
    for dt in times(rng, deployed + timedelta(seconds=50), end, 22):
        log.add(
            dt,
            pino(
                dt,
                50,
                "push delivery failed",
                channel="push",
                err={
                    "type": "TypeError",
                    "message": "Cannot read properties of undefined (reading 'locale')",
                    "stack": stack,
                },
            ),
        )
    for dt in times(rng, deployed + timedelta(minutes=4), end, 5):
        log.add(dt, pino(dt, 40, "message moved to retry queue", queue="push.retry", attempts=3))
    culprit = sha(rng)
    commits = [
        {
            "sha": culprit,
            "message": "Move template rendering into TemplateService",
            "author": "r.haddad",
            "timestamp": iso(deployed - timedelta(minutes=25), ms=False),
            "files": [
                {
                    "filename": "src/services/templateService.js",
                    "status": "added",
                    "additions": 74,
                    "deletions": 0,
                    "patch": "@@ -0,0 +1,74 @@\n+export function renderTemplate(tpl, ctx) {\n"
                    "+  const { user } = ctx.recipient;\n+  const lang = user.profile.locale ?? "
                    "'en';",
                },
                {
                    "filename": "src/handlers/sendPush.js",
                    "status": "modified",
                    "additions": 6,
                    "deletions": 31,
                },
                {
                    "filename": "src/handlers/sendEmail.js",
                    "status": "modified",
                    "additions": 5,
                    "deletions": 27,
                },
            ],
        },
        {
            "sha": sha(rng),
            "message": "chore(deps): bump pino from 9.3.2 to 9.4.0",
            "author": "dependabot[bot]",
            "timestamp": iso(deployed - timedelta(hours=6), ms=False),
            "files": ["package.json", "package-lock.json"],
        },
        {
            "sha": sha(rng),
            "message": "Add lint rule for unused imports",
            "author": "c.ivanova",
            "timestamp": iso(deployed - timedelta(hours=9), ms=False),
            "files": [".eslintrc.cjs"],
        },
    ]
    mstart = deployed - timedelta(minutes=18)
    return {
        "name": "notifications-push-typeerror",
        "description": "A rendering refactor reads the locale from a field push recipients do not "
        "have; every push notification fails and the retry queue grows.",
        "incident": {
            "deployment_id": "notification-gateway-2026.08.07-3",
            "service": "notification-gateway",
            "environment": "production",
            "deployed_at": iso(deployed, ms=False),
            "logs": log.lines(),
            "metrics": {
                "push_sent_per_minute": {
                    "points": points(
                        mstart, 120, wobble(rng, 950, 9, 0.1, 0) + wobble(rng, 4, 8, 0.9, 0)
                    )
                },
                "queue_depth_push_retry": {
                    "points": points(
                        mstart, 120, wobble(rng, 12, 9, 0.5, 0) + ramp(rng, 300, 5200, 8, 0.05, 0)
                    )
                },
                "email_sent_per_minute": wobble(rng, 410, 16, 0.12, 0),
                "event_loop_lag_ms": wobble(rng, 9, 14, 0.4, 1),
            },
            "recent_commits": commits,
            "config_snapshot": {
                "queue": {"url": "amqp://rabbitmq.notif:5672", "prefetch": 50},
                "apns": {"topic": "com.acme.app", "production": True},
                "retry": {"max_attempts": 3, "backoff_ms": 2000},
            },
        },
        "expected": {"category": "code_regression", "suspects": [culprit[:7]]},
    }


SCENARIOS = [incident_b, orders_n_plus_one, inventory_npe, notifications_typeerror]
