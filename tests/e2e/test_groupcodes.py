"""The group code pages in a real browser: create a code over synced groups, see its pool,
open its public page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer, open_nav_item, screenshot
from tests.e2e.synced import SyncedWorld, synced_world
from tests.e2e.test_console_data import open_as, use_english

pytestmark = pytest.mark.e2e


@pytest.fixture
def world(live_server: LiveServer) -> Iterator[SyncedWorld]:
    with synced_world(live_server.database_url) as synced:
        yield synced


def test_create_a_code_and_open_its_public_page(
    page: Page, live_server: LiveServer, world: SyncedWorld
) -> None:
    open_as(page, live_server, world.owner, f"/c/{world.corp_id}/dashboard")
    open_nav_item(page, "群活码")
    expect(page.get_by_test_id("group-codes-page")).to_be_visible()
    page.get_by_test_id("group-code-create").click()
    page.get_by_test_id("group-code-name").fill("新人群活码")
    page.get_by_test_id("group-code-owner").fill(world.staff_userid)
    page.get_by_test_id("group-code-pool").click()
    options = page.locator(".el-select-dropdown__item:visible")
    expect(options.first).to_be_visible()
    options.nth(0).click()
    options.nth(1).click()
    page.keyboard.press("Escape")
    page.get_by_test_id("group-code-save").click()

    expect(page.get_by_test_id("group-code-detail")).to_be_visible()
    rows = page.get_by_test_id("group-code-pool-table").locator(".el-table__row")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("进群中")
    expect(page.get_by_test_id("group-code-qr")).to_be_visible()
    screenshot(page, "console-group-code-zh")
    public_url = page.get_by_test_id("group-code-page").inner_text()

    use_english(page)
    expect(rows.first).to_contain_text("In the QR")
    page.goto(public_url)
    expect(page.locator("img.qr")).to_be_visible()
    expect(page.get_by_role("heading", name="新人群活码")).to_be_visible()
    screenshot(page, "public-group-code")
