"""The console in a real browser against the real server: log in, find your way, log out."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer, open_nav_item, screenshot
from tests.e2e.seed import SEED_ACTOR, ConsoleWorld, add_second_corp, seed_console_world

pytestmark = pytest.mark.e2e


@pytest.fixture
def world(live_server: LiveServer) -> ConsoleWorld:
    return seed_console_world(live_server.database_url)


def log_in(page: Page, email: str, password: str) -> None:
    page.get_by_test_id("login-email").fill(email)
    page.get_by_test_id("login-password").fill(password)
    page.get_by_test_id("login-submit").click()


class TestConsoleShell:
    def test_log_in_switch_language_open_staff_and_log_out(
        self, page: Page, live_server: LiveServer, world: ConsoleWorld
    ) -> None:
        corp_path = f"/c/{world.corp_id}"

        # A stranger is sent to the login page, which speaks Chinese by default.
        page.goto(f"{live_server.url}{corp_path}/staff")
        expect(page).to_have_url(re.compile(r"/login\?redirect="))
        expect(page.get_by_test_id("login-submit")).to_have_text("登录")

        # A wrong password shows the API's error, translated.
        log_in(page, world.email, "not the password")
        expect(page.get_by_test_id("login-error")).to_contain_text("邮箱或密码不正确")

        # The right one opens the page asked for, in the user's corp.
        log_in(page, world.email, world.password)
        expect(page).to_have_url(f"{live_server.url}{corp_path}/staff")
        expect(page.get_by_test_id("corp-switcher")).to_contain_text(world.corp_name)
        expect(page.get_by_test_id("user-menu")).to_contain_text(world.display_name)
        nav = page.get_by_test_id("side-nav")
        for label in ("概览", "客户", "客户分群", "群发消息", "员工", "设置"):
            expect(nav).to_contain_text(label)
        expect(page.get_by_test_id("staff-table")).to_contain_text(world.staff_names[0])

        # English everywhere after switching, and the choice survives a reload.
        page.get_by_test_id("language-switcher").click()
        page.get_by_test_id("locale-en").click()
        expect(nav).to_contain_text("Customers")
        expect(nav).to_contain_text("Segments")
        expect(page.get_by_role("heading", name="Staff")).to_be_visible()
        page.reload()
        expect(nav).to_contain_text("Dashboard")

        # Pages still to come say so instead of breaking.
        open_nav_item(page, "Automation")
        expect(page).to_have_url(f"{live_server.url}{corp_path}/automation")
        expect(page.get_by_test_id("coming-soon")).to_contain_text("Coming soon")

        # The staff page lists the corp's members.
        open_nav_item(page, "Staff")
        expect(page).to_have_url(f"{live_server.url}{corp_path}/staff")
        table = page.get_by_test_id("staff-table")
        for name in world.staff_names:
            expect(table).to_contain_text(name)
        expect(table).to_contain_text(world.department)
        expect(table).to_contain_text("Active")
        expect(table).to_contain_text("Not activated")
        screenshot(page, "console-staff")

        # Logging out ends the session: the console is closed again.
        page.get_by_test_id("user-menu").click()
        page.get_by_test_id("menu-logout").click()
        expect(page).to_have_url(re.compile(r"/login"))
        expect(page.get_by_test_id("login-submit")).to_have_text("Log in")
        page.goto(f"{live_server.url}{corp_path}/dashboard")
        expect(page).to_have_url(re.compile(r"/login\?redirect="))

    def test_audit_log_shows_what_happened(
        self, page: Page, live_server: LiveServer, world: ConsoleWorld
    ) -> None:
        page.goto(f"{live_server.url}/")
        log_in(page, world.email, world.password)
        expect(page).to_have_url(f"{live_server.url}/c/{world.corp_id}/dashboard")
        expect(page.get_by_test_id("dashboard-corp-name")).to_have_text(world.corp_name)

        open_nav_item(page, "审计日志")
        expect(page).to_have_url(f"{live_server.url}/c/{world.corp_id}/settings/audit")
        table = page.get_by_test_id("audit-table")
        expect(table).to_contain_text("member.create")
        expect(table).to_contain_text(SEED_ACTOR)
        screenshot(page, "console-audit")


class TestLoginThrottling:
    @pytest.fixture
    def server_env(self) -> dict[str, str]:
        return {"SIYU_LOGIN_MAX_FAILURES": "2", "SIYU_LOGIN_LOCKOUT_MINUTES": "15"}

    def test_a_locked_account_is_told_when_to_come_back(
        self, page: Page, live_server: LiveServer, world: ConsoleWorld
    ) -> None:
        page.goto(f"{live_server.url}/login")
        for _ in range(2):
            log_in(page, world.email, "not the password")
            expect(page.get_by_test_id("login-error")).to_contain_text("邮箱或密码不正确")
        log_in(page, world.email, world.password)
        expect(page.get_by_test_id("login-error")).to_contain_text(
            "尝试次数过多，请 15 分钟 后再试"
        )
        expect(page).to_have_url(f"{live_server.url}/login")


class TestAccountMenu:
    def test_change_password_then_log_in_with_the_new_one(
        self, page: Page, live_server: LiveServer, world: ConsoleWorld
    ) -> None:
        new_password = "a brand new passphrase"
        page.goto(f"{live_server.url}/login")
        log_in(page, world.email, world.password)
        expect(page.get_by_test_id("dashboard")).to_be_visible()

        page.get_by_test_id("user-menu").click()
        page.get_by_test_id("menu-change-password").click()
        page.get_by_test_id("password-current").fill("not the password")
        page.get_by_test_id("password-new").fill(new_password)
        page.get_by_test_id("password-confirm").fill(new_password)
        page.get_by_test_id("password-save").click()
        expect(page.get_by_test_id("password-error")).to_contain_text("当前密码不正确")

        page.get_by_test_id("password-current").fill(world.password)
        page.get_by_test_id("password-save").click()
        expect(page.get_by_text("密码已修改")).to_be_visible()

        page.get_by_test_id("user-menu").click()
        page.get_by_test_id("menu-logout").click()
        expect(page).to_have_url(re.compile(r"/login"))
        log_in(page, world.email, new_password)
        expect(page.get_by_test_id("dashboard")).to_be_visible()

    def test_an_ended_session_sends_the_user_back_to_login(
        self, page: Page, live_server: LiveServer, world: ConsoleWorld
    ) -> None:
        page.goto(f"{live_server.url}/login")
        log_in(page, world.email, world.password)
        expect(page.get_by_test_id("dashboard")).to_be_visible()

        # The server no longer knows this browser (cookie gone): the next API call answers 401.
        page.context.clear_cookies()
        open_nav_item(page, "员工")
        expect(page).to_have_url(re.compile(r"/login\?redirect=.*staff"))
        expect(page.get_by_text("登录已过期，请重新登录")).to_be_visible()
        log_in(page, world.email, world.password)
        expect(page).to_have_url(f"{live_server.url}/c/{world.corp_id}/staff")


class TestCorpSwitcher:
    def test_switching_keeps_the_page_and_is_remembered(
        self, page: Page, live_server: LiveServer, world: ConsoleWorld
    ) -> None:
        other_name = "第二公司"
        other_id = add_second_corp(live_server.database_url, email=world.email, name=other_name)
        page.goto(f"{live_server.url}/login")
        log_in(page, world.email, world.password)
        open_nav_item(page, "员工")
        expect(page).to_have_url(f"{live_server.url}/c/{world.corp_id}/staff")

        page.get_by_test_id("corp-switcher").click()
        page.get_by_role("option", name=other_name).click()
        expect(page).to_have_url(f"{live_server.url}/c/{other_id}/staff")
        expect(page.get_by_test_id("staff-table")).to_contain_text("还没有同步到员工")

        # The address without a corp opens the one chosen last.
        page.goto(f"{live_server.url}/")
        expect(page).to_have_url(f"{live_server.url}/c/{other_id}/dashboard")
        expect(page.get_by_test_id("dashboard-corp-name")).to_have_text(other_name)
        # A corp the user does not belong to is replaced by one they do.
        page.goto(f"{live_server.url}/c/00000000-0000-0000-0000-000000000000/staff")
        expect(page).to_have_url(f"{live_server.url}/c/{other_id}/staff")
