"""The scaled-out shape: `siyu serve --no-worker` and a separate `siyu worker` process.

On the PostgreSQL run (SIYU_TEST_DB=postgres) this is PostgreSQL + the Redis queue (when
SIYU_TEST_REDIS_URL is set), i.e. the production layout; on the default run, SQLite + the SQLite
queue. An export requested through the API stays pending while no worker runs and is finished
by the worker process once it starts.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.conftest import TEST_SECRET_KEY

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def queue_url(tmp_path: Path) -> str:
    redis_url = os.environ.get("SIYU_TEST_REDIS_URL")
    if os.environ.get("SIYU_TEST_DB") == "postgres" and redis_url:
        return redis_url
    return f"sqlite:///{tmp_path / 'queue.db'}"


class Processes:
    def __init__(self, env: dict[str, str], tmp_path: Path) -> None:
        self.env = env
        self.tmp_path = tmp_path
        self.running: list[subprocess.Popen[bytes]] = []

    def siyu(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [sys.executable, "-m", "siyu.cli", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )

    def start(self, name: str, *args: str) -> subprocess.Popen[bytes]:
        log = (self.tmp_path / f"{name}.log").open("ab")
        process = subprocess.Popen(
            [sys.executable, "-m", "siyu.cli", *args],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=log,
        )
        self.running.append(process)
        return process

    def stop_all(self) -> None:
        for process in self.running:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
        for process in self.running:
            try:
                process.wait(15)
            except subprocess.TimeoutExpired:
                process.kill()

    def log(self, name: str) -> str:
        return (self.tmp_path / f"{name}.log").read_text(errors="replace")


@pytest.fixture
def processes(fresh_db_url: str, tmp_path: Path) -> Iterator[Processes]:
    env = {
        **os.environ,
        "SIYU_ENV": "test",
        "SIYU_SECRET_KEY": TEST_SECRET_KEY,
        "SIYU_DATABASE_URL": fresh_db_url,
        "SIYU_QUEUE_URL": queue_url(tmp_path),
        "SIYU_RUN_WORKER_IN_PROCESS": "false",
        "SIYU_EXPORT_DIR": str(tmp_path / "exports"),
        "SIYU_WEB_DIST_DIR": str(tmp_path / "no-console"),
    }
    running = Processes(env, tmp_path)
    yield running
    running.stop_all()


def wait_for_http(url: str, timeout: float = 180) -> None:
    """A bound on waiting for a cold `siyu serve`, not an assertion about its speed: with the
    slowest files first (tests/conftest.py) the chaos test starts it while every xdist worker
    of both dialects is still starting up, and it took over a minute (the e2e servers' bound is
    180 s for the same reason)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise AssertionError(f"{url} did not come up")


class TestApiAndWorkerInSeparateProcesses:
    def test_export_is_done_by_the_worker_process(self, processes: Processes) -> None:
        created = processes.siyu(
            "user",
            "create",
            "--email",
            "ops@example.com",
            "--password",
            "a-long-password-123",
            "--superuser",
        )
        assert created.returncode == 0, created.stderr
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        processes.start("api", "serve", "--no-worker", "--port", str(port))
        wait_for_http(f"{base}/healthz")

        with httpx.Client(base_url=base, timeout=10) as client:
            login = client.post(
                "/api/v1/auth/login",
                json={"email": "ops@example.com", "password": "a-long-password-123"},
            )
            assert login.status_code == 200, login.text
            client.headers["X-CSRF-Token"] = login.json()["csrf_token"]
            corp = client.post("/api/v1/corps", json={"wecom_corp_id": "wwsplit", "name": "Split"})
            assert corp.status_code == 201, corp.text
            corp_id = corp.json()["id"]
            requested = client.post(
                f"/api/v1/corps/{corp_id}/exports", json={"kind": "audit_events"}
            )
            assert requested.status_code == 202, requested.text
            export_url = f"/api/v1/corps/{corp_id}/exports/{requested.json()['id']}"
            # No worker anywhere yet: the API process must not have run it.
            assert client.get(export_url).json()["status"] == "pending"

            processes.start("worker", "worker", "--threads", "2")
            # Generous: a cold worker imports every domain's jobs first, which takes tens of
            # seconds when CI runs both dialects' suites side by side on two cores.
            deadline = time.monotonic() + 240
            while client.get(export_url).json()["status"] != "done":
                assert time.monotonic() < deadline, processes.log("worker")
                time.sleep(0.2)
            download = client.get(f"{export_url}/download")
            assert download.status_code == 200
            assert "corp.create" in download.text
