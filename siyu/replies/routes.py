"""Scripts library routes: reply groups, replies (search), variables and rendering."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, Query, Response, status

from siyu.auth.deps import Access, require_api_scope, require_role
from siyu.deps import DbSession
from siyu.kit.routing import TransactionalRoute
from siyu.materials.service import LIBRARY_MANAGERS
from siyu.replies.models import Reply as ReplyRow
from siyu.replies.schemas import (
    RenderedReply,
    Reply,
    ReplyCreate,
    ReplyGroup,
    ReplyGroupCreate,
    ReplyGroupUpdate,
    ReplyPage,
    ReplyRender,
    ReplyUpdate,
    ReplyVariable,
)
from siyu.replies.service import reply_service
from siyu.replies.variables import VARIABLES, variables_in

router = APIRouter(prefix="/corps/{corp_id}", tags=["replies"], route_class=TransactionalRoute)

Reader = Annotated[Access, Depends(require_api_scope("replies:read"))]
Editor = Annotated[Access, Depends(require_role(*LIBRARY_MANAGERS, api_scope="replies:write"))]


def _out(row: ReplyRow) -> Reply:
    return Reply.model_validate(row).model_copy(update={"variables": variables_in(row.text)})


@router.get("/reply-variables", response_model=list[ReplyVariable])
def list_reply_variables(access: Reader) -> list[ReplyVariable]:  # noqa: ARG001 - access checks
    return [ReplyVariable(name=n, description=d) for n, d in VARIABLES.items()]


@router.get("/reply-groups", response_model=list[ReplyGroup])
def list_reply_groups(session: DbSession, access: Reader) -> list[ReplyGroup]:
    return [
        ReplyGroup.model_validate(g).model_copy(update={"reply_count": n})
        for g, n in reply_service.groups(session, corp_id=access.corp_id)
    ]


@router.post("/reply-groups", response_model=ReplyGroup, status_code=status.HTTP_201_CREATED)
def create_reply_group(session: DbSession, access: Editor, data: ReplyGroupCreate) -> ReplyGroup:
    return ReplyGroup.model_validate(
        reply_service.create_group(session, corp_id=access.corp_id, data=data)
    )


@router.patch("/reply-groups/{reply_group_id}", response_model=ReplyGroup)
def update_reply_group(
    session: DbSession, access: Editor, reply_group_id: uuid.UUID, data: ReplyGroupUpdate
) -> ReplyGroup:
    group = reply_service.group_or_404(session, access.corp_id, reply_group_id)
    return ReplyGroup.model_validate(reply_service.update_group(session, group=group, data=data))


@router.delete("/reply-groups/{reply_group_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_reply_group(session: DbSession, access: Editor, reply_group_id: uuid.UUID) -> Response:
    group = reply_service.group_or_404(session, access.corp_id, reply_group_id)
    reply_service.delete_group(session, group=group)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/replies", response_model=ReplyPage)
def list_replies(
    session: DbSession,
    access: Reader,
    group_id: uuid.UUID | None = None,
    q: Annotated[str | None, Query(max_length=64, description="Words in title or text")] = None,
    cursor: str | None = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
) -> ReplyPage:
    rows, next_cursor = reply_service.page(
        session, corp_id=access.corp_id, group_id=group_id, search=q, cursor=cursor, limit=limit
    )
    return ReplyPage(items=[_out(r) for r in rows], next_cursor=next_cursor)


@router.post("/replies", response_model=Reply, status_code=status.HTTP_201_CREATED)
def create_reply(session: DbSession, access: Editor, data: ReplyCreate) -> Reply:
    """`text` may use the variables of `list_reply_variables` ({nickname}, …); `{{` is a brace."""
    row = reply_service.create(
        session, corp_id=access.corp_id, data=data, created_by=access.principal.label
    )
    return _out(row)


@router.get("/replies/{reply_id}", response_model=Reply)
def get_reply(session: DbSession, access: Reader, reply_id: uuid.UUID) -> Reply:
    return _out(reply_service.reply_or_404(session, access.corp_id, reply_id))


@router.patch("/replies/{reply_id}", response_model=Reply)
def update_reply(
    session: DbSession, access: Editor, reply_id: uuid.UUID, data: ReplyUpdate
) -> Reply:
    row = reply_service.reply_or_404(session, access.corp_id, reply_id)
    return _out(reply_service.update(session, reply=row, data=data))


@router.delete("/replies/{reply_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_reply(session: DbSession, access: Editor, reply_id: uuid.UUID) -> Response:
    row = reply_service.reply_or_404(session, access.corp_id, reply_id)
    reply_service.delete(session, reply=row)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.post("/replies/{reply_id}/render", response_model=RenderedReply)
def render_reply(
    session: DbSession, access: Reader, reply_id: uuid.UUID, data: ReplyRender
) -> RenderedReply:
    """The text with variables filled in (422 names an unknown variable or a missing value),
    and the materials to attach."""
    row = reply_service.reply_or_404(session, access.corp_id, reply_id)
    text = reply_service.render(session, reply=row, values=data.values, count_use=data.count_use)
    return RenderedReply(text=text, material_ids=[uuid.UUID(m) for m in row.material_ids])
