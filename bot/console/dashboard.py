"""Dashboard figures: questions per day by channel, top topics, routing by lead department, and rates."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import sqlalchemy as sa

from bot.console.turn_filters import TurnFilter
from bot.console.vocabulary import lead_departments, topic_titles
from bot.storage.database import engine_for
from bot.storage.turns import turns


@dataclass
class DayFigures:
    questions: int = 0
    out_of_scope: int = 0
    clarify: int = 0
    rated: int = 0  # turns with any feedback
    negative: int = 0  # turns rated not_useful
    by_channel: dict[str, int] = field(default_factory=dict)


@dataclass(frozen=True)
class Dashboard:
    days: list[dt.date]
    channels: list[str]
    per_day: dict[dt.date, DayFigures]
    totals: DayFigures
    top_topics: list[tuple[str, str, int]]  # id, title, questions
    departments: list[tuple[str, int]]  # lead department, questions routed to its topics


def rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def local_day(column: sa.Column, dialect: str, offset_minutes: int) -> sa.sql.ColumnElement:
    """The calendar day (YYYY-MM-DD) of a UTC timestamp at a fixed UTC offset, in the database's SQL."""
    if dialect == "sqlite":
        return sa.func.date(column, f"{offset_minutes:+d} minutes")
    if dialect == "postgresql":
        # AT TIME ZONE with an interval counts positive offsets east of Greenwich (ISO 8601).
        zone = sa.text(f"INTERVAL '{int(offset_minutes)} minutes'")
        return sa.func.to_char(sa.func.timezone(zone, column), "YYYY-MM-DD")
    raise NotImplementedError(f"the dashboard supports SQLite and PostgreSQL, not {dialect}")


def _count_when(condition: sa.sql.ColumnElement) -> sa.sql.ColumnElement:
    return sa.func.sum(sa.case((condition, 1), else_=0))


def build(database_url: str, first: dt.date, last: dt.date, timezone: dt.timezone, top: int = 10) -> Dashboard:
    """Figures for the local days ``first`` to ``last`` (both included)."""
    engine = engine_for(database_url)
    offset = int(timezone.utcoffset(None).total_seconds() // 60)
    day = local_day(turns.c.timestamp, engine.dialect.name, offset).label("day")
    conditions = TurnFilter(date_from=first, date_to=last).conditions(turns, timezone)
    daily = (sa.select(day, turns.c.channel, sa.func.count().label("questions"),
                       _count_when(turns.c.kind == "out_of_scope").label("out_of_scope"),
                       _count_when(turns.c.kind == "clarify").label("clarify"),
                       _count_when(turns.c.feedback.isnot(None)).label("rated"),
                       _count_when(turns.c.feedback == "not_useful").label("negative"))
             .where(*conditions).group_by(day, turns.c.channel))
    by_topic = (sa.select(turns.c.topic, sa.func.count().label("questions"))
                .where(*conditions, turns.c.topic.isnot(None)).group_by(turns.c.topic))
    with engine.connect() as connection:
        daily_rows = connection.execute(daily).all()
        topic_rows = connection.execute(by_topic).all()

    days = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)]
    per_day = {each: DayFigures() for each in days}
    totals = DayFigures()
    channels: set[str] = set()
    for row in daily_rows:
        figures = per_day.setdefault(dt.date.fromisoformat(row.day), DayFigures())
        channels.add(row.channel)
        for target in (figures, totals):
            target.questions += row.questions
            target.out_of_scope += row.out_of_scope or 0
            target.clarify += row.clarify or 0
            target.rated += row.rated or 0
            target.negative += row.negative or 0
            target.by_channel[row.channel] = target.by_channel.get(row.channel, 0) + row.questions

    titles, leads = topic_titles(), lead_departments()
    counted = sorted(((row.topic, row.questions) for row in topic_rows), key=lambda item: (-item[1], item[0]))
    top_topics = [(topic, titles.get(topic, topic), questions) for topic, questions in counted[:top]]
    departments: dict[str, int] = {}
    for topic, questions in counted:
        if topic in leads:
            departments[leads[topic]] = departments.get(leads[topic], 0) + questions
    return Dashboard(
        days=days,
        channels=sorted(channels),
        per_day=per_day,
        totals=totals,
        top_topics=top_topics,
        departments=sorted(departments.items(), key=lambda item: (-item[1], item[0])),
    )
