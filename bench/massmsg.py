"""Planning a mass message to 1,000,000 customers across 2,000 staff, on SQLite and PostgreSQL.

Data (SIYU_BENCH_MASSMSG_CUSTOMERS, default 1,000,000): 2,000 staff, a fifth of the people are
friends of two staff members, 8 % lost. Each database plans twice in a child process (so its
peak RSS is the planning's alone, not the loader's):

1. the first campaign of the period to everyone: the quota check finds no history, the owner
   rule picks one sender per person, the rows are cut into ≤ 10,000-person chunks and the tasks
   written;
2. a second campaign the same day: now every reachable person has a counted send, so the quota
   and cap counts scan ~920,000 rows (all left out by the daily cap of 1).

Prints per database and run `plan_seconds` (wall, target ≤ 30 s), `plan_cpu_seconds` (the
planning process's CPU, plus the PostgreSQL backend's where the work runs in the server) and
`plan_peak_rss_mb` (target ≤ 1024 MB), with the load average, audience, reachable and tasks.
On a shared, loaded machine the CPU seconds are the number to compare.

Options: `--dialect sqlite|postgresql` (repeatable; default both, PostgreSQL only with
`SIYU_BENCH_POSTGRES_URL`), `--url URL` to plan in a database loaded by an earlier `--load URL`
(generating a million people takes far longer than planning for them on a loaded machine).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, func, select, text

from bench._common import ROOT, emit
from bench._massmsg_data import generate
from bench.segments import _fresh_postgres, prepared_engines
from siyu.db.session import Database

BENCH = "massmsg"
CUSTOMERS = int(os.environ.get("SIYU_BENCH_MASSMSG_CUSTOMERS", "1000000"))
BENCH_CORP = "wwsegbench0001"  # _make_corp's WeCom corp id: how `--url` finds the loaded corp
TICKS = os.sysconf("SC_CLK_TCK")


def _cpu_self() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _cpu_backend(pid: int | None) -> float:
    """CPU seconds of a local PostgreSQL backend (0 when it is not readable from here)."""
    if pid is None:
        return 0.0
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    return (int(fields[11]) + int(fields[12])) / TICKS  # utime, stime


def _load() -> float:
    return float(Path("/proc/loadavg").read_text().split()[0])


def plan_once(url: str, corp_id: uuid.UUID) -> dict[str, float]:
    """One campaign to everyone, planned as the worker plans it (in one transaction)."""
    from siyu.jobs.registry import load_job_modules
    from siyu.messaging.models import MassCampaign, MassSettings, MassTask
    from siyu.messaging.service import messaging_service

    load_job_modules()  # planning queues the send jobs (rows only: no queue is bound here)

    db = Database(url)
    now = datetime.now(UTC)
    with db.transaction() as session:
        settings = session.get(MassSettings, corp_id)
        if settings is None:
            settings = MassSettings(corp_id=corp_id, quota_rule="days_in_month", daily_cap=1)
            session.add(settings)
            session.flush()
        # Plan at any hour (a None given to the constructor would get the column default).
        settings.quiet_start_hour = settings.quiet_end_hour = None
        campaign = MassCampaign(
            corp_id=corp_id, kind="customers", name="bench", text="新品到店", attachments=[],
            scope={"kind": "all"}, status="scheduled", due_at=now, owner_rule="most_recent",
        )  # fmt: skip
        session.add(campaign)
        session.flush()
        campaign_id = campaign.id
    load = _load()
    with db.transaction() as session:
        backend = None
        if session.get_bind().dialect.name == "postgresql":
            backend = int(session.scalar(text("SELECT pg_backend_pid()")) or 0)
        cpu, server = _cpu_self(), _cpu_backend(backend)
        started = time.perf_counter()
        messaging_service.plan(session, campaign_id=campaign_id, now=now)
    # The commit is part of planning (SQLite writes its WAL, PostgreSQL flushes), so it is timed.
    seconds = time.perf_counter() - started
    cpu, server = _cpu_self() - cpu, _cpu_backend(backend) - server
    with db.transaction(write=False) as session:
        row = session.get(MassCampaign, campaign_id)
        assert row is not None
        tasks = session.scalar(
            select(func.count()).select_from(MassTask).where(MassTask.campaign_id == campaign_id)
        )
        result = {
            "seconds": seconds,
            "cpu_seconds": cpu,
            "server_cpu_seconds": server,
            "load_before": load,
            "load_after": _load(),
            "audience": row.audience_count,
            "reachable": row.reachable_count,
            "tasks": int(tasks or 0),
            "left_out": row.left_out,
        }
    db.dispose()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {**result, "peak_rss_mb": peak_kb / 1024}


def _child(url: str, corp_id: uuid.UUID) -> dict[str, Any]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.massmsg", "--plan", url, str(corp_id)],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip().splitlines()[-1])
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def load(urls: dict[str, str], corp_id: uuid.UUID) -> None:
    """Migrate each database and write the benchmark's people into all of them at once."""
    engines = prepared_engines(list(urls.items()), corp_id)
    started = time.perf_counter()
    generate(engines, corp_id=corp_id, customers=CUSTOMERS, seed=7)
    emit(BENCH, "generate_seconds", time.perf_counter() - started, "s",
         customers=CUSTOMERS, databases=list(engines))  # fmt: skip
    for engine in engines.values():
        engine.dispose()


