"""Moment routes: posts (compose, schedule, publish, cancel, retry, remind) and WeCom's list."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, Query, Response

from siyu.auth.deps import Access, require_api_scope, require_role
from siyu.auth.models import Role
from siyu.deps import DbSession, RuntimeDep
from siyu.kit.clock import utcnow
from siyu.kit.routing import TransactionalRoute
from siyu.moments.listing import wecom_moments
from siyu.moments.models import MomentStatus
from siyu.moments.schemas import (
    MomentCreate,
    MomentDetail,
    MomentPost,
    MomentPostPage,
    MomentReminder,
    MomentRetry,
    MomentUpdate,
    WeComMomentPage,
)
from siyu.moments.service import moment_service

router = APIRouter(prefix="/corps/{corp_id}", tags=["moments"], route_class=TransactionalRoute)

MomentReader = Annotated[Access, Depends(require_api_scope("moments:read"))]
MomentWriter = Annotated[
    Access, Depends(require_role(Role.owner, Role.admin, api_scope="moments:write"))
]
Reminder = Annotated[
    Access, Depends(require_role(Role.owner, Role.admin, Role.manager, api_scope="moments:write"))
]


def _user_id(access: Access) -> uuid.UUID | None:
    return access.principal.user.id if access.principal.user is not None else None


@router.get("/moments", response_model=MomentPostPage)
def list_moments(
    session: DbSession,
    access: MomentReader,
    status: MomentStatus | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
) -> dict[str, Any]:
    """Newest first; staff-scoped members see the posts they (or their teams) are to send."""
    items, next_cursor = moment_service.page(
        session, scope=access.scope, status=status, cursor=cursor, limit=limit
    )
    return {"items": items, "next_cursor": next_cursor}


@router.post("/moments", response_model=MomentPost, status_code=201)
def create_moment(session: DbSession, access: MomentWriter, data: MomentCreate) -> Any:
    return moment_service.create(
        session, corp_id=access.corp_id, data=data, created_by=_user_id(access), now=utcnow()
    )


@router.get("/moments/wecom", response_model=WeComMomentPage)
def list_wecom_moments(
    runtime: RuntimeDep,
    access: MomentReader,
    since: Annotated[date, Query(description="First China calendar day")],
    until: Annotated[date, Query(description="Last day, inclusive; ≤30 days after since")],
    created_by: Literal["company", "staff", "all"] = "all",
    creator: str | None = None,
    cursor: str | None = None,
) -> WeComMomentPage:
    """Moments as WeCom lists them (company and personal posts), read live from WeCom."""
    return wecom_moments(
        runtime,
        access.corp,
        since=since,
        until=until,
        created_by=created_by,
        creator=creator,
        cursor=cursor,
    )


@router.get("/moments/{post_id}", response_model=MomentDetail)
def get_moment(session: DbSession, access: MomentReader, post_id: uuid.UUID) -> Any:
    post = moment_service.get_or_404(session, scope=access.scope, post_id=post_id)
    return moment_service.detail(session, scope=access.scope, post=post)


@router.put("/moments/{post_id}", response_model=MomentPost)
def update_moment(
    session: DbSession, access: MomentWriter, post_id: uuid.UUID, data: MomentUpdate
) -> Any:
    post = moment_service.get_or_404(session, scope=access.scope, post_id=post_id)
    return moment_service.update(session, post=post, data=data, now=utcnow())


@router.delete("/moments/{post_id}", status_code=204)
def delete_moment(session: DbSession, access: MomentWriter, post_id: uuid.UUID) -> Response:
    post = moment_service.get_or_404(session, scope=access.scope, post_id=post_id)
    moment_service.delete(session, post=post)
    return Response(status_code=204)


@router.post("/moments/{post_id}/cancel", response_model=MomentPost)
def cancel_moment(session: DbSession, access: MomentWriter, post_id: uuid.UUID) -> Any:
    post = moment_service.get_or_404(session, scope=access.scope, post_id=post_id)
    return moment_service.cancel(session, post=post, now=utcnow())


@router.post("/moments/{post_id}/retry", response_model=MomentPost)
def retry_moment(
    session: DbSession, access: MomentWriter, post_id: uuid.UUID, data: MomentRetry
) -> Any:
    post = moment_service.get_or_404(session, scope=access.scope, post_id=post_id)
    return moment_service.retry(session, post=post, data=data, now=utcnow())


@router.post("/moments/{post_id}/reminders", response_model=MomentReminder, status_code=201)
def create_moment_reminder(session: DbSession, access: Reminder, post_id: uuid.UUID) -> Any:
    """Remind the senders who have not posted yet (one app message per post per day)."""
    post = moment_service.get_or_404(session, scope=access.scope, post_id=post_id)
    return moment_service.remind(session, post=post, requested_by=_user_id(access), now=utcnow())
