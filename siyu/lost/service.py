"""Lost customers: who deleted whom and when, listed and counted per day, staff and team.

A relation is lost when the customer deleted the staff member (`deleted_by_customer_at`) or the
staff member deleted the customer (`deleted_by_staff_at`); when both happened the customer's
deletion is the one reported. Days are China calendar days, like the stage counts.
"""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import literal, select
from sqlalchemy.orm import Session

from siyu.auth.scope import DataScope
from siyu.kit.errors import BadRequest
from siyu.kit.pagination import decode_time_id_cursor, encode_time_id_cursor
from siyu.lost.models import LostAlertSetting
from siyu.lost.repository import LostFilter
from siyu.lost.repository import lost_repository as repo
from siyu.lost.schemas import LostAlertSettingsUpdate, LostCustomer, LostDailyCount
from siyu.profile.stages import CN_TZ, day_of
from siyu.staff.repository import departments, staff_members, userids_in_departments

MAX_RANGE_DAYS = 366


def day_bounds(since: date, until: date) -> tuple[datetime, datetime]:
    """[start of `since`, start of the day after `until`) in China time."""
    if until < since:
        raise BadRequest("until is before since")
    if (until - since).days > MAX_RANGE_DAYS:
        raise BadRequest(f"the range is longer than {MAX_RANGE_DAYS} days")
    start = datetime.combine(since, time.min, CN_TZ)
    return start, datetime.combine(until + timedelta(days=1), time.min, CN_TZ)


class LostService:
    def _owners(
        self, session: Session, scope: DataScope, staff_userid: str | None, department: int | None
    ) -> Any | None:
        if staff_userid is not None and department is not None:
            raise BadRequest("give staff_userid or department_id, not both")
        if staff_userid is not None:
            return select(literal(staff_userid))
        if department is not None:
            ids = departments.with_descendants(session, scope.corp_id, {department})
            return userids_in_departments(scope.corp_id, ids)
        return None

    def page(
        self,
        session: Session,
        *,
        scope: DataScope,
        since: date,
        until: date,
        deleted_by: str | None = None,
        staff_userid: str | None = None,
        department_id: int | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> tuple[list[LostCustomer], str | None]:
        start, end = day_bounds(since, until)
        owners = self._owners(session, scope, staff_userid, department_id)
        lost = LostFilter(scope, start, end, deleted_by, owners)
        rows = repo.page(session, lost, after=decode_time_id_cursor(cursor), limit=limit + 1)
        items = []
        for relation, customer in rows[:limit]:
            by_customer = relation.deleted_by_customer_at is not None
            deleted_at = relation.deleted_by_customer_at or relation.deleted_by_staff_at
            assert deleted_at is not None
            items.append(
                LostCustomer(
                    id=relation.id,
                    customer_id=customer.id,
                    customer_name=customer.name,
                    external_userid=customer.external_userid,
                    staff_userid=relation.staff_userid,
                    deleted_by="customer" if by_customer else "staff",
                    deleted_at=deleted_at,
                    delete_source=relation.delete_source,
                    state=relation.state,
                )
            )
        next_cursor = None
        if len(rows) > limit:
            next_cursor = encode_time_id_cursor(items[-1].deleted_at, items[-1].id)
        return items, next_cursor

    def daily(
        self,
        session: Session,
        *,
        scope: DataScope,
        since: date,
        until: date,
        group_by: str = "staff",
        deleted_by: str | None = None,
        department_id: int | None = None,
    ) -> list[LostDailyCount]:
        """Counts per day and staff member, or per day and department (a member in several
        departments counts in each; a member in none counts under "0")."""
        start, end = day_bounds(since, until)
        counts: Counter[tuple[date, str, str]] = Counter()
        owners = self._owners(session, scope, None, department_id)
        teams: dict[str, list[int]] = {}
        lost = LostFilter(scope, start, end, deleted_by, owners)
        for userid, by_customer, by_staff in repo.moments(session, lost):
            at = by_customer or by_staff
            assert at is not None
            who = "customer" if by_customer is not None else "staff"
            if group_by == "staff":
                counts[(day_of(at), userid, who)] += 1
                continue
            if userid not in teams:
                teams[userid] = staff_members.wecom_department_ids_of_userid(
                    session, scope.corp_id, userid
                ) or [0]
            for team in teams[userid]:
                counts[(day_of(at), str(team), who)] += 1
        return [
            LostDailyCount(day=d, group=g, deleted_by=w, count=n)
            for (d, g, w), n in sorted(counts.items())
        ]

    # -- alert settings ------------------------------------------------------------------------
    def settings(self, session: Session, *, corp_id: uuid.UUID) -> LostAlertSetting:
        row = repo.settings(session, corp_id)
        return (
            row
            if row is not None
            else LostAlertSetting(
                corp_id=corp_id,
                enabled=False,
                agent_id=None,
                notify_managers=True,
                batch_minutes=10,
            )
        )

    def update_settings(
        self, session: Session, *, corp_id: uuid.UUID, data: LostAlertSettingsUpdate
    ) -> LostAlertSetting:
        from siyu.audit.service import audit_service

        row = repo.settings(session, corp_id)
        if row is None:
            row = self.settings(session, corp_id=corp_id)
            session.add(row)
        changes = data.model_dump(exclude_unset=True)
        for name, value in changes.items():
            if value is not None or name == "agent_id":
                setattr(row, name, value)
        session.flush()
        audit_service.record(
            session,
            action="lost_alerts.update",
            target_type="corp",
            target_id=corp_id,
            details=changes,
        )
        return row


lost_service = LostService()
