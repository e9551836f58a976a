"""SQL over `exports`."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.exports.models import Export


class ExportRepository:
    def add(self, session: Session, export: Export) -> Export:
        session.add(export)
        session.flush()
        return export

    def get(self, session: Session, *, corp_id: uuid.UUID, export_id: uuid.UUID) -> Export | None:
        return session.scalar(
            select(Export).where(Export.corp_id == corp_id, Export.id == export_id)
        )

    def list(
        self,
        session: Session,
        *,
        corp_id: uuid.UUID,
        requested_by_user_id: uuid.UUID | None,
        before_id: uuid.UUID | None,
        limit: int,
    ) -> list[Export]:
        stmt = select(Export).where(Export.corp_id == corp_id)
        if requested_by_user_id is not None:
            stmt = stmt.where(Export.requested_by_user_id == requested_by_user_id)
        if before_id is not None:
            stmt = stmt.where(Export.id < before_id)
        return list(session.scalars(stmt.order_by(Export.id.desc()).limit(limit)))


exports = ExportRepository()
