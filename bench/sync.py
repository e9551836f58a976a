"""The full sync: 100,000 customers across 200 staff from the sandbox (a subprocess, real
HTTP) into SQLite (and PostgreSQL when SIYU_BENCH_POSTGRES_URL is set), then an interrupted
run resumed from its checkpoint.

Prints JSON lines: `full_sync_seconds` (target < 60) with the CPU seconds Siyu's process and
the sandbox's process spent meanwhile (they share the machine's cores, so wall time alone says
little on a loaded machine) and the load average, the relations it wrote, and for the resumed
run how many finished staff batches were fetched again (must be 0).

SIYU_BENCH_SYNC_CUSTOMERS sets the size; SIYU_BENCH_SYNC_DATABASES picks ("sqlite,postgresql").
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

from sqlalchemy import create_engine, text

from bench._common import emit, free_port, server_process
from siyu.corps.models import Corp
from siyu.db.migrate import upgrade
from siyu.db.session import Database
from siyu.settings import Environment, Settings
from siyu.sync.engine import SyncEngine, SyncOptions
from siyu.sync.repository import checkpoints
from siyu.sync.service import sync_service
from siyu.wecom.client import WeComClient
from siyu.wecom.journal import JournalWriter
from siyu.wecom.tokens import AppCredentials
from siyu.wecom.transport import WeComTransport, coordination_store

CORP_ID = "wwsyncbench000001"
SECRET = "b" * 43
CUSTOMERS = int(os.environ.get("SIYU_BENCH_SYNC_CUSTOMERS", "100000"))
STAFF = 200
SEED = 4
CONCURRENCY = 8


def settings_for(url: str) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        env=Environment.test,
        secret_key="bench-" + "x" * 40,
        database_url=url,
        queue_url="memory://",
        run_worker_in_process=False,
        wecom_max_concurrency=CONCURRENCY,
    )


def prepare(url: str, base: str) -> uuid.UUID:
    upgrade(url)
    db = Database(url)
    with db.transaction() as session:
        corp = Corp(
            wecom_corp_id=CORP_ID,
            name="bench",
            api_base_url=base,
            callback_key=uuid.uuid4().hex,
            is_sandbox=True,
        )
        session.add(corp)
        session.flush()
        corp_id = corp.id
    db.dispose()
    return corp_id


def process_cpu_seconds(pid: int) -> float | None:
    """User + system CPU of another process so far (Linux /proc), None where unavailable."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    # Fields 14 and 15 of stat(5) (utime, stime), counted after the parenthesised name.
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def load_average() -> list[float]:
    return [round(x, 2) for x in os.getloadavg()]


class Meter:
    """Wall time, this process's CPU time and the sandbox's CPU time over a block."""

    def __init__(self, sandbox_pid: int) -> None:
        self.sandbox_pid = sandbox_pid

    def __enter__(self) -> Meter:
        self.load_before = load_average()
        self.wall = time.perf_counter()
        self.cpu = time.process_time()
        self.sandbox = process_cpu_seconds(self.sandbox_pid)
        return self

    def __exit__(self, *_: object) -> None:
        self.wall = time.perf_counter() - self.wall
        self.cpu = time.process_time() - self.cpu
        after = process_cpu_seconds(self.sandbox_pid)
        self.sandbox = None if after is None or self.sandbox is None else after - self.sandbox
        self.load_after = load_average()

    def context(self) -> dict[str, object]:
        return {
            "siyu_cpu_seconds": round(self.cpu, 2),
            "sandbox_cpu_seconds": None if self.sandbox is None else round(self.sandbox, 2),
            "loadavg_before": self.load_before,
            "loadavg_after": self.load_after,
        }


def sync_once(
    db: Database,
    client: WeComClient,
    corp_id: uuid.UUID,
    *,
    run_id: uuid.UUID | None = None,
    stop: threading.Event | None = None,
) -> tuple[uuid.UUID, str, float]:
    if run_id is None:
        with db.transaction() as session:
            run_id = sync_service.create_run(
                session, corp_id=corp_id, requested_by_label="bench", enqueue_job=False
            ).id
    started = time.perf_counter()
    engine = SyncEngine(
        db, client, run_id=run_id, options=SyncOptions(concurrency=CONCURRENCY), stop=stop
    )
    status = engine.run()
    return run_id, status, time.perf_counter() - started


