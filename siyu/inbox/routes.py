"""Inbox console routes: list, inspect, replay and re-drive stored WeCom callbacks."""

from __future__ import annotations

import dataclasses
import uuid
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query, status

from siyu.audit.service import audit_service
from siyu.auth.deps import Access, require_role
from siyu.auth.models import Role
from siyu.deps import DbSession
from siyu.inbox.models import InboxStatus
from siyu.inbox.schemas import InboxEvent, InboxEventDetail, InboxEventPage, InboxRedrive
from siyu.inbox.service import inbox_service
from siyu.kit.pagination import decode_id_cursor, split_id_page
from siyu.kit.routing import TransactionalRoute
from siyu.wecom.events import CallbackEvent, EventParseError, parse_event

router = APIRouter(prefix="/corps/{corp_id}/inbox", tags=["inbox"], route_class=TransactionalRoute)

InboxReader = Annotated[
    Access, Depends(require_role(Role.owner, Role.admin, api_scope="wecom:read"))
]
InboxOperator = Annotated[
    Access, Depends(require_role(Role.owner, Role.admin, api_scope="wecom:write"))
]


def _decoded(payload: str) -> dict[str, Any]:
    try:
        event = parse_event(payload)
    except EventParseError:
        return {}
    if isinstance(event, CallbackEvent):
        return {k: v for k, v in dataclasses.asdict(event).items() if v is not None}
    return dict(event.fields)


@router.get("", response_model=InboxEventPage)
def list_inbox_events(
    session: DbSession,
    access: InboxReader,
    status_: Annotated[InboxStatus | None, Query(alias="status")] = None,
    event: Annotated[str | None, Query(max_length=64)] = None,
    change_type: Annotated[str | None, Query(max_length=64)] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> InboxEventPage:
    """Newest first; filter by status, Event and ChangeType."""
    rows = inbox_service.search(
        session,
        corp_id=access.corp.id,
        status=status_,
        event=event,
        change_type=change_type,
        before_id=decode_id_cursor(cursor),
        limit=limit + 1,
    )
    page, next_cursor = split_id_page(rows, limit)
    return InboxEventPage(
        items=[InboxEvent.model_validate(r) for r in page], next_cursor=next_cursor
    )


@router.get("/{event_id}", response_model=InboxEventDetail)
def get_inbox_event(session: DbSession, access: InboxReader, event_id: uuid.UUID) -> Any:
    row = inbox_service.get_or_404(session, corp_id=access.corp.id, event_id=event_id)
    data = InboxEvent.model_validate(row).model_dump()
    return InboxEventDetail(**data, payload=row.payload, fields=_decoded(row.payload))


@router.post("/{event_id}/replay", response_model=InboxEvent, status_code=status.HTTP_202_ACCEPTED)
def replay_inbox_event(session: DbSession, access: InboxOperator, event_id: uuid.UUID) -> Any:
    """Run the handler again, even if the event was handled (handlers are idempotent)."""
    row = inbox_service.get_or_404(session, corp_id=access.corp.id, event_id=event_id)
    previous = row.status
    inbox_service.replay(session, row=row)
    audit_service.record(
        session,
        action="inbox.replay",
        target_type="inbox_event",
        target_id=row.id,
        details={"event": row.event, "change_type": row.change_type, "previous": previous},
    )
    return InboxEvent.model_validate(row)


@router.post("/redrive", response_model=InboxRedrive, status_code=status.HTTP_202_ACCEPTED)
def redrive_inbox_events(session: DbSession, access: InboxOperator) -> InboxRedrive:
    """Put every dead event of this corp back in line with a fresh attempt budget."""
    ids = inbox_service.redrive(session, corp_id=access.corp.id)
    audit_service.record(
        session,
        action="inbox.redrive",
        target_type="corp",
        target_id=access.corp.id,
        details={"count": len(ids)},
    )
    return InboxRedrive(redriven=len(ids))
