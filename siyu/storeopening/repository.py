"""Read-only queries for pacing and checking the scenario.

They read several domains' tables on purpose: the scenario is an end-to-end check of what
those domains wrote, so it looks at the rows themselves rather than at each domain's view."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from siyu.acquisition.models import CodeAdd, WelcomeSend
from siyu.customers.models import FollowRelation
from siyu.groupcodes.models import GroupCodeJoin
from siyu.groups.models import CustomerGroup
from siyu.inbox.models import InboxEvent, InboxStatus
from siyu.jobs.models import JobRun, JobStatus
from siyu.staff.models import StaffMember


def backlog(session: Session, corp_id: uuid.UUID, now: datetime) -> int:
    """Callbacks not yet handled plus jobs due or running: zero means Siyu has caught up."""
    unhandled = session.scalar(
        select(func.count(InboxEvent.id)).where(
            InboxEvent.corp_id == corp_id,
            InboxEvent.status.in_((InboxStatus.pending, InboxStatus.failed)),
        )
    )
    jobs = session.scalar(
        select(func.count(JobRun.id)).where(
            JobRun.corp_id == corp_id,
            or_(
                JobRun.status == JobStatus.running,
                (JobRun.status == JobStatus.pending) & (JobRun.available_at <= now),
            ),
        )
    )
    return int(unhandled or 0) + int(jobs or 0)


def code_adds(
    session: Session, code_ids: Sequence[uuid.UUID]
) -> list[tuple[uuid.UUID, str, str, datetime]]:
    """(code, staff, customer, added_at) of every add through the codes."""
    rows = session.execute(
        select(CodeAdd.code_id, CodeAdd.staff_userid, CodeAdd.external_userid, CodeAdd.added_at)
        .where(CodeAdd.code_id.in_(code_ids))
        .order_by(CodeAdd.added_at)
    )
    return [(r[0], r[1], r[2], r[3]) for r in rows]


def daily_caps(session: Session, corp_id: uuid.UUID, userids: Sequence[str]) -> dict[str, int]:
    rows = session.execute(
        select(StaffMember.userid, StaffMember.daily_add_cap).where(
            StaffMember.corp_id == corp_id, StaffMember.userid.in_(userids)
        )
    )
    return {r[0]: r[1] for r in rows}


def relation_tags(
    session: Session, corp_id: uuid.UUID, states: Sequence[str]
) -> dict[tuple[str, str], tuple[str | None, list[str]]]:
    """(staff, customer) → (state, WeCom tag ids) of the relations added with these states."""
    rows = session.execute(
        select(
            FollowRelation.staff_userid,
            FollowRelation.external_userid,
            FollowRelation.state,
            FollowRelation.wecom_tag_ids,
        ).where(FollowRelation.corp_id == corp_id, FollowRelation.state.in_(states))
    )
    return {(r[0], r[1]): (r[2], list(r[3] or [])) for r in rows}


def welcome_latencies(
    session: Session, code_ids: Sequence[uuid.UUID], since: datetime
) -> list[tuple[str, float | None]]:
    """(status, latency) of the codes' welcomes for adds at or after `since` (WeCom's time)."""
    rows = session.execute(
        select(WelcomeSend.status, WelcomeSend.latency_ms).where(
            WelcomeSend.code_id.in_(code_ids), WelcomeSend.event_time >= since
        )
    )
    return [(r[0], r[1]) for r in rows]


def group_members(session: Session, corp_id: uuid.UUID, chat_ids: Sequence[str]) -> dict[str, int]:
    rows = session.execute(
        select(CustomerGroup.chat_id, CustomerGroup.member_count).where(
            CustomerGroup.corp_id == corp_id, CustomerGroup.chat_id.in_(chat_ids)
        )
    )
    return {r[0]: r[1] for r in rows}


def group_code_joins(session: Session, code_id: uuid.UUID) -> int:
    count = session.scalar(
        select(func.count(GroupCodeJoin.id)).where(GroupCodeJoin.code_id == code_id)
    )
    return int(count or 0)
