"""SQL for lost relations (read from follow_relations) and the alert rows."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, func, or_, select, update
from sqlalchemy.orm import Session

from siyu.auth.scope import DataScope
from siyu.customers.models import Customer, FollowRelation
from siyu.db.dialect import insert_ignoring_conflicts
from siyu.lost.models import LostAlert, LostAlertSetting

# del_external_contact's Source when an in-service transfer (not the member) ended the relation.
TRANSFER_SOURCE = "DELETE_BY_TRANSFER"
# When the relation ended: the customer's deletion wins (it is what "lost" means).
LOST_AT = func.coalesce(FollowRelation.deleted_by_customer_at, FollowRelation.deleted_by_staff_at)


def _window(since: datetime, until: datetime, deleted_by: str | None) -> ColumnElement[bool]:
    by_customer = and_(
        FollowRelation.deleted_by_customer_at >= since,
        FollowRelation.deleted_by_customer_at < until,
    )
    by_staff = and_(
        FollowRelation.deleted_by_customer_at.is_(None),
        FollowRelation.deleted_by_staff_at >= since,
        FollowRelation.deleted_by_staff_at < until,
    )
    if deleted_by == "customer":
        return by_customer
    if deleted_by == "staff":
        return by_staff
    return or_(by_customer, by_staff)


@dataclass(frozen=True)
class LostFilter:
    """Which losses: inside the scope, ended in [since, until), by whom, by which owners
    (`owners`: an optional userid subquery, for a staff member or a team)."""

    scope: DataScope
    since: datetime
    until: datetime
    deleted_by: str | None = None
    owners: Any | None = None

    def conditions(self) -> list[ColumnElement[bool]]:
        where = [
            self.scope.condition(
                corp_column=FollowRelation.corp_id, owner_column=FollowRelation.staff_userid
            ),
            _window(self.since, self.until, self.deleted_by),
        ]
        if self.owners is not None:
            where.append(FollowRelation.staff_userid.in_(self.owners))
        return where


class LostRepository:
    def page(
        self,
        session: Session,
        lost: LostFilter,
        *,
        after: tuple[datetime, uuid.UUID] | None,
        limit: int,
    ) -> list[tuple[FollowRelation, Customer]]:
        """Newest loss first."""
        stmt = (
            select(FollowRelation, Customer)
            .join(Customer, Customer.id == FollowRelation.customer_id)
            .where(*lost.conditions())
        )
        if after is not None:
            at, last = after
            stmt = stmt.where(or_(LOST_AT < at, and_(LOST_AT == at, FollowRelation.id < last)))
        stmt = stmt.order_by(LOST_AT.desc(), FollowRelation.id.desc()).limit(limit)
        return [(r, c) for r, c in session.execute(stmt)]

    def moments(
        self, session: Session, lost: LostFilter
    ) -> Iterator[tuple[str, datetime | None, datetime | None]]:
        """(staff userid, deleted by customer at, deleted by staff at) of every loss, streamed
        for the daily counts (days are local calendar days, bucketed by the service)."""
        stmt = select(
            FollowRelation.staff_userid,
            FollowRelation.deleted_by_customer_at,
            FollowRelation.deleted_by_staff_at,
        ).where(*lost.conditions())
        for row in session.execute(stmt.execution_options(yield_per=2000)):
            yield row[0], row[1], row[2]

    def lost_since(
        self, session: Session, *, corp_id: uuid.UUID, relation_ids: Sequence[uuid.UUID]
    ) -> list[FollowRelation]:
        """The relations among `relation_ids` that the customer ended."""
        return self._ended(
            session, corp_id, relation_ids, FollowRelation.deleted_by_customer_at.is_not(None)
        )

    def removed_since(
        self, session: Session, *, corp_id: uuid.UUID, relation_ids: Sequence[uuid.UUID]
    ) -> list[FollowRelation]:
        """The relations among `relation_ids` that the staff member ended, the customer had
        not ended first, and no transfer ended (WeCom's Source DELETE_BY_TRANSFER)."""
        return self._ended(
            session,
            corp_id,
            relation_ids,
            FollowRelation.deleted_by_staff_at.is_not(None),
            FollowRelation.deleted_by_customer_at.is_(None),
            func.coalesce(FollowRelation.delete_source, "") != TRANSFER_SOURCE,
        )

    def _ended(
        self,
        session: Session,
        corp_id: uuid.UUID,
        relation_ids: Sequence[uuid.UUID],
        *conditions: ColumnElement[bool],
    ) -> list[FollowRelation]:
        if not relation_ids:
            return []
        stmt = select(FollowRelation).where(
            FollowRelation.corp_id == corp_id,
            FollowRelation.id.in_(list(relation_ids)),
            *conditions,
        )
        return list(session.scalars(stmt))

    # -- alerts --------------------------------------------------------------------------------
    def settings(self, session: Session, corp_id: uuid.UUID) -> LostAlertSetting | None:
        return session.get(LostAlertSetting, corp_id)

    def add_alerts(self, session: Session, rows: Sequence[Mapping[str, Any]]) -> list[str]:
        """Insert new alert rows; returns the batch keys of the rows actually inserted."""
        batches = []
        for row in rows:
            stmt = insert_ignoring_conflicts(
                session,
                LostAlert,
                dict(row),
                conflict_columns=["relation_id", "recipient_userid", "lost_at"],
            ).returning(LostAlert.id)
            if session.execute(stmt).first() is not None:
                batches.append(str(row["batch_key"]))
        return batches

    def unsent(self, session: Session, corp_id: uuid.UUID, batch_key: str) -> list[LostAlert]:
        stmt = select(LostAlert).where(
            LostAlert.corp_id == corp_id,
            LostAlert.batch_key == batch_key,
            LostAlert.sent_at.is_(None),
            LostAlert.error.is_(None),
        )
        return list(session.scalars(stmt.order_by(LostAlert.lost_at, LostAlert.id)))

    def stamp(
        self,
        session: Session,
        ids: Sequence[uuid.UUID],
        *,
        sent_at: datetime | None,
        msgid: str | None,
        error: str | None = None,
    ) -> None:
        session.execute(
            update(LostAlert)
            .where(LostAlert.id.in_(list(ids)))
            .values(sent_at=sent_at, msgid=msgid, error=error)
        )


lost_repository = LostRepository()
