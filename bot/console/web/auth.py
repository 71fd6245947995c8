"""Who is asking: the session cookie, sign-in redirects, admin-only pages and the CSRF check on every POST."""

from __future__ import annotations

from urllib.parse import quote

from sanic import response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.console.sessions import csrf_matches, find_session
from bot.console.web.responses import config_of, problem, wants_html
from bot.console.web.threads import in_thread

SESSION_COOKIE = "chuangye_console"
LOGIN_CSRF_COOKIE = "chuangye_console_login"
PUBLIC_PATHS = ("/login", "/healthz")
PUBLIC_PREFIXES = ("/static/",)
ADMIN_PREFIX = "/admin"


def is_public(path: str) -> bool:
    return path in PUBLIC_PATHS or path.startswith(PUBLIC_PREFIXES)


def is_admin_path(path: str) -> bool:
    return path == ADMIN_PREFIX or path.startswith(ADMIN_PREFIX + "/")


def secure_cookies(request: Request) -> bool:
    configured = config_of(request).cookie_secure
    return request.scheme == "https" if configured is None else configured


def set_cookie(request: Request, reply: HTTPResponse, name: str, value: str, max_age: int, path: str = "/") -> None:
    """An HttpOnly, SameSite=Strict cookie (Secure over https or when configured)."""
    reply.cookies[name] = value
    cookie = reply.cookies[name]
    cookie["path"] = path
    cookie["max-age"] = max_age
    cookie["httponly"] = True
    cookie["samesite"] = "Strict"
    if secure_cookies(request):
        cookie["secure"] = True


def clear_cookie(request: Request, reply: HTTPResponse, name: str, path: str = "/") -> None:
    set_cookie(request, reply, name, "", 0, path)


def local_target(target: str | None) -> str:
    """Where to go after signing in: a path on this site only (never another host)."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return "/conversations"


async def authenticate(request: Request) -> HTTPResponse | None:
    """Request middleware: attach the session, or answer 303/401, 403 (admin pages, CSRF) before any view."""
    request.ctx.session = None
    token = request.cookies.get(SESSION_COOKIE)
    if token:
        request.ctx.session = await in_thread(find_session, config_of(request).database_url, token)
    if is_public(request.path):
        return None
    session = request.ctx.session
    if session is None:
        if wants_html(request) and request.method == "GET":
            target = request.path + (f"?{request.query_string}" if request.query_string else "")
            return response.redirect(f"/login?next={quote(target, safe='')}", status=303)
        if wants_html(request):
            return response.redirect("/login", status=303)
        return problem(request, 401)
    if is_admin_path(request.path) and not session.member.is_admin:
        return problem(request, 403)
    if request.method == "POST" and not csrf_matches(session.csrf_token, request.form.get("csrf_token")):
        return problem(request, 403, "csrf")
    return None
