"""Duplicate-customer routes: the report (scoped), its count, choosing the primary owner."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query

from siyu.auth.deps import Access, require_api_scope
from siyu.customers.schemas import Customer
from siyu.customers.service import customer_service
from siyu.deps import DbSession
from siyu.duplicates.schemas import DuplicateCount, DuplicateCustomerPage, PrimaryStaffChange
from siyu.duplicates.service import duplicate_service
from siyu.kit.routing import TransactionalRoute

router = APIRouter(prefix="/corps/{corp_id}", tags=["duplicates"], route_class=TransactionalRoute)

Reader = Annotated[Access, Depends(require_api_scope("customers:read"))]
Writer = Annotated[Access, Depends(require_api_scope("customers:write"))]


@router.get("/duplicate-customers", response_model=DuplicateCustomerPage)
def list_duplicate_customers(
    session: DbSession,
    access: Reader,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> DuplicateCustomerPage:
    """People with active relations to several staff members, one of them inside the scope."""
    items, next_cursor = duplicate_service.page(
        session, scope=access.scope, cursor=cursor, limit=limit
    )
    return DuplicateCustomerPage(items=items, next_cursor=next_cursor)


@router.get("/duplicate-customers/count", response_model=DuplicateCount)
def count_duplicate_customers(session: DbSession, access: Reader) -> DuplicateCount:
    return DuplicateCount(count=duplicate_service.count(session, scope=access.scope))


@router.put("/customers/{customer_id}/primary-staff", response_model=Customer)
def set_primary_staff(
    session: DbSession, access: Writer, customer_id: uuid.UUID, data: PrimaryStaffChange
) -> Customer:
    customer = customer_service.get_or_404(session, scope=access.scope, customer_id=customer_id)
    return Customer.model_validate(
        duplicate_service.set_primary(session, customer=customer, staff_userid=data.staff_userid)
    )
