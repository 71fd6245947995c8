"""Calls to the action server share kept-alive connections and keep the answers and errors of Rasa's request."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from aiohttp import web
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

from bot import action_client
from bot.prod import free_port


@pytest.fixture
def installed(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(EndpointConfig, "request", EndpointConfig.request)  # put back after the test
    action_client.install()


async def serve(seen: list[dict[str, Any]]) -> AsyncIterator[str]:
    async def webhook(request: web.Request) -> web.Response:
        seen.append({"peer": request.transport.get_extra_info("peername"), "query": dict(request.query),
                     "headers": dict(request.headers), "body": await request.json()})
        if request.query.get("fail"):
            return web.Response(status=400, text='{"error": "rejected"}')
        if request.query.get("text"):
            return web.Response(text="not json")
        return web.json_response({"events": [], "echo": (await request.json())["next_action"]})

    application = web.Application()
    application.router.add_post("/webhook", webhook)
    runner = web.AppRunner(application)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        yield f"http://127.0.0.1:{port}/webhook"
    finally:
        await runner.cleanup()


def test_consecutive_calls_reuse_one_connection_and_return_rasas_results(installed: None) -> None:
    seen: list[dict[str, Any]] = []

    async def scenario() -> None:
        async for url in serve(seen):
            endpoint = EndpointConfig(url, token="secret", headers={"X-Replica": "1"})
            answers = [await endpoint.request(json={"next_action": f"action_{n}", "tracker": {"text": "补贴"}})
                       for n in range(3)]
            assert [answer["echo"] for answer in answers] == ["action_0", "action_1", "action_2"]
            assert await endpoint.request(json={"next_action": "x"}, params={"text": "1"}) is None
            with pytest.raises(ClientResponseError) as rejected:
                await endpoint.request(json={"next_action": "x"}, params={"fail": "1"})
            assert rejected.value.status == 400 and b"rejected" in rejected.value.text
            await action_client.close_sessions()

    asyncio.run(scenario())
    assert len({call["peer"] for call in seen}) == 1  # one TCP connection for all five calls
    assert all(call["query"]["token"] == "secret" and call["headers"]["X-Replica"] == "1" for call in seen)
    assert seen[0]["headers"]["Content-Type"] == "application/json"
    assert seen[0]["body"] == {"next_action": "action_0", "tracker": {"text": "补贴"}}


def test_each_event_loop_has_its_own_session_and_a_closed_one_is_replaced(installed: None) -> None:
    seen: list[dict[str, Any]] = []

    async def two_calls_with_a_close_between() -> None:
        async for url in serve(seen):
            endpoint = EndpointConfig(url)
            await endpoint.request(json={"next_action": "a"})
            await action_client.close_sessions()
            await endpoint.request(json={"next_action": "b"})
            await action_client.close_sessions()

    asyncio.run(two_calls_with_a_close_between())
    asyncio.run(two_calls_with_a_close_between())  # a new loop: a new session, no error from the old one
    assert len(seen) == 4 and len({call["peer"] for call in seen}) == 4


def test_a_server_that_is_down_raises_a_connection_error(installed: None) -> None:
    import aiohttp

    async def call() -> None:
        with pytest.raises(aiohttp.ClientConnectionError):
            await EndpointConfig(f"http://127.0.0.1:{free_port()}/webhook").request(json={"next_action": "a"})
        await action_client.close_sessions()

    asyncio.run(call())
