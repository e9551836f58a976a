"""The profile, lost-customer and duplicates pages in a real browser, on a synced corp.

A customer deleting a staff member is acted in the sandbox; its callback is stored in the live
server's inbox and handled in this process (the server runs without a worker), exactly as the
worker would, so the lost list shows what the sandbox did.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from siyu.corps.models import Corp
from siyu.customers.models import Customer
from siyu.inbox.service import inbox_service
from siyu.runtime import build_runtime
from siyu.sandbox.actions import ACTION_TABLE
from siyu.wecom.events import CallbackEvent, parse_event
from tests.conftest import make_settings
from tests.customers.world import CapturingEmitter
from tests.e2e.conftest import LiveServer, screenshot
from tests.e2e.synced import SyncedWorld, synced_world
from tests.e2e.test_console_data import open_as

pytestmark = pytest.mark.e2e


@pytest.fixture
def world(live_server: LiveServer) -> Iterator[SyncedWorld]:
    with synced_world(live_server.database_url) as synced:
        yield synced


def act_and_deliver(world: SyncedWorld, database_url: str, action: str, **body: Any) -> None:
    """Do `action` in the sandbox, then store and handle its callbacks against the server's DB."""
    state = world.sandbox
    assert state is not None
    corp = state.corps[world.sandbox_corp]
    emitter = CapturingEmitter()
    state.emitter = emitter  # type: ignore[assignment]
    corp.callback_url = "http://captured.invalid/"
    with state.lock:
        ACTION_TABLE[action](state, corp, body)
    runtime = build_runtime(make_settings(database_url), immediate_jobs=True)
    try:
        events: list[CallbackEvent] = list(emitter.events)
        assert events, f"{action} sent no callback"
        for event in events:
            xml = event.to_xml()
            with runtime.db.transaction() as session:
                row = inbox_service.new_row(
                    corp_id=world.corp_id, event=parse_event(xml), payload=xml
                )
                inbox_service.store(session, rows=[row])
    finally:
        runtime.close()


def own_customer(world: SyncedWorld, database_url: str) -> Customer:
    runtime = build_runtime(make_settings(database_url))
    try:
        with runtime.db.transaction(write=False) as session:
            corp = session.get(Corp, world.corp_id)
            assert corp is not None
            customer = session.scalar(
                select(Customer).where(Customer.id.in_(list(world.own_customers)))
            )
            assert customer is not None
            return customer
    finally:
        runtime.close()


class TestProfile:
    def test_edit_a_field_move_a_stage_add_a_follow_up_and_see_them_on_the_timeline(
        self, page: Page, live_server: LiveServer, world: SyncedWorld
    ) -> None:
        open_as(page, live_server, world.owner, f"/c/{world.corp_id}/settings/profile")
        page.get_by_test_id("new-field-key").fill("occupation")
        page.get_by_test_id("new-field-label").fill("职业")
        page.get_by_test_id("add-field").click()
        expect(page.get_by_test_id("fields-table")).to_contain_text("occupation")
        page.get_by_test_id("new-stage-key").fill("following")
        page.get_by_test_id("new-stage-name").fill("跟进中")
        page.get_by_test_id("add-stage").click()
        expect(page.get_by_test_id("stages-table")).to_contain_text("跟进中")
        screenshot(page, "console-profile-settings-zh")

        customer_id = next(iter(world.own_customers))
        page.goto(f"{live_server.url}/c/{world.corp_id}/customers/{customer_id}")
        page.get_by_test_id("field-occupation").fill("教师")
        page.get_by_test_id("save-fields").click()
        page.get_by_test_id("stage-select").click()
        page.get_by_role("option", name="跟进中").click()
        page.get_by_test_id("follow-up-content").fill("电话沟通，下周到店")
        page.get_by_test_id("add-follow-up").click()
        expect(page.get_by_test_id("follow-up-item")).to_contain_text("电话沟通，下周到店")

        timeline = page.get_by_test_id("timeline-panel")
        for kind in ("field.changed", "stage.moved", "follow_up.added"):
            expect(timeline.locator(f'[data-kind="{kind}"]')).to_have_count(1)
        expect(timeline).to_contain_text("教师")
        expect(timeline).to_contain_text("电话沟通，下周到店")
        screenshot(page, "console-customer-profile-zh")

        page.goto(f"{live_server.url}/c/{world.corp_id}/stage-counts")
        expect(page.get_by_test_id("stage-chart").locator("canvas")).to_be_visible()
        expect(page.get_by_test_id("stage-counts-page")).to_contain_text("跟进中")
        screenshot(page, "console-stage-counts-zh")


class TestLostAndDuplicates:
    def test_the_lost_list_shows_a_customer_deleted_in_the_sandbox(
        self, page: Page, live_server: LiveServer, world: SyncedWorld
    ) -> None:
        customer = own_customer(world, live_server.database_url)
        act_and_deliver(
            world,
            live_server.database_url,
            "customer_deletes_staff",
            userid=world.staff_userid,
            external_userid=customer.external_userid,
        )
        open_as(page, live_server, world.owner, f"/c/{world.corp_id}/lost-customers")
        table = page.get_by_test_id("lost-table")
        expect(table).to_contain_text(customer.name)
        expect(table).to_contain_text(world.staff_userid)
        expect(page.get_by_test_id("lost-daily")).to_contain_text(world.staff_userid)
        screenshot(page, "console-lost-zh")

    def test_the_duplicates_page_lists_shared_customers(
        self, page: Page, live_server: LiveServer, world: SyncedWorld
    ) -> None:
        open_as(page, live_server, world.owner, f"/c/{world.corp_id}/duplicates")
        expect(page.get_by_test_id("duplicates-count")).to_be_visible()
        screenshot(page, "console-duplicates-zh")
