"""Recording and reading audit events."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from siyu.audit.context import audit_context, mark_recorded
from siyu.audit.models import AuditEvent
from siyu.audit.repository import audit_events
from siyu.kit.errors import BadRequest
from siyu.kit.pagination import decode_id_cursor, split_id_page

# Detail keys that must never reach the log, even if a caller passes them by mistake.
_SECRET_MARKERS = ("password", "secret", "token", "aes_key", "api_key", "key_hash")


def _scrub(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            str(k): "[redacted]" if any(m in str(k).lower() for m in _SECRET_MARKERS) else _scrub(v)
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return [_scrub(v) for v in value]
    if isinstance(value, str | int | float | bool) or value is None:
        return value
    return str(value)


class AuditService:
    def record(
        self,
        session: Session,
        *,
        action: str,
        target_type: str | None = None,
        target_id: object | None = None,
        details: dict[str, Any] | None = None,
        corp_id: uuid.UUID | None = None,
    ) -> AuditEvent:
        """Add an event to the caller's transaction, attributed to the session's actor.

        `corp_id` defaults to the corp the request resolved; installation-level actions
        (creating users or corps) pass none and have none.
        """
        context = audit_context(session)
        event = AuditEvent(
            corp_id=corp_id if corp_id is not None else context.corp_id,
            actor_user_id=context.actor_user_id,
            actor_api_key_id=context.actor_api_key_id,
            actor_label=context.actor_label[:255],
            action=action,
            target_type=target_type,
            target_id=None if target_id is None else str(target_id)[:100],
            details=_scrub(details or {}),
            ip=context.ip,
            user_agent=(context.user_agent or None) and context.user_agent[:255],
            request_id=context.request_id,
        )
        mark_recorded(session)
        return audit_events.add(session, event)

    def list(
        self,
        session: Session,
        *,
        corp_id: uuid.UUID | None,
        action: str | None = None,
        actor_user_id: uuid.UUID | None = None,
        actor_api_key_id: uuid.UUID | None = None,
        since: datetime | None = None,
        until: datetime | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> tuple[list[AuditEvent], str | None]:
        """A page of a corp's events (or, with `corp_id=None`, installation-level ones)."""
        if since is not None and until is not None and since >= until:
            raise BadRequest("since must be before until")
        before_id = decode_id_cursor(cursor)
        rows = audit_events.list(
            session,
            corp_id=corp_id,
            installation_only=corp_id is None,
            action=action,
            actor_user_id=actor_user_id,
            actor_api_key_id=actor_api_key_id,
            since=since,
            until=until,
            before_id=before_id,
            limit=limit + 1,
        )
        return split_id_page(rows, limit)


audit_service = AuditService()
