"""Tag routes: tag groups and tags (admins), and marking tags on a customer (any member)."""

from __future__ import annotations

import uuid
from typing import Annotated

from fastapi import APIRouter, Depends, status

from siyu.auth.deps import Access, require_api_scope, require_role
from siyu.auth.models import Role
from siyu.customers.service import customer_service
from siyu.deps import DbSession
from siyu.kit.routing import TransactionalRoute
from siyu.tags.models import Tag as TagRow
from siyu.tags.models import TagGroup as TagGroupRow
from siyu.tags.schemas import (
    CustomerTagMark,
    Tag,
    TagChange,
    TagCreate,
    TagGroup,
    TagGroupCreate,
    TagGroupUpdate,
    TagUpdate,
)
from siyu.tags.service import WECOM, tag_service

router = APIRouter(prefix="/corps/{corp_id}", tags=["tags"], route_class=TransactionalRoute)

TagReader = Annotated[Access, Depends(require_api_scope("tags:read"))]
TagAdmin = Annotated[Access, Depends(require_role(Role.owner, Role.admin, api_scope="tags:write"))]
TagMarker = Annotated[Access, Depends(require_api_scope("tags:write"))]


def _tag(row: TagRow, group: TagGroupRow) -> Tag:
    return Tag(
        id=row.id,
        group_id=row.group_id,
        wecom_tag_id=row.wecom_tag_id,
        name=row.name,
        order=row.order,
        type=row.type,
        pending=group.origin == WECOM and row.wecom_tag_id is None,
    )


def _group(row: TagGroupRow, tags: list[TagRow]) -> TagGroup:
    return TagGroup(
        id=row.id,
        wecom_group_id=row.wecom_group_id,
        name=row.name,
        order=row.order,
        origin=row.origin,
        pending=row.origin == WECOM and row.wecom_group_id is None,
        tags=[_tag(t, row) for t in tags if t.deleted_at is None],
    )


@router.get("/tag-groups", response_model=list[TagGroup])
def list_tag_groups(session: DbSession, access: TagReader) -> list[TagGroup]:
    pairs = tag_service.list_groups(session, corp_id=access.corp_id)
    return [_group(group, tags) for group, tags in pairs]


@router.post("/tag-groups", response_model=TagGroup, status_code=status.HTTP_201_CREATED)
def create_tag_group(session: DbSession, access: TagAdmin, body: TagGroupCreate) -> TagGroup:
    group = tag_service.create_group(session, corp_id=access.corp_id, data=body)
    return _group(group, tag_service.tags_of_group(session, group=group))


@router.patch("/tag-groups/{tag_group_id}", response_model=TagGroup)
def update_tag_group(
    session: DbSession, access: TagAdmin, tag_group_id: uuid.UUID, body: TagGroupUpdate
) -> TagGroup:
    group = tag_service.group_or_404(session, corp_id=access.corp_id, group_id=tag_group_id)
    group = tag_service.update_group(session, group=group, data=body)
    return _group(group, tag_service.tags_of_group(session, group=group))


@router.delete("/tag-groups/{tag_group_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_tag_group(session: DbSession, access: TagAdmin, tag_group_id: uuid.UUID) -> None:
    group = tag_service.group_or_404(session, corp_id=access.corp_id, group_id=tag_group_id)
    tag_service.delete_group(session, group=group)


@router.post(
    "/tag-groups/{tag_group_id}/tags", response_model=Tag, status_code=status.HTTP_201_CREATED
)
def create_tag(
    session: DbSession, access: TagAdmin, tag_group_id: uuid.UUID, body: TagCreate
) -> Tag:
    group = tag_service.group_or_404(session, corp_id=access.corp_id, group_id=tag_group_id)
    return _tag(tag_service.create_tag(session, group=group, data=body), group)


@router.patch("/tags/{tag_id}", response_model=Tag)
def update_tag(session: DbSession, access: TagAdmin, tag_id: uuid.UUID, body: TagUpdate) -> Tag:
    tag = tag_service.tag_or_404(session, corp_id=access.corp_id, tag_id=tag_id)
    tag = tag_service.update_tag(session, tag=tag, data=body)
    group = tag_service.group_or_404(session, corp_id=access.corp_id, group_id=tag.group_id)
    return _tag(tag, group)


@router.delete("/tags/{tag_id}", status_code=status.HTTP_204_NO_CONTENT)
def delete_tag(session: DbSession, access: TagAdmin, tag_id: uuid.UUID) -> None:
    tag = tag_service.tag_or_404(session, corp_id=access.corp_id, tag_id=tag_id)
    tag_service.delete_tag(session, tag=tag)


@router.get("/tag-changes/{change_id}", response_model=TagChange)
def get_tag_change(session: DbSession, access: TagReader, change_id: uuid.UUID) -> TagChange:
    """Follow a change to WeCom: pending until the job has WeCom's answer."""
    change = tag_service.change_or_404(session, corp_id=access.corp_id, change_id=change_id)
    return TagChange.model_validate(change)


@router.post(
    "/customers/{customer_id}/tags",
    response_model=TagChange,
    status_code=status.HTTP_202_ACCEPTED,
)
def mark_customer_tags(
    session: DbSession, access: TagMarker, customer_id: uuid.UUID, body: CustomerTagMark
) -> TagChange:
    """Mark or unmark corp tags on the customer's relation with `userid` (WeCom mark_tag).

    Any member may, on customers inside their data scope; the relation's owner must be too.
    """
    customer = customer_service.get_or_404(session, scope=access.scope, customer_id=customer_id)
    relation = customer_service.relation_or_404(
        session, scope=access.scope, customer=customer, staff_userid=body.userid
    )
    change = tag_service.mark(
        session,
        corp_id=access.corp_id,
        relation_id=relation.id,
        staff_userid=relation.staff_userid,
        external_userid=relation.external_userid,
        add=body.add,
        remove=body.remove,
    )
    return TagChange.model_validate(change)
