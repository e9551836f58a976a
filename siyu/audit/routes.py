"""Reading the audit log: per corp for owners and admins, installation-wide for superusers."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime

from siyu.audit.schemas import AuditEvent, AuditEventPage
from siyu.audit.service import audit_service
from siyu.auth.deps import Access, Superuser, require_role
from siyu.auth.models import Role
from siyu.deps import DbSession
from siyu.kit.routing import TransactionalRoute

router = APIRouter(tags=["audit"], route_class=TransactionalRoute)

AuditReader = Annotated[
    Access, Depends(require_role(Role.owner, Role.admin, api_scope="audit:read"))
]
ActionFilter = Annotated[
    str | None,
    Query(max_length=100, description='Exact action, or a prefix ending in "." or "*"'),
]


@router.get("/corps/{corp_id}/audit-events", response_model=AuditEventPage)
def list_audit_events(
    session: DbSession,
    access: AuditReader,
    action: ActionFilter = None,
    actor_user_id: uuid.UUID | None = None,
    actor_api_key_id: uuid.UUID | None = None,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AuditEventPage:
    rows, next_cursor = audit_service.list(
        session,
        corp_id=access.corp_id,
        action=action,
        actor_user_id=actor_user_id,
        actor_api_key_id=actor_api_key_id,
        since=since,
        until=until,
        cursor=cursor,
        limit=limit,
    )
    return AuditEventPage(
        items=[AuditEvent.model_validate(r) for r in rows], next_cursor=next_cursor
    )


@router.get("/audit-events", response_model=AuditEventPage)
def list_installation_audit_events(
    session: DbSession,
    _: Superuser,
    action: ActionFilter = None,
    actor_user_id: uuid.UUID | None = None,
    since: AwareDatetime | None = None,
    until: AwareDatetime | None = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> AuditEventPage:
    """Events that belong to no corp: users, corps created, logins."""
    rows, next_cursor = audit_service.list(
        session,
        corp_id=None,
        action=action,
        actor_user_id=actor_user_id,
        since=since,
        until=until,
        cursor=cursor,
        limit=limit,
    )
    return AuditEventPage(
        items=[AuditEvent.model_validate(r) for r in rows], next_cursor=next_cursor
    )
