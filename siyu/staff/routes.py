"""Staff directory routes: /corps/{corp_id}/staff and /corps/{corp_id}/departments."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from siyu.auth.deps import Access, require_api_scope, require_role
from siyu.auth.models import Role
from siyu.deps import DbSession
from siyu.kit.routing import TransactionalRoute
from siyu.staff.schemas import (
    Department,
    DepartmentCreate,
    StaffMember,
    StaffMemberCreate,
    StaffMemberPage,
    StaffMemberUpdate,
)
from siyu.staff.service import staff_service

router = APIRouter(prefix="/corps/{corp_id}", tags=["staff"], route_class=TransactionalRoute)

StaffReader = Annotated[Access, Depends(require_api_scope("staff:read"))]
StaffEditor = Annotated[
    Access, Depends(require_role(Role.owner, Role.admin, Role.manager, api_scope="staff:write"))
]
DirectoryAdmin = Annotated[
    Access, Depends(require_role(Role.owner, Role.admin, api_scope="staff:write"))
]


@router.get("/staff", response_model=StaffMemberPage)
def list_staff(
    session: DbSession,
    access: StaffReader,
    department_id: Annotated[int | None, Query(description="WeCom department id")] = None,
    name: Annotated[str | None, Query(max_length=64, description="Part of name or userid")] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> StaffMemberPage:
    rows, next_cursor = staff_service.list(
        session,
        scope=access.scope,
        department_id=department_id,
        name=name,
        cursor=cursor,
        limit=limit,
    )
    items = staff_service.present(session, rows, mask=access.masks_mobile)
    return StaffMemberPage(items=items, next_cursor=next_cursor)


@router.post("/staff", response_model=StaffMember, status_code=status.HTTP_201_CREATED)
def create_staff(
    session: DbSession, access: DirectoryAdmin, body: StaffMemberCreate
) -> StaffMember:
    member = staff_service.create(session, corp_id=access.corp_id, data=body)
    return staff_service.present(session, [member], mask=access.masks_mobile)[0]


@router.get("/staff/{staff_id}", response_model=StaffMember)
def get_staff(session: DbSession, access: StaffReader, staff_id: uuid.UUID) -> StaffMember:
    member = staff_service.get_or_404(session, scope=access.scope, staff_id=staff_id)
    return staff_service.present(session, [member], mask=access.masks_mobile)[0]


@router.patch("/staff/{staff_id}", response_model=StaffMember)
def update_staff(
    session: DbSession, access: StaffEditor, staff_id: uuid.UUID, body: StaffMemberUpdate
) -> StaffMember:
    member = staff_service.get_or_404(session, scope=access.scope, staff_id=staff_id)
    member = staff_service.update(session, member=member, data=body)
    return staff_service.present(session, [member], mask=access.masks_mobile)[0]


@router.get("/departments", response_model=list[Department])
def list_departments(session: DbSession, access: StaffReader) -> list[Department]:
    rows = staff_service.list_departments(session, corp_id=access.corp_id)
    return [Department.model_validate(row) for row in rows]


@router.post("/departments", response_model=Department, status_code=status.HTTP_201_CREATED)
def create_department(
    session: DbSession, access: DirectoryAdmin, body: DepartmentCreate
) -> Department:
    row = staff_service.create_department(session, corp_id=access.corp_id, data=body)
    return Department.model_validate(row)
