"""The acquisition page in a real browser: a channel, a live code through the form, capacity.

The live server runs without a worker, so the code's contact way is not created here (its row
shows "waiting for WeCom"); the sync job itself is covered by tests/acquisition.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer, screenshot
from tests.e2e.synced import SyncedWorld, synced_world
from tests.e2e.test_console_data import open_as

pytestmark = pytest.mark.e2e


@pytest.fixture
def world(live_server: LiveServer) -> Iterator[SyncedWorld]:
    with synced_world(live_server.database_url) as synced:
        yield synced


class TestAcquisition:
    def test_create_a_channel_and_a_code_then_see_capacity(
        self, page: Page, live_server: LiveServer, world: SyncedWorld
    ) -> None:
        open_as(page, live_server, world.owner, f"/c/{world.corp_id}/acquisition")
        page.get_by_test_id("channel-name").fill("门店开业")
        page.get_by_test_id("channel-add").click()
        expect(page.get_by_test_id("channel-tag")).to_contain_text("门店开业")

        page.get_by_test_id("code-new").click()
        page.get_by_test_id("code-name").fill("收银台")
        page.get_by_test_id("code-staff").fill("nobody-here")
        page.get_by_test_id("code-save").click()
        # Bad input is named, and nothing is saved.
        expect(page.get_by_test_id("code-form-error")).to_contain_text("nobody-here")
        page.get_by_test_id("code-staff").fill(world.staff_userid)
        page.get_by_test_id("code-welcome").fill("你好 {nickname}")
        page.get_by_test_id("code-save").click()
        table = page.get_by_test_id("codes-table")
        expect(table).to_contain_text("收银台")
        expect(table).to_contain_text("门店开业")
        screenshot(page, "console-acquisition-codes-zh")

        page.get_by_role("tab", name="容量").click()
        expect(page.get_by_test_id("capacity-table")).to_contain_text("5000")
        screenshot(page, "console-acquisition-capacity-zh")
