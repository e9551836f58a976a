"""Browser tests: the real server in a subprocess, driven by Debian's Chromium via Playwright.

Nothing here downloads a browser: Playwright launches `/usr/bin/chromium` (`make chromium`
installs it). A missing console build or browser fails the test with the command that fixes it,
so a green run always means the console was really exercised.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import TEST_SECRET_KEY
from tests.helpers.databases import DatabaseFactory

REPO = Path(__file__).resolve().parents[2]
WEB_DIST = REPO / "web" / "dist"
CHROMIUM = Path("/usr/bin/chromium")
RESULTS = REPO / "test-results"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
# Bounds for waiting on the server process, not assertions about speed: a server started while
# the machine runs other suites can take over a minute to import and answer.
STARTUP_LIMIT_SECONDS = 180
# How long an action or an `expect` waits for the page to get there. Playwright's own default
# for `expect` (5 s) is shorter than for actions: on a loaded CI machine an API answer behind a
# route guard can take longer, and the test failed on where the page was *going*.
PAGE_WAIT_MS = 15_000
expect.set_options(timeout=PAGE_WAIT_MS)


@dataclass(frozen=True)
class LiveServer:
    url: str
    database_url: str
    log: Path
    # Where the server keeps files: tests that act as its worker must use the same places.
    data_dir: Path

    @property
    def export_dir(self) -> Path:
        return self.data_dir / "exports"

    @property
    def import_dir(self) -> Path:
        return self.data_dir / "imports"

    @property
    def materials_dir(self) -> Path:
        return self.data_dir / "materials"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(database_url: str, log: Path, **env: str) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    environment = {
        **os.environ,
        "SIYU_ENV": "test",
        "SIYU_SECRET_KEY": TEST_SECRET_KEY,
        "SIYU_DATABASE_URL": database_url,
        "SIYU_QUEUE_URL": "memory://",
        "SIYU_RUN_WORKER_IN_PROCESS": "false",
        "SIYU_WEB_DIST_DIR": str(WEB_DIST),
        "SIYU_PUBLIC_URL": f"http://127.0.0.1:{port}",
        "SIYU_LOG_LEVEL": "WARNING",
        **env,
    }
    with log.open("wb") as sink:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "siyu.cli",
                "serve",
                "--host",
                "127.0.0.1",
                "--port",
                str(port),
                "--no-worker",
            ],
            cwd=REPO,
            env=environment,
            stdout=sink,
            stderr=subprocess.STDOUT,
        )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + STARTUP_LIMIT_SECONDS
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{log.read_text()}")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2):
                return process, url
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            if time.monotonic() > deadline:
                stop_server(process)
                raise RuntimeError(f"server did not answer on {url}:\n{log.read_text()}") from None
            time.sleep(0.2)


def stop_server(process: subprocess.Popen[bytes]) -> None:
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()


@pytest.fixture(scope="session")
def console_dist() -> Path:
    if not (WEB_DIST / "index.html").is_file():
        pytest.fail("the console is not built (web/dist is missing): run `make web`")
    return WEB_DIST


# Module scope, not session: Playwright's sync API keeps an event loop running in the main
# thread while it is open, which breaks `asyncio.run` in every test collected after it.
@pytest.fixture(scope="module")
def browser(console_dist: Path) -> Iterator[Browser]:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: run `make chromium` (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(
            executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS
        )
        yield launched
        launched.close()


class ServerPool:
    """The servers of one test session (one per pytest-xdist worker), started on first use.

    Starting a server and migrating its database is most of an e2e test's cost, so tests share
    one: each test seeds a corp of its own (unique WeCom corp id and login emails) and only looks
    at that corp. A test that needs other settings, or a database no other test writes to, asks
    for its own server by name or settings; it is started once and shared by the tests asking
    for the same one.
    """

    def __init__(self, databases: DatabaseFactory, workdir: Path) -> None:
        self._databases = databases
        self._workdir = workdir
        self._servers: dict[tuple[str, frozenset[tuple[str, str]]], ServerProcess] = {}

    def get(self, name: str, env: dict[str, str]) -> LiveServer:
        key = (name, frozenset(env.items()))
        running = self._servers.get(key)
        if running is None:
            running = self._start(f"{name}-{len(self._servers)}", env)
            self._servers[key] = running
        running.check_alive()
        return running.server

    def _start(self, label: str, env: dict[str, str]) -> ServerProcess:
        data_dir = self._workdir / label
        data_dir.mkdir()
        database_url = self._databases.copy()
        server = LiveServer(
            url="", database_url=database_url, log=data_dir / "server.log", data_dir=data_dir
        )
        files = {
            "SIYU_EXPORT_DIR": str(server.export_dir),
            "SIYU_IMPORT_DIR": str(server.import_dir),
            "SIYU_MATERIALS_DIR": str(server.materials_dir),
        }
        process, url = start_server(database_url, server.log, **{**files, **env})
        return ServerProcess(process, replace(server, url=url))

    def close(self) -> None:
        for running in self._servers.values():
            stop_server(running.process)
            self._databases.drop(running.server.database_url)
        self._servers.clear()


@dataclass(frozen=True)
class ServerProcess:
    process: subprocess.Popen[bytes]
    server: LiveServer

    def check_alive(self) -> None:
        # A server that died under an earlier test would fail every later one obscurely.
        if self.process.poll() is not None:
            log = self.server.log.read_text(errors="replace")
            pytest.fail(f"the shared e2e server exited with {self.process.returncode}:\n{log}")


@pytest.fixture(scope="session")
def server_pool(
    database_factory: DatabaseFactory,
    tmp_path_factory: pytest.TempPathFactory,
    console_dist: Path,
) -> Iterator[ServerPool]:
    pool = ServerPool(database_factory, tmp_path_factory.mktemp("e2e-servers"))
    yield pool
    pool.close()


@pytest.fixture
def server_env() -> dict[str, str]:
    """Extra SIYU_* settings for the server under test; override in a test module or class
    (a server with these settings is started for the tests that ask for them)."""
    return {}


@pytest.fixture
def server_name() -> str:
    """Override to give a module its own server (and database), shared by its tests only."""
    return "shared"


@pytest.fixture
def live_server(
    server_pool: ServerPool, server_name: str, server_env: dict[str, str]
) -> LiveServer:
    return server_pool.get(server_name, server_env)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    context.set_default_timeout(PAGE_WAIT_MS)
    opened = context.new_page()
    errors: list[str] = []
    opened.on("pageerror", lambda error: errors.append(str(error)))
    yield opened
    context.close()
    assert not errors, f"the console threw in the browser: {errors}"


def screenshot(page: Page, name: str) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True, animations="disabled")
    return path


def open_nav_item(page: Page, item: str) -> None:
    """Open the side menu's entry `item`, unfolding the group that holds it first if need be.

    A group's title toggles it: clicking it when it is already open (the page shown is one of
    its entries) folds it and hides the entry. So the group is opened only when it is closed,
    the height transition is waited out (a click while it unfolds can land on nothing under a
    loaded machine), and the entry is scrolled into view (the menu scrolls on short windows).
    """
    nav = page.get_by_test_id("side-nav")
    # By its label alone: an entry still to come also carries a "soon" tag.
    entry = page.locator("li.el-menu-item").filter(has=page.get_by_text(item, exact=True))
    target = nav.locator(entry)
    # With the actions' timeout (the console may still be loading after a login), and strict:
    # one entry only.
    target.wait_for(state="attached")
    # `has` is matched inside each group, so it takes a locator without the nav around it.
    group = nav.locator("li.el-sub-menu").filter(has=entry)
    if group.count():
        if not re.search(r"\bis-opened\b", group.get_attribute("class") or ""):
            group.locator(".el-sub-menu__title").click()
        expect(group).to_have_class(re.compile(r"\bis-opened\b"))
        expect(nav.locator(".el-collapse-transition-enter-active")).to_have_count(0)
    target.scroll_into_view_if_needed()
    expect(target).to_be_visible()
    target.click()