def loaded_corp(url: str) -> uuid.UUID:
    engine = create_engine(url)
    try:
        with engine.connect() as conn:
            query = text("SELECT id FROM corps WHERE wecom_corp_id = :c")
            found = conn.scalar(query, {"c": BENCH_CORP})
    finally:
        engine.dispose()
    if found is None:
        raise SystemExit(f"{url}: no benchmark data (load it first with --load URL)")
    return found if isinstance(found, uuid.UUID) else uuid.UUID(str(found))


def measure(label: str, url: str, corp_id: uuid.UUID) -> None:
    for run in ("first_of_period", "second_same_day"):
        result = _child(url, corp_id)
        context = {
            "database": label, "run": run, "customers": result["audience"], "staff": 2000,
            "reachable": result["reachable"], "tasks": result["tasks"],
            "left_out": result["left_out"], "load_before": result["load_before"],
            "load_after": result["load_after"],
        }  # fmt: skip
        emit(BENCH, "plan_seconds", result["seconds"], "s", target=30, **context)
        emit(BENCH, "plan_cpu_seconds", result["cpu_seconds"] + result["server_cpu_seconds"],
             "s", client=round(result["cpu_seconds"], 3),
             server=round(result["server_cpu_seconds"], 3), **context)  # fmt: skip
        emit(BENCH, "plan_peak_rss_mb", result["peak_rss_mb"], "MB", target=1024, **context)


@contextmanager
def _fresh(dialects: list[str]) -> Iterator[dict[str, str]]:
    """Empty databases for a full run: a temporary SQLite file, a new PostgreSQL database."""
    with tempfile.TemporaryDirectory() as tmp:
        urls: dict[str, str] = {}
        cleanups: list[Callable[[], None]] = []
        if "sqlite" in dialects:
            urls["sqlite"] = f"sqlite:///{Path(tmp) / 'massmsg.db'}"
        pg = os.environ.get("SIYU_BENCH_POSTGRES_URL")
        if pg and "postgresql" in dialects:
            urls["postgresql"], drop = _fresh_postgres(pg)
            cleanups.append(drop)
        try:
            yield urls
        finally:
            for cleanup in cleanups:
                cleanup()


def _label(url: str) -> str:
    return "postgresql" if url.startswith("postgresql") else "sqlite"


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.massmsg")
    parser.add_argument("--dialect", action="append", choices=("sqlite", "postgresql"))
    parser.add_argument("--load", metavar="URL", action="append", help="load URL(s), then stop")
    parser.add_argument("--url", metavar="URL", help="plan in a database loaded by --load")
    args = parser.parse_args(argv or [])
    if args.load:
        load({_label(url): url for url in args.load}, uuid.uuid4())
        return
    if args.url:
        measure(_label(args.url), args.url, loaded_corp(args.url))
        return
    default = os.environ.get("SIYU_BENCH_MASSMSG_DATABASES", "sqlite,postgresql").split(",")
    with _fresh(args.dialect or default) as urls:
        corp_id = uuid.uuid4()
        load(urls, corp_id)
        for label, url in urls.items():
            measure(label, url, corp_id)


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--plan":
        print(json.dumps(plan_once(sys.argv[2], uuid.UUID(sys.argv[3]))), flush=True)  # noqa: T201
    else:
        main(sys.argv[1:])
