"""The round-robin proxy of the production profile, against loopback servers standing in for Rasa replicas."""

from __future__ import annotations

import asyncio
import json
import socket
from collections.abc import AsyncIterator, Awaitable, Callable, Coroutine
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from bot.proxy import RoundRobinProxy, bound_port, start_proxy

HOST = "127.0.0.1"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def run(scenario: Coroutine[Any, Any, None]) -> None:
    asyncio.run(scenario)


@dataclass
class Backend:
    """A stand-in replica: records every request it receives, answers with ``handler`` (default: 201 + echo)."""

    name: str
    handler: Handler | None = None
    received: list[dict[str, Any]] = field(default_factory=list)
    runner: web.AppRunner | None = None
    url: str = ""

    async def _handle(self, request: web.Request) -> web.StreamResponse:
        self.received.append({"method": request.method, "path": request.raw_path,
                              "headers": dict(request.headers), "body": await request.read()})
        if self.handler is not None:
            return await self.handler(request)
        return web.Response(status=201, body=b"echo:" + self.received[-1]["body"], headers={"X-Backend": self.name})

    async def start(self, sock: socket.socket | None = None) -> Backend:
        application = web.Application(client_max_size=10 * 1024 * 1024)
        application.router.add_route("*", "/{tail:.*}", self._handle)
        self.runner = web.AppRunner(application, access_log=None)
        await self.runner.setup()
        site = web.SockSite(self.runner, sock) if sock is not None else web.TCPSite(self.runner, HOST, 0)
        await site.start()
        self.url = f"http://{HOST}:{self.runner.addresses[0][1]}"
        return self

    async def stop(self) -> None:
        if self.runner is not None:
            await self.runner.cleanup()


def refusing_socket() -> socket.socket:
    """A bound port that does not listen (yet): connecting to it is refused, and no one else can take it."""
    sock = socket.socket()
    sock.bind((HOST, 0))
    return sock


def url_of(sock: socket.socket) -> str:
    return f"http://{HOST}:{sock.getsockname()[1]}"


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes


async def send(client: aiohttp.ClientSession, method: str, url: str, **options: Any) -> Answer:
    async with client.request(method, url, **options) as answer:
        return Answer(answer.status, dict(answer.headers), await answer.read())


@asynccontextmanager
async def proxy_for(urls: list[str], **options: Any) -> AsyncIterator[tuple[str, RoundRobinProxy]]:
    proxy = RoundRobinProxy(urls, **options)
    runner = await start_proxy(proxy, HOST, 0)
    try:
        yield f"http://{HOST}:{bound_port(runner)}", proxy
    finally:
        await runner.cleanup()


def test_requests_are_forwarded_unchanged_in_turn() -> None:
    async def scenario() -> None:
        first, second = await Backend("a").start(), await Backend("b").start()
        try:
            async with proxy_for([first.url, second.url]) as (front, _), aiohttp.ClientSession() as client:
                answers = [await send(client, "PUT", f"{front}/webhooks/rest/webhook?x={number}&q=%E4%B8%AD",
                                      data=f"body {number}".encode(),
                                      headers={"X-Custom": "kept", "Proxy-Authorization": "secret"})
                           for number in range(4)]
        finally:
            await first.stop()
            await second.stop()
        assert [(a.status, a.headers.get("X-Backend"), a.body) for a in answers] == [
            (201, "a", b"echo:body 0"), (201, "b", b"echo:body 1"), (201, "a", b"echo:body 2"),
            (201, "b", b"echo:body 3")]
        for backend, numbers in ((first, (0, 2)), (second, (1, 3))):
            assert [r["method"] for r in backend.received] == ["PUT", "PUT"]
            assert [r["path"] for r in backend.received] == [
                f"/webhooks/rest/webhook?x={n}&q=%E4%B8%AD" for n in numbers]
            assert [r["body"] for r in backend.received] == [f"body {n}".encode() for n in numbers]
            headers = backend.received[0]["headers"]
            assert headers["X-Custom"] == "kept"
            assert "Proxy-Authorization" not in headers  # hop-by-hop: meant for the proxy only
            assert headers["X-Forwarded-For"] == HOST

    run(scenario())


def test_a_refused_replica_is_skipped_for_a_while_then_tried_again() -> None:
    async def scenario() -> None:
        clock = FakeClock()
        refusing = refusing_socket()
        healthy = await Backend("healthy").start()
        late = Backend("late")
        try:
            async with proxy_for([url_of(refusing), healthy.url], skip_seconds=5, clock=clock) as (front, _), \
                    aiohttp.ClientSession() as client:
                first = await send(client, "POST", f"{front}/m", data=b"one")  # its turn: the refusing replica
                refusing.listen()
                await late.start(refusing)  # that replica is back, but within the skip window
                within_window = [await send(client, "POST", f"{front}/m", data=b"x") for _ in range(3)]
                received_within_window = len(late.received)
                clock.now += 5.1
                after_window = [await send(client, "POST", f"{front}/m", data=b"x") for _ in range(2)]
        finally:
            await healthy.stop()
            await late.stop()
            refusing.close()
        assert (first.status, first.headers["X-Backend"]) == (201, "healthy")
        assert healthy.received[0]["body"] == b"one"  # it arrived once, at the replica that accepted it
        assert [a.headers["X-Backend"] for a in within_window] == ["healthy"] * 3
        assert received_within_window == 0
        assert sorted(a.headers["X-Backend"] for a in after_window) == ["healthy", "late"]

    run(scenario())


