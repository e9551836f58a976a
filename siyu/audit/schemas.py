"""Audit event API schemas."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from siyu.kit.pagination import Page
from siyu.kit.schemas import OutputSchema


class AuditEvent(OutputSchema):
    id: uuid.UUID
    corp_id: uuid.UUID | None
    actor_user_id: uuid.UUID | None
    actor_api_key_id: uuid.UUID | None
    actor_label: str
    action: str
    target_type: str | None
    target_id: str | None
    details: dict[str, Any]
    ip: str | None
    user_agent: str | None
    request_id: str | None
    created_at: datetime


AuditEventPage = Page[AuditEvent]
