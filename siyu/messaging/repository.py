"""SQL of the messaging domain: campaigns, tasks, recipient rows and the counts over them."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Table, bindparam, exists, func, insert, select, update
from sqlalchemy.orm import Session

from siyu.auth.scope import DataScope
from siyu.db.dialect import insert_ignoring_conflicts, refresh_statistics, upsert
from siyu.messaging.models import (
    MassCampaign,
    MassOptOut,
    MassRecipient,
    MassSettings,
    MassTask,
    StaffMassMessage,
    StaffMassReceipt,
)

R: Table = MassRecipient.__table__  # type: ignore[assignment]
# Results that mean the message never reached the person: their quota slot is given back.
RELEASED = ("not_friend", "got_other", "unsent", "failed", "cancelled")


class CampaignRepository:
    def add(self, session: Session, campaign: MassCampaign) -> MassCampaign:
        session.add(campaign)
        session.flush()
        return campaign

    def _visible(self, scope: DataScope) -> ColumnElement[bool]:
        """A scoped member sees the campaigns that have a task of someone in their scope."""
        owned = exists().where(
            MassTask.campaign_id == MassCampaign.id,
            scope.condition(corp_column=MassTask.corp_id, owner_column=MassTask.staff_userid),
        )
        return MassCampaign.corp_id == scope.corp_id if scope.kind.value == "all" else owned

    def get(
        self, session: Session, scope: DataScope, campaign_id: uuid.UUID
    ) -> MassCampaign | None:
        return session.scalar(
            select(MassCampaign).where(
                MassCampaign.corp_id == scope.corp_id,
                MassCampaign.id == campaign_id,
                self._visible(scope),
            )
        )

    def lock(self, session: Session, campaign_id: uuid.UUID) -> MassCampaign | None:
        stmt = select(MassCampaign).where(MassCampaign.id == campaign_id).with_for_update()
        return session.scalar(stmt.execution_options(populate_existing=True))

    def page(
        self, session: Session, scope: DataScope, *, before_id: uuid.UUID | None, limit: int
    ) -> list[MassCampaign]:
        stmt = select(MassCampaign).where(
            MassCampaign.corp_id == scope.corp_id, self._visible(scope)
        )
        if before_id is not None:
            stmt = stmt.where(MassCampaign.id < before_id)
        return list(session.scalars(stmt.order_by(MassCampaign.id.desc()).limit(limit)))

    def due(self, session: Session, now: datetime, limit: int = 100) -> list[uuid.UUID]:
        stmt = (
            select(MassCampaign.id)
            .where(MassCampaign.status == "scheduled", MassCampaign.due_at <= now)
            .limit(limit)
        )
        return list(session.scalars(stmt))

    def tracking(self, session: Session, limit: int = 100) -> list[uuid.UUID]:
        stmt = (
            select(MassCampaign.id)
            .where(MassCampaign.status.in_(("sending", "sent")))
            .order_by(MassCampaign.id)
            .limit(limit)
        )
        return list(session.scalars(stmt))

    def settings(self, session: Session, corp_id: uuid.UUID) -> MassSettings | None:
        return session.get(MassSettings, corp_id)

    def opt_out(self, session: Session, corp_id: uuid.UUID, ids: Sequence[uuid.UUID]) -> None:
        known = set(
            session.scalars(
                select(MassOptOut.customer_id).where(
                    MassOptOut.corp_id == corp_id, MassOptOut.customer_id.in_(list(ids))
                )
            )
        )
        for customer_id in dict.fromkeys(ids):
            if customer_id not in known:
                session.add(MassOptOut(corp_id=corp_id, customer_id=customer_id))
        session.flush()


class TaskRepository:
    def insert_many(self, session: Session, rows: Sequence[dict[str, Any]]) -> None:
        """Task rows in one executemany (thousands per campaign at 1M people)."""
        if rows:
            session.execute(insert(MassTask), list(rows))

    def lock(self, session: Session, task_id: uuid.UUID) -> MassTask | None:
        stmt = select(MassTask).where(MassTask.id == task_id).with_for_update()
        return session.scalar(stmt.execution_options(populate_existing=True))

    def of_campaign(
        self, session: Session, campaign_id: uuid.UUID, scope: DataScope | None = None
    ) -> list[MassTask]:
        stmt = select(MassTask).where(MassTask.campaign_id == campaign_id)
        if scope is not None:
            stmt = stmt.where(
                scope.condition(corp_column=MassTask.corp_id, owner_column=MassTask.staff_userid)
            )
        return list(session.scalars(stmt.order_by(MassTask.staff_userid, MassTask.chunk)))

    def next_chunk(self, session: Session, task: MassTask) -> MassTask | None:
        return session.scalar(
            select(MassTask).where(
                MassTask.campaign_id == task.campaign_id,
                MassTask.staff_userid == task.staff_userid,
                MassTask.chunk == task.chunk + 1,
            )
        )

    def known_msgids(self, session: Session, corp_id: uuid.UUID) -> set[str]:
        stmt = select(MassTask.msgid).where(
            MassTask.corp_id == corp_id, MassTask.msgid.is_not(None)
        )
        return {m for m in session.scalars(stmt) if m}

    def pending_count(self, session: Session, campaign_id: uuid.UUID) -> int:
        stmt = select(func.count()).where(
            MassTask.campaign_id == campaign_id, MassTask.status == "pending"
        )
        return int(session.scalar(stmt) or 0)


class RecipientRepository:
    def refresh_statistics(self, session: Session) -> None:
        refresh_statistics(session, MassRecipient.__tablename__)

    def targets(self, session: Session, task: MassTask) -> list[str]:
        """The chunk's external_userids (or chat ids) in planning order."""
        stmt = select(func.coalesce(R.c.external_userid, R.c.chat_id)).where(
            R.c.campaign_id == task.campaign_id,
            R.c.staff_userid == task.staff_userid,
            R.c.chunk == task.chunk,
        )
        return [str(t) for t in session.scalars(stmt.order_by(R.c.id))]

    def set_status(
        self,
        session: Session,
        task: MassTask,
        status: str,
        *,
        only: Sequence[str] | None = None,
        where_status: Sequence[str] | None = None,
    ) -> None:
        """Set the status of the chunk's rows (`only`: those targets); released rows stop
        counting against the quota."""
        stmt = update(R).where(
            R.c.campaign_id == task.campaign_id,
            R.c.staff_userid == task.staff_userid,
            R.c.chunk == task.chunk,
        )
        if only is not None:
            target = func.coalesce(R.c.external_userid, R.c.chat_id)
            stmt = stmt.where(target.in_(list(only)))
        if where_status is not None:
            stmt = stmt.where(R.c.status.in_(list(where_status)))
        values: dict[str, Any] = {"status": status}
        if status in RELEASED:
            values["counted_at"] = None
        session.execute(stmt.values(**values))

    def apply_results(
        self, session: Session, task: MassTask, rows: Sequence[dict[str, Any]]
    ) -> None:
        """WeCom's per-target results (target, status, sent_at) in one executemany."""
        if not rows:
            return
        target = func.coalesce(R.c.external_userid, R.c.chat_id)
        stmt = (
            update(R)
            .where(
                R.c.campaign_id == task.campaign_id,
                R.c.staff_userid == task.staff_userid,
                R.c.chunk == task.chunk,
                target == bindparam("b_target"),
            )
            .values(
                status=bindparam("b_status"),
                sent_at=bindparam("b_sent_at"),
                counted_at=bindparam("b_counted_at"),
            )
        )
        session.connection().execute(stmt, list(rows))

    def page(
        self,
        session: Session,
        campaign_id: uuid.UUID,
        scope: DataScope,
        *,
        status: str | None,
        reason: str | None,
        after: int | None,
        limit: int,
    ) -> list[Any]:
        stmt = select(R).where(R.c.campaign_id == campaign_id)
        if scope.kind.value != "all":
            stmt = stmt.where(
                scope.condition(corp_column=R.c.corp_id, owner_column=R.c.staff_userid)
            )
        if status is not None:
            stmt = stmt.where(R.c.status == status)
        if reason is not None:
            stmt = stmt.where(R.c.reason == reason)
        if after is not None:
            stmt = stmt.where(R.c.id > after)
        return list(session.execute(stmt.order_by(R.c.id).limit(limit)))

    def counts(
        self, session: Session, campaign_id: uuid.UUID, scope: DataScope
    ) -> list[tuple[str | None, str, str | None, int]]:
        """(staff_userid, status, reason, n) over the campaign's rows in scope."""
        stmt = select(R.c.staff_userid, R.c.status, R.c.reason, func.count()).where(
            R.c.campaign_id == campaign_id
        )
        if scope.kind.value != "all":
            stmt = stmt.where(
                scope.condition(corp_column=R.c.corp_id, owner_column=R.c.staff_userid)
            )
        stmt = stmt.group_by(R.c.staff_userid, R.c.status, R.c.reason)
        return [(s, st, r, int(n)) for s, st, r, n in session.execute(stmt)]

    def deletions_after_delivery(
        self, session: Session, campaign_id: uuid.UUID, deleted: Any
    ) -> list[tuple[str, datetime, datetime]]:
        """(staff_userid, sent_at, deleted_at) of delivered rows whose customer later deleted the
        sending staff member (`deleted`: a select of relations the customer ended)."""
        d = deleted.subquery("d")
        stmt = (
            select(R.c.staff_userid, R.c.sent_at, d.c.deleted_at)
            .join(
                d,
                (d.c.staff_userid == R.c.staff_userid)
                & (d.c.external_userid == R.c.external_userid),
            )
            .where(
                R.c.campaign_id == campaign_id,
                R.c.status == "delivered",
                d.c.deleted_at >= R.c.sent_at,
            )
        )
        return [(str(s), a, b) for s, a, b in session.execute(stmt)]

    def first_delivery(self, session: Session, campaign_id: uuid.UUID) -> datetime | None:
        stmt = select(func.min(R.c.sent_at)).where(
            R.c.campaign_id == campaign_id, R.c.status == "delivered"
        )
        value = session.scalar(stmt)
        return value if isinstance(value, datetime) or value is None else None

    def release_open(self, session: Session, campaign_id: uuid.UUID, status: str) -> None:
        """Rows still waiting (planned or sent) end as `status` and stop counting."""
        session.execute(
            update(R)
            .where(R.c.campaign_id == campaign_id, R.c.status.in_(("planned", "sent")))
            .values(status=status, counted_at=None)
        )


