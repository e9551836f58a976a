"""The integration, inbox and customer pages in a real browser, on a corp filled by a real
sync from the WeCom sandbox."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer, screenshot
from tests.e2e.synced import SECRET, Login, SyncedWorld, synced_world

pytestmark = pytest.mark.e2e


@pytest.fixture
def world(live_server: LiveServer) -> Iterator[SyncedWorld]:
    with synced_world(live_server.database_url) as synced:
        yield synced


def open_as(page: Page, server: LiveServer, login: Login, path: str) -> None:
    page.goto(f"{server.url}{path}")
    page.get_by_test_id("login-email").fill(login.email)
    page.get_by_test_id("login-password").fill(login.password)
    page.get_by_test_id("login-submit").click()
    expect(page).to_have_url(f"{server.url}{path}")


def use_english(page: Page) -> None:
    page.get_by_test_id("language-switcher").click()
    page.get_by_test_id("locale-en").click()


class TestIntegrationSettings:
    def test_shows_the_callback_url_and_saves_a_new_secret(
        self, page: Page, live_server: LiveServer, world: SyncedWorld
    ) -> None:
        open_as(page, live_server, world.owner, f"/c/{world.corp_id}/settings/corp")
        expect(page.get_by_test_id("callback-url")).to_have_text(
            f"{live_server.url}/wecom/callback/{world.callback_key}"
        )
        expect(page.get_by_test_id("app-secret-state")).to_have_text("已设置")
        expect(page.get_by_test_id("callback-token-state")).to_have_text("未设置")
        expect(page.get_by_test_id("callback-aes-key-state")).to_have_text("未设置")

        # "Generate" fills a fresh token and a 43-character EncodingAESKey; saving stores both.
        page.get_by_test_id("generate-secrets").click()
        aes_key = page.get_by_test_id("callback-aes-key")
        expect(aes_key).to_have_value(re.compile(r"^[A-Za-z0-9]{43}$"))
        page.get_by_test_id("integration-save").click()
        expect(page.get_by_text("已保存")).to_be_visible()
        expect(page.get_by_test_id("callback-token-state")).to_have_text("已设置")
        expect(page.get_by_test_id("callback-aes-key-state")).to_have_text("已设置")
        # Write-only: the form never shows a stored secret back.
        expect(aes_key).to_have_value("")

        # Replacing the app secret alone keeps the others.
        page.get_by_test_id("app-secret").fill("d" * 43)
        page.get_by_test_id("integration-save").click()
        expect(page.get_by_test_id("app-secret-state")).to_have_text("已设置")
        expect(page.get_by_test_id("app-secret")).to_have_value("")

        # Verify asks WeCom (the sandbox) with the new secret: the sandbox knows only its own.
        page.get_by_test_id("verify-button").click()
        expect(page.get_by_test_id("verify-result")).to_contain_text("验证失败")
        page.get_by_test_id("app-secret").fill(SECRET)
        page.get_by_test_id("integration-save").click()
        # The form empties the secret once the save has answered (the "已保存" notice of the
        # previous save may still be showing, so it says nothing about this one).
        expect(page.get_by_test_id("app-secret")).to_have_value("")
        page.get_by_test_id("verify-button").click()
        expect(page.get_by_test_id("verify-result")).to_contain_text("验证通过")
        expect(page.get_by_test_id("callback-url")).to_have_text(
            f"{live_server.url}/wecom/callback/{world.callback_key}"
        )
        screenshot(page, "console-integration-zh")
        use_english(page)
        expect(page.get_by_role("heading", name="Corp & integration")).to_be_visible()
        screenshot(page, "console-integration-en")


class TestInbox:
    def test_lists_a_stored_callback_shows_it_and_replays_it(
        self, page: Page, live_server: LiveServer, world: SyncedWorld
    ) -> None:
        open_as(page, live_server, world.owner, f"/c/{world.corp_id}/settings/inbox")
        table = page.get_by_test_id("inbox-table")
        expect(table).to_contain_text("change_external_contact")
        expect(table).to_contain_text("add_external_contact")
        expect(table).to_contain_text("待处理")

        page.get_by_test_id(f"inbox-open-{world.inbox_event_id}").click()
        detail = page.get_by_test_id("inbox-detail")
        expect(detail).to_contain_text("add_external_contact")
        expect(page.get_by_test_id("inbox-fields")).to_contain_text("wmAAAAexternal0001")
        screenshot(page, "console-inbox-detail-zh")
        page.keyboard.press("Escape")

        page.get_by_test_id(f"inbox-replay-{world.inbox_event_id}").click()
        expect(page.get_by_text("已重新排队处理")).to_be_visible()
        # Replaying puts it back in line: pending, with a fresh attempt.
        expect(table).to_contain_text("待处理")

        # The filter by status finds it among the pending ones and not among the dead.
        page.get_by_test_id("inbox-status").click()
        page.get_by_role("option", name="死信").click()
        expect(table).to_contain_text("没有符合条件的回调")
        use_english(page)
        expect(table).to_contain_text("No callbacks match")
        screenshot(page, "console-inbox-en")


class TestCustomers:
    def test_lists_synced_customers_and_opens_one(
        self, page: Page, live_server: LiveServer, world: SyncedWorld
    ) -> None:
        open_as(page, live_server, world.owner, f"/c/{world.corp_id}/customers")
        table = page.get_by_test_id("customers-table")
        names = sorted(world.customers.values())
        for name in names[:5]:
            expect(table).to_contain_text(name)
        expect(table.locator(".el-table__body tr")).to_have_count(len(world.customers))
        screenshot(page, "console-customers-zh")

        customer_id, name = next(iter(world.own_customers.items()))
        table.get_by_text(name, exact=True).first.click()
        expect(page).to_have_url(re.compile(r"/customers/[0-9a-f-]{36}$"))
        expect(page.get_by_test_id("customer-name")).to_be_visible()
        relations = page.get_by_test_id("relations-table")
        expect(relations.locator(".el-table__body tr").first).to_be_visible()
        screenshot(page, "console-customer-detail-zh")

        page.goto(f"{live_server.url}/c/{world.corp_id}/customers/{customer_id}")
        expect(page.get_by_test_id("customer-name")).to_have_text(name)
        expect(relations).to_contain_text(world.staff_userid)
        use_english(page)
        expect(page.get_by_role("heading", name="Customer")).to_be_visible()
        screenshot(page, "console-customer-detail-en")

    def test_a_staff_member_sees_only_their_own_customers(
        self, page: Page, live_server: LiveServer, world: SyncedWorld
    ) -> None:
        others = set(world.customers) - set(world.own_customers)
        assert world.own_customers and others, "the seed needs customers on both sides"
        open_as(page, live_server, world.staff, f"/c/{world.corp_id}/customers")
        table = page.get_by_test_id("customers-table")
        expect(table.locator(".el-table__body tr")).to_have_count(len(world.own_customers))
        for name in world.own_customers.values():
            expect(table).to_contain_text(name)
        other_only = {world.customers[i] for i in others} - set(world.own_customers.values())
        for name in sorted(other_only)[:5]:
            expect(table).not_to_contain_text(name)
        screenshot(page, "console-customers-staff")

        # Someone else's customer is not found for them, even by address.
        page.goto(f"{live_server.url}/c/{world.corp_id}/customers/{sorted(others)[0]}")
        expect(page.get_by_test_id("customer-detail")).to_contain_text(
            re.compile("not|不存在|没有")
        )


class TestOperatorPages:
    def test_groups_tags_call_journal_and_sync_show_the_synced_corp(
        self, page: Page, live_server: LiveServer, world: SyncedWorld
    ) -> None:
        base = f"/c/{world.corp_id}"
        open_as(page, live_server, world.owner, f"{base}/groups")
        groups = page.get_by_test_id("groups-table")
        expect(groups.locator(".el-table__body tr")).to_have_count(3)
        screenshot(page, "console-groups-zh")
        groups.locator(".el-table__body tr").first.click()
        expect(page).to_have_url(re.compile(r"/groups/[0-9a-f-]{36}$"))
        expect(
            page.get_by_test_id("group-members").locator(".el-table__body tr").first
        ).to_be_visible()
        screenshot(page, "console-group-detail-zh")

        # An admin adds a Siyu tag group; the synced WeCom groups are listed beside it.
        page.goto(f"{live_server.url}{base}/tags")
        expect(page.get_by_test_id("tags-page").locator(".el-card").first).to_be_visible()
        page.get_by_test_id("tag-group-new").click()
        page.get_by_test_id("tag-group-name").fill("意向等级")
        page.get_by_test_id("tag-group-tags").fill("高意向，中意向、低意向")
        page.get_by_test_id("tag-group-save").click()
        created = page.get_by_test_id("tag-group-意向等级")
        for name in ("高意向", "中意向", "低意向", "同步中"):
            expect(created).to_contain_text(name)
        screenshot(page, "console-tags-zh")

        # The sync itself went through the journal: the token fetch is there, successful.
        page.goto(f"{live_server.url}{base}/settings/wecom-calls")
        calls = page.get_by_test_id("wecom-calls-table")
        expect(calls).to_contain_text("gettoken")
        expect(calls).to_contain_text("成功")
        screenshot(page, "console-wecom-calls-zh")

        page.goto(f"{live_server.url}{base}/settings/sync")
        expect(page.get_by_test_id("sync-current")).to_contain_text("已完成")
        expect(page.get_by_test_id("sync-table")).to_contain_text("e2e")
        screenshot(page, "console-sync-zh")
        use_english(page)
        expect(page.get_by_role("heading", name="Sync")).to_be_visible()
        screenshot(page, "console-sync-en")
