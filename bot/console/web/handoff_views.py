"""人工请求队列: open and in-progress hand-off requests, oldest first; staff move them along (audited)."""

from __future__ import annotations

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.console import audit
from bot.console.handoff_queue import (
    STATUSES,
    TRANSITIONS,
    NoContact,
    TransitionError,
    change_status,
    queue,
    reveal_contact,
)
from bot.console.vocabulary import topic_titles
from bot.console.web.responses import config_of, is_row_id, page, problem, see_other
from bot.console.web.threads import in_thread
from bot.settings import load_settings
from bot.storage.contacts import ContactKeyError

blueprint = Blueprint("handoffs")


@blueprint.get("/handoffs")
async def handoff_queue(request: Request) -> HTTPResponse:
    return await queue_page(request, show_closed=request.args.get("closed") == "1")


async def queue_page(request: Request, show_closed: bool = False, revealed: dict | None = None) -> HTTPResponse:
    config = config_of(request)
    statuses = STATUSES if show_closed else ("open", "in_progress")
    requests = await in_thread(queue, config.database_url, statuses)
    return page(request, "handoffs.html", nav="handoffs", requests=requests, transitions=TRANSITIONS,
                show_closed=show_closed, titles=topic_titles(), revealed=revealed)


@blueprint.post("/handoffs/<request_id:int>/contact")
async def handoff_contact(request: Request, request_id: int) -> HTTPResponse:
    """Shows the contact of a waiting request to the staff member who asked, once, on this response only (never
    in a URL), and writes who saw it to the audit log first."""
    config = config_of(request)
    if not is_row_id(request_id):
        return problem(request, 404)
    try:
        contact = await in_thread(reveal_contact, config.database_url, request_id,
                                  load_settings().handoff_contact_key)
    except NoContact:
        return problem(request, 404)
    except ContactKeyError:
        return problem(request, 500)
    await in_thread(audit.record, config.database_url, request.ctx.session.member.name, "handoff_contact",
                    f"handoff {request_id}", "contact revealed")
    channel, _, platform_id = contact.partition(":")
    return await queue_page(request, revealed={"id": request_id, "channel": channel, "contact": platform_id})


@blueprint.post("/handoffs/<request_id:int>/status")
async def handoff_status(request: Request, request_id: int) -> HTTPResponse:
    config = config_of(request)
    if not is_row_id(request_id):
        return problem(request, 404)
    expected, new = request.form.get("from") or "", request.form.get("status") or ""
    if expected not in STATUSES or new not in STATUSES:
        return problem(request, 400)
    try:
        await in_thread(change_status, config.database_url, request_id, expected, new)
    except TransitionError:
        return problem(request, 409)
    await in_thread(audit.record, config.database_url, request.ctx.session.member.name, "handoff_status",
                    f"handoff {request_id}", f"{expected}→{new}")
    return see_other(f"/handoffs?notice=handoff_updated#handoff-{request_id}")
