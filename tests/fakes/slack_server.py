"""A loopback fake of the Slack Web API, used through the real `AsyncWebClient`.

Point `AsyncWebClient(base_url=fake.api_url)` (or `SLACK_API_URL`) at it. It records every
call with its parsed body, answers like Slack (`auth.test`, `chat.postMessage` returning a
fresh `ts`, `chat.update`, ...), and can be scripted to answer a method with a 429 and
`Retry-After`, an `ok: false` error, a non-JSON body (an HTML error page, plain text), or
after a delay; `outage(method, seconds, answer)` answers every call of a method that way for
a while (on the fake's clock, injectable so tests use virtual time); `delays` / `delay_all`
slow methods down. `response_url` posts (the `respond()` of slash commands and actions)
are recorded at `/respond/<name>`.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

from aiohttp import web

from tests.fakes.loopback import serve


@dataclass
class Call:
    """One request the fake received."""

    method: str
    body: dict[str, Any]
    headers: dict[str, str]
    at: float


@dataclass
class Scripted:
    """A canned answer for the next call of a method.

    `body` is sent as JSON; `raw`, when set, is sent as is with `content_type` instead (an
    HTML error page from a proxy, plain text).
    """

    status: int = 200
    body: dict[str, Any] | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    raw: str | None = None
    content_type: str = "text/html"

    def response(self) -> web.Response:
        """The aiohttp response this answer stands for."""
        if self.raw is not None:
            return web.Response(
                status=self.status,
                text=self.raw,
                content_type=self.content_type,
                headers=self.headers,
            )
        payload = self.body if self.body is not None else {"ok": True}
        return web.json_response(payload, status=self.status, headers=self.headers)


def server_error(status: int = 500) -> Scripted:
    """A proxy's HTML error page, as a load balancer in front of Slack answers."""
    return Scripted(status=status, raw=f"<html><body><h1>{status} Server Error</h1></body></html>")


def rate_limited(retry_after: float = 1) -> Scripted:
    """Slack's 429 with `Retry-After`."""
    return Scripted(
        status=429,
        body={"ok": False, "error": "ratelimited"},
        headers={"Retry-After": f"{retry_after:g}"},
    )


