"""Bulk tag routes: request a job, follow its progress, cancel it."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from siyu.auth.deps import Access, require_api_scope
from siyu.deps import DbSession
from siyu.kit.routing import TransactionalRoute
from siyu.tags.bulk.schemas import BulkTagCreate, BulkTagJob, BulkTagJobPage
from siyu.tags.bulk.service import bulk_tag_service

router = APIRouter(
    prefix="/corps/{corp_id}/tag-jobs", tags=["tags"], route_class=TransactionalRoute
)

# Any member may, on the people inside their data scope (the scope is kept on the job); every
# member whose scope covers a job's may follow or cancel it, not only the one who started it.
BulkTagger = Annotated[Access, Depends(require_api_scope("tags:write"))]
TagReader = Annotated[Access, Depends(require_api_scope("tags:read"))]


@router.post("", response_model=BulkTagJob, status_code=status.HTTP_202_ACCEPTED)
def create_tag_job(session: DbSession, access: BulkTagger, body: BulkTagCreate) -> BulkTagJob:
    """Tag or untag a selection (ids), a saved segment or a condition tree; poll for progress."""
    return BulkTagJob.model_validate(bulk_tag_service.request(session, access=access, data=body))


@router.get("", response_model=BulkTagJobPage)
def list_tag_jobs(
    session: DbSession,
    access: TagReader,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> BulkTagJobPage:
    rows, next_cursor = bulk_tag_service.page(session, access=access, cursor=cursor, limit=limit)
    return BulkTagJobPage(
        items=[BulkTagJob.model_validate(r) for r in rows], next_cursor=next_cursor
    )


@router.get("/{tag_job_id}", response_model=BulkTagJob)
def get_tag_job(session: DbSession, access: TagReader, tag_job_id: uuid.UUID) -> BulkTagJob:
    return BulkTagJob.model_validate(
        bulk_tag_service.get_or_404(session, access=access, job_id=tag_job_id)
    )


@router.post("/{tag_job_id}/cancel", response_model=BulkTagJob)
def cancel_tag_job(session: DbSession, access: BulkTagger, tag_job_id: uuid.UUID) -> BulkTagJob:
    job = bulk_tag_service.get_or_404(session, access=access, job_id=tag_job_id)
    return BulkTagJob.model_validate(bulk_tag_service.cancel(session, job=job))
