"""The segment builder (live count follows the tree) and bulk tagging from the customer list,
in a real browser on a corp filled by a real sync from the WeCom sandbox."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Locator, Page, expect
from sqlalchemy import select

from siyu.customers.models import Customer
from siyu.db.session import Database
from siyu.groups.models import MEMBER_EXTERNAL, CustomerGroup, GroupMember
from siyu.jobs import JobRun
from siyu.profile.models import CustomerField, CustomerFieldValue, SalesStage
from siyu.tags.bulk.service import STEP_JOB
from siyu.tags.models import ORIGIN_SIYU, Tag, TagGroup
from tests.e2e.conftest import LiveServer, open_nav_item, screenshot
from tests.e2e.synced import SyncedWorld, synced_world
from tests.e2e.test_console_data import open_as
from tests.e2e.worker import run_queued_jobs

pytestmark = pytest.mark.e2e


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


def pick_exactly(page: Page, select: Locator, option: str) -> None:
    """Like `pick`, for options that may be a prefix of another (group names)."""
    select.click()
    exact = re.compile(f"^\\s*{re.escape(option)}\\s*$")
    page.locator(".el-select-dropdown__item:visible").filter(has_text=exact).first.click()


@dataclass
class ProfileWorld:
    """A single-select field, a stage and a synced group, spread so that their AND is a strict
    subset of each: group members get the stage, two thirds of everyone get the gold level."""

    group_name: str
    expected: int


def seed_profile(database_url: str, corp_id: uuid.UUID) -> ProfileWorld:
    db = Database(database_url)
    try:
        with db.transaction() as session:
            level = CustomerField(
                corp_id=corp_id,
                key="level",
                label="会员等级",
                type="single_select",
                options=[{"key": "gold", "label": "金卡"}, {"key": "silver", "label": "银卡"}],
            )
            stage = SalesStage(corp_id=corp_id, key="intent", name="意向", position=1)
            session.add_all([level, stage])
            session.flush()
            group = max(
                session.scalars(select(CustomerGroup).where(CustomerGroup.corp_id == corp_id)),
                key=lambda g: g.member_count,
            )
            members = set(
                session.scalars(
                    select(GroupMember.member_id).where(
                        GroupMember.group_id == group.id,
                        GroupMember.member_type == MEMBER_EXTERNAL,
                        GroupMember.left_at.is_(None),
                    )
                )
            )
            customers = session.scalars(
                select(Customer).where(Customer.corp_id == corp_id).order_by(Customer.id)
            ).all()
            expected = 0
            for index, customer in enumerate(customers):
                in_group = customer.external_userid in members
                if in_group or index % 4 == 0:
                    customer.stage_id = stage.id
                gold = index % 3 != 0
                session.add(
                    CustomerFieldValue(
                        corp_id=corp_id,
                        customer_id=customer.id,
                        field_id=level.id,
                        value_text="gold" if gold else "silver",
                    )
                )
                expected += in_group and gold
            assert 0 < expected < len(members), "the seed must make the AND narrower"
            return ProfileWorld(group_name=group.name, expected=expected)
    finally:
        db.dispose()


def api_count(page: Page, server: LiveServer, corp_id: uuid.UUID, condition: object) -> int:
    """The same tree counted by the API, with the browser's session (cookie + CSRF token)."""
    me = page.request.get(f"{server.url}/api/v1/auth/me")
    answer = page.request.post(
        f"{server.url}/api/v1/corps/{corp_id}/segments/count",
        data={"condition": condition},
        headers={"X-CSRF-Token": me.json()["csrf_token"]},
    )
    assert answer.ok, answer.text()
    return int(answer.json()["count"])


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

    def test_field_stage_and_group_conditions_count_like_the_api(
        self, page: Page, live_server: LiveServer, world: SyncedWorld
    ) -> None:
        seeded = seed_profile(live_server.database_url, world.corp_id)
        open_as(page, live_server, world.owner, f"/c/{world.corp_id}/segments/new")
        count = page.get_by_test_id("segment-count")
        leaf = page.get_by_test_id("segment-node-leaf").first
        pick(page, leaf.get_by_test_id("segment-leaf-type"), "自定义字段")
        pick(page, leaf.get_by_test_id("segment-field"), "会员等级")
        expect(leaf.get_by_test_id("segment-field-op")).to_contain_text("等于")
        pick(page, leaf.get_by_test_id("segment-field-value"), "金卡")
        page.get_by_test_id("segment-add-condition").first.click()
        stage_leaf = page.get_by_test_id("segment-node-leaf").nth(1)
        pick(page, stage_leaf.get_by_test_id("segment-leaf-type"), "销售阶段")
        pick(page, stage_leaf.get_by_test_id("segment-stages"), "意向")
        page.keyboard.press("Escape")
        page.get_by_test_id("segment-add-condition").first.click()
        group_leaf = page.get_by_test_id("segment-node-leaf").nth(2)
        pick(page, group_leaf.get_by_test_id("segment-leaf-type"), "客户群")
        with page.expect_request(
            lambda r: r.url.endswith("/segments/count") and "group_ids" in (r.post_data or "")
        ) as sent:
            pick_exactly(page, group_leaf.get_by_test_id("segment-groups"), seeded.group_name)
            page.keyboard.press("Escape")
        expect(count).to_have_text(str(seeded.expected))
        tree = sent.value.post_data_json["condition"]
        assert [child["type"] for child in tree["children"]] == ["field", "stage", "group"]
        assert api_count(page, live_server, world.corp_id, tree) == seeded.expected
        screenshot(page, "segment-builder-profile-zh")
        # The tree survives a save and a reload (fromCondition ∘ toCondition).
        page.get_by_test_id("segment-name").fill("金卡意向群成员")
        page.get_by_test_id("segment-save").click()
        expect(page).to_have_url(re.compile(r"/segments/[0-9a-f-]{36}$"))
        page.reload()
        expect(page.get_by_test_id("segment-node-leaf")).to_have_count(3)
        expect(page.get_by_test_id("segment-groups")).to_contain_text(seeded.group_name)
        expect(count).to_have_text(str(seeded.expected))


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
        # The server and this stand-in worker write and read exports in one place.
        run_queued_jobs(
            live_server.database_url,
            JobRun.name == "exports.run",
            export_dir=live_server.export_dir,
        )
        open_nav_item(page, "导出记录")
        rows = page.get_by_test_id("exports-table").locator(".el-table__body tr")
        expect(rows).to_have_count(1)
        expect(rows.first).to_contain_text("可下载")
        with page.expect_download() as download:
            page.get_by_test_id("exports-download").click()
        saved = tmp_path / "customers.csv"
        download.value.save_as(saved)
        lines = saved.read_text(encoding="utf-8-sig").splitlines()
        assert len(lines) == 1 + len(world.own_customers)
