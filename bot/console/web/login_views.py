"""Signing in (rate-limited, CSRF-protected even before a session exists) and signing out."""

from __future__ import annotations

import secrets

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.console import audit
from bot.console.accounts import authenticate
from bot.console.login_limits import claim_attempt, forget_attempt, mark_success
from bot.console.sessions import csrf_matches, end_session, start_session
from bot.console.texts import texts
from bot.console.web.auth import LOGIN_CSRF_COOKIE, SESSION_COOKIE, clear_cookie, local_target, set_cookie
from bot.console.web.hashing import PoolFull
from bot.console.web.responses import config_of, page, problem, see_other
from bot.console.web.threads import in_thread

blueprint = Blueprint("login")
LOGIN_FORM_SECONDS = 3600


def _remote(request: Request) -> str:
    return request.remote_addr or request.ip or "unknown"


def _login_page(request: Request, status: int = 200, error: str | None = None, name: str = "") -> HTTPResponse:
    # Double-submit token: the form field must equal this cookie, so another site cannot post a login.
    nonce = secrets.token_urlsafe(32)
    config = config_of(request)
    reply = page(request, "login.html", status=status, login_csrf=nonce, error=error, name=name,
                 next=local_target(request.args.get("next") or request.form.get("next")),
                 max_failures=config.max_login_failures, window_minutes=config.login_window_minutes)
    set_cookie(request, reply, LOGIN_CSRF_COOKIE, nonce, LOGIN_FORM_SECONDS, path="/login")
    return reply


@blueprint.get("/login")
async def login_form(request: Request) -> HTTPResponse:
    if request.ctx.session is not None:
        return see_other(local_target(request.args.get("next")))
    return _login_page(request)


@blueprint.post("/login")
async def login(request: Request) -> HTTPResponse:
    config = config_of(request)
    if not csrf_matches(request.cookies.get(LOGIN_CSRF_COOKIE, ""), request.form.get("csrf_token")):
        return problem(request, 403, "csrf")
    name = (request.form.get("name") or "").strip()[:64]
    password = request.form.get("password") or ""
    remote = _remote(request)
    window = config.login_window_minutes
    # Counted before the password is checked, so that attempts arriving together cannot all pass the limit.
    attempt = await in_thread(claim_attempt, config.database_url, name, remote, config.max_login_failures, window)
    if attempt is None:
        return problem(request, 429, headers={"Retry-After": str(window * 60)})
    try:
        member = (await request.app.ctx.hashing_pool.run(authenticate, config.database_url, name, password)
                  if name and password else None)
    except PoolFull:
        await in_thread(forget_attempt, config.database_url, attempt)  # not the user's failure
        return problem(request, 503, headers={"Retry-After": "5"})
    if member is not None:
        await in_thread(mark_success, config.database_url, attempt)
    if member is None:
        return _login_page(request, status=401, error=texts()["errors"]["login_failed"], name=name)
    token = await in_thread(start_session, config.database_url, member.id, config.session_hours)
    await in_thread(audit.record, config.database_url, member.name, "login", None, f"from {remote}")
    reply = see_other(local_target(request.form.get("next")))
    set_cookie(request, reply, SESSION_COOKIE, token, int(config.session_hours * 3600))
    clear_cookie(request, reply, LOGIN_CSRF_COOKIE, path="/login")
    return reply


@blueprint.post("/logout")
async def logout(request: Request) -> HTTPResponse:
    config = config_of(request)
    session = request.ctx.session
    await in_thread(end_session, config.database_url, session.token_hash)
    await in_thread(audit.record, config.database_url, session.member.name, "logout")
    reply = see_other("/login")
    clear_cookie(request, reply, SESSION_COOKIE)
    return reply
