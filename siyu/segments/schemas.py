"""Segment API schemas."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from siyu.kit.pagination import Page
from siyu.kit.schemas import InputSchema, OutputSchema
from siyu.segments.conditions import Condition


class ConditionBody(InputSchema):
    condition: Condition = Field(description="The boolean tree to evaluate.")


class PreviewBody(ConditionBody):
    cursor: str | None = None
    limit: int = Field(default=20, ge=1, le=200)


class SegmentCreate(InputSchema):
    name: str = Field(min_length=1, max_length=64)
    description: str | None = Field(default=None, max_length=2000)
    condition: Condition


class SegmentUpdate(InputSchema):
    name: str | None = Field(default=None, min_length=1, max_length=64)
    description: str | None = Field(default=None, max_length=2000)
    condition: Condition | None = None


class Segment(OutputSchema):
    id: uuid.UUID
    name: str
    description: str | None
    condition: dict[str, Any]
    created_by_label: str
    last_count: int | None = Field(description="The last count, in the scope of whoever ran it")
    last_evaluated_at: datetime | None
    created_at: datetime
    updated_at: datetime


class SegmentCount(OutputSchema):
    count: int
    duration_ms: float = Field(description="How long the database took to count")


class SegmentEvaluation(OutputSchema):
    id: uuid.UUID
    segment_id: uuid.UUID | None
    purpose: str
    scope_kind: str
    actor_label: str
    result_count: int | None
    duration_ms: float
    created_at: datetime


SegmentPage = Page[Segment]
SegmentEvaluationPage = Page[SegmentEvaluation]


class CustomerFilters(InputSchema):
    """The customer list's filters; all given ones must hold (a saved view may add a segment)."""

    status: Literal["active", "lost"] | None = None
    tag_ids: list[uuid.UUID] = Field(default_factory=list, max_length=50)
    staff_userid: str | None = Field(default=None, max_length=64)
    channel: str | None = Field(default=None, max_length=64)
    q: str | None = Field(default=None, max_length=64, description="Name contains")
    segment_id: uuid.UUID | None = None