campaigns = CampaignRepository()
tasks = TaskRepository()
recipients = RecipientRepository()


class StaffSendRepository:
    """The staff's own mass messages imported from WeCom and the receipts they left."""

    def pending_msgids(
        self, session: Session, corp_id: uuid.UUID, msgids: Sequence[str]
    ) -> set[str]:
        """Those of `msgids` not fully imported yet (unknown, or a task still unsent)."""
        done = select(StaffMassMessage.msgid).where(
            StaffMassMessage.corp_id == corp_id,
            StaffMassMessage.msgid.in_(list(msgids)),
            StaffMassMessage.imported_at.is_not(None),
        )
        return set(msgids) - set(session.scalars(done))

    def upsert_message(self, session: Session, row: dict[str, Any]) -> None:
        stmt = upsert(
            session, StaffMassMessage, conflict_columns=("corp_id", "msgid"),
            update=lambda excluded: {"imported_at": excluded.imported_at},
        )  # fmt: skip
        session.execute(stmt, [row])

    def add_receipts(self, session: Session, rows: Sequence[dict[str, Any]]) -> None:
        """Receipts keyed by (msgid, sender, target): importing one twice writes it once."""
        if rows:
            session.execute(
                insert_ignoring_conflicts(
                    session, StaffMassReceipt, None,
                    conflict_columns=("corp_id", "msgid", "staff_userid", "target"),
                ),
                list(rows),
            )  # fmt: skip

    def receipts(self, session: Session, corp_id: uuid.UUID) -> list[StaffMassReceipt]:
        stmt = select(StaffMassReceipt).where(StaffMassReceipt.corp_id == corp_id)
        return list(session.scalars(stmt.order_by(StaffMassReceipt.id)))


staff_sends = StaffSendRepository()
