"""A loopback HTTP forward proxy that records what went through it.

Clients configured with `HTTP_PROXY=http://127.0.0.1:PORT` send it absolute-form requests
(`GET http://127.0.0.1:8123/api/0/... HTTP/1.1`); it forwards each to its target with
aiohttp and relays the answer. `seen` lists the absolute URLs requested, in order, so a test
can check that a client went through the proxy (and which hosts it asked for).
"""

from __future__ import annotations

import asyncio
import contextlib

import aiohttp

_HOP_BY_HOP = {
    "connection",
    "keep-alive",
    "proxy-authenticate",
    "proxy-authorization",
    "proxy-connection",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
    "content-encoding",
}


class FakeProxy:
    """`async with FakeProxy() as proxy:` then point `HTTP_PROXY` at `proxy.url`."""

    def __init__(self) -> None:
        self.seen: list[str] = []
        self.url = ""
        self._server: asyncio.Server | None = None
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> FakeProxy:
        # The proxy itself must never use a proxy (the test sets HTTP_PROXY for its clients).
        self._session = aiohttp.ClientSession(trust_env=False, auto_decompress=False)
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        port = self._server.sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"
        return self

    async def __aexit__(self, *exc: object) -> None:
        assert self._server is not None and self._session is not None
        self._server.close()
        await self._server.wait_closed()
        await self._session.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            while await self._one(reader, writer):
                pass
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client went away; its test sees whatever it got
        finally:
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()

    async def _one(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        request_line = await reader.readline()
        if not request_line.strip():
            return False
        method, target, _ = request_line.decode("latin-1").split(" ", 2)
        headers: list[tuple[str, str]] = []
        while (line := await reader.readline()) not in (b"\r\n", b"\n", b""):
            name, _, value = line.decode("latin-1").partition(":")
            headers.append((name.strip(), value.strip()))
        length = int(next((v for k, v in headers if k.lower() == "content-length"), "0"))
        body = await reader.readexactly(length) if length else b""
        self.seen.append(target)
        forward = {k: v for k, v in headers if k.lower() not in _HOP_BY_HOP | {"host"}}
        assert self._session is not None
        async with self._session.request(
            method, target, headers=forward, data=body or None, allow_redirects=False
        ) as answer:
            content = await answer.read()
            reply = [f"HTTP/1.1 {answer.status} {answer.reason}"]
            reply += [
                f"{k}: {v}" for k, v in answer.headers.items() if k.lower() not in _HOP_BY_HOP
            ]
            reply += [f"Content-Length: {len(content)}", "", ""]
        writer.write("\r\n".join(reply).encode("latin-1") + content)
        await writer.drain()
        return True