def test_a_request_that_reached_a_replica_is_never_sent_to_another() -> None:
    """The replica got the request and dropped the connection, or did not answer in time: 502/504, no retry."""

    async def scenario() -> None:
        never = asyncio.Event()

        async def drop_connection(request: web.Request) -> web.StreamResponse:
            assert request.transport is not None
            request.transport.close()
            await never.wait()
            return web.Response()

        async def hang(_: web.Request) -> web.StreamResponse:
            await never.wait()
            return web.Response()

        other = await Backend("other").start()
        statuses = []
        for handler in (drop_connection, hang):
            reached = await Backend("reached", handler).start()
            try:
                async with proxy_for([reached.url, other.url], timeout_seconds=1.0) as (front, _), \
                        aiohttp.ClientSession() as client:
                    answer = await send(client, "POST", f"{front}/webhooks/rest/webhook", data=b'{"message": "hi"}')
                    statuses.append(answer.status)
            finally:
                never.set()
                await reached.stop()
                never.clear()
            assert len(reached.received) == 1
        await other.stop()
        assert statuses == [502, 504]
        assert other.received == []

    run(scenario())


def test_an_error_status_from_a_replica_is_passed_on_not_retried() -> None:
    async def scenario() -> None:
        async def fail(_: web.Request) -> web.StreamResponse:
            return web.Response(status=500, text="boom")

        failing, other = await Backend("failing", fail).start(), await Backend("other").start()
        try:
            async with proxy_for([failing.url, other.url]) as (front, _), aiohttp.ClientSession() as client:
                answer = await send(client, "POST", f"{front}/x", data=b"m")
        finally:
            await failing.stop()
            await other.stop()
        assert (answer.status, answer.body) == (500, b"boom")
        assert len(failing.received) == 1 and other.received == []

    run(scenario())


def test_bodies_over_the_limit_are_refused_before_any_replica_sees_them() -> None:
    async def scenario() -> None:
        backend = await Backend("only").start()

        async def chunks(size: int) -> AsyncIterator[bytes]:  # no Content-Length: sent chunked
            for _ in range(size // 100):
                yield b"x" * 100

        try:
            async with proxy_for([backend.url], max_body_bytes=1000) as (front, _), \
                    aiohttp.ClientSession() as client:
                declared = await send(client, "POST", f"{front}/x", data=b"x" * 1001)
                chunked = await send(client, "POST", f"{front}/x", data=chunks(1100))
                received_before = len(backend.received)
                at_limit = await send(client, "POST", f"{front}/x", data=b"x" * 1000)
        finally:
            await backend.stop()
        assert (declared.status, chunked.status, received_before) == (413, 413, 0)
        assert at_limit.status == 201
        assert [len(r["body"]) for r in backend.received] == [1000]

    run(scenario())


def test_no_reachable_replica_gives_502() -> None:
    async def scenario() -> None:
        first, second = refusing_socket(), refusing_socket()
        try:
            async with proxy_for([url_of(first), url_of(second)]) as (front, _), aiohttp.ClientSession() as client:
                answer = await send(client, "POST", f"{front}/webhooks/rest/webhook", data=b"{}")
        finally:
            first.close()
            second.close()
        assert answer.status == 502

    run(scenario())


def test_health_reports_which_replicas_answer() -> None:
    async def scenario() -> None:
        backend = await Backend("up").start()
        refusing = refusing_socket()
        refusing_url = url_of(refusing)
        try:
            async with proxy_for([backend.url, url_of(refusing)]) as (front, _), aiohttp.ClientSession() as client:
                degraded = await send(client, "GET", f"{front}/health")
            async with proxy_for([url_of(refusing)]) as (front, _), aiohttp.ClientSession() as client:
                down = await send(client, "GET", f"{front}/health")
        finally:
            await backend.stop()
            refusing.close()
        report = json.loads(degraded.body)
        assert degraded.status == 200 and report["status"] == "degraded"
        assert [(r["url"], r["up"]) for r in report["replicas"]] == [(backend.url, True), (refusing_url, False)]
        assert [r["path"] for r in backend.received] == ["/health"]  # each replica's own readiness check
        assert report["replicas"][1]["detail"] == "ClientConnectorError"
        assert (down.status, json.loads(down.body)["status"]) == (503, "down")

    run(scenario())
