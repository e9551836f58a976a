"""Browser tests: the real server in a subprocess, driven by Debian's Chromium via Playwright.

Nothing here downloads a browser: Playwright launches `/usr/bin/chromium` (`make chromium`
installs it). A missing console build or browser fails the test with the command that fixes it,
so a green run always means the console was really exercised.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from tests.conftest import TEST_SECRET_KEY

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
# Bounds for waiting on the server process, not assertions about speed.
STARTUP_LIMIT_SECONDS = 60


@dataclass(frozen=True)
class LiveServer:
    url: str
    database_url: str
    log: Path


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


@pytest.fixture
def server_env() -> dict[str, str]:
    """Extra SIYU_* settings for the server under test; override in a test module."""
    return {}


@pytest.fixture
def live_server(
    fresh_db_url: str, server_env: dict[str, str], tmp_path: Path, console_dist: Path
) -> Iterator[LiveServer]:
    log = tmp_path / "server.log"
    process, url = start_server(fresh_db_url, log, **server_env)
    try:
        yield LiveServer(url=url, database_url=fresh_db_url, log=log)
    finally:
        stop_server(process)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1440, "height": 900}, locale="zh-CN")
    context.set_default_timeout(15_000)
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


def open_nav_item(page: Page, group: str, item: str) -> None:
    """Open `item` under the side menu's `group`. The group unfolds with a height transition;
    a click while it is still unfolding can land on nothing under a loaded CI machine, so wait
    for the transition to end before clicking."""
    nav = page.get_by_test_id("side-nav")
    nav.get_by_text(group, exact=True).click()
    expect(nav.locator(".el-collapse-transition-enter-active")).to_have_count(0)
    target = nav.get_by_role("menuitem", name=item, exact=True)
    expect(target).to_be_visible()
    target.click()
