"""Page, error and redirect responses shared by every view."""

from __future__ import annotations

import json
from typing import Any

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.console.config import ConsoleConfig
from bot.console.rendering import render
from bot.console.schema import MAX_ROW_ID
from bot.console.texts import texts

ERROR_KEYS = {400: "bad_request", 401: "unauthorized", 403: "forbidden", 404: "not_found", 409: "conflict",
              429: "rate_limited", 500: "server_error", 503: "busy"}


def is_row_id(value: int | str) -> bool:
    """A possible row id (1 … MAX_ROW_ID), or ASCII digits naming one (``str.isdigit`` alone accepts "²")."""
    if isinstance(value, str):
        if not (value.isascii() and value.isdigit()):
            return False
        value = int(value)
    return 1 <= value <= MAX_ROW_ID


def config_of(request: Request) -> ConsoleConfig:
    return request.app.ctx.config


def wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def page(request: Request, template: str, status: int = 200, headers: dict[str, str] | None = None,
         **context: Any) -> HTTPResponse:
    """Render a template with what every page needs: the signed-in member, the CSRF token, the notice."""
    session = getattr(request.ctx, "session", None)
    notice_key = request.args.get("notice")
    context.setdefault("notice", texts()["notices"].get(notice_key) if notice_key else None)
    context.setdefault("nav", "")
    body = render(template, config_of(request).utc_offset_minutes,
                  member=session.member if session else None,
                  csrf_token=session.csrf_token if session else "", **context)
    return response.html(body, status=status, headers=headers)


def problem(request: Request, status: int, key: str | None = None,
            headers: dict[str, str] | None = None) -> HTTPResponse:
    """An error as a Chinese HTML page for browsers, as JSON for anything else."""
    key = key or ERROR_KEYS.get(status, "bad_request" if status < 500 else "server_error")
    message = texts()["errors"][key]
    if wants_html(request):
        return page(request, "error.html", status=status, headers=headers, status_code=status, message=message)
    return response.json({"error": key, "message": message}, status=status, headers=headers,
                         dumps=lambda data: json.dumps(data, ensure_ascii=False))


def see_other(location: str) -> HTTPResponse:
    """Redirect after a POST (303), so reloading the page does not post again."""
    return response.redirect(location, status=303)
