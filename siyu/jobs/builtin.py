"""Housekeeping jobs every installation runs."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import delete

from siyu.jobs.context import JobContext
from siyu.jobs.models import JobRun, JobStatus
from siyu.jobs.registry import periodic

# Finished runs are kept this long for the console and for idempotency of late duplicates.
DONE_RETENTION = timedelta(days=14)


@periodic("jobs.prune", every=timedelta(hours=1))
def prune_finished_runs(ctx: JobContext) -> None:
    """Delete successful runs past retention; dead runs stay until someone looks at them."""
    cutoff = ctx.now - DONE_RETENTION
    ctx.session.execute(
        delete(JobRun).where(JobRun.status == JobStatus.done, JobRun.finished_at < cutoff)
    )
