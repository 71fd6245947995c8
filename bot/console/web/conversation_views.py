"""对话列表 and 对话详情: filtered, keyset-paginated turns; transcripts; corrections and review marks."""

from __future__ import annotations

import re

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.console import audit
from bot.console.texts import texts
from bot.console.turn_filters import KINDS, REVIEW_STATUSES, FilterError, TurnFilter
from bot.console.turn_queries import (
    Cursor,
    CursorError,
    correct_turn,
    get_turn,
    list_turns,
    mark_conversation_reviewed,
    position_in_conversation,
    transcript,
)
from bot.console.vocabulary import intent_groups, known_intents, known_topics, topic_titles
from bot.console.web.responses import config_of, is_row_id, page, problem, see_other
from bot.console.web.threads import in_thread

blueprint = Blueprint("conversations")
SENDER_PATTERN = re.compile(r"^[0-9A-Za-z_-]{1,64}$")


def _cursor(request: Request, name: str) -> Cursor | None:
    value = request.args.get(name)
    return Cursor.parse(value) if value else None


def channel_choices(selected: str | None) -> dict[str, str]:
    choices = dict(texts()["channels"])
    if selected and selected not in choices:
        choices[selected] = selected
    return choices


@blueprint.get("/")
async def home(request: Request) -> HTTPResponse:
    return see_other("/conversations")


@blueprint.get("/conversations")
async def conversation_list(request: Request) -> HTTPResponse:
    config = config_of(request)
    try:
        turn_filter = TurnFilter.from_args(request.args)
        before, after = _cursor(request, "before"), _cursor(request, "after")
    except (FilterError, CursorError):
        return problem(request, 400)
    result = await in_thread(list_turns, config.database_url, turn_filter, config.timezone, config.page_size,
                             before=before, after=after)
    session = request.ctx.session
    position = f" before={before}" if before else f" after={after}" if after else ""
    await in_thread(audit.record, config.database_url, session.member.name, "list_turns", None,
                    f"{turn_filter.query_string()}{position}".strip() or None)
    return page(request, "conversations.html", nav="conversations", filter=turn_filter, page=result,
                filter_query=turn_filter.query_string(), channels=channel_choices(turn_filter.channel),
                topics=known_topics(), titles=topic_titles(), kinds=KINDS, review_statuses=REVIEW_STATUSES)


async def _transcript_page(request: Request, sender_hash: str, limit: int) -> int:
    """The page asked for: ``page=N``, or the one holding ``turn=ID`` (links from the list use it)."""
    turn = request.args.get("turn") or ""
    if turn.isdigit():
        if not is_row_id(turn):
            raise ValueError(f"bad turn {turn!r}")
        before = await in_thread(position_in_conversation, config_of(request).database_url, sender_hash, int(turn))
        return 1 if before is None else before // limit + 1
    number = request.args.get("page") or "1"
    if not is_row_id(number):  # there are no more pages than turns
        raise ValueError(f"bad page {number!r}")
    return int(number)


@blueprint.get("/conversations/<sender_hash:str>")
async def conversation(request: Request, sender_hash: str) -> HTTPResponse:
    config = config_of(request)
    if not SENDER_PATTERN.match(sender_hash):
        return problem(request, 404)
    limit = config.transcript_limit
    try:
        page_number = await _transcript_page(request, sender_hash, limit)
    except ValueError:
        return problem(request, 400)
    turns, total = await in_thread(transcript, config.database_url, sender_hash, limit, (page_number - 1) * limit)
    if not turns:
        return problem(request, 404)
    await in_thread(audit.record, config.database_url, request.ctx.session.member.name, "view_conversation",
                    sender_hash, f"turns {(page_number - 1) * limit + 1}–{(page_number - 1) * limit + len(turns)}"
                    f" of {total}")
    return page(request, "transcript.html", nav="conversations", sender_hash=sender_hash, turns=turns,
                total=total, page_number=page_number, pages=(total + limit - 1) // limit,
                intent_groups=intent_groups(), topics=known_topics(), titles=topic_titles())


@blueprint.post("/turns/<turn_id:int>/correction")
async def correct(request: Request, turn_id: int) -> HTTPResponse:
    config = config_of(request)
    if not is_row_id(turn_id):
        return problem(request, 404)
    intent = (request.form.get("intent") or "").strip() or None
    topic = (request.form.get("topic") or "").strip() or None
    if (intent is not None and intent not in known_intents()) or (
            topic is not None and topic not in topic_titles()):
        return problem(request, 400)
    turn = await in_thread(get_turn, config.database_url, turn_id)
    if turn is None:
        return problem(request, 404)
    member = request.ctx.session.member
    await in_thread(correct_turn, config.database_url, turn_id, intent, topic, member.name)
    detail = (f"intent {turn['intent']}→{intent} (was corrected: {turn['corrected_intent']}); "
              f"topic {turn['topic']}→{topic} (was corrected: {turn['corrected_topic']})")
    await in_thread(audit.record, config.database_url, member.name, "correct_turn", f"turn {turn_id}", detail)
    return see_other(f"/conversations/{turn['sender_hash']}?turn={turn_id}&notice=corrected#turn-{turn_id}")


@blueprint.post("/conversations/<sender_hash:str>/reviewed")
async def mark_reviewed(request: Request, sender_hash: str) -> HTTPResponse:
    config = config_of(request)
    if not SENDER_PATTERN.match(sender_hash):
        return problem(request, 404)
    changed = await in_thread(mark_conversation_reviewed, config.database_url, sender_hash)
    await in_thread(audit.record, config.database_url, request.ctx.session.member.name, "mark_reviewed",
                    sender_hash, f"{changed} turns")
    return see_other(f"/conversations/{sender_hash}?notice=reviewed")
