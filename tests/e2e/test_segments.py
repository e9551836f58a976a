"""The segment builder (live count follows the tree) and bulk tagging from the customer list,
in a real browser on a corp filled by a real sync from the WeCom sandbox."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect

from siyu.db.session import Database
from siyu.jobs import JobRun
from siyu.tags.bulk.service import STEP_JOB
from siyu.tags.models import ORIGIN_SIYU, Tag, TagGroup
from tests.e2e.conftest import LiveServer, open_nav_item, screenshot
from tests.e2e.synced import SyncedWorld, synced_world
from tests.e2e.test_console_data import open_as
from tests.e2e.worker import run_queued_jobs

pytestmark = pytest.mark.e2e


@pytest.fixture
def export_dir(tmp_path: Path) -> Path:
    return tmp_path / "exports"


@pytest.fixture
def server_env(export_dir: Path) -> dict[str, str]:
    """The server and the test's stand-in worker write and read exports in one place."""
    return {"SIYU_EXPORT_DIR": str(export_dir)}


@pytest.fixture
def world(live_server: LiveServer) -> Iterator[SyncedWorld]:
    with synced_world(live_server.database_url) as synced:
        yield synced


def siyu_tag(database_url: str, corp_id: uuid.UUID, name: str) -> uuid.UUID:
    db = Database(database_url)
    try:
        with db.transaction() as session:
            group = TagGroup(corp_id=corp_id, name="内部", origin=ORIGIN_SIYU)
            session.add(group)
            session.flush()
            tag = Tag(corp_id=corp_id, group_id=group.id, name=name)
            session.add(tag)
            session.flush()
            return tag.id
    finally:
        db.dispose()


def run_bulk_tag_steps(database_url: str) -> None:
    """The queued bulk tag steps (each step enqueues the next), run until none is left."""
    run_queued_jobs(database_url, JobRun.name == STEP_JOB)


def pick(page: Page, select: Locator, option: str) -> None:
    """Open an Element Plus select and click the option with this text."""
    select.click()
    page.locator(".el-select-dropdown__item:visible", has_text=option).first.click()


class TestSegmentBuilder:
    def test_live_count_follows_the_conditions(
        self, page: Page, live_server: LiveServer, world: SyncedWorld
    ) -> None:
        open_as(page, live_server, world.owner, f"/c/{world.corp_id}/segments/new")
        count = page.get_by_test_id("segment-count")
        expect(count).to_have_text("—")  # the first leaf has no tags yet: nothing to count
        leaf = page.get_by_test_id("segment-node-leaf").first
        pick(page, leaf.get_by_test_id("segment-leaf-type"), "状态")
        expect(count).to_have_text(str(len(world.customers)))
        # AND: owned by the staff member → only their customers.
        page.get_by_test_id("segment-add-condition").first.click()
        second = page.get_by_test_id("segment-node-leaf").nth(1)
        pick(page, second.get_by_test_id("segment-leaf-type"), "跟进员工")
        values = second.get_by_test_id("segment-values")
        values.click()
        page.keyboard.type(world.staff_userid)
        page.keyboard.press("Enter")
        expect(count).to_have_text(str(len(world.own_customers)))
        # NOT on that condition → everyone else.
        second.get_by_test_id("segment-not").click()
        expect(count).to_have_text(str(len(world.customers) - len(world.own_customers)))
        screenshot(page, "segment-builder-zh")
        page.get_by_test_id("segment-name").fill("非本人客户")
        page.get_by_test_id("segment-save").click()
        expect(page).to_have_url(re.compile(r"/segments/[0-9a-f-]{36}$"))
        page.get_by_test_id("segment-preview").click()
        rows = page.get_by_test_id("segment-preview-table").locator(".el-table__body tr")
        expect(rows).to_have_count(min(20, len(world.customers) - len(world.own_customers)))
        page.goto(f"{live_server.url}/c/{world.corp_id}/segments")
        expect(page.get_by_test_id("segments-table")).to_contain_text("非本人客户")


class TestBulkTagging:
    def test_tags_the_selection_and_the_filter_finds_them(
        self, page: Page, live_server: LiveServer, world: SyncedWorld
    ) -> None:
        siyu_tag(live_server.database_url, world.corp_id, "回访")
        open_as(page, live_server, world.owner, f"/c/{world.corp_id}/customers")
        table = page.get_by_test_id("customers-table")
        expect(table.locator(".el-table__body tr")).to_have_count(len(world.customers))
        for index in (0, 1):
            table.locator(".el-table__body tr").nth(index).locator(".el-checkbox").click()
        page.get_by_test_id("customers-bulk-tag").click()
        dialog = page.get_by_test_id("bulk-tag-dialog")
        pick(page, dialog.get_by_test_id("bulk-tag-tags"), "回访")
        dialog.locator(".el-dialog__header").click()  # close the multi-select's dropdown
        dialog.get_by_test_id("bulk-tag-start").click()
        expect(dialog.get_by_test_id("bulk-tag-progress")).to_be_visible()  # the job exists
        run_bulk_tag_steps(live_server.database_url)
        expect(dialog.get_by_test_id("bulk-tag-status")).to_have_text("已完成")
        expect(dialog.get_by_test_id("bulk-tag-progress")).to_contain_text("已处理 2 / 2")
        screenshot(page, "bulk-tag-zh")
        page.keyboard.press("Escape")
        pick(page, page.get_by_test_id("customers-tags"), "回访")
        expect(table.locator(".el-table__body tr")).to_have_count(2)


class TestCustomerListExport:
    def test_exports_the_filtered_list_and_downloads_it(
        self,
        page: Page,
        live_server: LiveServer,
        world: SyncedWorld,
        export_dir: Path,
        tmp_path: Path,
    ) -> None:
        open_as(page, live_server, world.owner, f"/c/{world.corp_id}/customers")
        table = page.get_by_test_id("customers-table")
        expect(table.locator(".el-table__body tr")).to_have_count(len(world.customers))
        page.get_by_test_id("customers-staff").fill(world.staff_userid)
        page.get_by_test_id("customers-staff").press("Enter")
        expect(table.locator(".el-table__body tr")).to_have_count(len(world.own_customers))
        page.get_by_test_id("customers-export").click()
        expect(page.locator(".el-message--success")).to_be_visible()
        run_queued_jobs(
            live_server.database_url, JobRun.name == "exports.run", export_dir=export_dir
        )
        open_nav_item(page, "设置", "导出记录")
        rows = page.get_by_test_id("exports-table").locator(".el-table__body tr")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("可下载")
        with page.expect_download() as download:
            page.get_by_test_id("exports-download").click()
        saved = tmp_path / "customers.csv"
        download.value.save_as(saved)
        lines = saved.read_text(encoding="utf-8-sig").splitlines()
        assert len(lines) == 1 + len(world.own_customers)