class FakeSlack:
    """The fake server. Use as `async with FakeSlack() as slack:`."""

    def __init__(
        self,
        *,
        bot_user_id: str = "UBOT",
        team_id: str = "T0001",
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.clock = clock
        self.calls: list[Call] = []
        # Methods in the order their answers were sent (a slow call is answered late).
        self.answered: list[str] = []
        self.responses: list[Call] = []
        self.bot_user_id = bot_user_id
        self.team_id = team_id
        self.delays: dict[str, float] = {}
        self.delay_all = 0.0
        self._outages: dict[str, list[tuple[float, Scripted]]] = defaultdict(list)
        self._scripts: dict[str, deque[Scripted]] = defaultdict(deque)
        self._ts = itertools.count(1)
        self._runner: web.AppRunner | None = None
        self.base_url = ""
        # Socket Mode: envelopes to push to the connected app, and what it sent back.
        self.socket_outbox: asyncio.Queue[dict[str, Any]] = asyncio.Queue()
        self.socket_received: list[dict[str, Any]] = []
        self.socket_connections = 0

    # ------------------------------------------------------------------ lifecycle
    async def __aenter__(self) -> FakeSlack:
        app = web.Application()
        app.router.add_post("/api/{method}", self._api)
        # slack_sdk sends a few read methods (chat.getPermalink) as GET with a query string.
        app.router.add_get("/api/{method}", self._api)
        app.router.add_post("/respond/{name}", self._respond)
        app.router.add_get("/socket", self._socket)
        # In-flight handlers (a scripted 60 s delay) are cut short when the fake closes.
        self._runner, self.base_url = await serve(app, shutdown_timeout=0.5)
        return self

    async def __aexit__(self, *exc: object) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    @property
    def api_url(self) -> str:
        """The Web API base URL (what `SLACK_API_URL` would be)."""
        return self.base_url + "/api/"

    def response_url(self, name: str = "cmd") -> str:
        """A `response_url` that records what is posted to it."""
        return f"{self.base_url}/respond/{name}"

    # ------------------------------------------------------------------ scripting
    def script(self, method: str, *answers: Scripted) -> None:
        """Answer the next calls of `method` with `answers`, in order, then normally."""
        self._scripts[method].extend(answers)

    def rate_limit(self, method: str, *, retry_after: float = 1, times: int = 1) -> None:
        """The next `times` calls of `method` get a 429 with `Retry-After`."""
        answer = Scripted(
            status=429,
            body={"ok": False, "error": "ratelimited"},
            headers={"Retry-After": f"{retry_after:g}"},
        )
        self.script(method, *([answer] * times))

    def fail(self, method: str, error: str, *, times: int = 1) -> None:
        """The next `times` calls of `method` answer `{"ok": false, "error": error}`."""
        self.script(method, *([Scripted(body={"ok": False, "error": error})] * times))

    def outage(self, method: str, seconds: float, answer: Scripted) -> None:
        """Every call of `method` gets `answer` for the next `seconds` (on `clock`)."""
        self._outages[method].append((self.clock() + seconds, answer))

    def _outage_answer(self, method: str) -> Scripted | None:
        now = self.clock()
        return next((a for until, a in self._outages.get(method, ()) if now < until), None)

    # ------------------------------------------------------------------ queries
    def of(self, method: str) -> list[Call]:
        """The recorded calls of one method, in order."""
        return [c for c in self.calls if c.method == method]

    def bodies(self) -> str:
        """Every recorded body as one JSON text (to search for leaked or unescaped text)."""
        return "\n".join(json.dumps(c.body) for c in [*self.calls, *self.responses])

    # ------------------------------------------------------------------ handlers
    @staticmethod
    async def _parse(request: web.Request) -> dict[str, Any]:
        if request.method == "GET":
            return dict(request.query)
        raw = await request.text()
        if request.content_type == "application/json":
            return json.loads(raw) if raw else {}
        body: dict[str, Any] = dict(parse_qsl(raw, keep_blank_values=True))
        for key in ("blocks", "attachments"):
            if isinstance(body.get(key), str):
                body[key] = json.loads(body[key])
        return body

    async def _api(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        try:
            return await self._answer(method, request)
        finally:
            self.answered.append(method)

    async def _answer(self, method: str, request: web.Request) -> web.Response:
        body = await self._parse(request)
        self.calls.append(Call(method, body, dict(request.headers), self.clock()))
        delay = self.delays.get(method, self.delay_all)
        if delay:
            await asyncio.sleep(delay)
        outage = self._outage_answer(method)
        if outage is not None:
            return outage.response()
        queue = self._scripts.get(method)
        if queue:
            answer = queue.popleft()
            if answer.delay:
                await asyncio.sleep(answer.delay)
            return answer.response()
        return web.json_response(self._default(method, body))

    def _default(self, method: str, body: dict[str, Any]) -> dict[str, Any]:
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://fake.slack.com/",
                "team": "Fake",
                "user": "alpha",
                "team_id": self.team_id,
                "user_id": self.bot_user_id,
                "bot_id": "BALPHA",
            }
        if method == "chat.postMessage":
            n = next(self._ts)
            return {
                "ok": True,
                "channel": body.get("channel"),
                "ts": f"{1700000000 + n}.{n:06d}",
                "message": {"text": body.get("text")},
            }
        if method == "chat.getPermalink":
            channel, ts = str(body.get("channel")), str(body.get("message_ts"))
            link = f"https://fake.slack.com/archives/{channel}/p{ts.replace('.', '')}"
            return {"ok": True, "channel": channel, "permalink": link}
        if method == "chat.update":
            return {"ok": True, "channel": body.get("channel"), "ts": body.get("ts")}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.base_url.replace("http://", "ws://") + "/socket"}
        return {"ok": True}

    async def _socket(self, request: web.Request) -> web.WebSocketResponse:
        """Socket Mode: say hello, push queued envelopes, record the app's acks."""
        ws = web.WebSocketResponse()
        await ws.prepare(request)
        self.socket_connections += 1
        await ws.send_json({"type": "hello", "num_connections": 1, "debug_info": {}})

        async def push() -> None:
            while True:
                await ws.send_json(await self.socket_outbox.get())

        async with asyncio.TaskGroup() as group:
            pusher = group.create_task(push())
            async for message in ws:
                if message.type == web.WSMsgType.TEXT:
                    self.socket_received.append(json.loads(message.data))
            pusher.cancel()
        return ws

    async def _respond(self, request: web.Request) -> web.Response:
        body = await self._parse(request)
        name = request.match_info["name"]
        self.responses.append(Call(name, body, dict(request.headers), self.clock()))
        return web.json_response({"ok": True})
