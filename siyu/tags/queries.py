"""SQL for tag callbacks, the tag API and outbound tag changes (the full sync's bulk SQL is in
`repository.py`)."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.tags.changes import TagChange, TagChangeKind, TagChangeStatus
from siyu.tags.models import Tag, TagGroup

_CREATES = (TagChangeKind.create_group.value, TagChangeKind.create_tag.value)


class TagQueries:
    def list_groups(self, session: Session, corp_id: uuid.UUID) -> list[TagGroup]:
        stmt = (
            select(TagGroup)
            .where(TagGroup.corp_id == corp_id, TagGroup.deleted_at.is_(None))
            .order_by(TagGroup.order.desc(), TagGroup.name, TagGroup.id)
        )
        return list(session.scalars(stmt))

    def tags_by_group(
        self, session: Session, corp_id: uuid.UUID, group_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[Tag]]:
        by_group: dict[uuid.UUID, list[Tag]] = defaultdict(list)
        if not group_ids:
            return by_group
        stmt = (
            select(Tag)
            .where(Tag.corp_id == corp_id, Tag.group_id.in_(list(group_ids)))
            .order_by(Tag.order.desc(), Tag.name, Tag.id)
        )
        for tag in session.scalars(stmt.execution_options(populate_existing=True)):
            by_group[tag.group_id].append(tag)
        return by_group

    def get_group(
        self, session: Session, corp_id: uuid.UUID, group_id: uuid.UUID
    ) -> TagGroup | None:
        group = session.get(TagGroup, group_id)
        return group if group is not None and group.corp_id == corp_id else None

    def get_tag(self, session: Session, corp_id: uuid.UUID, tag_id: uuid.UUID) -> Tag | None:
        tag = session.get(Tag, tag_id)
        return tag if tag is not None and tag.corp_id == corp_id else None

    def get_tags(
        self, session: Session, corp_id: uuid.UUID, tag_ids: Sequence[uuid.UUID]
    ) -> list[Tag]:
        if not tag_ids:
            return []
        stmt = select(Tag).where(Tag.corp_id == corp_id, Tag.id.in_(list(tag_ids)))
        return list(session.scalars(stmt))

    def live_group_named(self, session: Session, corp_id: uuid.UUID, name: str) -> TagGroup | None:
        stmt = select(TagGroup).where(
            TagGroup.corp_id == corp_id, TagGroup.name == name, TagGroup.deleted_at.is_(None)
        )
        return session.scalars(stmt).first()

    def group_by_wecom_id(
        self, session: Session, corp_id: uuid.UUID, wecom_group_id: str
    ) -> TagGroup | None:
        stmt = select(TagGroup).where(
            TagGroup.corp_id == corp_id, TagGroup.wecom_group_id == wecom_group_id
        )
        return session.scalar(stmt.execution_options(populate_existing=True))

    def tag_by_wecom_id(
        self, session: Session, corp_id: uuid.UUID, wecom_tag_id: str
    ) -> Tag | None:
        stmt = select(Tag).where(Tag.corp_id == corp_id, Tag.wecom_tag_id == wecom_tag_id)
        return session.scalar(stmt.execution_options(populate_existing=True))

    def tags_by_wecom_ids(
        self, session: Session, corp_id: uuid.UUID, wecom_tag_ids: Sequence[str]
    ) -> list[Tag]:
        if not wecom_tag_ids:
            return []
        stmt = select(Tag).where(Tag.corp_id == corp_id, Tag.wecom_tag_id.in_(list(wecom_tag_ids)))
        # Always re-read: the sync's Core upserts change rows behind the session's back.
        return list(session.scalars(stmt.execution_options(populate_existing=True)))

    def count_corp_tags(self, session: Session, corp_id: uuid.UUID) -> int:
        """Live tags of groups that exist in WeCom (or are on their way): WeCom's 3,000 cap."""
        stmt = (
            select(func.count(Tag.id))
            .join(TagGroup, TagGroup.id == Tag.group_id)
            .where(
                Tag.corp_id == corp_id,
                Tag.deleted_at.is_(None),
                Tag.type == 1,
                TagGroup.origin == "wecom",
            )
        )
        return int(session.scalar(stmt) or 0)

    def add_group(self, session: Session, group: TagGroup) -> TagGroup:
        session.add(group)
        session.flush()
        return group

    def add_tag(self, session: Session, tag: Tag) -> Tag:
        session.add(tag)
        session.flush()
        return tag

    # -- outbound changes ------------------------------------------------------------------------
    def add_change(self, session: Session, change: TagChange) -> TagChange:
        session.add(change)
        session.flush()
        return change

    def get_change(
        self, session: Session, corp_id: uuid.UUID, change_id: uuid.UUID
    ) -> TagChange | None:
        change = session.get(TagChange, change_id)
        return change if change is not None and change.corp_id == corp_id else None

    def get_change_by_id(self, session: Session, change_id: uuid.UUID) -> TagChange | None:
        return session.get(TagChange, change_id)

    def has_pending_create(self, session: Session, *, target_id: uuid.UUID) -> bool:
        stmt = select(TagChange.id).where(
            TagChange.kind.in_(_CREATES),
            TagChange.status == TagChangeStatus.pending.value,
            (TagChange.tag_id == target_id) | (TagChange.tag_group_id == target_id),
        )
        return session.scalars(stmt.limit(1)).first() is not None


tag_queries = TagQueries()
