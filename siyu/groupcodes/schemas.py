"""Group code API schemas."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Literal

from pydantic import Field, field_validator, model_validator

from siyu.kit.schemas import InputSchema, OutputSchema

# WeCom: groups of WeChat users hold 200, external groups at most 500 (API-FACTS §5).
MAX_GROUP_CAP = 500


RouteKind = Literal["keyword", "tag", "segment"]


class GroupCodeRouteIn(InputSchema):
    label: str = Field(min_length=1, max_length=40, description="The choice, e.g. 1–3 年")
    kind: RouteKind = "keyword"
    match_id: uuid.UUID | None = Field(default=None, description="The tag or segment id")
    target_code_id: uuid.UUID

    @model_validator(mode="after")
    def _match_named(self) -> GroupCodeRouteIn:
        if (self.kind == "keyword") != (self.match_id is None):
            raise ValueError("tag and segment routes need match_id; keyword routes take none")
        return self


class _Settings(InputSchema):
    owner_userid: str | None = Field(default=None, max_length=64)
    operator_userids: list[str] | None = Field(default=None, max_length=20)
    group_cap: int | None = Field(default=None, ge=2, le=MAX_GROUP_CAP)
    threshold_percent: int | None = Field(default=None, ge=10, le=100)
    auto_create_room: bool | None = None
    room_base_name: str | None = Field(default=None, max_length=40)
    phone_verification: bool | None = None
    alert_enabled: bool | None = None
    pool: list[uuid.UUID] | None = Field(
        default=None,
        max_length=500,
        description="Customer group ids in rotation order; the first groups with room are active",
    )
    routes: list[GroupCodeRouteIn] | None = Field(default=None, max_length=20)

    @field_validator("pool")
    @classmethod
    def _distinct(cls, value: list[uuid.UUID] | None) -> list[uuid.UUID] | None:
        if value is not None and len(set(value)) != len(value):
            raise ValueError("a group appears twice in the pool")
        return value


class GroupCodeCreate(_Settings):
    name: str = Field(min_length=1, max_length=64)
    pool: list[uuid.UUID] | None = Field(default=None, min_length=1, max_length=500)


class GroupCodeUpdate(_Settings):
    name: str | None = Field(default=None, min_length=1, max_length=64)


class GroupCodeSlot(OutputSchema):
    id: uuid.UUID
    group_id: uuid.UUID
    chat_id: str
    position: int
    status: str = Field(description="active (in the join way), standby or retired")
    activated_at: datetime | None
    retired_at: datetime | None
    group_name: str = ""
    member_count: int = 0


class GroupCodeRoute(OutputSchema):
    label: str
    kind: str
    match_id: uuid.UUID | None
    target_code_id: uuid.UUID


class CustomerLink(OutputSchema):
    url: str = Field(description="The code's page for this one customer, signed; staff send it")


class GroupCode(OutputSchema):
    id: uuid.UUID
    name: str
    owner_userid: str
    operator_userids: list[str]
    state: str
    slug: str
    config_id: str | None
    qr_code: str | None
    group_cap: int
    threshold_percent: int
    threshold: int = Field(default=0, description="Members at which a group rotates out")
    auto_create_room: bool
    room_base_name: str | None
    phone_verification: bool
    alert_enabled: bool
    exhausted_alerted_at: datetime | None
    rotations: int
    last_checked_at: datetime | None
    created_at: datetime
    page_path: str = Field(default="", description="The public page, relative to the server")


class GroupCodeDetail(GroupCode):
    slots: list[GroupCodeSlot]
    routes: list[GroupCodeRoute]
    phone_count: int


class GroupCodeDailyJoins(OutputSchema):
    day: date
    chat_id: str
    joins: int


class PhoneImportResult(OutputSchema):
    rows: int
    added: int
    rejected: list[str] = Field(description="Row numbers and why, for rows that were skipped")
    phone_count: int
