"""A loopback fake of Sentry's REST API (aiohttp on port 0), shaped like the public API.

Serves `/api/0/` routes for projects, organisation issues (with `Link` cursor pagination,
environment and time-window filters, `stats`), issue details, latest events with exception
frames, and release deploys. Records every request; `faults` scripts errors, 429s and delays.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from tests.fakes.loopback import serve


@dataclass
class Fault:
    """One scripted misbehaviour for requests whose path matches `pattern`."""

    pattern: str
    status: int = 503
    headers: dict[str, str] = field(default_factory=dict)
    body: Any = None
    delay_s: float = 0.0
    times: int | None = 1  # None: forever


class FaultPlan:
    """Scripted faults, consumed in order per matching request."""

    def __init__(self) -> None:
        self._faults: list[Fault] = []

    def add(self, fault: Fault) -> None:
        """Queue a fault."""
        self._faults.append(fault)

    def _take(self, path: str) -> Fault | None:
        """The fault for this request, if any (decrementing its remaining count)."""
        for fault in self._faults:
            if re.search(fault.pattern, path) and (fault.times is None or fault.times > 0):
                if fault.times is not None:
                    fault.times -= 1
                return fault
        return None

    async def answer(self, path: str) -> web.Response | None:
        """Play this request's fault: sleep for a delay, then the error response, if any.

        None when no fault matches or the fault only delays (status 200): serve normally.
        """
        fault = self._take(path)
        if fault is None:
            return None
        if fault.delay_s:
            await asyncio.sleep(fault.delay_s)
        if fault.status == 200:
            return None
        return web.json_response(
            fault.body if fault.body is not None else {"detail": "scripted failure"},
            status=fault.status,
            headers=fault.headers,
        )


def iso(value: datetime) -> str:
    """Sentry's timestamp form."""
    return value.astimezone(UTC).isoformat().replace("+00:00", "Z")


@dataclass
class SentryIssue:
    """An issue and its latest event, in the fake's store."""

    id: str
    short_id: str
    title: str
    culprit: str
    level: str
    environment: str
    first_seen: datetime
    last_seen: datetime
    count: int
    user_count: int
    hourly: list[tuple[datetime, int]]
    event: dict[str, Any]
    release: str | None = None


@dataclass
class SentryData:
    """What the fake Sentry knows."""

    org: str
    project_slug: str
    project_id: str
    issues: list[SentryIssue]
    deploys: dict[str, list[dict[str, Any]]] = field(default_factory=dict)


