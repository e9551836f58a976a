"""Import API schemas."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import Field

from siyu.kit.pagination import Page
from siyu.kit.schemas import OutputSchema


class ImportError_(OutputSchema):
    row: int = Field(description="The spreadsheet row (the header is row 1)")
    column: str
    message: str


class CustomerImport(OutputSchema):
    id: uuid.UUID
    file_name: str
    format: str
    mode: str = Field(description="all_or_nothing or skip_bad_rows")
    dry_run: bool
    phones_verified: bool
    status: str = Field(description="pending, done, rejected (bad rows, nothing written), failed")
    total_rows: int
    bad_rows: int
    written_rows: int
    stats: dict[str, Any]
    errors_preview: list[ImportError_] = Field(description="The first 200 errors; see the report")
    error: str | None
    requested_by_label: str
    created_at: datetime
    finished_at: datetime | None


CustomerImportPage = Page[CustomerImport]
