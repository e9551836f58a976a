"""SQL for materials, folders, files, usage counts and the media cache."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, delete, func, or_, select, update
from sqlalchemy.orm import Session

from siyu.auth.scope import DataScope
from siyu.db.dialect import tokens_overlap, upsert
from siyu.materials.models import (
    Material,
    MaterialFile,
    MaterialFolder,
    MaterialMedia,
    MaterialUsage,
)


@dataclass(frozen=True)
class MaterialFilter:
    """Company materials plus the personal ones inside the caller's data scope."""

    scope: DataScope
    kind: str | None = None
    folder_id: uuid.UUID | None = None
    unfiled: bool = False
    tag: str | None = None
    search: str | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        where = [
            Material.corp_id == self.scope.corp_id,
            or_(
                Material.owner_userid.is_(None),
                self.scope.condition(
                    corp_column=Material.corp_id, owner_column=Material.owner_userid
                ),
            ),
        ]
        if self.kind is not None:
            where.append(Material.kind == self.kind)
        if self.folder_id is not None:
            where.append(Material.folder_id == self.folder_id)
        elif self.unfiled:
            where.append(Material.folder_id.is_(None))
        if self.tag is not None:
            where.append(tokens_overlap(Material.tags, [self.tag]))
        if self.search:
            where.append(func.lower(Material.title).contains(self.search.lower(), autoescape=True))
        return where


