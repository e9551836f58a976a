"""The mass-message pages in a real browser, on a synced corp: compose, preview the reach, send,
then see the per-staff tasks and the report once the worker has created the WeCom tasks.

The live server runs without a worker; the queued plan and send jobs are run here against its
database (the sandbox behind the corp is serving), exactly as a worker would run them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select

from siyu.jobs.models import JobRun
from siyu.jobs.runner import execute_run
from siyu.messaging.models import MassSettings
from siyu.runtime import build_runtime
from tests.conftest import make_settings
from tests.e2e.conftest import LiveServer, open_nav_item, screenshot
from tests.e2e.synced import SyncedWorld, synced_world
from tests.e2e.test_console_data import open_as

pytestmark = pytest.mark.e2e


@pytest.fixture
def world(live_server: LiveServer) -> Iterator[SyncedWorld]:
    with synced_world(live_server.database_url) as synced:
        yield synced


def no_quiet_hours(world: SyncedWorld, database_url: str) -> None:
    """The test runs at any hour: switch the corp's quiet hours off."""
    runtime = build_runtime(make_settings(database_url))
    try:
        with runtime.db.transaction() as session:
            row = MassSettings(corp_id=world.corp_id, quota_rule="days_in_month")
            session.add(row)
            session.flush()
            row.quiet_start_hour = row.quiet_end_hour = None
    finally:
        runtime.close()


def run_messaging_jobs(database_url: str) -> None:
    runtime = build_runtime(make_settings(database_url), immediate_jobs=True)
    try:
        for _ in range(10):
            with runtime.db.transaction(write=False) as session:
                pending = [
                    str(run.id)
                    for run in session.scalars(
                        select(JobRun).where(
                            JobRun.status == "pending", JobRun.name.like("messaging.%")
                        )
                    )
                ]
            if not pending:
                return
            for run_id in pending:
                execute_run(runtime, run_id)
    finally:
        runtime.close()


def test_compose_preview_send_and_follow_a_campaign(
    page: Page, live_server: LiveServer, world: SyncedWorld
) -> None:
    no_quiet_hours(world, live_server.database_url)
    open_as(page, live_server, world.owner, f"/c/{world.corp_id}/dashboard")
    open_nav_item(page, "群发消息")
    expect(page.get_by_test_id("mass-campaigns-page")).to_be_visible()
    page.get_by_test_id("mass-new").click()
    page.get_by_test_id("mass-name").fill("双十二预热")
    page.get_by_test_id("mass-text").fill("双十二会员专享，到店有礼")
    page.get_by_test_id("mass-preview-button").click()
    expect(page.get_by_test_id("mass-preview")).to_contain_text("可送达")
    reachable = int(page.get_by_test_id("mass-preview-reachable").inner_text())
    assert reachable > 0
    screenshot(page, "console-mass-composer-zh")
    page.get_by_test_id("mass-send").click()
    expect(page.get_by_test_id("mass-campaign-page")).to_be_visible()
    expect(page.get_by_test_id("mass-status")).to_have_text("待发送")

    run_messaging_jobs(live_server.database_url)
    page.get_by_test_id("mass-refresh").click()
    expect(page.get_by_test_id("mass-status")).to_have_text("已下发")
    expect(page.get_by_test_id("mass-tasks")).to_contain_text("待成员确认")
    expect(page.get_by_test_id("mass-report")).to_contain_text(str(reachable))
    screenshot(page, "console-mass-detail-zh")
    page.get_by_test_id("mass-cancel").click()
    expect(page.get_by_test_id("mass-status")).to_have_text("已取消")
