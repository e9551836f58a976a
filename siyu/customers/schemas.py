"""Contact read API schemas (issue 5 builds the full customer module on these)."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from siyu.kit.pagination import Page
from siyu.kit.schemas import OutputSchema


class Customer(OutputSchema):
    id: uuid.UUID
    external_userid: str | None
    merged_into_id: uuid.UUID | None = Field(
        default=None, description="Set when this person was merged into another (the survivor)"
    )
    name: str
    avatar: str | None
    type: int = Field(description="1 WeChat user, 2 WeCom user")
    gender: int = Field(description="0 unknown, 1 male, 2 female")
    unionid: str | None
    corp_name: str | None
    position: str | None
    status: str = Field(description="active while any follow relation is active, else lost")
    first_added_at: datetime | None
    stage_id: uuid.UUID | None = Field(default=None, description="The sales stage (profile)")
    primary_staff_userid: str | None = Field(
        default=None, description="The owner chosen among several following staff (duplicates)"
    )
    created_at: datetime
    updated_at: datetime


class RelationTag(OutputSchema):
    id: uuid.UUID
    wecom_tag_id: str | None
    name: str


class FollowRelation(OutputSchema):
    id: uuid.UUID
    staff_userid: str
    remark: str | None
    description: str | None
    add_way: int | None
    state: str | None = Field(description="The contact way's state: the channel")
    added_at: datetime | None
    deleted_by_customer_at: datetime | None
    deleted_by_staff_at: datetime | None
    delete_source: str | None
    wecom_tag_ids: list[str]
    tags: list[RelationTag]


class CustomerDetail(Customer):
    relations: list[FollowRelation] = Field(
        description="The customer's relations with staff inside the caller's data scope"
    )


CustomerPage = Page[Customer]
