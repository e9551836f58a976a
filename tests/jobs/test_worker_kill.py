"""A worker killed with SIGKILL in the middle of a job loses no work, and the job's effect
happens exactly once: real `siyu worker` processes, real commits, a real kill."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from siyu.jobs import JobStatus, enqueue
from siyu.jobs.repository import job_runs
from siyu.runtime import Runtime
from siyu.settings import Settings
from tests.jobs.conftest import PROBE_MODULES, effects, wait_for


def start_worker(settings: Settings, log_path: Path) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "SIYU_ENV": "test",
        "SIYU_SECRET_KEY": settings.secret_key,
        "SIYU_DATABASE_URL": settings.database_url,
        "SIYU_QUEUE_URL": settings.queue_url,
        "SIYU_JOB_MODULES": json.dumps(PROBE_MODULES),
        "SIYU_JOB_LEASE_SECONDS": "2",
        "SIYU_SWEEPER_INTERVAL_SECONDS": "1",
        "SIYU_WORKER_THREADS": "2",
    }
    log = log_path.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "siyu.cli", "worker"],
        env=env,
        stdout=log,
        stderr=log,
        cwd=Path(__file__).resolve().parents[2],
    )


class TestWorkerKilledMidJob:
    def test_sweeper_redrives_and_effect_happens_once(
        self, job_runtime: Runtime, job_settings: Settings, tmp_path: Path
    ) -> None:
        marker = tmp_path / "started"
        with job_runtime.db.transaction() as session:
            enqueue(
                session,
                "probe.hang_first_attempt",
                key="kill-me",
                args={"label": "kill", "marker": str(marker)},
            )

        first = start_worker(job_settings, tmp_path / "worker1.log")
        try:
            # A cold worker imports every domain first: a bound, as in tests/inbox/test_chaos.py.
            wait_for(marker.exists, timeout=180, what="first attempt to start")
            assert int(marker.read_text()) == first.pid
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        finally:
            if first.poll() is None:
                first.kill()
        # The effect was written but never committed.
        assert effects(job_runtime.db, "kill") == []
        with job_runtime.db.transaction(write=False) as session:
            run = job_runs.get_by_key(session, "kill-me")
            assert run is not None and run.status == JobStatus.running

        second = start_worker(job_settings, tmp_path / "worker2.log")
        try:

            def finished() -> bool:
                with job_runtime.db.transaction(write=False) as session:
                    current = job_runs.get_by_key(session, "kill-me")
                    return current is not None and current.status == JobStatus.done

            wait_for(finished, timeout=180, what="the sweeper to re-drive the killed run")
        finally:
            second.send_signal(signal.SIGTERM)
            try:
                second.wait(15)
            except subprocess.TimeoutExpired:
                second.kill()
                pytest.fail("worker did not stop on SIGTERM")
        assert second.returncode == 0, (tmp_path / "worker2.log").read_text()
        assert effects(job_runtime.db, "kill") == [2]
        with job_runtime.db.transaction(write=False) as session:
            run = job_runs.get_by_key(session, "kill-me")
            assert run is not None and run.attempts == 2
