"""The console's Sanic application: blueprints, sign-in middleware, security headers and error pages."""

from __future__ import annotations

import logging
from pathlib import Path

from sanic import Sanic, response
from sanic.exceptions import SanicException
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.console.config import ConsoleConfig
from bot.console.web import (
    admin_views,
    conversation_views,
    dashboard_views,
    export_views,
    handoff_views,
    login_views,
)
from bot.console.web.auth import authenticate
from bot.console.web.hashing import HashingPool
from bot.console.web.responses import problem
from bot.http_framing import install_framing_guard

logger = logging.getLogger(__name__)
STATIC_DIR = Path(__file__).resolve().parent.parent / "static"
# Pages load only this site's stylesheet; charts are inline SVG; there is no script at all.
CONTENT_SECURITY_POLICY = ("default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; "
                           "frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CONTENT_SECURITY_POLICY,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}


async def _security_headers(request: Request, reply: HTTPResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        reply.headers.setdefault(name, value)
    if not request.path.startswith("/static/"):
        reply.headers.setdefault("Cache-Control", "no-store")


async def _error(request: Request, error: Exception) -> HTTPResponse:
    if isinstance(error, SanicException) and error.status_code < 500:
        return problem(request, error.status_code)  # 404, 405, 413 …: worded as in texts.yml
    logger.exception("console error on %s %s", request.method, request.path)
    return problem(request, 500)


async def _health(request: Request) -> HTTPResponse:
    return response.text("ok")


def create_app(config: ConsoleConfig, name: str = "chuangye_console") -> Sanic:
    """The console for ``config.database_url`` (the tables must exist: run the migrations first)."""
    app = Sanic(name)
    app.config.REQUEST_MAX_SIZE = 256 * 1024  # forms only; nothing is uploaded
    app.config.KEEP_ALIVE_TIMEOUT = 15
    if config.proxies_count:
        app.config.PROXIES_COUNT = config.proxies_count
    app.ctx.config = config
    app.ctx.hashing_pool = HashingPool()  # password checks off the database threads, with a bounded queue
    install_framing_guard(app)  # Sanic 21.12 spins forever on "Content-Length: -5"
    app.register_middleware(authenticate, "request")
    app.register_middleware(_security_headers, "response")
    app.error_handler.add(Exception, _error)
    app.add_route(_health, "/healthz")
    app.static("/static", str(STATIC_DIR), name="static")
    for views in (login_views, conversation_views, export_views, handoff_views, dashboard_views, admin_views):
        app.blueprint(views.blueprint)
    return app