class FakeSentry:
    """The server. `async with FakeSentry(data) as fake:` then point `SENTRY_URL` at `fake.url`.

    Attributes:
        requests: `(path, query)` of every request received, in order.
        page_size: the most issues per page (forces pagination in tests).
    """

    def __init__(self, data: SentryData, *, token: str = "sntrys_test", page_size: int = 100):
        self.data = data
        self.token = token
        self.page_size = page_size
        self.faults = FaultPlan()
        self.requests: list[tuple[str, dict[str, str]]] = []
        self.auth_headers: list[str] = []
        self.link_base: str | None = None  # set to serve Link headers naming another host
        self._runner: web.AppRunner | None = None
        self.url = ""

    async def __aenter__(self) -> FakeSentry:
        app = web.Application(middlewares=[self._middleware])
        app.router.add_get("/api/0/projects/{org}/{slug}/", self._project)
        app.router.add_get("/api/0/organizations/{org}/issues/", self._issues)
        app.router.add_get("/api/0/organizations/{org}/issues/{id}/", self._issue)
        app.router.add_get("/api/0/organizations/{org}/issues/{id}/events/latest/", self._latest)
        app.router.add_get("/api/0/organizations/{org}/releases/{version}/deploys/", self._deploys)
        self._runner, self.url = await serve(app)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @web.middleware
    async def _middleware(self, request: web.Request, handler: Any) -> web.StreamResponse:
        self.requests.append((request.path, dict(request.query)))
        self.auth_headers.append(request.headers.get("Authorization", ""))
        faulted = await self.faults.answer(request.path)
        if faulted is not None:
            return faulted
        if request.headers.get("Authorization") != f"Bearer {self.token}":
            return web.json_response({"detail": "Invalid token"}, status=401)
        if request.match_info.get("org") not in (None, self.data.org):
            return web.json_response(
                {"detail": "The requested resource does not exist"}, status=404
            )
        return await handler(request)

    async def _project(self, request: web.Request) -> web.Response:
        if request.match_info["slug"] != self.data.project_slug:
            return web.json_response(
                {"detail": "The requested resource does not exist"}, status=404
            )
        return web.json_response(
            {"id": self.data.project_id, "slug": self.data.project_slug, "name": "Checkout API"}
        )

    def _issue_json(self, issue: SentryIssue, base: str) -> dict[str, Any]:
        return {
            "id": issue.id,
            "shortId": issue.short_id,
            "title": issue.title,
            "culprit": issue.culprit,
            "level": issue.level,
            "status": "unresolved",
            "firstSeen": iso(issue.first_seen),
            "lastSeen": iso(issue.last_seen),
            "count": str(issue.count),  # Sentry sends counts as strings
            "userCount": issue.user_count,
            "permalink": f"{base}/organizations/{self.data.org}/issues/{issue.id}/",
            "project": {"id": self.data.project_id, "slug": self.data.project_slug},
            "metadata": {"type": issue.title.split(":")[0], "value": issue.title},
            "stats": {"auto": [[int(t.timestamp()), n] for t, n in issue.hourly]},
        }

    async def _issues(self, request: web.Request) -> web.Response:
        q = request.query
        if q.get("project") not in (None, self.data.project_id):
            return web.json_response({"detail": "Invalid project"}, status=400)
        start = _parse(q.get("start"))
        end = _parse(q.get("end"))
        selected = [
            i
            for i in self.data.issues
            if (not q.get("environment") or i.environment == q["environment"])
            and (start is None or i.last_seen >= start)
            and (end is None or i.first_seen <= end)
        ]
        selected.sort(key=lambda i: (-i.count, i.id))
        limit = min(int(q.get("limit", "100")), self.page_size)
        offset = int(q.get("cursor", "0:0:0").split(":")[1])
        page = selected[offset : offset + limit]
        base = self.link_base or f"{request.scheme}://{request.host}"
        nxt = offset + limit
        params = {k: v for k, v in q.items() if k != "cursor"}
        query = "&".join(f"{k}={v}" for k, v in params.items())
        link = (
            f"<{base}{request.path}?{query}&cursor=0:{max(0, offset - limit)}:1>;"
            f' rel="previous"; results="{str(offset > 0).lower()}"; cursor="0:{offset}:1", '
            f"<{base}{request.path}?{query}&cursor=0:{nxt}:0>;"
            f' rel="next"; results="{str(nxt < len(selected)).lower()}"; cursor="0:{nxt}:0"'
        )
        return web.json_response([self._issue_json(i, base) for i in page], headers={"Link": link})

    def _find(self, issue_id: str) -> SentryIssue | None:
        return next((i for i in self.data.issues if i.id == issue_id), None)

    async def _issue(self, request: web.Request) -> web.Response:
        issue = self._find(request.match_info["id"])
        if issue is None:
            return web.json_response(
                {"detail": "The requested resource does not exist"}, status=404
            )
        body = self._issue_json(issue, f"{request.scheme}://{request.host}")
        release = {"version": issue.release} if issue.release else None
        body.update({"firstRelease": release, "lastRelease": release})
        return web.json_response(body)

    async def _latest(self, request: web.Request) -> web.Response:
        issue = self._find(request.match_info["id"])
        if issue is None:
            return web.json_response(
                {"detail": "The requested resource does not exist"}, status=404
            )
        return web.json_response(issue.event)

    async def _deploys(self, request: web.Request) -> web.Response:
        deploys = self.data.deploys.get(request.match_info["version"])
        if deploys is None:
            return web.json_response(
                {"detail": "The requested resource does not exist"}, status=404
            )
        return web.json_response(deploys)


def _parse(value: str | None) -> datetime | None:
    if not value:
        return None
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def python_event(
    event_id: str,
    when: datetime,
    exc_type: str,
    exc_value: str,
    frames: Iterable[tuple[str, str, int, str, bool]],
    *,
    release: str | None,
    environment: str,
) -> dict[str, Any]:
    """A latest-event body like Sentry's for a Python exception (frames outermost first)."""
    return {
        "id": event_id,
        "eventID": event_id,
        "dateCreated": iso(when),
        "title": f"{exc_type}: {exc_value}",
        "platform": "python",
        "tags": [
            {"key": "environment", "value": environment},
            {"key": "level", "value": "error"},
            *([{"key": "release", "value": release}] if release else []),
        ],
        "entries": [
            {
                "type": "exception",
                "data": {
                    "values": [
                        {
                            "type": exc_type,
                            "value": exc_value,
                            "module": None,
                            "stacktrace": {
                                "frames": [
                                    {
                                        "filename": filename,
                                        "absPath": f"/app/{filename}",
                                        "function": function,
                                        "lineNo": line,
                                        "colNo": None,
                                        "context_line": context,
                                        "inApp": in_app,
                                    }
                                    for filename, function, line, context, in_app in frames
                                ]
                            },
                        }
                    ]
                },
            },
            {"type": "breadcrumbs", "data": {"values": []}},
        ],
    }


# --------------------------------------------------------------------------- the story

DEPLOYED_AT = datetime(2026, 11, 20, 14, 2, tzinfo=UTC)


