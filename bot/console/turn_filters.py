"""The filters of the conversation list and the exports: parsed from a query string, applied as SQL."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from dataclasses import dataclass, fields
from urllib.parse import urlencode

import sqlalchemy as sa

KINDS = ("answer", "eligibility", "clarify", "out_of_scope", "chitchat", "handoff", "unavailable")
REVIEW_STATUSES = ("unreviewed", "reviewed")
# Dates far outside the log but safe to shift by a time zone and a day (0001-01-01 and 9999-12-31 overflow).
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(9998, 12, 31)


class FilterError(ValueError):
    """A filter value that cannot be understood (the page answers 400)."""


@dataclass(frozen=True)
class TurnFilter:
    channel: str | None = None
    topic: str | None = None
    date_from: dt.date | None = None  # local dates, both ends included
    date_to: dt.date | None = None
    confidence_below: float | None = None
    kind: str | None = None
    handoff: bool = False  # only turns where the user asked for a human
    negative_feedback: bool = False  # only turns rated "not_useful"
    review_status: str | None = None

    @classmethod
    def from_args(cls, args: Mapping[str, str]) -> TurnFilter:
        """Read the filters from query arguments; empty values mean "any"."""
        def text(name: str, limit: int) -> str | None:
            value = (args.get(name) or "").strip()
            if len(value) > limit:
                raise FilterError(f"{name} is too long")
            return value or None

        def date(name: str) -> dt.date | None:
            value = text(name, 10)
            try:
                return checked_date(dt.date.fromisoformat(value)) if value else None
            except ValueError:
                raise FilterError(f"{name}: expected YYYY-MM-DD") from None

        def choice(name: str, allowed: tuple[str, ...]) -> str | None:
            value = text(name, 32)
            if value is not None and value not in allowed:
                raise FilterError(f"{name}: expected one of {', '.join(allowed)}")
            return value

        threshold = text("confidence_below", 16)
        confidence_below = None
        if threshold is not None:
            try:
                confidence_below = float(threshold)
            except ValueError:
                raise FilterError("confidence_below: expected a number between 0 and 1") from None
            if not (math.isfinite(confidence_below) and 0 <= confidence_below <= 1):
                raise FilterError("confidence_below: expected a number between 0 and 1")
        return cls(
            channel=text("channel", 32),
            topic=text("topic", 64),
            date_from=date("date_from"),
            date_to=date("date_to"),
            confidence_below=confidence_below,
            kind=choice("kind", KINDS),
            handoff=(args.get("handoff") or "") in ("1", "on", "true"),
            negative_feedback=(args.get("negative_feedback") or "") in ("1", "on", "true"),
            review_status=choice("review_status", REVIEW_STATUSES),
        )

    def query_items(self) -> list[tuple[str, str]]:
        """The filters that are set, as query arguments (what from_args reads back)."""
        items: list[tuple[str, str]] = []
        for field in fields(self):
            value = getattr(self, field.name)
            if value is None or value is False:
                continue
            items.append((field.name, "1" if value is True else str(value)))
        return items

    def query_string(self) -> str:
        return urlencode(self.query_items())

    def conditions(self, turns: sa.Table, timezone: dt.timezone) -> list[sa.sql.ColumnElement]:
        """SQL conditions on the turns table (dates are local to ``timezone``, compared in UTC)."""
        conditions: list[sa.sql.ColumnElement] = []
        if self.channel:
            conditions.append(turns.c.channel == self.channel)
        if self.topic:
            conditions.append(turns.c.topic == self.topic)
        if self.date_from:
            conditions.append(turns.c.timestamp >= local_midnight_utc(self.date_from, timezone))
        if self.date_to:
            next_day = self.date_to + dt.timedelta(days=1)
            conditions.append(turns.c.timestamp < local_midnight_utc(next_day, timezone))
        if self.confidence_below is not None:
            conditions.append(turns.c.confidence < self.confidence_below)
        if self.kind:
            conditions.append(turns.c.kind == self.kind)
        if self.handoff:
            conditions.append(turns.c.handoff_requested == sa.true())
        if self.negative_feedback:
            conditions.append(turns.c.feedback == "not_useful")
        if self.review_status:
            conditions.append(turns.c.review_status == self.review_status)
        return conditions


def checked_date(day: dt.date) -> dt.date:
    """``day`` if it lies between EARLIEST_DATE and LATEST_DATE, else FilterError."""
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise FilterError(f"{day.isoformat()}: expected a date between {EARLIEST_DATE} and {LATEST_DATE}")
    return day


def local_midnight_utc(day: dt.date, timezone: dt.timezone) -> dt.datetime:
    """The UTC moment at which ``day`` begins in ``timezone`` (SQLite stores UTC without its zone)."""
    return dt.datetime.combine(day, dt.time(), tzinfo=timezone).astimezone(dt.timezone.utc)
