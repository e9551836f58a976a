"""Company moments in a real browser: compose (a refused post names the rule), publish through
the WeCom sandbox, see who has not posted yet and remind them."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import update

from siyu.corps.models import Corp
from siyu.db.session import Database
from siyu.jobs import JobRun
from siyu.sandbox.models import Media
from tests.e2e.conftest import LiveServer, open_nav_item, screenshot
from tests.e2e.synced import SyncedWorld, synced_world
from tests.e2e.test_console_data import open_as
from tests.e2e.test_segments import pick
from tests.e2e.worker import run_queued_jobs

pytestmark = pytest.mark.e2e


@pytest.fixture
def world(live_server: LiveServer) -> Iterator[SyncedWorld]:
    with synced_world(live_server.database_url) as synced:
        yield synced


def give_agent_id(database_url: str, world: SyncedWorld) -> None:
    """App messages need the corp's agent id, which the seeded corp leaves unset."""
    assert world.sandbox is not None
    db = Database(database_url)
    try:
        with db.transaction() as session:
            session.execute(
                update(Corp)
                .where(Corp.id == world.corp_id)
                .values(agent_id=world.sandbox.corps[world.sandbox_corp].agentid)
            )
    finally:
        db.dispose()


def run_moment_jobs(database_url: str) -> None:
    """Submit, then the result check it queues; reminders."""
    run_queued_jobs(database_url, JobRun.name.like("moments.%"))


class TestMoments:
    def test_compose_publish_and_remind(
        self, page: Page, live_server: LiveServer, world: SyncedWorld
    ) -> None:
        give_agent_id(live_server.database_url, world)
        assert world.sandbox is not None
        wecom = world.sandbox.corps[world.sandbox_corp]
        now = int(world.sandbox.clock.ts())
        for media_id in ("media-1", "media-2"):  # as if uploaded with media/upload just now
            wecom.media[media_id] = Media(
                media_id, "image", f"{media_id}.png", 64, now, now + 86400
            )
        open_as(page, live_server, world.owner, f"/c/{world.corp_id}/dashboard")
        open_nav_item(page, "客户朋友圈")
        expect(page.get_by_test_id("moments-page")).to_be_visible()
        page.get_by_test_id("moment-new").click()
        composer = page  # the dialog is teleported to <body>; its fields carry their own ids
        composer.get_by_test_id("moment-text").fill("双十二福利，点开看看")
        composer.get_by_test_id("attachment-kind").get_by_text("图片").click()
        composer.get_by_test_id("media-ids").fill(" ".join(f"m{i}" for i in range(10)))
        composer.get_by_test_id("moment-submit").click()
        expect(composer.get_by_test_id("composer-error")).to_contain_text("10 images")
        composer.get_by_test_id("media-ids").fill("media-1, media-2")
        pick(page, composer.get_by_test_id("moment-senders"), world.staff_userid)
        screenshot(page, "console-moment-composer-zh")
        composer.get_by_test_id("moment-submit").click()
        expect(page.get_by_test_id("moment-text")).to_be_hidden()

        run_moment_jobs(live_server.database_url)
        page.reload()
        table = page.get_by_test_id("moments-table")
        expect(table).to_contain_text("已下发")
        expect(table).to_contain_text("0 / 1")
        screenshot(page, "console-moments-zh")
        table.locator(".el-table__body tr").first.click()
        expect(page).to_have_url(re.compile(r"/moments/[0-9a-f-]{36}$"))
        expect(page.get_by_test_id("moment-pending")).to_contain_text(world.staff_userid)
        page.get_by_test_id("moment-remind").click()
        expect(page.locator(".el-message--success")).to_contain_text("提醒")  # queued
        run_moment_jobs(live_server.database_url)
        page.reload()
        expect(page.get_by_test_id("moment-reminders")).to_contain_text(world.staff_userid)
        screenshot(page, "console-moment-detail-zh")
        assert world.sandbox is not None
        messages = world.sandbox.corps[world.sandbox_corp].app_messages
        assert any(m["touser"] == world.staff_userid for m in messages)