class MaterialRepository:
    def page(
        self, session: Session, where: MaterialFilter, *, after: uuid.UUID | None, limit: int
    ) -> list[Material]:
        """Newest first (ids are time-ordered)."""
        stmt = select(Material).where(*where.conditions())
        if after is not None:
            stmt = stmt.where(Material.id < after)
        return list(session.scalars(stmt.order_by(Material.id.desc()).limit(limit)))

    def visible(
        self, session: Session, where: MaterialFilter, material_id: uuid.UUID
    ) -> Material | None:
        stmt = select(Material).where(*where.conditions(), Material.id == material_id)
        return session.scalar(stmt)

    def of_corp(
        self, session: Session, corp_id: uuid.UUID, material_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, Material]:
        if not material_ids:
            return {}
        stmt = select(Material).where(
            Material.corp_id == corp_id, Material.id.in_(list(material_ids))
        )
        return {m.id: m for m in session.scalars(stmt)}

    def files(
        self, session: Session, file_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, MaterialFile]:
        if not file_ids:
            return {}
        stmt = select(MaterialFile).where(MaterialFile.id.in_(list(set(file_ids))))
        return {f.id: f for f in session.scalars(stmt)}

    def file(self, session: Session, corp_id: uuid.UUID, file_id: uuid.UUID) -> MaterialFile | None:
        row = session.get(MaterialFile, file_id)
        return row if row is not None and row.corp_id == corp_id else None

    def tag_counts(self, session: Session, where: MaterialFilter) -> list[list[str]]:
        """Every visible material's tags (counted by the service: tags are a token set)."""
        stmt = select(Material.tags).where(*where.conditions())
        return [list(tags) for tags in session.scalars(stmt) if tags]

    # -- usage --------------------------------------------------------------------------------
    def count_usage(
        self, session: Session, material_ids: Sequence[uuid.UUID], *, purpose: str, now: datetime
    ) -> None:
        """+1 per material (a material attached twice in one message counts once)."""
        ids = list(dict.fromkeys(material_ids))
        if not ids:
            return
        session.execute(
            update(Material)
            .where(Material.id.in_(ids))
            .values(usage_count=Material.usage_count + 1, last_used_at=now)
        )
        stmt = upsert(
            session,
            MaterialUsage,
            conflict_columns=["material_id", "purpose"],
            update=lambda excluded: {
                "count": MaterialUsage.count + 1,
                "last_used_at": excluded.last_used_at,
            },
        )
        rows = [
            {"material_id": i, "purpose": purpose, "count": 1, "last_used_at": now} for i in ids
        ]
        session.execute(stmt, rows)

    def usages(self, session: Session, material_id: uuid.UUID) -> list[MaterialUsage]:
        stmt = select(MaterialUsage).where(MaterialUsage.material_id == material_id)
        return list(session.scalars(stmt.order_by(MaterialUsage.purpose)))

    # -- media cache --------------------------------------------------------------------------
    def media(
        self, session: Session, material_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, MaterialMedia]:
        if not material_ids:
            return {}
        stmt = select(MaterialMedia).where(MaterialMedia.material_id.in_(list(material_ids)))
        return {m.material_id: m for m in session.scalars(stmt)}

    def save_media(self, session: Session, rows: Sequence[dict[str, Any]]) -> None:
        """Insert or replace cache rows; `keep_fresh_until` only ever moves later."""
        if not rows:
            return
        stmt = upsert(
            session,
            MaterialMedia,
            conflict_columns=["material_id"],
            update=lambda excluded: {
                "file_sha256": excluded.file_sha256,
                "media_type": excluded.media_type,
                "media_id": excluded.media_id,
                "url": excluded.url,
                "uploaded_at": excluded.uploaded_at,
                "expires_at": excluded.expires_at,
                # The later of the two, where either may be null.
                "keep_fresh_until": case(
                    (
                        excluded.keep_fresh_until > MaterialMedia.keep_fresh_until,
                        excluded.keep_fresh_until,
                    ),
                    else_=func.coalesce(MaterialMedia.keep_fresh_until, excluded.keep_fresh_until),
                ),
            },
        )
        session.execute(stmt, list(rows))

    def keep_fresh(
        self, session: Session, material_ids: Sequence[uuid.UUID], *, until: datetime
    ) -> None:
        if material_ids:
            session.execute(
                update(MaterialMedia)
                .where(
                    MaterialMedia.material_id.in_(list(material_ids)),
                    or_(
                        MaterialMedia.keep_fresh_until.is_(None),
                        MaterialMedia.keep_fresh_until < until,
                    ),
                )
                .values(keep_fresh_until=until)
            )

    def expiring(
        self, session: Session, *, before: datetime, now: datetime, limit: int
    ) -> list[MaterialMedia]:
        """Temporary media of materials in use that expire before `before`."""
        stmt = (
            select(MaterialMedia)
            .where(
                MaterialMedia.expires_at.is_not(None),
                MaterialMedia.expires_at < before,
                MaterialMedia.keep_fresh_until > now,
            )
            .order_by(MaterialMedia.expires_at)
            .limit(limit)
        )
        return list(session.scalars(stmt))

    def forget_media(self, session: Session, material_id: uuid.UUID) -> None:
        session.execute(delete(MaterialMedia).where(MaterialMedia.material_id == material_id))

    # -- folders ------------------------------------------------------------------------------
    def folders(self, session: Session, corp_id: uuid.UUID) -> list[MaterialFolder]:
        stmt = select(MaterialFolder).where(MaterialFolder.corp_id == corp_id)
        return list(session.scalars(stmt.order_by(MaterialFolder.position, MaterialFolder.name)))

    def folder(
        self, session: Session, corp_id: uuid.UUID, folder_id: uuid.UUID
    ) -> MaterialFolder | None:
        row = session.get(MaterialFolder, folder_id)
        return row if row is not None and row.corp_id == corp_id else None

    def folder_named(
        self, session: Session, corp_id: uuid.UUID, name: str
    ) -> MaterialFolder | None:
        stmt = select(MaterialFolder).where(
            MaterialFolder.corp_id == corp_id, MaterialFolder.name == name
        )
        return session.scalar(stmt)

    def folder_counts(self, session: Session, where: MaterialFilter) -> dict[uuid.UUID, int]:
        stmt = (
            select(Material.folder_id, func.count())
            .where(*where.conditions(), Material.folder_id.is_not(None))
            .group_by(Material.folder_id)
        )
        return {folder_id: int(n) for folder_id, n in session.execute(stmt) if folder_id}


material_repository = MaterialRepository()
