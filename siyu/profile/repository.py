"""SQL for field definitions and values, stages, stage moves and the daily stage counts."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import date
from typing import Any

from sqlalchemy import delete, func, insert, literal, select
from sqlalchemy.orm import Session

from siyu.customers.models import Customer, FollowRelation
from siyu.db.dialect import upsert
from siyu.profile.models import (
    CustomerField,
    CustomerFieldValue,
    SalesStage,
    StageDailyCount,
    StageMove,
)


class ProfileRepository:
    # -- fields --------------------------------------------------------------------------------
    def fields(self, session: Session, corp_id: uuid.UUID) -> list[CustomerField]:
        stmt = select(CustomerField).where(CustomerField.corp_id == corp_id)
        return list(session.scalars(stmt.order_by(CustomerField.position, CustomerField.key)))

    def field(
        self, session: Session, corp_id: uuid.UUID, field_id: uuid.UUID
    ) -> CustomerField | None:
        row = session.get(CustomerField, field_id)
        return row if row is not None and row.corp_id == corp_id else None

    def field_by_key(self, session: Session, corp_id: uuid.UUID, key: str) -> CustomerField | None:
        return session.scalar(
            select(CustomerField).where(CustomerField.corp_id == corp_id, CustomerField.key == key)
        )

    def values_of(self, session: Session, customer_id: uuid.UUID) -> list[CustomerFieldValue]:
        stmt = select(CustomerFieldValue).where(CustomerFieldValue.customer_id == customer_id)
        return list(
            session.scalars(
                stmt.order_by(CustomerFieldValue.field_id, CustomerFieldValue.value_text)
            )
        )

    def replace_values(
        self,
        session: Session,
        *,
        corp_id: uuid.UUID,
        customer_id: uuid.UUID,
        field_id: uuid.UUID,
        rows: Sequence[Mapping[str, Any]],
    ) -> None:
        """A field's value is replaced whole (a multi select is a set of rows)."""
        session.execute(
            delete(CustomerFieldValue).where(
                CustomerFieldValue.customer_id == customer_id,
                CustomerFieldValue.field_id == field_id,
            )
        )
        for row in rows:
            session.add(
                CustomerFieldValue(
                    corp_id=corp_id, customer_id=customer_id, field_id=field_id, **row
                )
            )
        session.flush()

    def drop_option_values(
        self, session: Session, field_id: uuid.UUID, keys: Sequence[str]
    ) -> None:
        """Options removed from a select field take their chosen values with them."""
        if keys:
            session.execute(
                delete(CustomerFieldValue).where(
                    CustomerFieldValue.field_id == field_id,
                    CustomerFieldValue.value_text.in_(list(keys)),
                )
            )

    # -- stages --------------------------------------------------------------------------------
    def stages(self, session: Session, corp_id: uuid.UUID) -> list[SalesStage]:
        stmt = select(SalesStage).where(SalesStage.corp_id == corp_id)
        return list(session.scalars(stmt.order_by(SalesStage.position, SalesStage.key)))

    def stage(self, session: Session, corp_id: uuid.UUID, stage_id: uuid.UUID) -> SalesStage | None:
        row = session.get(SalesStage, stage_id)
        return row if row is not None and row.corp_id == corp_id else None

    def stage_by_key(self, session: Session, corp_id: uuid.UUID, key: str) -> SalesStage | None:
        return session.scalar(
            select(SalesStage).where(SalesStage.corp_id == corp_id, SalesStage.key == key)
        )

    def add_move(self, session: Session, move: StageMove) -> StageMove:
        session.add(move)
        session.flush()
        return move

    def bump_counts(
        self,
        session: Session,
        *,
        corp_id: uuid.UUID,
        day: date,
        changes: Mapping[tuple[uuid.UUID, str], tuple[int, int]],
    ) -> None:
        """Add (customers, entered) deltas to the day's rows, creating them at zero."""
        if not changes:
            return
        table = StageDailyCount.__table__
        stmt = upsert(
            session,
            StageDailyCount,
            conflict_columns=["corp_id", "day", "stage_id", "staff_userid"],
            update=lambda excluded: {
                "customers": table.c.customers + excluded.customers,
                "entered": table.c.entered + excluded.entered,
            },
        )
        rows = [
            {
                "corp_id": corp_id,
                "day": day,
                "stage_id": stage_id,
                "staff_userid": staff,
                "customers": delta[0],
                "entered": delta[1],
            }
            for (stage_id, staff), delta in sorted(
                changes.items(), key=lambda i: (str(i[0][0]), i[0][1])
            )
        ]
        session.execute(stmt, rows)

    def snapshot_counts(self, session: Session, *, corp_id: uuid.UUID, day: date) -> int:
        """Rewrite the day's customer counts from the tables (moves into a stage are kept).

        One grouped scan of the corp's staged customers joined to their active relations;
        it reads the customers domain's tables because the count is defined on them.
        """
        counted = (
            select(
                Customer.stage_id,
                FollowRelation.staff_userid,
                func.count(func.distinct(Customer.id)).label("n"),
            )
            .join(FollowRelation, FollowRelation.customer_id == Customer.id)
            .where(
                Customer.corp_id == corp_id,
                Customer.stage_id.is_not(None),
                FollowRelation.deleted_by_staff_at.is_(None),
                FollowRelation.deleted_by_customer_at.is_(None),
            )
            .group_by(Customer.stage_id, FollowRelation.staff_userid)
        )
        fresh = {(s, u): int(n) for s, u, n in session.execute(counted)}
        existing = {
            (r.stage_id, r.staff_userid): r
            for r in session.scalars(
                select(StageDailyCount).where(
                    StageDailyCount.corp_id == corp_id, StageDailyCount.day == day
                )
            )
        }
        for key, row in existing.items():
            row.customers = fresh.pop(key, 0)
        if fresh:
            session.execute(
                insert(StageDailyCount),
                [
                    {
                        "corp_id": corp_id,
                        "day": day,
                        "stage_id": s,
                        "staff_userid": u,
                        "customers": n,
                        "entered": 0,
                    }
                    for (s, u), n in fresh.items()
                ],
            )
        session.flush()
        return len(existing) + len(fresh)

    def counts(
        self,
        session: Session,
        *,
        corp_id: uuid.UUID,
        since: date,
        until: date,
        owner_condition: Any,
        staff_userid: str | None,
        per_staff: bool,
    ) -> list[tuple[date, uuid.UUID, str, int, int]]:
        """(day, stage, staff, customers, entered) rows; with `per_staff=False` summed over the
        staff in scope (staff ""), which is what a chart of the whole team draws."""
        c = StageDailyCount
        where = [c.corp_id == corp_id, c.day >= since, c.day <= until, owner_condition]
        if staff_userid is not None:
            where.append(c.staff_userid == staff_userid)
        if per_staff:
            # Sorted here, not by ORDER BY: asked to sort by day, SQLite walks the primary key
            # over the whole range even when one staff member's index would read 1/200 of it.
            stmt = select(c.day, c.stage_id, c.staff_userid, c.customers, c.entered).where(*where)
            rows = sorted(session.execute(stmt), key=lambda r: (r[0], str(r[1]), r[2]))
            return [(d, s, u, int(n), int(e)) for d, s, u, n, e in rows]
        else:
            stmt = (
                select(c.day, c.stage_id, literal(""), func.sum(c.customers), func.sum(c.entered))
                .where(*where)
                .group_by(c.day, c.stage_id)
                .order_by(c.day, c.stage_id)
            )
        return [(d, s, u, int(n), int(e)) for d, s, u, n, e in session.execute(stmt)]

    def corps_with_stages(self, session: Session) -> list[uuid.UUID]:
        return list(session.scalars(select(SalesStage.corp_id).distinct()))


profile_repository = ProfileRepository()
