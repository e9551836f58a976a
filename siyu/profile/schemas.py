"""Profile API schemas: field definitions and values, stages, follow-ups, the timeline."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import AwareDatetime, Field, field_validator

from siyu.kit.pagination import Page
from siyu.kit.schemas import InputSchema, OutputSchema

FieldType = Literal["text", "number", "date", "single_select", "multi_select"]
KEY_PATTERN = r"^[a-z][a-z0-9_]{0,63}$"


class FieldOption(InputSchema):
    key: str = Field(pattern=KEY_PATTERN)
    label: str = Field(min_length=1, max_length=64)


def _unique_keys(options: list[FieldOption] | None) -> list[FieldOption] | None:
    keys = [o.key for o in options or []]
    if len(keys) != len(set(keys)):
        raise ValueError("option keys must be unique")
    return options


class CustomerFieldCreate(InputSchema):
    key: str = Field(pattern=KEY_PATTERN, description="Stable machine name, e.g. occupation")
    label: str = Field(min_length=1, max_length=128)
    type: FieldType
    options: list[FieldOption] = Field(default_factory=list, max_length=200)
    required: bool = False
    position: int = Field(default=0, ge=0, le=100_000)

    _options = field_validator("options")(_unique_keys)


class CustomerFieldUpdate(InputSchema):
    label: str | None = Field(default=None, min_length=1, max_length=128)
    options: list[FieldOption] | None = Field(default=None, max_length=200)
    required: bool | None = None
    position: int | None = Field(default=None, ge=0, le=100_000)

    _options = field_validator("options")(_unique_keys)


class CustomerField(OutputSchema):
    id: uuid.UUID
    key: str
    label: str
    type: str
    options: list[dict[str, str]]
    required: bool
    position: int


class FieldValues(InputSchema):
    """Field key → value: a string (text, single select option key, ISO date), a number, a
    list of option keys (multi select), or null to clear."""

    values: dict[str, Any] = Field(max_length=200)


class CustomerFieldValue(OutputSchema):
    field_id: uuid.UUID
    key: str
    type: str
    value: Any = Field(description="str, number, ISO date, or a list of option keys")


class SalesStageCreate(InputSchema):
    key: str = Field(pattern=KEY_PATTERN)
    name: str = Field(min_length=1, max_length=64)
    position: int = Field(default=0, ge=0, le=100_000)
    is_final: bool = False


class SalesStageUpdate(InputSchema):
    name: str | None = Field(default=None, min_length=1, max_length=64)
    position: int | None = Field(default=None, ge=0, le=100_000)
    is_final: bool | None = None


class SalesStage(OutputSchema):
    id: uuid.UUID
    key: str
    name: str
    position: int
    is_final: bool


class StageChange(InputSchema):
    stage_id: uuid.UUID | None = Field(description="null takes the customer out of every stage")


class CustomerStage(OutputSchema):
    customer_id: uuid.UUID
    stage_id: uuid.UUID | None


class StageDailyCount(OutputSchema):
    day: date
    stage_id: uuid.UUID
    staff_userid: str
    customers: int = Field(description="Customers in the stage owned by the staff member that day")
    entered: int = Field(description="Moves into the stage that day")


class FollowUpCreate(InputSchema):
    content: str = Field(min_length=1, max_length=5000)
    kind: Literal["follow_up", "note"] = "follow_up"
    next_follow_up_at: AwareDatetime | None = None
    stage_id: uuid.UUID | None = Field(default=None, description="Also move to this stage")


class FollowUp(OutputSchema):
    id: uuid.UUID
    customer_id: uuid.UUID
    staff_userid: str | None
    author: str
    kind: str
    content: str
    next_follow_up_at: datetime | None
    stage_move_id: uuid.UUID | None
    created_at: datetime


class TimelineEntry(OutputSchema):
    id: uuid.UUID
    kind: str
    staff_userid: str | None
    details: dict[str, Any]
    occurred_at: datetime


FollowUpPage = Page[FollowUp]
TimelinePage = Page[TimelineEntry]
