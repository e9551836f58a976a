"""SQL for channels, codes, welcome defaults and the rows the welcome path writes."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from siyu.acquisition.models import Channel, CodeAdd, LiveCode, WelcomeDefault, WelcomeSend
from siyu.db.dialect import insert_ignoring_conflicts
from siyu.kit.ids import new_id


class AcquisitionRepository:
    # -- channels ----------------------------------------------------------------------------
    def channels(self, session: Session, corp_id: uuid.UUID) -> list[tuple[Channel, int]]:
        counts = (
            select(LiveCode.channel_id, func.count(LiveCode.id).label("n"))
            .where(LiveCode.corp_id == corp_id)
            .group_by(LiveCode.channel_id)
            .subquery()
        )
        stmt = (
            select(Channel, func.coalesce(counts.c.n, 0))
            .outerjoin(counts, counts.c.channel_id == Channel.id)
            .where(Channel.corp_id == corp_id)
            .order_by(Channel.created_at, Channel.id)
        )
        return [(c, int(n)) for c, n in session.execute(stmt)]

    def channel(
        self, session: Session, corp_id: uuid.UUID, channel_id: uuid.UUID
    ) -> Channel | None:
        row = session.get(Channel, channel_id)
        return row if row is not None and row.corp_id == corp_id else None

    def channel_named(self, session: Session, corp_id: uuid.UUID, name: str) -> Channel | None:
        stmt = select(Channel).where(Channel.corp_id == corp_id, Channel.name == name)
        return session.scalar(stmt)

    # -- codes -------------------------------------------------------------------------------
    def codes(
        self, session: Session, corp_id: uuid.UUID, *, channel_id: uuid.UUID | None = None
    ) -> list[LiveCode]:
        stmt = select(LiveCode).where(LiveCode.corp_id == corp_id)
        if channel_id is not None:
            stmt = stmt.where(LiveCode.channel_id == channel_id)
        return list(session.scalars(stmt.order_by(LiveCode.created_at, LiveCode.id)))

    def code(self, session: Session, corp_id: uuid.UUID, code_id: uuid.UUID) -> LiveCode | None:
        row = session.get(LiveCode, code_id)
        return row if row is not None and row.corp_id == corp_id else None

    def code_by_state(self, session: Session, corp_id: uuid.UUID, state: str) -> LiveCode | None:
        stmt = select(LiveCode).where(LiveCode.corp_id == corp_id, LiveCode.state == state)
        return session.scalar(stmt)

    def codes_with_ways(self, session: Session) -> list[tuple[uuid.UUID, uuid.UUID]]:
        """(corp_id, code_id) of every code WeCom holds a way for (the periodic re-route)."""
        stmt = select(LiveCode.corp_id, LiveCode.id).where(LiveCode.config_id.is_not(None))
        return [(c, i) for c, i in session.execute(stmt)]

    def set_way(self, session: Session, code_id: uuid.UUID, **values: Any) -> None:
        session.execute(update(LiveCode).where(LiveCode.id == code_id).values(**values))

    # -- welcome defaults --------------------------------------------------------------------
    def welcome_default(
        self, session: Session, corp_id: uuid.UUID, staff_userid: str
    ) -> WelcomeDefault | None:
        stmt = select(WelcomeDefault).where(
            WelcomeDefault.corp_id == corp_id, WelcomeDefault.staff_userid == staff_userid
        )
        return session.scalar(stmt)

    def welcome_defaults(self, session: Session, corp_id: uuid.UUID) -> list[WelcomeDefault]:
        stmt = select(WelcomeDefault).where(WelcomeDefault.corp_id == corp_id)
        return list(session.scalars(stmt.order_by(WelcomeDefault.staff_userid)))

    # -- the welcome path --------------------------------------------------------------------
    def claim_welcome(self, session: Session, values: dict[str, Any]) -> bool:
        """Insert the claim for one WelcomeCode; False when someone already holds it."""
        stmt = insert_ignoring_conflicts(
            session,
            WelcomeSend,
            {"id": new_id(), **values},
            conflict_columns=["corp_id", "welcome_code"],
        ).returning(WelcomeSend.id)
        return session.execute(stmt).first() is not None

    def finish_welcome(
        self, session: Session, corp_id: uuid.UUID, welcome_code: str, **values: Any
    ) -> None:
        session.execute(
            update(WelcomeSend)
            .where(WelcomeSend.corp_id == corp_id, WelcomeSend.welcome_code == welcome_code)
            .values(**values)
        )

    def settle_welcomes(self, session: Session, *, claimed_before: datetime) -> int:
        """Mark claims still `sending` since before `claimed_before` as `uncertain`."""
        result = session.execute(
            update(WelcomeSend)
            .where(WelcomeSend.status == "sending", WelcomeSend.created_at < claimed_before)
            .values(status="uncertain")
        )
        return int(getattr(result, "rowcount", 0) or 0)

    def welcome_of(
        self, session: Session, corp_id: uuid.UUID, welcome_code: str
    ) -> WelcomeSend | None:
        stmt = select(WelcomeSend).where(
            WelcomeSend.corp_id == corp_id, WelcomeSend.welcome_code == welcome_code
        )
        return session.scalar(stmt)

    def record_add(self, session: Session, values: dict[str, Any]) -> bool:
        stmt = insert_ignoring_conflicts(
            session,
            CodeAdd,
            {"id": new_id(), **values},
            conflict_columns=["corp_id", "code_id", "staff_userid", "external_userid"],
        ).returning(CodeAdd.id)
        return session.execute(stmt).first() is not None

    def code_adds_on(
        self, session: Session, code_id: uuid.UUID, day: Any, userids: Collection[str]
    ) -> dict[str, int]:
        stmt = (
            select(CodeAdd.staff_userid, func.count(CodeAdd.id))
            .where(CodeAdd.code_id == code_id, CodeAdd.day == day)
            .group_by(CodeAdd.staff_userid)
        )
        if userids:
            stmt = stmt.where(CodeAdd.staff_userid.in_(list(userids)))
        return {u: int(n) for u, n in session.execute(stmt)}


acquisition_repository = AcquisitionRepository()
