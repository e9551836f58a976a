"""The materials and quick-reply pages in a real browser: upload an image, write a text,
file them, then write a quick reply with a variable and an attachment and preview it."""

from __future__ import annotations

from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer, open_nav_item, screenshot
from tests.e2e.seed import ConsoleWorld, seed_console_world
from tests.materials.conftest import PNG

pytestmark = pytest.mark.e2e


@pytest.fixture
def world(live_server: LiveServer) -> ConsoleWorld:
    return seed_console_world(live_server.database_url)


def choose(page: Page, select_test_id: str, option: str) -> None:
    page.get_by_test_id(select_test_id).click()
    page.locator(".el-select-dropdown__item:visible", has_text=option).first.click()


def prompt(page: Page, answer: str) -> None:
    box = page.locator(".el-message-box")
    box.locator("input").fill(answer)
    box.locator(".el-button--primary").click()


class TestMaterialsAndReplies:
    def test_build_a_library_and_a_reply(
        self, page: Page, live_server: LiveServer, world: ConsoleWorld, tmp_path: Path
    ) -> None:
        page.goto(f"{live_server.url}/c/{world.corp_id}/dashboard")
        page.get_by_test_id("login-email").fill(world.email)
        page.get_by_test_id("login-password").fill(world.password)
        page.get_by_test_id("login-submit").click()
        open_nav_item(page, "素材库")
        expect(page.get_by_test_id("materials-table")).to_contain_text("还没有素材")

        # A folder, then an image uploaded into it.
        page.get_by_test_id("materials-folders").get_by_role("button", name="新建分组").click()
        prompt(page, "门店活动")
        expect(page.get_by_test_id("materials-folders")).to_contain_text("门店活动 (0)")
        page.get_by_test_id("materials-folders").get_by_text("门店活动 (0)").click()
        png = tmp_path / "poster.png"
        png.write_bytes(PNG)
        page.get_by_test_id("materials-new").click()
        page.get_by_test_id("material-title").fill("双十一海报")
        page.get_by_test_id("material-file").set_input_files(str(png))
        page.get_by_test_id("material-save").click()
        table = page.get_by_test_id("materials-table")
        expect(table).to_contain_text("双十一海报")
        expect(page.get_by_test_id("materials-folders")).to_contain_text("门店活动 (1)")

        # A text material, in no folder; the kind filter tells them apart.
        page.get_by_test_id("materials-folders").get_by_text("全部素材").click()
        page.get_by_test_id("materials-new").click()
        choose(page, "material-kind", "文本")
        page.get_by_test_id("material-title").fill("开场白")
        page.get_by_test_id("material-text").fill("欢迎光临")
        page.get_by_test_id("material-save").click()
        expect(table).to_contain_text("开场白")
        choose(page, "materials-kind", "图片")
        expect(table).not_to_contain_text("开场白")
        table.get_by_text("双十一海报").click()
        expect(page.get_by_test_id("material-detail")).to_contain_text("尚未使用")
        screenshot(page, "materials-library")

        # A quick reply with a variable and the image attached, previewed with sample values.
        page.keyboard.press("Escape")
        open_nav_item(page, "话术库")
        page.get_by_test_id("reply-groups-new").click()
        prompt(page, "开场")
        expect(page.get_by_test_id("reply-groups")).to_contain_text("开场 (0)")
        page.get_by_test_id("replies-new").click()
        page.get_by_test_id("reply-title").fill("问候")
        page.get_by_test_id("reply-text").fill("您好，")
        page.get_by_test_id("reply-dialog").get_by_role("button", name="{nickname}").click()
        page.get_by_test_id("reply-save").click()
        replies = page.get_by_test_id("replies-table")
        expect(replies).to_contain_text("您好，{nickname}")
        replies.get_by_role("button", name="预览").click()
        expect(page.get_by_test_id("reply-preview")).to_have_text("您好，小王")
        screenshot(page, "replies-library")
