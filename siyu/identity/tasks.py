"""The resolution job: runs a staged batch to the end in its own chunk transactions."""

from __future__ import annotations

import uuid

from siyu.identity.batches import run_batch
from siyu.identity.models import BATCH_FAILED, IdentityBatch
from siyu.jobs import JobContext, job


@job("identity.resolve", max_attempts=5, retry_base_seconds=10)
def resolve_batch(ctx: JobContext, batch_id: str) -> None:
    """Chunks commit with their checkpoint as they go (like the full sync), so ctx.session is
    left alone until the end: on SQLite, touching it first would hold the write lock."""
    try:
        run_batch(ctx.runtime.db.transaction, uuid.UUID(batch_id))
    except Exception as exc:
        if not ctx.is_last_attempt:
            raise
        batch = ctx.session.get(IdentityBatch, uuid.UUID(batch_id))
        if batch is not None:
            batch.status = BATCH_FAILED
            batch.error = str(exc)[:1000]
