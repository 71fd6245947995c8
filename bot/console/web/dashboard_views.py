"""仪表盘: charts of the chosen days (default: the last 30), drawn as inline SVG on the server."""

from __future__ import annotations

import datetime as dt

from sanic import Blueprint
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.console import charts
from bot.console.dashboard import build, rate
from bot.console.texts import label, texts
from bot.console.turn_filters import checked_date
from bot.console.web.responses import config_of, page, problem
from bot.console.web.threads import in_thread

blueprint = Blueprint("dashboard")
DEFAULT_DAYS = 30
MAX_DAYS = 366


def _day_range(request: Request, today: dt.date) -> tuple[dt.date, dt.date]:
    last = checked_date(dt.date.fromisoformat(request.args.get("date_to") or today.isoformat()))
    first = checked_date(dt.date.fromisoformat(request.args.get("date_from")
                                               or (last - dt.timedelta(days=DEFAULT_DAYS - 1)).isoformat()))
    if first > last or (last - first).days >= MAX_DAYS:
        raise ValueError("bad day range")
    return first, last


@blueprint.get("/dashboard")
async def dashboard(request: Request) -> HTTPResponse:
    config = config_of(request)
    today = dt.datetime.now(config.timezone).date()
    try:
        first, last = _day_range(request, today)
    except ValueError:
        return problem(request, 400)
    data = await in_thread(build, config.database_url, first, last, config.timezone)
    words = texts()["charts"]
    per_channel = {label("channels", channel): [data.per_day[day].by_channel.get(channel, 0) for day in data.days]
                   for channel in data.channels}
    rates = {
        words["out_of_scope_rate"]: [rate(data.per_day[day].out_of_scope, data.per_day[day].questions)
                                     for day in data.days],
        words["clarify_rate"]: [rate(data.per_day[day].clarify, data.per_day[day].questions) for day in data.days],
        words["negative_feedback_rate"]: [rate(data.per_day[day].negative, data.per_day[day].rated)
                                          for day in data.days],
    }
    totals = data.totals
    return page(
        request, "dashboard.html", nav="dashboard", data=data, first=first, last=last,
        out_of_scope_rate=rate(totals.out_of_scope, totals.questions),
        clarify_rate=rate(totals.clarify, totals.questions),
        negative_rate=rate(totals.negative, totals.rated),
        per_day_chart=charts.stacked_day_bars(words["per_day"], data.days, per_channel),
        topics_chart=charts.ranked_bars(words["top_topics"], [(title, n) for _, title, n in data.top_topics]),
        departments_chart=charts.ranked_bars(words["departments"], data.departments),
        rates_chart=charts.rate_lines(words["rates"], data.days, rates),
    )
