"""Enqueueing: write the work row now, wake a worker after commit."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from siyu.db.session import on_commit
from siyu.jobs.registry import get_job
from siyu.jobs.repository import job_runs
from siyu.kit.clock import utcnow
from siyu.kit.ids import new_id

if TYPE_CHECKING:
    from siyu.jobs.queue import WakeQueue

_QUEUE_KEY = "siyu.wake_queue"


def bind_queue(session: Session, queue: WakeQueue) -> None:
    """Tell a session which queue its after-commit wake-ups go to (done by the boundary)."""
    session.info[_QUEUE_KEY] = queue


def enqueue(
    session: Session,
    name: str,
    *,
    key: str,
    args: dict[str, Any] | None = None,
    corp_id: uuid.UUID | None = None,
    run_at: datetime | None = None,
    max_attempts: int | None = None,
    default_max_attempts: int = 8,
) -> bool:
    """Record that job `name` must run, exactly once per `key`; returns False if `key` exists.

    The row is part of the caller's transaction, so the job exists if and only if the caller's
    other writes do. Arguments must be JSON (ids, not objects).
    """
    definition = get_job(name)
    if definition is None:
        raise LookupError(f"no job handler is registered for {name!r}")
    now = utcnow()
    run_id = new_id()
    attempts = max_attempts or definition.max_attempts or default_max_attempts
    inserted = job_runs.insert_if_new(
        session,
        {
            "id": run_id,
            "corp_id": corp_id,
            "name": name,
            "key": key,
            "args": args or {},
            "status": "pending",
            "attempts": 0,
            "max_attempts": attempts,
            "available_at": run_at or now,
            "created_at": now,
        },
    )
    if inserted:
        queue: WakeQueue | None = session.info.get(_QUEUE_KEY)
        if queue is not None:
            delay = max(0.0, ((run_at or now) - now).total_seconds())
            on_commit(session, lambda: queue.wake(str(run_id), delay_seconds=delay))
    return inserted
