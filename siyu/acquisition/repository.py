"""SQL for channels, codes, welcome defaults and the rows the welcome path writes."""

from __future__ import annotations

import uuid
from collections.abc import Collection
from datetime import datetime
from typing import Any

from sqlalchemy import Table, bindparam, func, or_, select, update
from sqlalchemy.orm import Session

from siyu.acquisition.models import Channel, CodeAdd, LiveCode, WelcomeDefault, WelcomeSend
from siyu.db.dialect import insert_ignoring_conflicts
from siyu.kit.ids import new_id, new_ids


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

    def welcome_defaults_of(
        self, session: Session, corp_id: uuid.UUID, staff_userids: Collection[str]
    ) -> dict[str, WelcomeDefault]:
        """The defaults of these staff members ("" is the corp's own), by staff userid."""
        stmt = select(WelcomeDefault).where(
            WelcomeDefault.corp_id == corp_id,
            WelcomeDefault.staff_userid.in_(list(staff_userids)),
        )
        return {row.staff_userid: row for row in session.scalars(stmt)}

    def welcome_defaults(self, session: Session, corp_id: uuid.UUID) -> list[WelcomeDefault]:
        stmt = select(WelcomeDefault).where(WelcomeDefault.corp_id == corp_id)
        return list(session.scalars(stmt.order_by(WelcomeDefault.staff_userid)))

    def has_welcome_sources(self, session: Session, corp_id: uuid.UUID) -> bool:
        """Whether anything could welcome this corp's adds: an enabled code (most carry a
        welcome; the planner decides) or any default."""
        codes = select(LiveCode.id).where(LiveCode.corp_id == corp_id, LiveCode.enabled)
        defaults = select(WelcomeDefault.staff_userid).where(WelcomeDefault.corp_id == corp_id)
        return bool(session.scalar(select(or_(codes.exists(), defaults.exists()))))

    # -- the welcome path --------------------------------------------------------------------
    def claim_welcomes(self, session: Session, rows: list[dict[str, Any]]) -> set[str]:
        """Insert the claims for several WelcomeCodes in one statement, executed many (compiled
        once whatever the batch's size); the codes this call claimed (a code someone already
        holds is left out). Every row has the same keys."""
        if not rows:
            return set()
        stmt = insert_ignoring_conflicts(
            session, WelcomeSend, None, conflict_columns=["corp_id", "welcome_code"]
        ).returning(WelcomeSend.welcome_code)
        params = [{"id": id_, **row} for id_, row in zip(new_ids(len(rows)), rows, strict=True)]
        return set(session.scalars(stmt, params))

    def finish_welcomes(
        self, session: Session, corp_id: uuid.UUID, outcomes: list[dict[str, Any]]
    ) -> None:
        """Record what WeCom answered for several claims (each dict: `welcome_code` and the
        same columns as the others): one statement, executed many."""
        if not outcomes:
            return
        table: Table = WelcomeSend.__table__  # type: ignore[assignment]
        columns = [name for name in outcomes[0] if name != "welcome_code"]
        stmt = (
            table.update()
            .where(
                table.c.corp_id == bindparam("b_corp_id"),
                table.c.welcome_code == bindparam("b_welcome_code"),
            )
            .values({name: bindparam(f"b_{name}") for name in columns})
        )
        params = [
            {"b_corp_id": corp_id, **{f"b_{name}": value for name, value in row.items()}}
            for row in outcomes
        ]
        session.connection().execute(stmt, params)

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

    def claimed_welcome_codes(
        self, session: Session, corp_id: uuid.UUID, welcome_codes: Collection[str]
    ) -> set[str]:
        """Which of these WelcomeCodes already have a claim."""
        if not welcome_codes:
            return set()
        stmt = select(WelcomeSend.welcome_code).where(
            WelcomeSend.corp_id == corp_id, WelcomeSend.welcome_code.in_(list(welcome_codes))
        )
        return set(session.scalars(stmt))

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
