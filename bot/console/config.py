"""The console's tunables, with defaults that suit one small team (bot/settings.py may override them)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class ConsoleConfig:
    """How long sessions last, how hard logins are limited, and how cookies and dates behave."""

    database_url: str
    session_hours: float = 8.0
    max_login_failures: int = 5  # per name and per remote address …
    login_window_minutes: int = 15  # … within this many minutes, then 429
    page_size: int = 50
    transcript_limit: int = 300  # turns shown on a transcript page (each carries a correction form)
    # None: Secure cookies exactly when the request came over https; True/False forces it.
    cookie_secure: bool | None = None
    # Reverse proxies in front of the console: their X-Forwarded-For/-Proto then give the user's address (for the
    # login rate limit) and scheme (for Secure cookies). 0: trust no forwarded header.
    proxies_count: int = 0
    # Dates typed into filters and the dashboard's days are Beijing time (no daylight saving).
    utc_offset_minutes: int = 8 * 60

    @property
    def timezone(self) -> dt.timezone:
        return dt.timezone(dt.timedelta(minutes=self.utc_offset_minutes))
