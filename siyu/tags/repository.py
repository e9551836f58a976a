"""SQL over tag groups and tags: bulk upserts from WeCom's corp tag list, deletion marks."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from siyu.db.dialect import upsert
from siyu.kit.ids import new_id
from siyu.tags.models import ORIGIN_WECOM, Tag, TagGroup


class TagGroupRepository:
    def upsert_many(
        self,
        session: Session,
        corp_id: uuid.UUID,
        rows: Sequence[Mapping[str, Any]],
        *,
        now: datetime,
    ) -> dict[str, uuid.UUID]:
        """Insert or refresh WeCom tag groups (wecom_group_id, name, order); → wecom id → id."""
        if not rows:
            return {}
        values = [
            {
                **row,
                "id": new_id(),
                "corp_id": corp_id,
                "origin": ORIGIN_WECOM,
                "created_at": now,
                "updated_at": now,
            }
            for row in rows
        ]
        table = TagGroup.__table__.c
        stmt = upsert(
            session,
            TagGroup,
            conflict_columns=("corp_id", "wecom_group_id"),
            update=lambda excluded: {
                "name": excluded.name,
                "order": excluded.order,
                "deleted_at": None,
                "updated_at": now,
            },
        ).returning(table.wecom_group_id, table.id)
        return {row[0]: row[1] for row in session.connection().execute(stmt, values)}

    def mark_deleted_except(
        self, session: Session, corp_id: uuid.UUID, keep: Collection[str], *, now: datetime
    ) -> int:
        """WeCom groups not in `keep` were deleted in WeCom: soft-delete them (Siyu's stay)."""
        stmt = (
            update(TagGroup)
            .where(
                TagGroup.corp_id == corp_id,
                TagGroup.wecom_group_id.is_not(None),
                TagGroup.wecom_group_id.not_in(list(keep)),
                TagGroup.deleted_at.is_(None),
            )
            .values(deleted_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return session.execute(stmt).rowcount or 0  # type: ignore[attr-defined]

    def count(self, session: Session, corp_id: uuid.UUID) -> int:
        stmt = select(func.count()).where(
            TagGroup.corp_id == corp_id,
            TagGroup.wecom_group_id.is_not(None),
            TagGroup.deleted_at.is_(None),
        )
        return session.scalar(stmt) or 0


class TagRepository:
    def upsert_many(
        self,
        session: Session,
        corp_id: uuid.UUID,
        rows: Sequence[Mapping[str, Any]],
        *,
        now: datetime,
    ) -> dict[str, uuid.UUID]:
        """Insert or refresh WeCom tags (group_id, wecom_tag_id, name, order, type)."""
        if not rows:
            return {}
        values = [
            {**row, "id": new_id(), "corp_id": corp_id, "created_at": now, "updated_at": now}
            for row in rows
        ]
        table = Tag.__table__.c
        stmt = upsert(
            session,
            Tag,
            conflict_columns=("corp_id", "wecom_tag_id"),
            update=lambda excluded: {
                "group_id": excluded.group_id,
                "name": excluded.name,
                "order": excluded.order,
                "type": excluded.type,
                "deleted_at": None,
                "updated_at": now,
            },
        ).returning(table.wecom_tag_id, table.id)
        return {row[0]: row[1] for row in session.connection().execute(stmt, values)}

    def mark_deleted_except(
        self,
        session: Session,
        corp_id: uuid.UUID,
        keep: Collection[str],
        *,
        tag_type: int,
        now: datetime,
    ) -> int:
        """Tags of `tag_type` with a WeCom id not in `keep` were deleted in WeCom."""
        stmt = (
            update(Tag)
            .where(
                Tag.corp_id == corp_id,
                Tag.type == tag_type,
                Tag.wecom_tag_id.is_not(None),
                Tag.wecom_tag_id.not_in(list(keep)),
                Tag.deleted_at.is_(None),
            )
            .values(deleted_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return session.execute(stmt).rowcount or 0  # type: ignore[attr-defined]

    def ids_by_wecom_id(self, session: Session, corp_id: uuid.UUID) -> dict[str, uuid.UUID]:
        """Every WeCom tag id of the corp (deleted ones too: old relations may carry them)."""
        stmt = select(Tag.wecom_tag_id, Tag.id).where(
            Tag.corp_id == corp_id, Tag.wecom_tag_id.is_not(None)
        )
        return {wecom_id: id_ for wecom_id, id_ in session.execute(stmt) if wecom_id}

    def count(self, session: Session, corp_id: uuid.UUID, *, tag_type: int) -> int:
        stmt = select(func.count()).where(
            Tag.corp_id == corp_id, Tag.type == tag_type, Tag.deleted_at.is_(None)
        )
        return session.scalar(stmt) or 0


tag_groups = TagGroupRepository()
tags = TagRepository()
