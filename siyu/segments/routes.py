"""Segment routes: evaluate a tree (count / preview / export) and keep saved segments.

Counts and previews are POSTs (a tree does not fit a query string) but run in a read session,
so a scan over a million people never holds SQLite's write lock; their evaluation records are
written right after, in a short transaction of their own (`write_after_read`).
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from siyu.auth.deps import Access, require_api_scope, require_role
from siyu.auth.models import Role
from siyu.customers.schemas import Customer, CustomerPage
from siyu.deps import DbSession, ReadSession
from siyu.exports.schemas import Export
from siyu.kit.routing import TransactionalRoute
from siyu.segments.exports import request_export
from siyu.segments.schemas import (
    ConditionBody,
    PreviewBody,
    Segment,
    SegmentCount,
    SegmentCreate,
    SegmentEvaluation,
    SegmentEvaluationPage,
    SegmentPage,
    SegmentUpdate,
)
from siyu.segments.service import segment_service

router = APIRouter(prefix="/corps/{corp_id}", tags=["segments"], route_class=TransactionalRoute)

SegmentReader = Annotated[Access, Depends(require_api_scope("customers:read"))]
SegmentEditor = Annotated[
    Access, Depends(require_role(Role.owner, Role.admin, Role.manager, api_scope="segments:write"))
]
Limit = Annotated[int, Query(ge=1, le=200)]


def _page(rows: list[object], next_cursor: str | None) -> CustomerPage:
    return CustomerPage(items=[Customer.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post("/segments/count", response_model=SegmentCount)
def count_segment_condition(
    session: ReadSession, access: SegmentReader, body: ConditionBody
) -> SegmentCount:
    """How many people in the caller's scope match an unsaved tree (the builder's live count)."""
    total, ms = segment_service.count(session, access=access, condition=body.condition)
    return SegmentCount(count=total, duration_ms=ms)


@router.post("/segments/preview", response_model=CustomerPage)
def preview_segment_condition(
    session: ReadSession, access: SegmentReader, body: PreviewBody
) -> CustomerPage:
    rows, next_cursor = segment_service.preview(
        session, access=access, condition=body.condition, cursor=body.cursor, limit=body.limit
    )
    return _page(list(rows), next_cursor)


@router.post("/segments/export", response_model=Export, status_code=status.HTTP_202_ACCEPTED)
def export_segment_condition(
    session: DbSession, access: SegmentReader, body: ConditionBody
) -> Export:
    export = request_export(session, access=access, condition=body.condition, segment=None)
    return Export.model_validate(export)


@router.get("/segments", response_model=SegmentPage)
def list_segments(
    session: DbSession, access: SegmentReader, cursor: str | None = None, limit: Limit = 50
) -> SegmentPage:
    rows, next_cursor = segment_service.list(
        session, corp_id=access.corp_id, cursor=cursor, limit=limit
    )
    return SegmentPage(items=[Segment.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post("/segments", response_model=Segment, status_code=status.HTTP_201_CREATED)
def create_segment(session: DbSession, access: SegmentEditor, body: SegmentCreate) -> Segment:
    return Segment.model_validate(segment_service.create(session, access=access, data=body))


@router.get("/segments/{segment_id}", response_model=Segment)
def get_segment(session: DbSession, access: SegmentReader, segment_id: uuid.UUID) -> Segment:
    return Segment.model_validate(
        segment_service.get_or_404(session, corp_id=access.corp_id, segment_id=segment_id)
    )


@router.patch("/segments/{segment_id}", response_model=Segment)
def update_segment(
    session: DbSession, access: SegmentEditor, segment_id: uuid.UUID, body: SegmentUpdate
) -> Segment:
    segment = segment_service.get_or_404(session, corp_id=access.corp_id, segment_id=segment_id)
    return Segment.model_validate(segment_service.update(session, segment=segment, data=body))


@router.delete("/segments/{segment_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_segment(session: DbSession, access: SegmentEditor, segment_id: uuid.UUID) -> None:
    segment = segment_service.get_or_404(session, corp_id=access.corp_id, segment_id=segment_id)
    segment_service.delete(session, segment=segment)


@router.post("/segments/{segment_id}/count", response_model=SegmentCount)
def count_segment(
    session: ReadSession, access: SegmentReader, segment_id: uuid.UUID
) -> SegmentCount:
    segment = segment_service.get_or_404(session, corp_id=access.corp_id, segment_id=segment_id)
    condition = segment_service.condition_of(segment)
    total, ms = segment_service.count(session, access=access, condition=condition, segment=segment)
    return SegmentCount(count=total, duration_ms=ms)


@router.post("/segments/{segment_id}/preview", response_model=CustomerPage)
def preview_segment(
    session: ReadSession,
    access: SegmentReader,
    segment_id: uuid.UUID,
    cursor: str | None = None,
    limit: Limit = 20,
) -> CustomerPage:
    segment = segment_service.get_or_404(session, corp_id=access.corp_id, segment_id=segment_id)
    rows, next_cursor = segment_service.preview(
        session,
        access=access,
        condition=segment_service.condition_of(segment),
        cursor=cursor,
        limit=limit,
        segment=segment,
    )
    return _page(list(rows), next_cursor)


@router.post(
    "/segments/{segment_id}/export", response_model=Export, status_code=status.HTTP_202_ACCEPTED
)
def export_segment(session: DbSession, access: SegmentReader, segment_id: uuid.UUID) -> Export:
    segment = segment_service.get_or_404(session, corp_id=access.corp_id, segment_id=segment_id)
    condition = segment_service.condition_of(segment)
    return Export.model_validate(
        request_export(session, access=access, condition=condition, segment=segment)
    )


@router.get("/segments/{segment_id}/evaluations", response_model=SegmentEvaluationPage)
def list_segment_evaluations(
    session: DbSession,
    access: SegmentReader,
    segment_id: uuid.UUID,
    cursor: str | None = None,
    limit: Limit = 50,
) -> SegmentEvaluationPage:
    segment = segment_service.get_or_404(session, corp_id=access.corp_id, segment_id=segment_id)
    rows, next_cursor = segment_service.evaluations(
        session, segment=segment, cursor=cursor, limit=limit
    )
    return SegmentEvaluationPage(
        items=[SegmentEvaluation.model_validate(r) for r in rows], next_cursor=next_cursor
    )
