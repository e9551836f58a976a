"""Contact read routes: /corps/{corp_id}/customers (scoped by follow_relations.staff_userid)."""

from __future__ import annotations

import uuid
from typing import Annotated, Literal

from fastapi import APIRouter, Depends, Query
from fastapi import status as http_status
from fastapi.responses import JSONResponse

from siyu.auth.deps import Access, require_api_scope
from siyu.customers.schemas import Customer, CustomerDetail, CustomerPage
from siyu.customers.service import customer_service
from siyu.deps import DbSession
from siyu.exports.schemas import Export
from siyu.kit.routing import TransactionalRoute
from siyu.segments.exports import request_export
from siyu.segments.schemas import CustomerFilters
from siyu.segments.service import segment_service

router = APIRouter(prefix="/corps/{corp_id}", tags=["customers"], route_class=TransactionalRoute)

CustomerReader = Annotated[Access, Depends(require_api_scope("customers:read"))]


@router.get("/customers", response_model=CustomerPage)
def list_customers(
    session: DbSession,
    access: CustomerReader,
    status: Literal["active", "lost"] | None = None,
    tag_id: Annotated[list[uuid.UUID] | None, Query(description="Has all these tags")] = None,
    staff_userid: Annotated[str | None, Query(max_length=64)] = None,
    channel: Annotated[str | None, Query(max_length=64)] = None,
    q: Annotated[str | None, Query(max_length=64, description="Name contains")] = None,
    segment_id: Annotated[uuid.UUID | None, Query(description="A saved segment (view)")] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> CustomerPage:
    """Newest first. Members scoped to their own or their departments' customers see the
    customers who have a relation with a staff member inside that scope. Filters run through
    the segment compiler (siyu/segments), so a filter and a segment mean the same thing."""
    filters = CustomerFilters(
        status=status,
        tag_ids=tag_id or [],
        staff_userid=staff_userid,
        channel=channel,
        q=q,
        segment_id=segment_id,
    )
    rows, next_cursor = segment_service.list_people(
        session, access=access, filters=filters, cursor=cursor, limit=limit
    )
    return CustomerPage(items=[Customer.model_validate(r) for r in rows], next_cursor=next_cursor)


@router.post("/customers/export", response_model=Export, status_code=http_status.HTTP_202_ACCEPTED)
def export_customers(session: DbSession, access: CustomerReader, body: CustomerFilters) -> Export:
    """The customer list as it is filtered (a saved view, tags, owner, channel, name search),
    exported in the caller's data scope with phones masked for roles that may not see them.
    Queued and audited like every export; download it from the exports list."""
    condition = segment_service.list_condition(session, access=access, filters=body)
    segment = (
        segment_service.get_or_404(session, corp_id=access.corp_id, segment_id=body.segment_id)
        if body.segment_id is not None
        else None
    )
    export = request_export(
        session, access=access, condition=condition, segment=segment, search=body.q
    )
    return Export.model_validate(export)


@router.get(
    "/customers/{customer_id}",
    response_model=CustomerDetail,
    responses={307: {"description": "Merged: `Location` and `merged_into_id` name the survivor"}},
)
def get_customer(
    session: DbSession, access: CustomerReader, customer_id: uuid.UUID
) -> CustomerDetail | JSONResponse:
    survivor = customer_service.merged_into(session, scope=access.scope, customer_id=customer_id)
    if survivor is not None:
        return JSONResponse(
            status_code=307,
            headers={"Location": f"/api/v1/corps/{access.corp_id}/customers/{survivor}"},
            content={"merged_into_id": str(survivor)},
        )
    customer = customer_service.get_or_404(session, scope=access.scope, customer_id=customer_id)
    relations = customer_service.present_relations(session, scope=access.scope, customer=customer)
    return CustomerDetail.model_validate(
        {**Customer.model_validate(customer).model_dump(), "relations": relations}
    )
