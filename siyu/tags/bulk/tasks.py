"""The `tags.bulk` job: one step of a bulk tag job (see service.py)."""

from __future__ import annotations

import uuid

from siyu.jobs import JobContext, job
from siyu.tags.bulk.service import STEP_JOB, bulk_tag_service


@job(STEP_JOB, max_attempts=8, retry_base_seconds=5.0)
def run_bulk_tag_step(ctx: JobContext, job_id: str, step: int) -> None:
    bulk_tag_service.run_step(ctx.session, job_id=uuid.UUID(job_id), step=step)
