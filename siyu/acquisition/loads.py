"""SQL for staff loads: friends, today's adds (any channel) and the members' caps.

Friends and adds are read from the follow relations the customers domain mirrors from WeCom
(like siyu/lost does), so the numbers are WeCom's, whatever channel a friend came through.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.customers.models import FollowRelation
from siyu.profile.stages import CN_TZ
from siyu.staff.models import DEFAULT_DAILY_ADD_CAP, DEFAULT_FRIEND_CAP, StaffMember
from siyu.staff.repository import userids_in_departments

ACTIVE_STATUS = 1


def day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), CN_TZ)
    return start, start + timedelta(days=1)


@dataclass(frozen=True)
class Member:
    userid: str
    name: str
    active: bool
    friend_cap: int
    daily_cap: int


class LoadQueries:
    def members(
        self,
        session: Session,
        corp_id: uuid.UUID,
        userids: Collection[str] | None = None,
        *,
        fill_defaults: bool = True,
    ) -> dict[str, Member]:
        """Staff by userid; with `fill_defaults`, a userid the directory lost gets defaults."""
        stmt = select(StaffMember).where(StaffMember.corp_id == corp_id)
        if userids is not None:
            stmt = stmt.where(StaffMember.userid.in_(list(userids)))
        found = {
            m.userid: Member(
                m.userid, m.name, m.status == ACTIVE_STATUS, m.friend_cap, m.daily_add_cap
            )
            for m in session.scalars(stmt)
        }
        for userid in (userids or ()) if fill_defaults else ():
            found.setdefault(
                userid, Member(userid, userid, True, DEFAULT_FRIEND_CAP, DEFAULT_DAILY_ADD_CAP)
            )
        return found

    def userids_in(
        self, session: Session, corp_id: uuid.UUID, dept_ids: Collection[int]
    ) -> list[str]:
        if not dept_ids:
            return []
        return sorted(set(session.scalars(userids_in_departments(corp_id, dept_ids))))

    def friends(
        self, session: Session, corp_id: uuid.UUID, userids: Collection[str] | None = None
    ) -> dict[str, int]:
        stmt = (
            select(FollowRelation.staff_userid, func.count(FollowRelation.id))
            .where(
                FollowRelation.corp_id == corp_id,
                FollowRelation.deleted_by_customer_at.is_(None),
                FollowRelation.deleted_by_staff_at.is_(None),
            )
            .group_by(FollowRelation.staff_userid)
        )
        if userids is not None:
            stmt = stmt.where(FollowRelation.staff_userid.in_(list(userids)))
        return {u: int(n) for u, n in session.execute(stmt)}

    def adds_on(
        self,
        session: Session,
        corp_id: uuid.UUID,
        day: date,
        userids: Collection[str] | None = None,
    ) -> dict[str, int]:
        start, end = day_bounds(day)
        stmt = (
            select(FollowRelation.staff_userid, func.count(FollowRelation.id))
            .where(
                FollowRelation.corp_id == corp_id,
                FollowRelation.added_at >= start,
                FollowRelation.added_at < end,
            )
            .group_by(FollowRelation.staff_userid)
        )
        if userids is not None:
            stmt = stmt.where(FollowRelation.staff_userid.in_(list(userids)))
        return {u: int(n) for u, n in session.execute(stmt)}


load_queries = LoadQueries()
