"""人工请求队列: open and in-progress hand-off requests, oldest first; staff move them along (audited)."""

from __future__ import annotations

import contextlib

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.base import clean_text
from bot.channels.outbound import (
    STAFF_REPLY_LIMIT,
    DeliveryFailed,
    NotDeliverable,
    OptedOut,
    deliverable_channels,
    send_staff_reply,
)
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
from bot.console.texts import texts
from bot.console.vocabulary import topic_titles
from bot.console.web.responses import config_of, is_row_id, page, problem, see_other
from bot.console.web.threads import in_thread
from bot.settings import load_settings
from bot.storage.contacts import ContactKeyError
from bot.storage.redaction import redact

AUDITED_REPLY_CHARS = 200  # the audit log keeps the start of a staff reply, redacted like every stored text

blueprint = Blueprint("handoffs")


@blueprint.get("/handoffs")
async def handoff_queue(request: Request) -> HTTPResponse:
    return await queue_page(request, show_closed=request.args.get("closed") == "1")


async def queue_page(request: Request, show_closed: bool = False, revealed: dict | None = None,
                     reply_error: dict | None = None, status: int = 200) -> HTTPResponse:
    config = config_of(request)
    statuses = STATUSES if show_closed else ("open", "in_progress")
    requests = await in_thread(queue, config.database_url, statuses)
    return page(request, "handoffs.html", status=status, nav="handoffs", requests=requests, transitions=TRANSITIONS,
                show_closed=show_closed, titles=topic_titles(), revealed=revealed, reply_error=reply_error,
                repliable=replyable_channels(), reply_limit=STAFF_REPLY_LIMIT)


def replyable_channels() -> tuple[str, ...]:
    """The channels this installation can write to (their credentials are set for the console too)."""
    return deliverable_channels(load_settings())


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


@blueprint.post("/handoffs/<request_id:int>/reply")
async def handoff_reply(request: Request, request_id: int) -> HTTPResponse:
    """Sends a staff member's answer on the person's own channel, audits it and marks the request as being handled.

    A refused or failed send re-shows the queue with the text still in the form, so nothing typed is lost.
    """
    config = config_of(request)
    if not is_row_id(request_id):
        return problem(request, 404)
    text = clean_text(request.form.get("text") or "")
    if not text or len(text) > STAFF_REPLY_LIMIT:
        return await _reply_refused(request, request_id, text, "empty" if not text else "too_long", 400)
    settings = load_settings()
    try:
        contact = await in_thread(reveal_contact, config.database_url, request_id, settings.handoff_contact_key)
    except NoContact:
        return problem(request, 404)
    except ContactKeyError:
        return problem(request, 500)
    try:
        delivery = await send_staff_reply(contact, text, settings)
    except OptedOut:
        return await _reply_refused(request, request_id, text, "opted_out", 409)
    except NotDeliverable:
        return await _reply_refused(request, request_id, text, "not_deliverable", 409)
    except DeliveryFailed:
        return await _reply_refused(request, request_id, text, "failed", 502)
    await in_thread(audit.record, config.database_url, request.ctx.session.member.name, "handoff_reply",
                    f"handoff {request_id}",
                    f"sent on {delivery.channel} ({delivery.messages}): {redact(text)[:AUDITED_REPLY_CHARS]}")
    with contextlib.suppress(TransitionError):  # someone is answering: an open request moves along
        await in_thread(change_status, config.database_url, request_id, "open", "in_progress")
    return see_other(f"/handoffs?notice=handoff_replied#handoff-{request_id}")


async def _reply_refused(request: Request, request_id: int, text: str, reason: str, status: int) -> HTTPResponse:
    message = texts()["reply_errors"][reason].format(limit=STAFF_REPLY_LIMIT)
    in_form = reason not in ("not_deliverable", "opted_out")  # else no reply form to put the text back in
    return await queue_page(request, reply_error={"id": request_id, "message": message, "text": text,
                                                  "in_form": in_form}, status=status)
