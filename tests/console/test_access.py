"""Who may do what: sign-in redirects, 401 for non-HTML clients, admin-only pages, CSRF, cookies, rate limit."""

from __future__ import annotations

import concurrent.futures
import datetime as dt

import requests
import sqlalchemy as sa

from bot.console.schema import login_attempts, staff_sessions
from bot.storage.database import engine_for
from tests.console.client import csrf_in
from tests.console.conftest import ADMIN, REVIEWER, Console, at
from tests.console.seeding import insert_turns, stored_turn, turn

PAGES = ["/conversations", "/conversations/" + "c" * 64, "/handoffs", "/dashboard", "/admin/staff", "/admin/audit",
         "/exports/turns.csv", "/exports/turns.jsonl", "/exports/nlu.yml"]


def test_unauthenticated_browser_is_sent_to_login_and_other_clients_get_401(console: Console) -> None:
    browser = console.browser()
    for path in PAGES:
        response = browser.get(path)
        assert response.status_code == 303, path
        assert response.headers["Location"].startswith("/login?next="), path
    page = browser.get("/conversations?topic=tax_incentives")
    assert page.headers["Location"] == "/login?next=%2Fconversations%3Ftopic%3Dtax_incentives"
    for path in PAGES:
        response = requests.get(console.base_url + path, headers={"Accept": "application/json"},
                                allow_redirects=False, timeout=30)
        assert response.status_code == 401, path
        assert response.json()["error"] == "unauthorized"
    posted = requests.post(console.base_url + "/handoffs/1/status", data={"status": "closed"},
                           allow_redirects=False, timeout=30)
    assert posted.status_code == 401


def test_login_page_and_static_files_are_public(console: Console) -> None:
    browser = console.browser()
    page = browser.get("/login")
    assert page.status_code == 200
    for marker in ('id="login-form"', 'name="name"', 'name="password"', 'data-testid="login-submit"'):
        assert marker in page.text
    assert browser.get("/static/console.css").status_code == 200