def _hourly(counts: list[int], start: datetime) -> list[tuple[datetime, int]]:
    return [(start + timedelta(hours=n), c) for n, c in enumerate(counts)]


def checkout_sentry(*, release: str = "v1.4.1", extra_issues: int = 0) -> SentryData:
    """Sentry's side of the bad-deploy story: a KeyError born two minutes after the deploy.

    `extra_issues` adds low-volume noise issues (to exercise pagination and caps).
    """
    hours = DEPLOYED_AT.replace(minute=0) - timedelta(hours=2)
    keyerror = SentryIssue(
        id="4512345678",
        short_id="CHECKOUT-1F",
        title="KeyError: 'sku'",
        culprit="checkout/cart.py in apply_discount",
        level="error",
        environment="production",
        first_seen=DEPLOYED_AT + timedelta(minutes=1, seconds=11),
        last_seen=DEPLOYED_AT + timedelta(hours=3),
        count=1532,
        user_count=210,
        hourly=_hourly([0, 0, 310, 402, 421, 399, 0, 0], hours),
        event=python_event(
            "a1b2c3d4e5f60718293a4b5c6d7e8f90",
            DEPLOYED_AT + timedelta(hours=2, minutes=58),
            "KeyError",
            "'sku'",
            [
                ("checkout/api.py", "post_checkout", 88, "total = cart.total(request.user)", True),
                ("checkout/cart.py", "total", 57, "return self.apply_discount(subtotal)", True),
                ("checkout/cart.py", "apply_discount", 42, 'rate = DISCOUNTS[line["sku"]]', True),
            ],
            release=release,
            environment="production",
        ),
        release=release,
    )
    timeout = SentryIssue(
        id="4511111111",
        short_id="CHECKOUT-0A",
        title="TimeoutError: payments gateway did not answer in 5s",
        culprit="checkout/payments.py in charge",
        level="warning",
        environment="production",
        first_seen=datetime(2026, 11, 18, 9, 0, tzinfo=UTC),
        last_seen=DEPLOYED_AT + timedelta(hours=2),
        count=61,
        user_count=12,
        hourly=_hourly([3, 2, 3, 2, 3, 2, 3, 2], hours),
        event=python_event(
            "0f0e0d0c0b0a09080706050403020100",
            DEPLOYED_AT + timedelta(hours=1, minutes=30),
            "TimeoutError",
            "payments gateway did not answer in 5s",
            [
                ("checkout/api.py", "post_checkout", 95, "payments.charge(order)", True),
                ("checkout/payments.py", "charge", 31, "resp = client.post(url, timeout=5)", True),
                ("httpx/_client.py", "post", 1145, "return self.request(...)", False),
            ],
            release="v1.4.0",
            environment="production",
        ),
        release="v1.4.0",
    )
    staging = SentryIssue(
        id="4519999999",
        short_id="CHECKOUT-2Z",
        title="ValueError: staging seed data missing",
        culprit="checkout/seed.py in load",
        level="error",
        environment="staging",
        first_seen=DEPLOYED_AT - timedelta(minutes=30),
        last_seen=DEPLOYED_AT + timedelta(hours=1),
        count=5000,
        user_count=1,
        hourly=_hourly([0, 900, 900, 900, 900, 900, 0, 0], hours),
        event=python_event(
            "ffffffffffffffffffffffffffffffff",
            DEPLOYED_AT,
            "ValueError",
            "staging seed data missing",
            [("checkout/seed.py", "load", 7, "raise ValueError(...)", True)],
            release=release,
            environment="staging",
        ),
    )
    noise = [
        SentryIssue(
            id=f"45200000{n:02d}",
            short_id=f"CHECKOUT-N{n}",
            title=f"DeprecationWarning: old API {n}",
            culprit="checkout/legacy.py in shim",
            level="warning",
            environment="production",
            first_seen=datetime(2026, 11, 1, tzinfo=UTC),
            last_seen=DEPLOYED_AT + timedelta(minutes=30),
            count=10 - n % 10,
            user_count=1,
            hourly=_hourly([1] * 8, hours),
            event=python_event(
                f"{n:032x}",
                DEPLOYED_AT,
                "DeprecationWarning",
                f"old API {n}",
                [("checkout/legacy.py", "shim", 3, "warnings.warn(...)", True)],
                release="v1.4.0",
                environment="production",
            ),
        )
        for n in range(extra_issues)
    ]
    return SentryData(
        org="acme",
        project_slug="checkout-api",
        project_id="42",
        issues=[keyerror, timeout, staging, *noise],
        deploys={
            release: [
                {
                    "id": "77",
                    "environment": "production",
                    "dateStarted": iso(DEPLOYED_AT - timedelta(minutes=1)),
                    "dateFinished": iso(DEPLOYED_AT),
                    "name": f"{release} to production",
                }
            ]
        },
    )
