"""Admin pages over HTTP: adding and disabling accounts; the audit log."""

from __future__ import annotations

import sqlalchemy as sa

from bot.console.schema import staff
from bot.storage.database import engine_for
from tests.console.conftest import ADMIN, Console


def staff_id(database_url: str, name: str) -> int:
    with engine_for(database_url).connect() as connection:
        return connection.execute(sa.select(staff.c.id).where(staff.c.name == name)).scalar_one()


def test_admin_adds_a_reviewer_who_can_then_sign_in(console: Console) -> None:
    admin = console.admin()
    response = admin.post("/admin/staff", {"name": "wangfang", "role": "reviewer", "password": "wangfang-pass-1"})
    assert response.status_code == 303
    assert 'data-staff-name="wangfang"' in admin.get("/admin/staff").text
    assert console.browser().login("wangfang", "wangfang-pass-1").status_code == 303
    duplicate = admin.post("/admin/staff", {"name": "wangfang", "role": "reviewer", "password": "another-pass-1"})
    assert duplicate.status_code == 400 and "该用户名已存在" in duplicate.text
    short = admin.post("/admin/staff", {"name": "zhaolei", "role": "reviewer", "password": "short"})
    assert short.status_code == 400


def test_disabling_an_account_ends_its_sessions(console: Console) -> None:
    admin = console.admin()
    admin.post("/admin/staff", {"name": "chenjing", "role": "reviewer", "password": "chenjing-pass-1"})
    chenjing = console.browser()
    assert chenjing.login("chenjing", "chenjing-pass-1").status_code == 303
    member = staff_id(console.database_url, "chenjing")
    assert admin.post(f"/admin/staff/{member}/disabled", {"disabled": "1"}).status_code == 303
    assert chenjing.get("/handoffs").status_code == 303  # signed out
    assert console.browser().login("chenjing", "chenjing-pass-1").status_code == 401
    assert admin.post(f"/admin/staff/{member}/disabled", {"disabled": "0"}).status_code == 303
    assert console.browser().login("chenjing", "chenjing-pass-1").status_code == 303


def test_the_last_admin_cannot_be_disabled(console: Console) -> None:
    admin = console.admin()
    response = admin.post(f"/admin/staff/{staff_id(console.database_url, ADMIN[0])}/disabled", {"disabled": "1"})
    assert response.status_code == 409
    assert admin.get("/admin/staff").status_code == 200


def test_audit_log_shows_who_did_what(console: Console) -> None:
    admin = console.admin()
    admin.post("/admin/staff", {"name": "liuyang", "role": "admin", "password": "liuyang-pass-1"})
    page = admin.get("/admin/audit?action=staff_add")
    assert page.status_code == 200
    assert 'data-action="staff_add"' in page.text and "liuyang" in page.text
    assert 'data-action="login"' not in page.text  # the filter holds
