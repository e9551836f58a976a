"""Chaos for the inbox itself: thousands of callbacks through the gateway, 20% of them sent twice,
while `siyu worker` processes are SIGKILLed at random moments. In the end every unique event is
handled exactly once (the probe handler counts non-idempotently, so a double effect would show)."""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, text

from siyu.app import create_app
from siyu.inbox.models import InboxEvent, InboxStatus
from siyu.runtime import build_runtime
from siyu.settings import Settings
from siyu.wecom.crypto import generate_aes_key
from tests.conftest import make_settings
from tests.helpers.auth import make_corp
from tests.inbox.conftest import TOKEN, CallbackCorp, give_callback_secrets
from tests.inbox.probe_handlers import PROBE_TABLE_DDL, probe_xml
from tests.jobs.conftest import wait_for

UNIQUE_EVENTS = 2000
DUPLICATE_SHARE = 0.2
PROBE_MODULES = ["tests.inbox.probe_handlers"]
# Workers start cold several times over (each imports every domain before its first claim).
pytestmark = pytest.mark.timeout(900)


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
        "SIYU_WORKER_THREADS": "4",
    }
    log = log_path.open("ab")
    return subprocess.Popen(
        [sys.executable, "-m", "siyu.cli", "worker"],
        env=env,
        stdout=log,
        stderr=log,
        cwd=Path(__file__).resolve().parents[2],
    )


def wait_until_started(log_path: Path, count: int) -> None:
    """Until `count` workers have logged that they started: a cold worker imports every domain
    first (seconds, or tens of seconds on a loaded CI machine), and a kill during its imports
    tests nothing. The kills must land while workers are claiming and handling."""
    wait_for(
        lambda: log_path.read_bytes().count(b"worker_started") >= count,
        timeout=180,
        what=f"worker {count} to start",
    )


class TestInboxUnderWorkerKills:
    def test_every_unique_event_is_handled_exactly_once(
        self, fresh_db_url: str, tmp_path: Path
    ) -> None:
        settings = make_settings(
            fresh_db_url,
            queue_url=f"sqlite:///{tmp_path / 'queue.db'}",
            job_modules=PROBE_MODULES,
        )
        runtime = build_runtime(settings)
        runtime.queue.flush()
        with runtime.db.transaction() as session:
            session.execute(text(PROBE_TABLE_DDL))
        aes_key = generate_aes_key()
        corp = make_corp(runtime.db)
        give_callback_secrets(runtime.db, corp, token=TOKEN, aes_key=aes_key)
        callbacks = CallbackCorp(corp, TOKEN, aes_key)

        rng = random.Random(20)
        documents = [probe_xml(corp.wecom_corp_id, "count", f"c{i}") for i in range(UNIQUE_EVENTS)]
        sends = documents + rng.sample(documents, int(UNIQUE_EVENTS * DUPLICATE_SHARE))
        rng.shuffle(sends)

        app = create_app(runtime=runtime, start_worker=False, check_migrations=False)
        failures: list[int] = []

        def ingest() -> None:
            with TestClient(app) as client:
                for xml in sends:
                    status = callbacks.post(client, xml).status_code
                    if status != 200:
                        failures.append(status)

        feeder = threading.Thread(target=ingest)
        feeder.start()
        workers: list[subprocess.Popen[bytes]] = []
        try:
            kills = 0
            while feeder.is_alive() or kills < 4:
                worker = start_worker(settings, tmp_path / "workers.log")
                workers.append(worker)
                wait_until_started(tmp_path / "workers.log", len(workers))
                time.sleep(rng.uniform(0.5, 2.0))
                worker.send_signal(signal.SIGKILL)
                worker.wait(10)
                kills += 1
            feeder.join()
            assert failures == []

            survivor = start_worker(settings, tmp_path / "workers.log")
            workers.append(survivor)

            def all_handled() -> bool:
                with runtime.db.transaction(write=False) as session:
                    left = session.scalar(
                        select(func.count()).where(InboxEvent.status != InboxStatus.handled)
                    )
                    return left == 0

            # A bound, not a speed assertion: the file runs first now (tests/conftest.py), while
            # both dialects' workers are busy, and the survivor's drain took over 480 s there
            # while the sweeper still re-woke every overdue run on every sweep.
            wait_for(all_handled, timeout=720, what="every inbox event to be handled")
        finally:
            for worker in workers:
                if worker.poll() is None:
                    worker.kill()
                    worker.wait(10)
        with runtime.db.transaction(write=False) as session:
            stored = session.scalar(select(func.count()).select_from(InboxEvent))
            per_event = session.execute(
                text(
                    "SELECT inbox_event_id, COUNT(*) FROM inbox_probe_effects "
                    "GROUP BY inbox_event_id"
                )
            ).all()
        runtime.close()
        assert stored == UNIQUE_EVENTS
        assert len(per_event) == UNIQUE_EVENTS
        assert {count for _, count in per_event} == {1}
