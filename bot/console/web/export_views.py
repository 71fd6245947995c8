"""Exports (each one audited): corrections as Rasa NLU YAML, filtered turns as CSV or JSON lines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.console import audit
from bot.console.exports import csv_header, csv_rows, jsonl_lines, nlu_export
from bot.console.turn_filters import FilterError, TurnFilter
from bot.console.turn_queries import Cursor, list_turns
from bot.console.web.responses import config_of, problem
from bot.console.web.threads import in_thread

blueprint = Blueprint("exports")
BATCH_SIZE = 2000


def _attachment(stem: str, suffix: str) -> dict[str, str]:
    stamp = dt.datetime.now(dt.timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    return {"Content-Disposition": f'attachment; filename="{stem}-{stamp}.{suffix}"',
            "Cache-Control": "no-store"}


async def _stream_turns(request: Request, action: str, content_type: str, suffix: str, header: str,
                        encode: Callable[[list[dict], dt.timezone], str]) -> HTTPResponse | None:
    config = config_of(request)
    try:
        turn_filter = TurnFilter.from_args(request.args)
    except FilterError:
        return problem(request, 400)
    await in_thread(audit.record, config.database_url, request.ctx.session.member.name, action, None,
                    turn_filter.query_string() or "all turns")
    reply = await request.respond(content_type=content_type, headers=_attachment("turns", suffix))
    if header:
        await reply.send(header)
    before: Cursor | None = None
    while True:
        batch = await in_thread(list_turns, config.database_url, turn_filter, config.timezone, BATCH_SIZE,
                                before=before)
        if batch.rows:
            await reply.send(encode(batch.rows, config.timezone))
        if batch.older is None:
            break
        before = batch.older
    await reply.eof()
    return None


@blueprint.get("/exports/turns.csv")
async def export_csv(request: Request) -> HTTPResponse | None:
    return await _stream_turns(request, "export_csv", "text/csv; charset=utf-8", "csv", csv_header(), csv_rows)


@blueprint.get("/exports/turns.jsonl")
async def export_jsonl(request: Request) -> HTTPResponse | None:
    return await _stream_turns(request, "export_jsonl", "application/x-ndjson; charset=utf-8", "jsonl", "",
                               jsonl_lines)


@blueprint.get("/exports/nlu.yml")
async def export_nlu(request: Request) -> HTTPResponse:
    config = config_of(request)
    text, count = await in_thread(nlu_export, config.database_url)
    await in_thread(audit.record, config.database_url, request.ctx.session.member.name, "export_nlu", None,
                    f"{count} corrections")
    return response.text(text, content_type="application/x-yaml; charset=utf-8",
                         headers=_attachment("nlu-corrections", "yml"))
