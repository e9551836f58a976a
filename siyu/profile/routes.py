"""Profile settings routes: custom fields and sales stages (admins), stage daily counts."""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from siyu.auth.deps import Access, require_api_scope, require_role
from siyu.auth.models import Role
from siyu.deps import DbSession
from siyu.kit.routing import TransactionalRoute
from siyu.profile.fields import field_service
from siyu.profile.models import CustomerField as CustomerFieldRow
from siyu.profile.models import SalesStage as SalesStageRow
from siyu.profile.schemas import (
    CustomerField,
    CustomerFieldCreate,
    CustomerFieldUpdate,
    SalesStage,
    SalesStageCreate,
    SalesStageUpdate,
    StageDailyCount,
)
from siyu.profile.stages import stage_service

router = APIRouter(prefix="/corps/{corp_id}", tags=["profile"], route_class=TransactionalRoute)

ProfileReader = Annotated[Access, Depends(require_api_scope("profile:read"))]
ProfileAdmin = Annotated[
    Access, Depends(require_role(Role.owner, Role.admin, api_scope="profile:write"))
]


@router.get("/customer-fields", response_model=list[CustomerField])
def list_customer_fields(session: DbSession, access: ProfileReader) -> list[CustomerFieldRow]:
    return field_service.list(session, corp_id=access.corp_id)


@router.post("/customer-fields", response_model=CustomerField, status_code=status.HTTP_201_CREATED)
def create_customer_field(
    session: DbSession, access: ProfileAdmin, data: CustomerFieldCreate
) -> CustomerFieldRow:
    return field_service.create(session, corp_id=access.corp_id, data=data)


@router.patch("/customer-fields/{field_id}", response_model=CustomerField)
def update_customer_field(
    session: DbSession, access: ProfileAdmin, field_id: uuid.UUID, data: CustomerFieldUpdate
) -> CustomerFieldRow:
    field = field_service.get_or_404(session, corp_id=access.corp_id, field_id=field_id)
    return field_service.update(session, field=field, data=data)


@router.delete("/customer-fields/{field_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_customer_field(session: DbSession, access: ProfileAdmin, field_id: uuid.UUID) -> None:
    field = field_service.get_or_404(session, corp_id=access.corp_id, field_id=field_id)
    field_service.delete(session, field=field)


@router.get("/sales-stages", response_model=list[SalesStage])
def list_sales_stages(session: DbSession, access: ProfileReader) -> list[SalesStageRow]:
    return stage_service.list(session, corp_id=access.corp_id)


@router.post("/sales-stages", response_model=SalesStage, status_code=status.HTTP_201_CREATED)
def create_sales_stage(
    session: DbSession, access: ProfileAdmin, data: SalesStageCreate
) -> SalesStageRow:
    return stage_service.create(session, corp_id=access.corp_id, data=data)


@router.patch("/sales-stages/{stage_id}", response_model=SalesStage)
def update_sales_stage(
    session: DbSession, access: ProfileAdmin, stage_id: uuid.UUID, data: SalesStageUpdate
) -> SalesStageRow:
    stage = stage_service.get_or_404(session, corp_id=access.corp_id, stage_id=stage_id)
    return stage_service.update(session, stage=stage, data=data)


@router.delete("/sales-stages/{stage_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_sales_stage(session: DbSession, access: ProfileAdmin, stage_id: uuid.UUID) -> None:
    stage = stage_service.get_or_404(session, corp_id=access.corp_id, stage_id=stage_id)
    stage_service.delete(session, stage=stage)


@router.get("/stage-counts", response_model=list[StageDailyCount])
def list_stage_counts(
    session: DbSession,
    access: ProfileReader,
    since: Annotated[date, Query(description="First China calendar day, YYYY-MM-DD")],
    until: Annotated[date, Query(description="Last day, inclusive")],
    staff_userid: str | None = None,
    per_staff: Annotated[
        bool, Query(description="false: one row per day and stage, summed over the staff")
    ] = True,
) -> list[StageDailyCount]:
    """Per day, stage and owning staff member; a scoped member sees their scope's staff only."""
    return stage_service.counts(
        session,
        scope=access.scope,
        since=since,
        until=until,
        staff_userid=staff_userid,
        per_staff=per_staff,
    )
