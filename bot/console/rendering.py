"""HTML pages from the Jinja templates (autoescaped), with the console's wording and filters available."""

from __future__ import annotations

import datetime as dt
import functools
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from bot.console.texts import label, texts

TEMPLATES_DIR = Path(__file__).resolve().parent / "templates"


def _percent(value: float | None) -> str:
    return "—" if value is None else f"{value * 100:.1f}%"


def _confidence(value: float | None) -> str:
    return "—" if value is None else f"{value:.2f}"


@functools.lru_cache(maxsize=4)
def environment(utc_offset_minutes: int) -> Environment:
    """One Jinja environment per time zone; ``local`` shows a UTC timestamp in that zone."""
    zone = dt.timezone(dt.timedelta(minutes=utc_offset_minutes))
    env = Environment(
        loader=FileSystemLoader(TEMPLATES_DIR),
        autoescape=select_autoescape(["html", "svg"]),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals.update(t=texts(), label=label)
    env.filters.update(
        local=lambda moment, pattern="%Y-%m-%d %H:%M:%S": "" if moment is None
        else moment.astimezone(zone).strftime(pattern),
        percent=_percent,
        confidence=_confidence,
    )
    return env


def render(template: str, utc_offset_minutes: int, **context: Any) -> str:
    return environment(utc_offset_minutes).get_template(template).render(**context)
