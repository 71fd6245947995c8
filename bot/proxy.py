"""A small round-robin reverse proxy: the one front address of the production profile (``chuangye serve-prod``).

Each request goes to the next replica in turn, unchanged (method, path, query, headers, body). It goes on to the
following replica **only** when the connection to a replica could not be made (refused, unreachable): then the
request never reached it. Anything that happens after the connection was made (reset, timeout, an error status)
is answered 502/504 or passed on as it is, never sent again: that replica may already have run the turn, and a
second replica running it too would store the message twice and reply twice. A replica that refused is skipped
for ``skip_seconds``. ``GET /health`` reports which replicas are ready (each one's own ``GET /health``).

Upstream connections are not kept alive (``force_close``): a pooled connection the replica has just closed
(Sanic drops idle ones after 5 s, and all of them when it shuts down) fails only after the request was written,
which could not be retried safely; a fresh loopback connection costs well under a millisecond and fails cleanly.

A real deployment puts nginx or HAProxy here (TLS, rate limits, connection limits); this proxy keeps the
project free of one more moving part for a single machine and tests.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import aiohttp
from aiohttp import web
from multidict import CIMultiDict
from yarl import URL

logger = logging.getLogger(__name__)

DEFAULT_SKIP_SECONDS = 5.0
DEFAULT_MAX_BODY_BYTES = 1024 * 1024  # what Sanic accepts (bot.server); the channels allow 64 KB of it
DEFAULT_TIMEOUT_SECONDS = 120.0
CONNECT_TIMEOUT_SECONDS = 5.0
HEALTH_TIMEOUT_SECONDS = 5.0  # a replica's own check allows its database and action server 2 s each
# Each replica's readiness (bot/channels/health.py: model, database and action server answer).
REPLICA_HEALTH_PATH = "/health"

# Hop-by-hop headers (RFC 9110 7.6.1) and the ones the client library sets itself for the new connection.
_NOT_FORWARDED = frozenset({
    "connection", "keep-alive", "proxy-authenticate", "proxy-authorization", "proxy-connection", "te", "trailer",
    "transfer-encoding", "upgrade", "expect", "host", "content-length",
})


@dataclass
class Replica:
    url: str  # e.g. http://127.0.0.1:5101
    skipped_until: float = 0.0  # clock value until which requests go elsewhere first


def forwarded_headers(headers: Any) -> CIMultiDict[str]:
    """``headers`` without hop-by-hop headers (including those the Connection header names)."""
    named = {token.strip().lower() for value in headers.getall("Connection", []) for token in value.split(",")}
    dropped = _NOT_FORWARDED | named
    return CIMultiDict((name, value) for name, value in headers.items() if name.lower() not in dropped)


class RoundRobinProxy:
    """Round robin over ``replica_urls``; see the module docstring for when a request is tried elsewhere."""

    def __init__(self, replica_urls: Sequence[str], *, skip_seconds: float = DEFAULT_SKIP_SECONDS,
                 max_body_bytes: int = DEFAULT_MAX_BODY_BYTES, timeout_seconds: float = DEFAULT_TIMEOUT_SECONDS,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if not replica_urls:
            raise ValueError("the proxy needs at least one replica")
        self.replicas = [Replica(url.rstrip("/")) for url in replica_urls]
        self.skip_seconds = skip_seconds
        self.max_body_bytes = max_body_bytes
        self.timeout = aiohttp.ClientTimeout(total=timeout_seconds, sock_connect=CONNECT_TIMEOUT_SECONDS)
        self.clock = clock
        self._turn = itertools.count()
        self._session: aiohttp.ClientSession | None = None

    def app(self) -> web.Application:
        # aiohttp refuses a body of exactly client_max_size bytes: the limit here is the largest body accepted.
        application = web.Application(client_max_size=self.max_body_bytes + 1)
        application.router.add_get("/health", self.health)
        application.router.add_route("*", "/{tail:.*}", self.forward)
        application.on_startup.append(self._open)
        application.on_cleanup.append(self._close)
        return application

    async def _open(self, _: web.Application) -> None:
        connector = aiohttp.TCPConnector(force_close=True, limit=0)
        # auto_decompress off: the body goes back to the client exactly as the replica encoded it.
        self._session = aiohttp.ClientSession(connector=connector, auto_decompress=False, timeout=self.timeout)

    async def _close(self, _: web.Application) -> None:
        if self._session is not None:
            await self._session.close()

    def candidates(self) -> list[Replica]:
        """Every replica, next in turn first; replicas that refused recently go last rather than nowhere."""
        start = next(self._turn) % len(self.replicas)
        ordered = self.replicas[start:] + self.replicas[:start]
        now = self.clock()
        return ([replica for replica in ordered if replica.skipped_until <= now]
                + [replica for replica in ordered if replica.skipped_until > now])

    async def forward(self, request: web.Request) -> web.StreamResponse:
        declared = request.content_length
        if declared is not None and declared > self.max_body_bytes:
            return web.Response(status=413, text="request body too large")
        try:
            body = await request.read()
        except web.HTTPRequestEntityTooLarge:  # no or a false Content-Length: the limit applies while reading
            return web.Response(status=413, text="request body too large")
        headers = forwarded_headers(request.headers)
        headers["X-Forwarded-For"] = ", ".join(
            part for part in (request.headers.get("X-Forwarded-For"), request.remote) if part)
        headers["X-Forwarded-Host"] = request.host
        headers["X-Forwarded-Proto"] = request.scheme
        assert self._session is not None, "the proxy's client session opens with the application"
        for replica in self.candidates():
            url = URL(replica.url + request.raw_path, encoded=True)
            try:
                async with self._session.request(request.method, url, headers=headers, data=body or None,
                                                 allow_redirects=False) as upstream:
                    payload = await upstream.read()
                    response_headers = forwarded_headers(upstream.headers)
            except aiohttp.ClientConnectorError as error:
                # No connection, so nothing was sent: the next replica may take the request.
                if replica.skipped_until <= self.clock():
                    logger.warning("replica %s refused the connection (%s); skipping it for %.0f s",
                                   replica.url, error.os_error, self.skip_seconds)
                replica.skipped_until = self.clock() + self.skip_seconds
                continue
            except (asyncio.TimeoutError, aiohttp.ServerTimeoutError):
                logger.error("replica %s did not answer %s %s in time; not retried", replica.url,
                             request.method, request.path)
                return web.Response(status=504, text="the assistant did not answer in time")
            except aiohttp.ClientError as error:
                # The request may have reached the replica: never send it again.
                logger.error("replica %s failed after the request was sent (%r); not retried", replica.url, error)
                return web.Response(status=502, text="the assistant's replica failed while answering")
            replica.skipped_until = 0.0
            return web.Response(status=upstream.status, headers=response_headers, body=payload)
        return web.Response(status=502, text="no replica of the assistant is reachable")

    async def health(self, _: web.Request) -> web.Response:
        """200 with each replica's state when at least one replica is ready, else 503.

        Per replica: ``up`` (its ``GET /health`` answered 2xx), ``skipped`` (it refused a connection within the
        last ``skip_seconds``) and ``detail`` (what it reported, or why it did not answer).
        """
        assert self._session is not None
        answers = await asyncio.gather(*(self._ready(replica) for replica in self.replicas))
        now = self.clock()
        replicas = [{"url": replica.url, "up": up, "skipped": replica.skipped_until > now, "detail": detail}
                    for replica, (up, detail) in zip(self.replicas, answers, strict=True)]
        up_count = sum(up for up, _ in answers)
        status = "ok" if up_count == len(answers) else "degraded" if up_count else "down"
        return web.json_response({"status": status, "replicas": replicas}, status=200 if up_count else 503)

    async def _ready(self, replica: Replica) -> tuple[bool, Any]:
        assert self._session is not None
        try:
            async with self._session.get(f"{replica.url}{REPLICA_HEALTH_PATH}",
                                         timeout=aiohttp.ClientTimeout(total=HEALTH_TIMEOUT_SECONDS)) as answer:
                body = await answer.read()
                try:
                    detail: Any = json.loads(body)
                except ValueError:
                    detail = body[:200].decode("utf-8", errors="replace")
                return 200 <= answer.status < 300, detail
        except asyncio.TimeoutError:
            return False, f"no answer within {HEALTH_TIMEOUT_SECONDS:g} s"
        except aiohttp.ClientError as error:
            return False, error.__class__.__name__


async def start_proxy(proxy: RoundRobinProxy, host: str, port: int) -> web.AppRunner:
    """Serve ``proxy`` on host:port (port 0: any free port; read it from the runner's addresses)."""
    runner = web.AppRunner(proxy.app(), access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    return runner


def bound_port(runner: web.AppRunner) -> int:
    """The port the runner listens on (useful after ``start_proxy(..., port=0)``)."""
    return int(runner.addresses[0][1])