def test_login_sets_a_strict_httponly_session_cookie_and_goes_where_asked(console: Console) -> None:
    browser = console.browser()
    form = browser.get("/login?next=/dashboard")
    response = browser.http.post(console.base_url + "/login", allow_redirects=False, timeout=30, data={
        "csrf_token": csrf_in(form.text), "name": ADMIN[0], "password": ADMIN[1], "next": "/dashboard"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/dashboard"
    cookie = next(value for value in response.raw.headers.getlist("Set-Cookie")
                  if value.startswith("chuangye_console="))
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie  # plain http on loopback; https or the --secure-cookies flag sets it
    assert "Max-Age=28800" in cookie
    token = cookie.split(";")[0].split("=", 1)[1]
    with engine_for(console.database_url).connect() as connection:
        stored = connection.execute(sa.select(staff_sessions.c.token_hash)).scalars().all()
    assert token not in stored  # only the hash is kept
    assert browser.get("/dashboard").status_code == 200


def test_login_refuses_other_sites_as_the_next_page(console: Console) -> None:
    browser = console.browser()
    form = browser.get("/login")
    response = browser.http.post(console.base_url + "/login", allow_redirects=False, timeout=30, data={
        "csrf_token": csrf_in(form.text), "name": ADMIN[0], "password": ADMIN[1], "next": "//evil.example/"})
    assert response.headers["Location"] == "/conversations"


def test_wrong_password_and_unknown_name_are_refused_alike(console: Console, clear_login_attempts: None) -> None:
    wrong = console.browser().login(ADMIN[0], "not-the-password")
    unknown = console.browser().login("nobody", "not-the-password")
    assert wrong.status_code == unknown.status_code == 401
    assert 'data-testid="login-error"' in wrong.text


def test_expired_session_is_refused(console: Console) -> None:
    browser = console.reviewer()
    with engine_for(console.database_url).begin() as connection:
        connection.execute(staff_sessions.update().values(
            expires_at=dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=1)))
    assert browser.get("/handoffs").status_code == 303


def test_logout_ends_the_session(console: Console) -> None:
    browser = console.reviewer()
    assert browser.post("/logout").status_code == 303
    browser.http.cookies.clear()
    assert browser.get("/handoffs").status_code == 303


def test_a_stolen_cookie_stops_working_after_logout(console: Console) -> None:
    browser = console.reviewer()
    stolen = browser.http.cookies.get("chuangye_console")
    browser.post("/logout")
    thief = console.browser()
    thief.http.cookies.set("chuangye_console", stolen)
    assert thief.get("/handoffs").status_code == 303


def test_reviewer_cannot_reach_admin_pages(console: Console) -> None:
    reviewer = console.reviewer()
    for path in ("/admin/staff", "/admin/audit"):
        response = reviewer.get(path)
        assert response.status_code == 403, path
        assert 'data-testid="error-page"' in response.text
    added = reviewer.post("/admin/staff", {"name": "sneaky", "role": "admin", "password": "sneaky-password-1"})
    assert added.status_code == 403
    assert "sneaky" not in console.admin().get("/admin/staff").text
    assert 'id="nav-staff"' not in reviewer.get("/handoffs").text
    admin = console.admin()
    assert admin.get("/admin/staff").status_code == 200
    assert admin.get("/admin/audit").status_code == 200


def test_post_without_the_csrf_token_is_refused(console: Console, day: dt.date) -> None:
    [turn_id] = insert_turns(console.database_url, [turn(at(day, 10))])
    reviewer = console.reviewer()
    correction = {"intent": "ask_policy", "topic": "tax_incentives"}
    assert reviewer.post(f"/turns/{turn_id}/correction", correction, csrf=False).status_code == 403
    assert reviewer.post(f"/turns/{turn_id}/correction", {**correction, "csrf_token": "forged"}).status_code == 403
    other = console.admin()  # another session's token does not fit this one
    assert reviewer.post(f"/turns/{turn_id}/correction", {**correction, "csrf_token": other.csrf_token}
                         ).status_code == 403
    assert reviewer.post("/logout", csrf=False).status_code == 403
    assert stored_turn(console.database_url, turn_id)["corrected_intent"] is None
    assert reviewer.post(f"/turns/{turn_id}/correction", correction).status_code == 303


def test_login_post_needs_the_token_of_the_login_form(console: Console) -> None:
    browser = console.browser()
    response = browser.http.post(console.base_url + "/login", allow_redirects=False, timeout=30,
                                 data={"name": ADMIN[0], "password": ADMIN[1]})
    assert response.status_code == 403


def test_five_failures_from_one_address_lock_logins_out(console: Console, clear_login_attempts: None) -> None:
    for attempt in range(5):
        assert console.browser().login(f"guess{attempt}", "wrong-password").status_code == 401
    locked = console.browser().login(*REVIEWER)  # even the right password, from the same address
    assert locked.status_code == 429
    assert locked.headers["Retry-After"] == "900"


def test_five_failures_for_one_name_lock_that_name_out(console: Console, clear_login_attempts: None) -> None:
    now = dt.datetime.now(dt.timezone.utc)
    with engine_for(console.database_url).begin() as connection:  # failures from elsewhere
        connection.execute(login_attempts.insert(), [
            {"name": REVIEWER[0], "remote": f"203.0.113.{n}", "at": now, "success": False} for n in range(5)])
    assert console.browser().login(*REVIEWER).status_code == 429
    assert console.browser().login(*ADMIN).status_code == 303  # other names are not affected


def test_the_failure_limit_holds_when_thirty_attempts_arrive_at_once(console: Console,
                                                                    clear_login_attempts: None) -> None:
    """Each attempt is counted before its password is checked: at most five are ever checked."""
    browsers = [console.browser() for _ in range(30)]
    forms = [browser.get("/login") for browser in browsers]  # each its own CSRF cookie, fetched beforehand
    assert all(form.status_code == 200 for form in forms)
    with concurrent.futures.ThreadPoolExecutor(max_workers=30) as pool:
        statuses = list(pool.map(lambda browser: browser.login(REVIEWER[0], "wrong-password").status_code,
                                 browsers))
    assert statuses.count(401) <= 5 and set(statuses) <= {401, 429, 503}, statuses
    with engine_for(console.database_url).connect() as connection:
        failures = connection.execute(sa.select(sa.func.count()).select_from(login_attempts)
                                      .where(login_attempts.c.success == sa.false())).scalar()
    assert failures == statuses.count(401)  # refused attempts leave no row behind
    assert console.browser().login(*REVIEWER).status_code == 429  # and the lock holds


def test_old_failures_do_not_count(console: Console, clear_login_attempts: None) -> None:
    long_ago = dt.datetime.now(dt.timezone.utc) - dt.timedelta(minutes=16)
    with engine_for(console.database_url).begin() as connection:
        connection.execute(login_attempts.insert(), [
            {"name": REVIEWER[0], "remote": "127.0.0.1", "at": long_ago, "success": False} for _ in range(5)])
    assert console.browser().login(*REVIEWER).status_code == 303


def test_pages_carry_security_headers(console: Console) -> None:
    response = console.reviewer().get("/handoffs")
    assert "default-src 'none'" in response.headers["Content-Security-Policy"]
    assert response.headers["X-Frame-Options"] == "DENY"
    assert response.headers["Cache-Control"] == "no-store"
