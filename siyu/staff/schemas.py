"""Staff directory API schemas."""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Literal

from pydantic import Field, field_validator

from siyu.kit.pagination import Page
from siyu.kit.schemas import InputSchema, OutputSchema

_USERID = re.compile(r"^[A-Za-z0-9_.-]{1,64}$")
_MOBILE = re.compile(r"^\+?[0-9][0-9 -]{4,30}$")

Gender = Literal[0, 1, 2]  # WeCom: 0 unknown, 1 male, 2 female
Status = Literal[1, 2, 4, 5]  # WeCom: 1 active, 2 disabled, 4 not activated, 5 left


def mask_mobile(mobile: str | None) -> str | None:
    """138****5678: enough for a colleague to recognise, not enough to call."""
    if not mobile:
        return mobile
    digits = mobile.replace(" ", "").replace("-", "")
    if len(digits) <= 7:
        return "*" * len(digits)
    return f"{digits[:3]}{'*' * (len(digits) - 7)}{digits[-4:]}"


def _check_mobile(value: str | None) -> str | None:
    if value is not None and value != "" and not _MOBILE.match(value):
        raise ValueError("mobile may contain only digits, spaces, '-' and a leading '+'")
    return value or None


class DepartmentCreate(InputSchema):
    wecom_dept_id: int = Field(ge=1, le=2**31 - 1)
    name: str = Field(min_length=1, max_length=64)
    parent_id: int | None = Field(default=None, ge=0)
    order: int = Field(default=0, ge=0)


class Department(OutputSchema):
    id: uuid.UUID
    wecom_dept_id: int
    name: str
    parent_id: int | None
    order: int


class _StaffFields(InputSchema):
    position: str | None = Field(default=None, max_length=128)
    mobile: str | None = Field(default=None, max_length=32)
    gender: Gender = 0
    status: Status = 1
    main_department: int | None = Field(default=None, ge=1)
    department_ids: list[int] = Field(
        default_factory=list, max_length=100, description="WeCom department ids"
    )
    daily_add_cap: int | None = Field(
        default=None, ge=0, le=5000, description="Passive adds allowed per day"
    )
    friend_cap: int | None = Field(default=None, ge=0, le=50000)

    _mobile = field_validator("mobile")(_check_mobile)


class StaffMemberCreate(_StaffFields):
    userid: str = Field(description="WeCom userid: 1-64 letters, digits, '-', '_' or '.'")
    name: str = Field(min_length=1, max_length=64)

    @field_validator("userid")
    @classmethod
    def _userid(cls, value: str) -> str:
        if not _USERID.match(value):
            raise ValueError("a WeCom userid is 1-64 letters, digits, '-', '_' or '.'")
        return value


class StaffMemberUpdate(InputSchema):
    """Only the fields sent are changed; the userid never changes (WeCom allows it once,
    and the sync will handle that as a rename)."""

    name: str | None = Field(default=None, min_length=1, max_length=64)
    position: str | None = Field(default=None, max_length=128)
    mobile: str | None = Field(default=None, max_length=32)
    gender: Gender | None = None
    status: Status | None = None
    main_department: int | None = Field(default=None, ge=1)
    department_ids: list[int] | None = Field(default=None, max_length=100)
    daily_add_cap: int | None = Field(default=None, ge=0, le=5000)
    friend_cap: int | None = Field(default=None, ge=0, le=50000)

    _mobile = field_validator("mobile")(_check_mobile)


class StaffMember(OutputSchema):
    id: uuid.UUID
    corp_id: uuid.UUID
    userid: str
    name: str
    position: str | None
    mobile: str | None = Field(description="Masked (138****5678) for the staff role")
    gender: int
    status: int
    main_department: int | None
    department_ids: list[int]
    daily_add_cap: int
    friend_cap: int
    created_at: datetime
    updated_at: datetime


StaffMemberPage = Page[StaffMember]
