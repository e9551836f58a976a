"""Customer group read routes: /corps/{corp_id}/groups (scoped by the group owner)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from siyu.auth.deps import Access, require_api_scope
from siyu.deps import DbSession
from siyu.groups.schemas import CustomerGroup, CustomerGroupDetail, CustomerGroupPage, GroupMember
from siyu.groups.service import group_service
from siyu.kit.routing import TransactionalRoute

router = APIRouter(prefix="/corps/{corp_id}", tags=["groups"], route_class=TransactionalRoute)

GroupReader = Annotated[Access, Depends(require_api_scope("groups:read"))]


@router.get("/groups", response_model=CustomerGroupPage)
def list_groups(
    session: DbSession,
    access: GroupReader,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> CustomerGroupPage:
    rows, next_cursor = group_service.list(session, scope=access.scope, cursor=cursor, limit=limit)
    return CustomerGroupPage(
        items=[CustomerGroup.model_validate(r) for r in rows], next_cursor=next_cursor
    )


@router.get("/groups/{group_id}", response_model=CustomerGroupDetail)
def get_group(session: DbSession, access: GroupReader, group_id: uuid.UUID) -> CustomerGroupDetail:
    group = group_service.get_or_404(session, scope=access.scope, group_id=group_id)
    members = [GroupMember.model_validate(m) for m in group_service.members(session, group=group)]
    return CustomerGroupDetail.model_validate(
        {**CustomerGroup.model_validate(group).model_dump(), "members": members}
    )
