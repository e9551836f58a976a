"""API schemas of sync runs."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from siyu.kit.pagination import Page
from siyu.kit.schemas import OutputSchema


class SyncRun(OutputSchema):
    id: uuid.UUID
    corp_id: uuid.UUID
    kind: str
    status: str
    started_at: datetime
    finished_at: datetime | None
    heartbeat_at: datetime | None
    # {"stages": {stage: {"total", "done", "items", "pages"}}}: units of work per stage.
    progress: dict[str, Any]
    counts: dict[str, Any]
    error: str | None
    requested_by_label: str | None
    attempts: int


class SyncRunPage(Page[SyncRun]):
    pass
