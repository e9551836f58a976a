"""SQL over `corps`."""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.corps.models import Corp


class CorpRepository:
    def get(self, session: Session, corp_id: uuid.UUID) -> Corp | None:
        return session.get(Corp, corp_id)

    def get_by_wecom_id(self, session: Session, wecom_corp_id: str) -> Corp | None:
        return session.scalar(select(Corp).where(Corp.wecom_corp_id == wecom_corp_id))

    def get_by_callback_key(self, session: Session, callback_key: str) -> Corp | None:
        return session.scalar(select(Corp).where(Corp.callback_key == callback_key))

    def list(self, session: Session, *, ids: Sequence[uuid.UUID] | None = None) -> list[Corp]:
        stmt = select(Corp).order_by(Corp.name, Corp.id)
        if ids is not None:
            stmt = stmt.where(Corp.id.in_(ids))
        return list(session.scalars(stmt))

    def add(self, session: Session, corp: Corp) -> Corp:
        session.add(corp)
        session.flush()
        return corp


corps = CorpRepository()
