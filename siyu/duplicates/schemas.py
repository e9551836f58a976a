"""Duplicate-customer API schemas."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field

from siyu.kit.pagination import Page
from siyu.kit.schemas import InputSchema, OutputSchema


class DuplicateOwner(OutputSchema):
    staff_userid: str
    remark: str | None
    added_at: datetime | None
    state: str | None


class DuplicateCustomer(OutputSchema):
    id: uuid.UUID = Field(description="The customer")
    name: str
    external_userid: str | None
    primary_staff_userid: str | None
    staff: list[DuplicateOwner] = Field(description="Every staff member with an active relation")


class DuplicateCount(OutputSchema):
    count: int


class PrimaryStaffChange(InputSchema):
    staff_userid: str = Field(min_length=1, max_length=64)


DuplicateCustomerPage = Page[DuplicateCustomer]