def bench_database(label: str, url: str, base: str, sandbox_pid: int) -> None:
    corp_id = prepare(url, base)
    db = Database(url)
    settings = settings_for(url)
    # The store production picks (a sidecar file beside a SQLite database): the client's slot
    # leases must not queue on the same write lock as the sync's own writes.
    store = coordination_store(db)
    transport = WeComTransport.build(settings, JournalWriter(db), store=store)
    client = WeComClient(
        AppCredentials(wecom_corp_id=CORP_ID, secret=SECRET, base_url=base), transport=transport
    )
    context = {
        "database": label,
        "customers": CUSTOMERS,
        "staff": STAFF,
        "concurrency": CONCURRENCY,
    }
    try:
        with Meter(sandbox_pid) as meter:
            run_id, status, seconds = sync_once(db, client, corp_id)
        with db.transaction(write=False) as session:
            summary = checkpoints.summary(session, run_id)
        relations = summary["customers"]["items"]
        emit(
            "sync",
            "full_sync_seconds",
            seconds,
            "s",
            status=status,
            target_seconds=60,
            **meter.context(),
            **context,
        )
        emit(
            "sync",
            "relations_per_second",
            relations / seconds,
            "rows/s",
            relations=relations,
            pages=summary["customers"]["pages"],
            **context,
        )

        # Interrupt a second run once about half of its staff batches are done, then resume.
        stop = threading.Event()

        def watch(run: list[uuid.UUID]) -> None:
            while not stop.is_set():
                time.sleep(0.05)
                if not run:
                    continue
                with db.transaction(write=False) as session:
                    done = checkpoints.summary(session, run[0]).get("customers", {})
                if done and done["done"] >= done["total"] // 2:
                    stop.set()

        with db.transaction() as session:
            second = sync_service.create_run(
                session, corp_id=corp_id, requested_by_label="bench", enqueue_job=False
            ).id
        watcher = threading.Thread(target=watch, args=([second],), daemon=True)
        watcher.start()
        _, status, first_part = sync_once(db, client, corp_id, run_id=second, stop=stop)
        stop.set()
        with db.transaction(write=False) as session:
            before = {c.key: c for c in checkpoints.of_stage(session, second, "customers")}
        _, resumed_status, rest = sync_once(db, client, corp_id, run_id=second)
        with db.transaction(write=False) as session:
            after = {c.key: c for c in checkpoints.of_stage(session, second, "customers")}
        finished = [k for k, c in before.items() if c.done]
        finished_staff = sum(len(before[k].payload["userids"]) for k in finished)
        refetched = sum(
            len(before[k].payload["userids"]) for k in finished if after[k].pages != before[k].pages
        )
        emit(
            "sync",
            "resume_refetched_finished_staff",
            refetched,
            "staff",
            finished_staff=finished_staff,
            interrupted_status=status,
            resumed_status=resumed_status,
            first_part_seconds=round(first_part, 2),
            resumed_seconds=round(rest, 2),
            **context,
        )
    finally:
        transport.close()
        db.dispose()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        scenario = Path(tmp) / "sync.json"
        world = {"customers": CUSTOMERS, "staff": STAFF, "groups": 500}
        scenario.write_text(
            json.dumps(
                {"seed": SEED, "corp": {"corp_id": CORP_ID, "secret": SECRET}, "world": world}
            )
        )
        port = free_port()
        base = f"http://127.0.0.1:{port}"
        command = [
            sys.executable,
            "-m",
            "siyu.sandbox.cli",
            "serve",
            "--port",
            str(port),
            "--seed",
            str(SEED),
            "--scenario",
            str(scenario),
        ]
        wanted = os.environ.get("SIYU_BENCH_SYNC_DATABASES", "sqlite,postgresql").split(",")
        # Building a 100,000-customer world takes the sandbox a while on a loaded machine.
        with server_process(command, url=base, start_timeout=600) as sandbox:
            if "sqlite" in wanted:
                bench_database("sqlite", f"sqlite:///{Path(tmp) / 'sync.db'}", base, sandbox.pid)
            pg = os.environ.get("SIYU_BENCH_POSTGRES_URL")
            if pg and "postgresql" in wanted:
                name = f"siyu_bench_sync_{uuid.uuid4().hex[:8]}"
                admin = create_engine(pg, isolation_level="AUTOCOMMIT")
                with admin.connect() as conn:
                    conn.execute(text(f'CREATE DATABASE "{name}"'))
                try:
                    pg_url = pg.rsplit("/", 1)[0] + f"/{name}"
                    bench_database("postgresql", pg_url, base, sandbox.pid)
                finally:
                    with admin.connect() as conn:
                        conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
                    admin.dispose()


if __name__ == "__main__":
    main()
