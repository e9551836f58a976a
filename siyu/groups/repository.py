"""SQL over customer groups and their members: bulk upserts from groupchat/get, marks."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.orm import Session

from siyu.db.bulk import bulk_upsert
from siyu.db.dialect import upsert
from siyu.groups.models import CustomerGroup, GroupMember
from siyu.kit.ids import new_id

GROUP_FIELDS = (
    "name",
    "owner_userid",
    "notice",
    "created_in_wecom_at",
    "member_version",
    "status",
    "member_count",
)
MEMBER_FIELDS = (
    "member_type",
    "unionid",
    "join_time",
    "join_scene",
    "invitor_userid",
    "group_nickname",
    "name",
    "state",
)


class CustomerGroupRepository:
    def upsert_many(
        self,
        session: Session,
        corp_id: uuid.UUID,
        rows: Sequence[Mapping[str, Any]],
        *,
        now: datetime,
    ) -> dict[str, uuid.UUID]:
        """Insert or refresh groups (chat_id + GROUP_FIELDS); → chat_id → group id.

        Being listed clears `missing_since` and `dismissed_at` (a dismissed group is not listed).
        """
        if not rows:
            return {}
        values = [
            {
                **row,
                "id": new_id(),
                "corp_id": corp_id,
                "synced_at": now,
                "created_at": now,
                "updated_at": now,
            }
            for row in rows
        ]
        table = CustomerGroup.__table__.c
        stmt = upsert(
            session,
            CustomerGroup,
            conflict_columns=("corp_id", "chat_id"),
            update=lambda excluded: {
                **{name: getattr(excluded, name) for name in GROUP_FIELDS},
                "missing_since": None,
                "dismissed_at": None,
                "synced_at": now,
                "updated_at": now,
            },
        ).returning(table.chat_id, table.id)
        return {row[0]: row[1] for row in session.connection().execute(stmt, values)}

    def mark_missing(
        self, session: Session, corp_id: uuid.UUID, *, seen_since: datetime, now: datetime
    ) -> int:
        """Groups groupchat/list no longer returns (dismissed) get `missing_since`."""
        stmt = (
            update(CustomerGroup)
            .where(
                CustomerGroup.corp_id == corp_id,
                CustomerGroup.missing_since.is_(None),
                CustomerGroup.dismissed_at.is_(None),
                or_(CustomerGroup.synced_at.is_(None), CustomerGroup.synced_at < seen_since),
            )
            .values(missing_since=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return session.execute(stmt).rowcount or 0  # type: ignore[attr-defined]

    def count(self, session: Session, corp_id: uuid.UUID) -> int:
        stmt = select(func.count()).where(
            CustomerGroup.corp_id == corp_id,
            CustomerGroup.missing_since.is_(None),
            CustomerGroup.dismissed_at.is_(None),
        )
        return session.scalar(stmt) or 0


class GroupMemberRepository:
    def replace_members(
        self,
        session: Session,
        corp_id: uuid.UUID,
        group_id: uuid.UUID,
        rows: Sequence[Mapping[str, Any]],
        *,
        now: datetime,
    ) -> None:
        """Make the group's present members exactly `rows` (member_id + MEMBER_FIELDS).

        Members no longer listed get `left_at` (history is kept for analytics); listed ones
        are present again.
        """
        if rows:
            values = [
                {
                    **row,
                    "id": new_id(),
                    "corp_id": corp_id,
                    "group_id": group_id,
                    "left_at": None,
                    "created_at": now,
                    "updated_at": now,
                }
                for row in rows
            ]
            # Straight to the driver: the full sync writes every member of every group.
            bulk_upsert(
                session,
                GroupMember.__table__,  # type: ignore[arg-type]
                values,
                conflict_columns=("group_id", "member_id"),
                update=lambda excluded: {
                    **{name: getattr(excluded, name) for name in MEMBER_FIELDS},
                    "left_at": None,
                    "quit_scene": None,
                    "updated_at": now,
                },
            )
        self.mark_left_except(session, group_id, [row["member_id"] for row in rows], now=now)

    def mark_left_except(
        self, session: Session, group_id: uuid.UUID, keep: Collection[str], *, now: datetime
    ) -> int:
        condition = and_(GroupMember.group_id == group_id, GroupMember.left_at.is_(None))
        if keep:
            condition = and_(condition, GroupMember.member_id.not_in(list(keep)))
        stmt = (
            update(GroupMember)
            .where(condition)
            .values(left_at=now, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return session.execute(stmt).rowcount or 0  # type: ignore[attr-defined]


customer_groups = CustomerGroupRepository()
group_members = GroupMemberRepository()
