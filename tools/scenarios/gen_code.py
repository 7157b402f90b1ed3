"""Generators for the code-regression scenarios (the demo is in gen_demo.py)."""

# Stack frames and log lines are data, kept verbatim even past the line length.
# ruff: noqa: E501, UP031

from __future__ import annotations

import random
from datetime import timedelta

from common import (
    Log,
    commit,
    every,
    iso,
    java_ts,
    jline,
    parse,
    points,
    ramp,
    scenario,
    sha,
    times,
    wobble,
)


def orders_n_plus_one() -> dict:
    """orders-service (Django, JSON logs): serializer change issues one query per line item."""
    rng = random.Random("orders_n_plus_one")
    deployed = parse("2026-10-03T09:40:00Z")
    start, end = deployed - timedelta(minutes=25), deployed + timedelta(minutes=18)
    log = Log()
    pods = ["orders-web-0", "orders-web-1", "orders-web-2", "orders-web-3"]

    def j(dt, level, logger, event, **kw):
        return jline(
            timestamp=iso(dt), level=level, logger=logger, event=event, pod=rng.choice(pods), **kw
        )

    for dt in every(start, end, 20, 2000, rng):
        log.add(dt, j(dt, "debug", "django.server", "GET /health/ 200", duration_ms=1))
    for dt in times(rng, start, end, 60):
        after = dt > deployed + timedelta(minutes=2)
        path = rng.choice(
            ["/api/orders/", "/api/orders/history/", "/api/orders/{id}/", "/api/returns/"]
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
        commit(
            culprit,
            "Show product thumbnails in order history (#2291)",
            "p.sato",
            deployed - timedelta(minutes=30),
            [
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
        ),
        commit(
            sha(rng),
            "Bump boto3 to 1.35.30",
            "renovate[bot]",
            deployed - timedelta(hours=5),
            [
                {
                    "filename": "requirements/base.txt",
                    "status": "modified",
                    "additions": 2,
                    "deletions": 2,
                }
            ],
        ),
        commit(
            sha(rng),
            "Move refund email templates under templates/emails/",
            "a.nwosu",
            deployed - timedelta(hours=3),
            [
                "templates/emails/refund_issued.html",
                "templates/emails/refund_denied.html",
                "orders/emails.py",
            ],
        ),
        commit(
            sha(rng),
            "docs: describe the returns state machine",
            "a.nwosu",
            deployed - timedelta(hours=26),
            ["docs/returns.md"],
        ),
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
    return scenario(
        "orders-n-plus-one",
        "Order history serializer now loads each product separately; the database "
        "CPU saturates and history requests hit the statement timeout.",
        deployment_id="orders-web-v2024.10.03.2",
        service="orders-service",
        deployed=deployed,
        logs=log.lines(),
        metrics={
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
        commits=commits,
        config=config,
        previous_config=config,
        category="code_regression",
        suspects=[culprit[:10]],
    )


def inventory_npe() -> dict:
    """inventory-service (Spring Boot, logback): NullPointerException on bundle SKUs."""
    rng = random.Random("inventory_npe")
    deployed = parse("2026-09-15T16:20:00Z")
    start, end = deployed - timedelta(minutes=30), deployed + timedelta(minutes=20)
    log = Log()
    threads = [f"http-nio-8080-exec-{i}" for i in range(1, 11)]

    def lb(dt, level, logger, msg):
        return f"{java_ts(dt)} {level:>5} 1 --- [{rng.choice(threads)}] {logger:<40} : {msg}"

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
                f"warehouse=WH-{rng.choice(['AMS1', 'FRA2', 'DUB1'])} ok",
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
        commit(
            culprit,
            "Reserve bundle SKUs component by component\n\nINV-812",
            "k.brandt",
            deployed - timedelta(minutes=50),
            [
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
        ),
        commit(
            sha(rng),
            "Upgrade jackson-databind to 2.17.2",
            "dependabot[bot]",
            deployed - timedelta(hours=2),
            [{"filename": "pom.xml", "status": "modified", "additions": 1, "deletions": 1}],
        ),
        commit(
            sha(rng),
            "Rename warehouse metrics tag to wh_code",
            "l.moretti",
            deployed - timedelta(hours=4),
            ["src/main/java/com/acme/inventory/client/WarehouseClient.java"],
        ),
        commit(
            sha(rng),
            "Fix typos in README",
            "l.moretti",
            deployed - timedelta(hours=28),
            ["README.md"],
        ),
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
    return scenario(
        "inventory-bundle-npe",
        "A new bundle reservation path dereferences a missing stock level; "
        "reservations for bundle SKUs fail with HTTP 500.",
        deployment_id="inventory-service@3.41.0",
        service="inventory-service",
        environment="prod",
        deployed=deployed,
        logs=log.lines(),
        metrics={
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
        commits=commits,
        config=config,
        category="code_regression",
        suspects=[culprit[:8]],
    )


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
            hostname=rng.choice(hosts),
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
        ch = rng.choice(["push", "email", "sms"])
        if dt > deployed and ch == "push":
            continue
        log.add(
            dt,
            pino(
                dt,
                30,
                "notification sent",
                channel=ch,
                templateId=rng.choice(["order_shipped", "otp", "promo_weekly"]),
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
        commit(
            culprit,
            "Move template rendering into TemplateService",
            "r.haddad",
            deployed - timedelta(minutes=25),
            [
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
        ),
        commit(
            sha(rng),
            "chore(deps): bump pino from 9.3.2 to 9.4.0",
            "dependabot[bot]",
            deployed - timedelta(hours=6),
            ["package.json", "package-lock.json"],
        ),
        commit(
            sha(rng),
            "Add lint rule for unused imports",
            "c.ivanova",
            deployed - timedelta(hours=9),
            [".eslintrc.cjs"],
        ),
    ]
    mstart = deployed - timedelta(minutes=18)
    return scenario(
        "notifications-push-typeerror",
        "A rendering refactor reads the locale from a field push recipients do not "
        "have; every push notification fails and the retry queue grows.",
        deployment_id="notification-gateway-2026.08.07-3",
        service="notification-gateway",
        deployed=deployed,
        logs=log.lines(),
        metrics={
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
        commits=commits,
        config={
            "queue": {"url": "amqp://rabbitmq.notif:5672", "prefetch": 50},
            "apns": {"topic": "com.acme.app", "production": True},
            "retry": {"max_attempts": 3, "backoff_ms": 2000},
        },
        category="code_regression",
        suspects=[culprit[:7]],
    )


SCENARIOS = [orders_n_plus_one, inventory_npe, notifications_typeerror]
