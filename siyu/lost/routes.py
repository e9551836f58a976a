"""Lost-customer routes: the list and daily counts (scoped), the alert settings (admins)."""

from __future__ import annotations

from datetime import date
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query

from siyu.auth.deps import Access, require_api_scope, require_role
from siyu.auth.models import Role
from siyu.deps import DbSession
from siyu.kit.routing import TransactionalRoute
from siyu.lost.models import LostAlertSetting
from siyu.lost.schemas import (
    DeletedBy,
    LostAlertSettings,
    LostAlertSettingsUpdate,
    LostCustomerPage,
    LostDailyCount,
)
from siyu.lost.service import lost_service

router = APIRouter(prefix="/corps/{corp_id}", tags=["lost"], route_class=TransactionalRoute)

LostReader = Annotated[Access, Depends(require_api_scope("customers:read"))]
LostAdmin = Annotated[
    Access, Depends(require_role(Role.owner, Role.admin, api_scope="customers:write"))
]
Since = Annotated[date, Query(description="First China calendar day, YYYY-MM-DD")]
Until = Annotated[date, Query(description="Last day, inclusive")]


@router.get("/lost-customers", response_model=LostCustomerPage)
def list_lost_customers(
    session: DbSession,
    access: LostReader,
    since: Since,
    until: Until,
    deleted_by: DeletedBy | None = None,
    staff_userid: str | None = None,
    department_id: Annotated[int | None, Query(description="A WeCom department (a team)")] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> LostCustomerPage:
    """Relations that ended in the range, newest first; scoped by the relation's staff."""
    items, next_cursor = lost_service.page(
        session,
        scope=access.scope,
        since=since,
        until=until,
        deleted_by=deleted_by,
        staff_userid=staff_userid,
        department_id=department_id,
        cursor=cursor,
        limit=limit,
    )
    return LostCustomerPage(items=items, next_cursor=next_cursor)


@router.get("/lost-customers/daily", response_model=list[LostDailyCount])
def list_lost_daily_counts(
    session: DbSession,
    access: LostReader,
    since: Since,
    until: Until,
    group_by: Literal["staff", "department"] = "staff",
    deleted_by: DeletedBy | None = None,
    department_id: int | None = None,
) -> list[LostDailyCount]:
    return lost_service.daily(
        session,
        scope=access.scope,
        since=since,
        until=until,
        group_by=group_by,
        deleted_by=deleted_by,
        department_id=department_id,
    )


@router.get("/lost-alert-settings", response_model=LostAlertSettings)
def get_lost_alert_settings(session: DbSession, access: LostAdmin) -> LostAlertSetting:
    return lost_service.settings(session, corp_id=access.corp_id)


@router.put("/lost-alert-settings", response_model=LostAlertSettings)
def update_lost_alert_settings(
    session: DbSession, access: LostAdmin, data: LostAlertSettingsUpdate
) -> LostAlertSetting:
    return lost_service.update_settings(session, corp_id=access.corp_id, data=data)
