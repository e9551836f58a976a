"""The import page (dry run, report, skip-bad-rows) and the identity conflicts page (merge,
then the merge history on the customer's page) in a real browser."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

from siyu.db.session import Database
from siyu.identity.resolver import Claim, Record
from siyu.identity.service import identity_service
from siyu.jobs.worker import Worker
from siyu.runtime import build_runtime
from tests.conftest import make_settings
from tests.e2e.conftest import LiveServer, screenshot
from tests.e2e.seed import ConsoleWorld, seed_console_world

pytestmark = pytest.mark.e2e


@pytest.fixture
def server_name() -> str:
    """A server of this module's own: the real worker below runs every pending job in the
    server's database, and the jobs other tests leave behind are not this test's business."""
    return "identity"


@pytest.fixture
def worker(live_server: LiveServer) -> Iterator[Worker]:
    """The e2e server runs without a worker; this one picks the import job up through the
    sweeper (the server's wake-up went to its own in-memory queue)."""
    settings = make_settings(
        live_server.database_url, import_dir=live_server.import_dir, sweeper_interval_seconds=1
    )
    runtime = build_runtime(settings)
    running = Worker(runtime, threads=1)
    running.start()
    yield running
    running.stop()
    runtime.db.dispose()


def log_in(page: Page, server: LiveServer, world: ConsoleWorld, path: str) -> None:
    page.goto(f"{server.url}{path}")
    page.get_by_test_id("login-email").fill(world.email)
    page.get_by_test_id("login-password").fill(world.password)
    page.get_by_test_id("login-submit").click()
    expect(page).to_have_url(f"{server.url}{path}")


def two_shop_customers_sharing_a_phone(database_url: str, world: ConsoleWorld) -> None:
    db = Database(database_url)
    try:
        for business_id in ("M001", "M002"):
            with db.transaction() as session:
                identity_service.resolve(
                    session,
                    corp_id=world.corp_id,
                    records=[
                        Record(
                            ref=1,
                            name=f"会员{business_id}",
                            claims=[
                                Claim("business_id", business_id, source="shop"),
                                Claim("phone", "13800138000", source="shop"),
                            ],
                        )
                    ],
                )
    finally:
        db.dispose()


class TestImportPage:
    def test_dry_run_lists_bad_rows_then_skip_bad_rows_imports(
        self, page: Page, live_server: LiveServer, worker: Worker, tmp_path: Path
    ) -> None:
        world = seed_console_world(live_server.database_url)
        csv_file = tmp_path / "customers.csv"
        csv_file.write_text("姓名,手机号,会员号\n张三,13800138000,M001\n李四,123,M002\n", "utf-8")
        log_in(page, live_server, world, f"/c/{world.corp_id}/customer-import")
        page.get_by_test_id("import-file").set_input_files(str(csv_file))
        page.get_by_test_id("import-dry-run").click()
        expect(page.get_by_test_id("import-status")).to_have_text("已拒绝：未写入", timeout=30_000)
        expect(page.get_by_test_id("import-bad")).to_have_text("1")
        errors = page.get_by_test_id("import-errors")
        expect(errors).to_contain_text("3")
        expect(errors).to_contain_text("not a mainland China mobile number")
        expect(page.get_by_test_id("import-report")).to_be_visible()
        screenshot(page, "console-import-zh")

        page.get_by_test_id("import-skip-bad").click()
        page.get_by_test_id("import-run").click()
        expect(page.get_by_test_id("import-status")).to_have_text("完成", timeout=30_000)
        page.goto(f"{live_server.url}/c/{world.corp_id}/customers")
        expect(page.get_by_text("张三")).to_be_visible()


class TestConflictsPage:
    def test_merge_from_the_conflicts_page_shows_in_the_history(
        self, page: Page, live_server: LiveServer
    ) -> None:
        world = seed_console_world(live_server.database_url)
        two_shop_customers_sharing_a_phone(live_server.database_url, world)
        log_in(page, live_server, world, f"/c/{world.corp_id}/customer-conflicts")
        table = page.get_by_test_id("conflicts-table")
        expect(table).to_contain_text("13800138000")
        screenshot(page, "console-conflicts-zh")
        holder = table.locator("a").first
        holder_id = holder.get_attribute("href")
        page.locator("[data-testid^=conflict-merge-]").first.click()
        expect(page.get_by_text("暂无待处理冲突")).to_be_visible()

        assert holder_id is not None
        page.goto(f"{live_server.url}{holder_id}")
        history = page.get_by_test_id("merge-history")
        expect(history).to_contain_text("已将")
        expect(history).to_contain_text("手动")
        page.locator("[data-testid^=undo-]").first.click()
        expect(history).to_contain_text("已撤销")
