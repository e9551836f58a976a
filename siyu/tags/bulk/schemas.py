"""Bulk tag API schemas."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, model_validator

from siyu.kit.pagination import Page
from siyu.kit.schemas import InputSchema, OutputSchema
from siyu.segments.conditions import Condition

MAX_SELECTED = 10_000


class BulkTagCreate(InputSchema):
    action: Literal["add", "remove"]
    tag_ids: list[uuid.UUID] = Field(min_length=1, max_length=20)
    customer_ids: list[uuid.UUID] | None = Field(default=None, max_length=MAX_SELECTED)
    segment_id: uuid.UUID | None = None
    condition: Condition | None = None

    @model_validator(mode="after")
    def _one_selection(self) -> BulkTagCreate:
        given = [
            self.customer_ids is not None,
            self.segment_id is not None,
            self.condition is not None,
        ]
        if sum(given) != 1:
            raise ValueError("give exactly one of customer_ids, segment_id or condition")
        if self.customer_ids is not None and not self.customer_ids:
            raise ValueError("customer_ids is empty")
        return self


class BulkTagJob(OutputSchema):
    id: uuid.UUID
    action: str
    tag_ids: list[str]
    segment_id: uuid.UUID | None
    condition: dict[str, Any] | None
    status: str = Field(description="pending, running, done, cancelled or failed")
    total: int = Field(description="People selected when the job was requested")
    processed: int
    siyu_changes: int = Field(description="Siyu tag links added or removed")
    wecom_marks: int = Field(description="mark_tag calls queued to WeCom (one per relation)")
    error: str | None
    requested_by_label: str
    created_at: datetime
    finished_at: datetime | None


BulkTagJobPage = Page[BulkTagJob]
