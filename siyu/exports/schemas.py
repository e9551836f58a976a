"""Export API schemas."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from siyu.kit.pagination import Page
from siyu.kit.schemas import InputSchema, OutputSchema


class ExportCreate(InputSchema):
    kind: Literal["audit_events", "duplicate_customers"] = Field(description="What to export.")
    params: dict[str, Any] = Field(default_factory=dict, description="Filters of that kind.")


class Export(OutputSchema):
    id: uuid.UUID
    kind: str
    params: dict[str, Any]
    status: str
    requested_by_label: str
    row_count: int | None
    byte_size: int | None
    file_name: str | None
    error: str | None
    created_at: datetime
    finished_at: datetime | None


ExportPage = Page[Export]
