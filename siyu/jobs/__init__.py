"""Siyu's job system, the only place that knows about huey.

- `job("domain.event")` registers a handler `fn(ctx, **args)`.
- `enqueue(session, name, key=..., args=...)` records the work in the caller's transaction and
  wakes a worker after commit; the same key never runs twice.
- Workers claim runs with a lease, run the handler in a transaction that also marks the run
  done, back off on failure, and park runs as dead after `max_attempts`.
- The sweeper (in every worker's scheduler) re-drives runs whose wake-up was lost or whose
  worker died mid-run, so a SIGKILL at any moment loses nothing.
"""

from siyu.jobs.context import JobContext
from siyu.jobs.enqueue import bind_queue, enqueue
from siyu.jobs.models import JobRun, JobStatus
from siyu.jobs.registry import job, periodic

__all__ = ["JobContext", "JobRun", "JobStatus", "bind_queue", "enqueue", "job", "periodic"]
