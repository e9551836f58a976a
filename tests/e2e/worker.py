"""Be the worker in browser tests: the server under test runs with --no-worker, so the test
process runs the queued jobs it cares about (each may queue the next) until none is left."""

from __future__ import annotations

from sqlalchemy import ColumnElement, select

from siyu.jobs import JobRun, JobStatus
from siyu.jobs.runner import execute_run
from siyu.runtime import build_runtime
from tests.conftest import make_settings


def run_queued_jobs(
    database_url: str, which: ColumnElement[bool], *, rounds: int = 50, **settings: object
) -> None:
    """`settings` are what the job needs to agree on with the server (e.g. `export_dir`)."""
    runtime = build_runtime(make_settings(database_url, **settings))
    try:
        for _ in range(rounds):
            with runtime.db.transaction(write=False) as session:
                stmt = select(JobRun.id).where(which, JobRun.status == JobStatus.pending)
                pending = list(session.scalars(stmt))
            if not pending:
                return
            for run_id in pending:
                execute_run(runtime, str(run_id))
    finally:
        runtime.close()
