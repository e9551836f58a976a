"""Capacity and analytics routes; both follow the caller's data scope (staff see their own)."""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from siyu.acquisition import analytics, capacity
from siyu.acquisition.schemas import CodeStats, DailyStats, StaffCapacity, StaffStats, WelcomeStats
from siyu.auth.deps import Access, require_api_scope, require_role
from siyu.auth.models import Role
from siyu.deps import DbSession
from siyu.kit.clock import utcnow
from siyu.kit.routing import TransactionalRoute

router = APIRouter(prefix="/corps/{corp_id}", tags=["acquisition"], route_class=TransactionalRoute)

Reader = Annotated[Access, Depends(require_api_scope("acquisition:read"))]
Admin = Annotated[
    Access, Depends(require_role(Role.owner, Role.admin, api_scope="acquisition:read"))
]
Since = Annotated[date, Query(description="First China calendar day, YYYY-MM-DD")]
Until = Annotated[date, Query(description="Last day, inclusive")]


@router.get("/acquisition/capacity", response_model=list[StaffCapacity])
def list_capacity(session: DbSession, access: Reader) -> list[dict[str, Any]]:
    """Friends and today's adds against each member's caps, fullest first."""
    return capacity.overview(session, scope=access.scope, now=utcnow())


@router.get("/acquisition/stats/codes", response_model=list[CodeStats])
def list_code_stats(
    session: DbSession,
    access: Reader,
    since: Since,
    until: Until,
    channel_id: uuid.UUID | None = None,
) -> list[dict[str, Any]]:
    return analytics.by_code(
        session, scope=access.scope, since=since, until=until, channel_id=channel_id
    )


@router.get("/acquisition/stats/channels", response_model=list[CodeStats])
def list_channel_stats(
    session: DbSession, access: Reader, since: Since, until: Until
) -> list[dict[str, Any]]:
    return analytics.by_channel(session, scope=access.scope, since=since, until=until)


@router.get("/acquisition/stats/daily", response_model=list[DailyStats])
def list_daily_stats(
    session: DbSession,
    access: Reader,
    since: Since,
    until: Until,
    channel_id: uuid.UUID | None = None,
    code_id: uuid.UUID | None = None,
) -> list[dict[str, Any]]:
    return analytics.daily(
        session,
        scope=access.scope,
        since=since,
        until=until,
        channel_id=channel_id,
        code_id=code_id,
    )


@router.get("/acquisition/stats/staff", response_model=list[StaffStats])
def list_staff_stats(
    session: DbSession,
    access: Reader,
    since: Since,
    until: Until,
    channel_id: uuid.UUID | None = None,
) -> list[dict[str, Any]]:
    return analytics.by_staff(
        session, scope=access.scope, since=since, until=until, channel_id=channel_id
    )


@router.get("/acquisition/stats/welcomes", response_model=WelcomeStats)
def get_welcome_stats(
    session: DbSession, access: Admin, hours: Annotated[int, Query(ge=1, le=24 * 31)] = 24
) -> dict[str, Any]:
    """Sent, failed and expired welcomes and latency percentiles over the last `hours`."""
    return analytics.welcome_stats(
        session, corp_id=access.corp_id, since=utcnow() - timedelta(hours=hours)
    )
