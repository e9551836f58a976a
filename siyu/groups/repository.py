"""SQL over customer groups and their members: bulk upserts from groupchat/get, marks."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from siyu.db.bulk import bulk_upsert
from siyu.db.dialect import in_values, upsert
from siyu.groups.models import CustomerGroup, GroupMember
from siyu.kit.ids import with_new_ids

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
        values = with_new_ids(rows, corp_id=corp_id, synced_at=now, created_at=now, updated_at=now)
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
        members: Mapping[uuid.UUID, Sequence[Mapping[str, Any]]],
        *,
        now: datetime,
    ) -> int:
        """Make each group's present members exactly its rows (group id → member_id +
        MEMBER_FIELDS, no member twice); returns how many members were marked left.

        Members no longer listed get `left_at` (history is kept for analytics); listed ones
        are present again. A fixed number of statements for any number of groups: the full
        sync writes 50 chats per unit, and per-chat statements were most of its groups stage.
        """
        if not members:
            return 0
        t = GroupMember.__table__.c
        # Who is present now, to mark the unlisted ones left by id afterwards: on a first sync
        # nobody is, and on a re-sync few leave, so this beats an anti-join over every listed
        # (group, member) pair, which SQLite would need as one bound parameter pair each.
        present = session.connection().execute(
            select(t.id, t.group_id, t.member_id).where(
                in_values(session, t.group_id, members), t.left_at.is_(None)
            )
        )
        flat = [(group_id, row) for group_id, rows in members.items() for row in rows]
        listed = {(group_id, row["member_id"]) for group_id, row in flat}
        gone = [id_ for id_, group_id, member_id in present if (group_id, member_id) not in listed]
        values = with_new_ids(
            ({**row, "group_id": group_id} for group_id, row in flat),
            corp_id=corp_id,
            left_at=None,
            created_at=now,
            updated_at=now,
        )
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
        if gone:
            session.execute(
                update(GroupMember)
                .where(in_values(session, GroupMember.id, gone))
                .values(left_at=now, updated_at=now)
                .execution_options(synchronize_session=False)
            )
        return len(gone)


customer_groups = CustomerGroupRepository()
group_members = GroupMemberRepository()
