"""SQL for group callbacks and the group read API (the full sync's bulk SQL is in
`repository.py`)."""

from __future__ import annotations

import uuid

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.auth.scope import DataScope
from siyu.groups.models import CustomerGroup, GroupMember


class GroupQueries:
    def get_by_chat_id(
        self, session: Session, corp_id: uuid.UUID, chat_id: str, *, fresh: bool = False
    ) -> CustomerGroup | None:
        """`fresh`: reload the row even if the session holds it (after a Core upsert)."""
        stmt = select(CustomerGroup).where(
            CustomerGroup.corp_id == corp_id, CustomerGroup.chat_id == chat_id
        )
        return session.scalar(stmt.execution_options(populate_existing=fresh))

    def lock(self, session: Session, corp_id: uuid.UUID, chat_id: str) -> None:
        """Hold the group's row until commit: member events of one group apply one at a time."""
        session.execute(
            select(CustomerGroup.id)
            .where(CustomerGroup.corp_id == corp_id, CustomerGroup.chat_id == chat_id)
            .with_for_update()
        )

    def by_ids(
        self, session: Session, corp_id: uuid.UUID, group_ids: list[uuid.UUID]
    ) -> list[CustomerGroup]:
        if not group_ids:
            return []
        stmt = select(CustomerGroup).where(
            CustomerGroup.corp_id == corp_id, CustomerGroup.id.in_(group_ids)
        )
        return list(session.scalars(stmt))

    def add(self, session: Session, group: CustomerGroup) -> CustomerGroup:
        session.add(group)
        session.flush()
        return group

    def members_of(
        self, session: Session, group_id: uuid.UUID, *, fresh: bool = False
    ) -> list[GroupMember]:
        stmt = select(GroupMember).where(GroupMember.group_id == group_id)
        stmt = stmt.order_by(GroupMember.member_id)
        return list(session.scalars(stmt.execution_options(populate_existing=fresh)))

    def add_member(self, session: Session, member: GroupMember) -> GroupMember:
        session.add(member)
        session.flush()
        return member

    def list_scoped(
        self, session: Session, scope: DataScope, *, after: uuid.UUID | None, limit: int
    ) -> list[CustomerGroup]:
        stmt = select(CustomerGroup).where(
            scope.condition(
                corp_column=CustomerGroup.corp_id, owner_column=CustomerGroup.owner_userid
            )
        )
        if after is not None:
            stmt = stmt.where(CustomerGroup.id < after)
        return list(session.scalars(stmt.order_by(CustomerGroup.id.desc()).limit(limit)))

    def get_scoped(
        self, session: Session, scope: DataScope, group_id: uuid.UUID
    ) -> CustomerGroup | None:
        return session.scalar(
            select(CustomerGroup).where(
                CustomerGroup.id == group_id,
                scope.condition(
                    corp_column=CustomerGroup.corp_id, owner_column=CustomerGroup.owner_userid
                ),
            )
        )


group_queries = GroupQueries()
