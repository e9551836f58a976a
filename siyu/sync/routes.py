"""Starting a full sync and following its progress (owners and admins)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from siyu.audit.context import audit_context
from siyu.auth.deps import Access, require_role
from siyu.auth.models import Role
from siyu.deps import DbSession
from siyu.kit.routing import TransactionalRoute
from siyu.sync.schemas import SyncRun, SyncRunPage
from siyu.sync.service import sync_service

router = APIRouter(prefix="/corps/{corp_id}/sync", tags=["sync"], route_class=TransactionalRoute)

SyncAdmin = Annotated[
    Access, Depends(require_role(Role.owner, Role.admin, api_scope="wecom:write"))
]


@router.post("", response_model=SyncRun, status_code=status.HTTP_202_ACCEPTED)
def create_sync_run(session: DbSession, access: SyncAdmin) -> SyncRun:
    """Start a full sync with WeCom (409 while one runs); poll `get_sync_run` for progress."""
    run = sync_service.start(
        session, corp_id=access.corp_id, requested_by_label=audit_context(session).actor_label
    )
    return SyncRun.model_validate(run)


@router.get("/runs", response_model=SyncRunPage)
def list_sync_runs(
    session: DbSession,
    access: SyncAdmin,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> SyncRunPage:
    rows, next_cursor = sync_service.list(
        session, corp_id=access.corp_id, cursor=cursor, limit=limit
    )
    return SyncRunPage(items=[SyncRun.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.get("/runs/{run_id}", response_model=SyncRun)
def get_sync_run(session: DbSession, access: SyncAdmin, run_id: uuid.UUID) -> SyncRun:
    return SyncRun.model_validate(
        sync_service.get_or_404(session, corp_id=access.corp_id, run_id=run_id)
    )
