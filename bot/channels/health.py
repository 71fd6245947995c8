"""``GET /health``: is this Rasa server ready to take messages (model, database, action server)?

For load balancers and platform health checks: 200 with ``{"status": "ready"}`` when all three answer within
``CHECK_SECONDS``, otherwise 503 with ``"not ready"`` and what failed, never a hang. Served by the Rasa server
as an input channel (``bot.channels.health.HealthInput`` in the credentials file) at /health, outside /webhooks.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import aiohttp
import sqlalchemy as sa
from rasa.core.channels.channel import InputChannel
from sanic import Blueprint, response
from sanic.request import Request

from bot.action_client import close_sessions
from bot.performance import freeze_loaded_objects
from bot.settings import load_settings
from bot.storage.database import engine_for

CHECK_SECONDS = 2.0


def _database_answers(database_url: str) -> None:
    with engine_for(database_url).connect() as connection:
        connection.execute(sa.text("SELECT 1"))


async def database_check(database_url: str) -> str | None:
    """None when the database answers a query in time, otherwise what went wrong."""
    loop = asyncio.get_running_loop()
    try:
        await asyncio.wait_for(loop.run_in_executor(None, _database_answers, database_url), CHECK_SECONDS)
    except asyncio.TimeoutError:
        return f"no answer within {CHECK_SECONDS:g} s"
    except Exception as error:  # any driver error means "not ready"; the detail goes to the operator
        return type(error).__name__
    return None


def action_server_health_url(webhook_url: str) -> str:
    """http://host:port/webhook → http://host:port/health (rasa-sdk's health route)."""
    parts = urlsplit(webhook_url)
    return urlunsplit((parts.scheme, parts.netloc, "/health", "", ""))


async def action_server_check(webhook_url: str) -> str | None:
    timeout = aiohttp.ClientTimeout(total=CHECK_SECONDS)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as session, \
                session.get(action_server_health_url(webhook_url)) as answer:
            return None if answer.status == 200 else f"HTTP {answer.status}"
    except asyncio.TimeoutError:
        return f"no answer within {CHECK_SECONDS:g} s"
    except aiohttp.ClientError as error:
        return type(error).__name__


class HealthInput(InputChannel):
    """Readiness of this Rasa server; takes no messages."""

    @classmethod
    def name(cls) -> str:
        return "health"

    def url_prefix(self) -> str:
        return "/health"  # absolute: Rasa joins it to /webhooks/, which an absolute path replaces

    def blueprint(self, on_new_message: Callable[[Any], Awaitable[Any]]) -> Blueprint:
        health = Blueprint("chuangye_health", __name__)

        @health.route("/", methods=["GET"])
        async def ready(request: Request) -> response.HTTPResponse:
            settings = load_settings()
            agent = getattr(request.app.ctx, "agent", None)
            database, actions = await asyncio.gather(database_check(settings.database_url),
                                                     action_server_check(settings.action_server_url))
            checks = {
                "model": "ok" if agent is not None and agent.is_ready() else "not loaded",
                "database": database or "ok",
                "action_server": actions or "ok",
            }
            ready = all(value == "ok" for value in checks.values())
            return response.json({"status": "ready" if ready else "not ready", "checks": checks},
                                 status=200 if ready else 503)

        @health.listener("after_server_start")
        async def spare_the_model_from_garbage_collection(*_: Any) -> None:
            """Rasa loads the model before the server starts (``before_server_start``); from here on its objects
            are left out of garbage collection (``bot.performance.freeze_loaded_objects``)."""
            freeze_loaded_objects()

        @health.listener("after_server_stop")
        async def close_action_server_connections(*_: Any) -> None:
            """The kept-alive connections to the action server (``bot.action_client``): every Rasa server has
            this channel, so they are closed here, on the loop that opened them."""
            await close_sessions()

        return health
