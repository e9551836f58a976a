"""Planning a mass message to 1,000,000 customers across 2,000 staff, on SQLite and PostgreSQL.

Data (SIYU_BENCH_MASSMSG_CUSTOMERS, default 1,000,000): 2,000 staff, a fifth of the people are
friends of two staff members, 8 % lost. Each database plans twice in a child process (so its
peak RSS is the planning's alone, not the loader's):

1. the first campaign of the period to everyone: the quota check finds no history, the owner
   rule picks one sender per person, the rows are cut into ≤ 10,000-person chunks and the tasks
   written;
2. a second campaign the same day: now every reachable person has a counted send, so the quota
   and cap counts scan ~920,000 rows (all left out by the daily cap of 1).

Prints `plan_seconds` (target ≤ 30 s) and `plan_peak_rss_mb` (target ≤ 1024 MB) per database
and run, with the audience, reachable and task counts.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import Engine, create_engine, func, select

from bench._common import ROOT, emit
from bench._massmsg_data import generate
from bench.segments import _fresh_postgres, _make_corp
from siyu.db.migrate import upgrade
from siyu.db.session import Database

BENCH = "massmsg"
CUSTOMERS = int(os.environ.get("SIYU_BENCH_MASSMSG_CUSTOMERS", "1000000"))


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
    started = time.perf_counter()
    with db.transaction() as session:
        messaging_service.plan(session, campaign_id=campaign_id, now=now)
    seconds = time.perf_counter() - started
    with db.transaction(write=False) as session:
        row = session.get(MassCampaign, campaign_id)
        assert row is not None
        tasks = session.scalar(
            select(func.count()).select_from(MassTask).where(MassTask.campaign_id == campaign_id)
        )
        result = {
            "seconds": seconds,
            "audience": row.audience_count,
            "reachable": row.reachable_count,
            "tasks": int(tasks or 0),
            "left_out": row.left_out,
        }
    db.dispose()
    peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return {**result, "peak_rss_mb": peak_kb / 1024}


def _child(url: str, corp_id: uuid.UUID) -> dict[str, float]:
    out = subprocess.run(
        [sys.executable, "-m", "bench.massmsg", "--plan", url, str(corp_id)],
        cwd=ROOT, capture_output=True, text=True,
    )  # fmt: skip
    if out.returncode != 0:
        raise RuntimeError(out.stderr.strip().splitlines()[-1])
    return dict(json.loads(out.stdout.strip().splitlines()[-1]))


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        wanted = os.environ.get("SIYU_BENCH_MASSMSG_DATABASES", "sqlite,postgresql").split(",")
        targets: list[tuple[str, str]] = []
        cleanups: list[Callable[[], None]] = []
        if "sqlite" in wanted:
            targets.append(("sqlite", f"sqlite:///{Path(tmp) / 'massmsg.db'}"))
        pg = os.environ.get("SIYU_BENCH_POSTGRES_URL")
        if pg and "postgresql" in wanted:
            url, drop = _fresh_postgres(pg)
            targets.append(("postgresql", url))
            cleanups.append(drop)
        try:
            corp_id = uuid.uuid4()
            engines: dict[str, Engine] = {}
            for label, url in targets:
                upgrade(url)
                db = Database(url)
                _make_corp(db, corp_id)
                db.dispose()
                engines[label] = create_engine(url)
            started = time.perf_counter()
            generate(engines, corp_id=corp_id, customers=CUSTOMERS, seed=7)
            emit(BENCH, "generate_seconds", time.perf_counter() - started, "s",
                 customers=CUSTOMERS, databases=list(engines))  # fmt: skip
            for engine in engines.values():
                engine.dispose()
            for label, url in targets:
                for run in ("first_of_period", "second_same_day"):
                    result = _child(url, corp_id)
                    context = {
                        "database": label, "run": run, "customers": CUSTOMERS, "staff": 2000,
                        "audience": result["audience"], "reachable": result["reachable"],
                        "tasks": result["tasks"], "left_out": result["left_out"],
                    }  # fmt: skip
                    emit(BENCH, "plan_seconds", result["seconds"], "s", target=30, **context)
                    emit(BENCH, "plan_peak_rss_mb", result["peak_rss_mb"], "MB", target=1024,
                         **context)  # fmt: skip
        finally:
            for cleanup in cleanups:
                cleanup()


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--plan":
        print(json.dumps(plan_once(sys.argv[2], uuid.UUID(sys.argv[3]))), flush=True)  # noqa: T201
    else:
        main()
