"""Admin pages (admins only, enforced in auth.py): staff accounts and the audit log."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.console import audit
from bot.console.accounts import AccountError, create_staff, list_staff, set_disabled
from bot.console.schema import ROLES
from bot.console.texts import texts
from bot.console.web.responses import config_of, is_row_id, page, problem, see_other
from bot.console.web.threads import in_thread

blueprint = Blueprint("admin")
AUDIT_PAGE_SIZE = 100


async def _staff_page(request: Request, status: int = 200, error: str | None = None,
                      form: dict[str, str] | None = None) -> HTTPResponse:
    members = await in_thread(list_staff, config_of(request).database_url)
    return page(request, "staff.html", status=status, nav="staff", members=members, roles=ROLES, error=error,
                form=form or {"name": "", "role": "reviewer"})


@blueprint.get("/admin/staff")
async def staff_list(request: Request) -> HTTPResponse:
    return await _staff_page(request)


@blueprint.post("/admin/staff")
async def staff_add(request: Request) -> HTTPResponse:
    config = config_of(request)
    name = (request.form.get("name") or "").strip()
    role = request.form.get("role") or ""
    password = request.form.get("password") or ""
    try:
        await in_thread(create_staff, config.database_url, name, role, password)
    except AccountError as error:
        return await _staff_page(request, 400, texts()["account_errors"][error.code], {"name": name, "role": role})
    await in_thread(audit.record, config.database_url, request.ctx.session.member.name, "staff_add", name, role)
    return see_other("/admin/staff?notice=staff_added")


@blueprint.post("/admin/staff/<staff_id:int>/disabled")
async def staff_disable(request: Request, staff_id: int) -> HTTPResponse:
    config = config_of(request)
    if not is_row_id(staff_id):
        return problem(request, 404)
    disabled = request.form.get("disabled") == "1"
    try:
        member = await in_thread(set_disabled, config.database_url, staff_id, disabled)
    except AccountError as error:
        if error.code == "no_such_account":
            return problem(request, 404)
        return await _staff_page(request, 409, texts()["account_errors"][error.code])
    action = "staff_disable" if disabled else "staff_enable"
    await in_thread(audit.record, config.database_url, request.ctx.session.member.name, action, member.name)
    return see_other(f"/admin/staff?notice={'staff_disabled' if disabled else 'staff_enabled'}")


@blueprint.get("/admin/audit")
async def audit_view(request: Request) -> HTTPResponse:
    config = config_of(request)
    before = request.args.get("before") or ""
    if before and not is_row_id(before):
        return problem(request, 400)
    staff_name = (request.args.get("staff") or "").strip()[:64] or None
    action = (request.args.get("action") or "").strip()[:32] or None
    rows = await in_thread(audit.recent, config.database_url, AUDIT_PAGE_SIZE + 1,
                           int(before) if before else None, staff_name, action)
    older = rows[AUDIT_PAGE_SIZE - 1]["id"] if len(rows) > AUDIT_PAGE_SIZE else None
    return page(request, "audit.html", nav="audit", rows=rows[:AUDIT_PAGE_SIZE], older=older,
                staff_filter=staff_name or "", action_filter=action or "",
                actions=texts()["audit_actions"])
