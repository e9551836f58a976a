"""The inbox's jobs: handle one stored callback; prune old handled rows."""

from __future__ import annotations

import traceback
import uuid
from datetime import timedelta

import structlog

from siyu.inbox.handlers import load_handler_modules
from siyu.inbox.service import FAN_OUT_JOB, HANDLE_JOB, inbox_service
from siyu.jobs import JobContext, job, periodic

log = structlog.get_logger("siyu.inbox")


@job(HANDLE_JOB, retry_base_seconds=5.0, retry_cap_seconds=900.0)
def handle_inbox_event(ctx: JobContext, inbox_event_id: str, replay: bool = False) -> None:
    """Retries, back-off and dead parking come from the job; the row mirrors each outcome."""
    event_id = uuid.UUID(inbox_event_id)
    try:
        # Nothing may touch ctx.session before this returns: on SQLite the job's transaction
        # takes the write lock at its first statement, and the prefetch waits on WeCom.
        prefetched = inbox_service.prefetch(runtime=ctx.runtime, event_id=event_id, replay=replay)
        if prefetched is None:
            return
        inbox_service.process(
            ctx.session,
            runtime=ctx.runtime,
            event_id=event_id,
            attempt=ctx.attempt,
            replay=replay,
            prefetched=prefetched,
        )
    except Exception as exc:
        # The runner rolls this transaction back and schedules the retry. The row must still
        # show the failure, so undo the handler's writes, record it and commit that here (the
        # task is the transaction boundary) before letting the runner see the exception.
        ctx.session.rollback()
        error = "".join(traceback.format_exception_only(type(exc), exc)).strip()
        inbox_service.record_failure(
            ctx.session,
            event_id=event_id,
            attempt=ctx.attempt,
            error=error,
            dead=ctx.is_last_attempt,
        )
        ctx.session.commit()
        raise


@job(FAN_OUT_JOB)
def fan_out_inbox_batch(ctx: JobContext, ids: list[str]) -> None:
    """One gateway batch → one `inbox.handle` job per new event."""
    inbox_service.fan_out(ctx.session, event_ids=[uuid.UUID(i) for i in ids])


@periodic("inbox.prune", every=timedelta(hours=1))
def prune_inbox(ctx: JobContext) -> None:
    deleted = inbox_service.prune(
        ctx.session, retention_days=ctx.runtime.settings.inbox_retention_days, now=ctx.now
    )
    if deleted:
        log.info("inbox_pruned", deleted=deleted)


# Whoever can run `inbox.handle` must know every domain's handlers: load them with the task.
load_handler_modules()
