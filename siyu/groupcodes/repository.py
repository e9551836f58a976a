"""SQL for group codes: codes and their pools, joins, routes, phone lists and challenges."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, delete, func, select
from sqlalchemy.orm import Session

from siyu.auth.scope import DataScope
from siyu.db.dialect import insert_ignoring_conflicts
from siyu.groupcodes.models import (
    SLOT_ACTIVE,
    GroupCode,
    GroupCodeJoin,
    GroupCodePhone,
    GroupCodeRoute,
    GroupCodeSlot,
    PhoneChallenge,
)
from siyu.kit.ids import new_id


class GroupCodeRepository:
    def list_scoped(self, session: Session, scope: DataScope) -> list[GroupCode]:
        stmt = select(GroupCode).where(
            scope.condition(corp_column=GroupCode.corp_id, owner_column=GroupCode.owner_userid)
        )
        return list(session.scalars(stmt.order_by(GroupCode.created_at.desc())))

    def get_scoped(
        self, session: Session, scope: DataScope, code_id: uuid.UUID
    ) -> GroupCode | None:
        return session.scalar(
            select(GroupCode).where(
                GroupCode.id == code_id,
                scope.condition(corp_column=GroupCode.corp_id, owner_column=GroupCode.owner_userid),
            )
        )

    def get_by_slug(self, session: Session, slug: str) -> GroupCode | None:
        return session.scalar(select(GroupCode).where(GroupCode.slug == slug))

    def get_in_corp(
        self, session: Session, corp_id: uuid.UUID, code_ids: Sequence[uuid.UUID]
    ) -> list[GroupCode]:
        stmt = select(GroupCode).where(GroupCode.corp_id == corp_id, GroupCode.id.in_(code_ids))
        return list(session.scalars(stmt))

    def list_corp(self, session: Session, corp_id: uuid.UUID) -> list[GroupCode]:
        return list(session.scalars(select(GroupCode).where(GroupCode.corp_id == corp_id)))

    def state_taken(self, session: Session, corp_id: uuid.UUID, state: str) -> bool:
        stmt = select(GroupCode.id).where(GroupCode.corp_id == corp_id, GroupCode.state == state)
        return session.scalar(stmt) is not None

    def lock(self, session: Session, code_id: uuid.UUID) -> GroupCode | None:
        """The code row, held until commit: rotations of one code happen one at a time (on
        SQLite the write transaction's BEGIN IMMEDIATE already serialises them)."""
        stmt = select(GroupCode).where(GroupCode.id == code_id).with_for_update()
        return session.scalar(stmt.execution_options(populate_existing=True))

    def add(self, session: Session, row: Any) -> None:
        session.add(row)
        session.flush()

    def delete(self, session: Session, row: Any) -> None:
        session.delete(row)
        session.flush()

    # -- pool ------------------------------------------------------------------------------

    def slots(self, session: Session, code_id: uuid.UUID) -> list[GroupCodeSlot]:
        stmt = select(GroupCodeSlot).where(GroupCodeSlot.code_id == code_id)
        return list(session.scalars(stmt.order_by(GroupCodeSlot.position, GroupCodeSlot.id)))

    def active_slots_of_chat(
        self, session: Session, corp_id: uuid.UUID, chat_id: str
    ) -> list[GroupCodeSlot]:
        stmt = select(GroupCodeSlot).where(
            GroupCodeSlot.corp_id == corp_id,
            GroupCodeSlot.chat_id == chat_id,
            GroupCodeSlot.status == SLOT_ACTIVE,
        )
        return list(session.scalars(stmt))

    def delete_slots(self, session: Session, slot_ids: Sequence[uuid.UUID]) -> None:
        if slot_ids:
            session.execute(delete(GroupCodeSlot).where(GroupCodeSlot.id.in_(slot_ids)))

    # -- joins -----------------------------------------------------------------------------

    def record_joins(self, session: Session, rows: Sequence[dict[str, Any]]) -> None:
        """Insert joins once per (code, chat, member): callbacks and snapshots both report them."""
        if rows:
            stmt = insert_ignoring_conflicts(
                session, GroupCodeJoin, None, conflict_columns=("code_id", "chat_id", "member_id")
            )
            session.execute(stmt, list(rows))

    def joins_by_state(
        self, session: Session, corp_id: uuid.UUID, states: Sequence[str], since: date
    ) -> dict[str, int]:
        stmt = (
            select(GroupCodeJoin.state, func.count(GroupCodeJoin.id))
            .where(
                GroupCodeJoin.corp_id == corp_id,
                GroupCodeJoin.state.in_(states),
                GroupCodeJoin.joined_on >= since,
            )
            .group_by(GroupCodeJoin.state)
        )
        return {state: int(count) for state, count in session.execute(stmt)}

    def joins_of_members(self, corp_id: uuid.UUID) -> Select[str, datetime]:
        return select(GroupCodeJoin.member_id, GroupCodeJoin.joined_at).where(
            GroupCodeJoin.corp_id == corp_id
        )

    def daily_joins(
        self, session: Session, code_id: uuid.UUID, since: date
    ) -> list[tuple[date, str, int]]:
        stmt = (
            select(GroupCodeJoin.joined_on, GroupCodeJoin.chat_id, func.count(GroupCodeJoin.id))
            .where(GroupCodeJoin.code_id == code_id, GroupCodeJoin.joined_on >= since)
            .group_by(GroupCodeJoin.joined_on, GroupCodeJoin.chat_id)
            .order_by(GroupCodeJoin.joined_on, GroupCodeJoin.chat_id)
        )
        return [(day, chat_id, int(n)) for day, chat_id, n in session.execute(stmt)]

    # -- routes and phones -----------------------------------------------------------------

    def routes(self, session: Session, code_id: uuid.UUID) -> list[GroupCodeRoute]:
        stmt = select(GroupCodeRoute).where(GroupCodeRoute.code_id == code_id)
        return list(session.scalars(stmt.order_by(GroupCodeRoute.position)))

    def replace_routes(
        self, session: Session, code_id: uuid.UUID, routes: Sequence[GroupCodeRoute]
    ) -> None:
        session.execute(delete(GroupCodeRoute).where(GroupCodeRoute.code_id == code_id))
        session.add_all(routes)
        session.flush()

    def add_phones(self, session: Session, code_id: uuid.UUID, phones: dict[str, str]) -> None:
        rows = [
            {"id": new_id(), "code_id": code_id, "phone": p, "name": n or None}
            for p, n in phones.items()
        ]
        if rows:
            stmt = insert_ignoring_conflicts(
                session, GroupCodePhone, None, conflict_columns=("code_id", "phone")
            )
            session.execute(stmt, rows)

    def phone_count(self, session: Session, code_id: uuid.UUID) -> int:
        stmt = select(func.count(GroupCodePhone.id)).where(GroupCodePhone.code_id == code_id)
        return int(session.scalar(stmt) or 0)

    def phone_listed(self, session: Session, code_id: uuid.UUID, phone: str) -> bool:
        stmt = select(GroupCodePhone.id).where(
            GroupCodePhone.code_id == code_id, GroupCodePhone.phone == phone
        )
        return session.scalar(stmt) is not None

    def clear_phones(self, session: Session, code_id: uuid.UUID) -> None:
        session.execute(delete(GroupCodePhone).where(GroupCodePhone.code_id == code_id))

    def challenges_since(
        self, session: Session, *, since: datetime, phone: str | None = None, ip: str | None = None
    ) -> int:
        stmt = select(func.count(PhoneChallenge.id)).where(PhoneChallenge.created_at >= since)
        if phone is not None:
            stmt = stmt.where(PhoneChallenge.phone == phone)
        if ip is not None:
            stmt = stmt.where(PhoneChallenge.ip == ip)
        return int(session.scalar(stmt) or 0)

    def latest_challenge(
        self, session: Session, code_id: uuid.UUID, phone: str
    ) -> PhoneChallenge | None:
        stmt = (
            select(PhoneChallenge)
            .where(PhoneChallenge.code_id == code_id, PhoneChallenge.phone == phone)
            .order_by(PhoneChallenge.created_at.desc(), PhoneChallenge.id.desc())
            .limit(1)
        )
        return session.scalar(stmt)


group_code_repository = GroupCodeRepository()
