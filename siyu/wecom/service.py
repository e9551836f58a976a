"""Reading the call journal."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from siyu.kit.pagination import decode_id_cursor, split_id_page
from siyu.wecom.models import WeComCall
from siyu.wecom.repository import wecom_calls

JOURNAL_RETENTION = timedelta(days=14)


class WeComCallService:
    def list(
        self,
        session: Session,
        *,
        corp_id: uuid.UUID,
        api: str | None,
        errcode: int | None,
        cursor: str | None,
        limit: int,
    ) -> tuple[list[WeComCall], str | None]:
        rows = wecom_calls.list(
            session,
            corp_id=corp_id,
            api=api,
            errcode=errcode,
            before_id=decode_id_cursor(cursor),
            limit=limit + 1,
        )
        return split_id_page(rows, limit)

    def prune(self, session: Session, *, now: datetime) -> int:
        """The journal is for recent troubleshooting; metrics keep the long view."""
        return wecom_calls.delete_before(session, before=now - JOURNAL_RETENTION)


wecom_call_service = WeComCallService()
