"""Running one work row: claim, execute in a transaction with its completion, or back off."""

from __future__ import annotations

import random
import time
import traceback
import uuid
from datetime import timedelta
from typing import TYPE_CHECKING

import structlog

from siyu.jobs.context import JobContext
from siyu.jobs.registry import JobDefinition, get_job
from siyu.jobs.repository import job_runs
from siyu.kit.clock import utcnow
from siyu.telemetry.metrics import job_duration, jobs_total

if TYPE_CHECKING:
    from siyu.runtime import Runtime

log = structlog.get_logger("siyu.jobs")


def backoff_seconds(definition: JobDefinition, attempt: int) -> float:
    """Exponential back-off with full jitter in [50%, 100%] so retries of a burst spread out."""
    ceiling = min(definition.retry_cap_seconds, definition.retry_base_seconds * 2 ** (attempt - 1))
    jitter: float = random.uniform(0.5, 1.0)
    return float(ceiling) * jitter


def execute_run(runtime: Runtime, run_id_text: str) -> None:
    """Entry point of every wake-up. Safe to call any number of times for one run."""
    run_id = uuid.UUID(run_id_text)
    settings = runtime.settings
    now = utcnow()
    with runtime.db.transaction() as session:
        if not job_runs.claim(
            session, run_id, now=now, lease=timedelta(seconds=settings.job_lease_seconds)
        ):
            return  # done, dead, not yet due, or another worker holds a live lease
        run = job_runs.get(session, run_id)
        assert run is not None
        name, args, attempt, max_attempts = run.name, dict(run.args), run.attempts, run.max_attempts

    structlog.contextvars.bind_contextvars(job=name, run_id=run_id_text, attempt=attempt)
    definition = get_job(name)
    started = time.perf_counter()
    try:
        if definition is None:
            raise LookupError(f"no job handler is registered for {name!r}")
        with runtime.db.transaction() as session:
            context = JobContext(session, runtime, run_id, attempt, max_attempts, utcnow())
            definition.function(context, **args)
            job_runs.mark_done(session, run_id, now=utcnow())
    except Exception as exc:
        error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        retry_at = None
        if definition is not None and attempt < max_attempts:
            retry_at = utcnow() + timedelta(seconds=backoff_seconds(definition, attempt))
        with runtime.db.transaction() as session:
            job_runs.mark_failed(session, run_id, error=error, retry_at=retry_at, now=utcnow())
        outcome = "retry" if retry_at else "dead"
        jobs_total.labels(name, outcome).inc()
        log.warning("job_failed", outcome=outcome, error=error, exc_info=True)
        if retry_at is not None:
            runtime.queue.wake(run_id_text, delay_seconds=(retry_at - utcnow()).total_seconds())
        return
    finally:
        job_duration.labels(name).observe(time.perf_counter() - started)
        structlog.contextvars.unbind_contextvars("job", "run_id", "attempt")
    jobs_total.labels(name, "done").inc()
