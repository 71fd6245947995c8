"""A staff member's browser, reduced to what the tests need: cookies, the CSRF token, HTML and files."""

from __future__ import annotations

import html
import re
from typing import Any

import requests

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]*)"')
TURN_ROW = re.compile(r'data-testid="turn-row" data-turn-id="(\d+)"')
TRANSCRIPT_TURN = re.compile(r'data-testid="transcript-turn" data-turn-id="(\d+)"')


def csrf_in(page: str) -> str:
    match = CSRF_FIELD.search(page)
    assert match, "no csrf_token field on the page"
    return match.group(1)


def turn_ids(page: str) -> list[int]:
    """The turns listed on a 对话列表 page, in order."""
    return [int(value) for value in TURN_ROW.findall(page)]


def transcript_turn_ids(page: str) -> list[int]:
    """The turns shown on a 对话详情 page, in order."""
    return [int(value) for value in TRANSCRIPT_TURN.findall(page)]


def link(page: str, testid: str) -> str | None:
    """The href of the link with this data-testid, or None when the page has none."""
    match = re.search(r'<a href="([^"]*)"[^>]*data-testid="' + re.escape(testid) + '"', page)
    return html.unescape(match.group(1)) if match else None


class Browser:
    """Sends ``Accept: text/html`` like a browser; never follows redirects, so tests see them."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.http = requests.Session()
        self.http.headers["Accept"] = "text/html,application/xhtml+xml"
        self.csrf_token = ""

    def get(self, path: str, **options: Any) -> requests.Response:
        return self.http.get(self.base_url + path, allow_redirects=False, timeout=30, **options)

    def post(self, path: str, data: dict[str, str] | None = None, csrf: bool = True) -> requests.Response:
        form = dict(data or {})
        if csrf:
            form.setdefault("csrf_token", self.csrf_token)
        return self.http.post(self.base_url + path, data=form, allow_redirects=False, timeout=30)

    def login(self, name: str, password: str) -> requests.Response:
        form_page = self.get("/login")
        response = self.http.post(self.base_url + "/login", allow_redirects=False, timeout=30, data={
            "csrf_token": csrf_in(form_page.text), "name": name, "password": password})
        if response.status_code == 303:
            self.csrf_token = csrf_in(self.get("/handoffs").text)  # a page that writes no audit row
        return response
