"""A customer's profile: field values, stage, follow-ups and timeline.

Every route first resolves the customer inside the caller's data scope (404 outside it), so a
staff-scoped member reaches only the profiles of customers they follow.
"""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, status

from siyu.auth.deps import Access, require_api_scope
from siyu.customers.models import Customer
from siyu.customers.service import customer_service
from siyu.deps import DbSession
from siyu.kit.routing import TransactionalRoute
from siyu.profile.fields import field_service
from siyu.profile.followups import follow_up_service
from siyu.profile.schemas import (
    CustomerFieldValue,
    CustomerStage,
    FieldValues,
    FollowUp,
    FollowUpCreate,
    FollowUpPage,
    StageChange,
    TimelineEntry,
    TimelinePage,
)
from siyu.profile.stages import stage_service
from siyu.profile.timeline import timeline_service

router = APIRouter(
    prefix="/corps/{corp_id}/customers/{customer_id}",
    tags=["profile"],
    route_class=TransactionalRoute,
)

ProfileReader = Annotated[Access, Depends(require_api_scope("profile:read"))]
ProfileWriter = Annotated[Access, Depends(require_api_scope("profile:write"))]


def _customer(session: DbSession, access: Access, customer_id: uuid.UUID) -> Customer:
    return customer_service.get_or_404(session, scope=access.scope, customer_id=customer_id)


def _actor(access: Access) -> str | None:
    return access.membership.staff_userid if access.membership is not None else None


@router.get("/fields", response_model=list[CustomerFieldValue])
def list_customer_field_values(
    session: DbSession, access: ProfileReader, customer_id: uuid.UUID
) -> list[CustomerFieldValue]:
    return field_service.values(session, customer=_customer(session, access, customer_id))


@router.put("/fields", response_model=list[CustomerFieldValue])
def update_customer_field_values(
    session: DbSession, access: ProfileWriter, customer_id: uuid.UUID, data: FieldValues
) -> list[CustomerFieldValue]:
    """Set the named fields (others keep their values); any bad value refuses them all."""
    customer = _customer(session, access, customer_id)
    return field_service.set_values(
        session, customer=customer, values=data.values, staff_userid=_actor(access)
    )


@router.put("/stage", response_model=CustomerStage)
def set_customer_stage(
    session: DbSession, access: ProfileWriter, customer_id: uuid.UUID, data: StageChange
) -> CustomerStage:
    customer = _customer(session, access, customer_id)
    stage_service.move(
        session, customer=customer, stage_id=data.stage_id, staff_userid=_actor(access)
    )
    return CustomerStage(customer_id=customer.id, stage_id=customer.stage_id)


@router.get("/follow-ups", response_model=FollowUpPage)
def list_follow_ups(
    session: DbSession,
    access: ProfileReader,
    customer_id: uuid.UUID,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> FollowUpPage:
    customer = _customer(session, access, customer_id)
    rows, next_cursor = follow_up_service.page(
        session, customer=customer, cursor=cursor, limit=limit
    )
    return FollowUpPage(items=[FollowUp.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post("/follow-ups", response_model=FollowUp, status_code=status.HTTP_201_CREATED)
def create_follow_up(
    session: DbSession, access: ProfileWriter, customer_id: uuid.UUID, data: FollowUpCreate
) -> FollowUp:
    customer = _customer(session, access, customer_id)
    row = follow_up_service.create(
        session, customer=customer, data=data, staff_userid=_actor(access)
    )
    return FollowUp.model_validate(row)


@router.get("/timeline", response_model=TimelinePage)
def list_customer_timeline(
    session: DbSession,
    access: ProfileReader,
    customer_id: uuid.UUID,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    kind: Annotated[list[str] | None, Query(description="Only these kinds")] = None,
) -> TimelinePage:
    """Newest first, keyset paginated."""
    customer = _customer(session, access, customer_id)
    rows, next_cursor = timeline_service.page(
        session, customer=customer, cursor=cursor, limit=limit, kinds=kind
    )
    return TimelinePage(
        items=[TimelineEntry.model_validate(r) for r in rows], next_cursor=next_cursor
    )
