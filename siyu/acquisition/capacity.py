"""Staff capacity: friends against the friend cap, today's passive adds against the daily cap.

Warnings at 80 % and 95 % of either cap, once per member, kind, threshold and China day (the
row's unique key decides, so concurrent adds cannot warn twice): a domain event, and an app
message (message/send) to the member's managers, or to the member when nobody manages them.
Routing (routing.py) already steers scans away from accounts at 95 %.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import TYPE_CHECKING, Any

import structlog
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from siyu.acquisition.loads import load_queries
from siyu.acquisition.models import CapacityWarning
from siyu.auth.scope import DataScope
from siyu.db.dialect import insert_ignoring_conflicts
from siyu.events.service import STAFF_CAPACITY_WARNING, domain_events
from siyu.jobs import enqueue
from siyu.kit.ids import new_id
from siyu.lost.alerts import managers_of
from siyu.profile.stages import day_of
from siyu.staff.models import StaffMember
from siyu.wecom.exceptions import WeComApiError

if TYPE_CHECKING:
    from siyu.jobs import JobContext

log = structlog.get_logger("siyu.acquisition")
SEND_JOB = "acquisition.capacity.warn"
THRESHOLDS = (80, 95)
PERMANENT_ERRCODES = frozenset({40056, 40058, 81013})
KIND_TEXT = {"friends": "好友数", "daily_adds": "今日新增"}


def level(percent: float) -> str:
    if percent >= 100:
        return "full"
    if percent >= 95:
        return "warn95"
    if percent >= 80:
        return "warn80"
    return "ok"


def _percent(count: int, cap: int) -> float:
    return round(100.0 * count / cap, 1) if cap else 100.0


def overview(session: Session, *, scope: DataScope, now: datetime) -> list[dict[str, Any]]:
    """Every member in the caller's scope with both loads, fullest first."""
    stmt = select(StaffMember).where(
        scope.condition(corp_column=StaffMember.corp_id, owner_column=StaffMember.userid)
    )
    staff = list(session.scalars(stmt))
    userids = [s.userid for s in staff]
    friends = load_queries.friends(session, scope.corp_id, userids)
    adds = load_queries.adds_on(session, scope.corp_id, day_of(now), userids)
    rows = []
    for member in staff:
        f, a = friends.get(member.userid, 0), adds.get(member.userid, 0)
        fp, ap = _percent(f, member.friend_cap), _percent(a, member.daily_add_cap)
        rows.append(
            {
                "userid": member.userid,
                "name": member.name,
                "friends": f,
                "friend_cap": member.friend_cap,
                "adds_today": a,
                "daily_cap": member.daily_add_cap,
                "friends_percent": fp,
                "adds_percent": ap,
                "level": level(max(fp, ap)),
            }
        )
    return sorted(rows, key=lambda r: (-max(r["friends_percent"], r["adds_percent"]), r["userid"]))


def check(session: Session, *, corp_id: uuid.UUID, staff_userid: str, now: datetime) -> int:
    """Record the warnings this member has newly earned today; returns how many."""
    member = load_queries.members(session, corp_id, [staff_userid])[staff_userid]
    day = day_of(now)
    friends = load_queries.friends(session, corp_id, [staff_userid]).get(staff_userid, 0)
    adds = load_queries.adds_on(session, corp_id, day, [staff_userid]).get(staff_userid, 0)
    created = 0
    for kind, count, cap in (
        ("friends", friends, member.friend_cap),
        ("daily_adds", adds, member.daily_cap),
    ):
        for threshold in THRESHOLDS:
            if cap <= 0 or count * 100 < cap * threshold:
                continue
            if _warn(session, corp_id, staff_userid, day, kind, threshold, count, cap, now):
                created += 1
    return created


def _warn(
    session: Session,
    corp_id: uuid.UUID,
    staff_userid: str,
    day: Any,
    kind: str,
    threshold: int,
    count: int,
    cap: int,
    now: datetime,
) -> bool:
    seen = select(CapacityWarning.id).where(
        CapacityWarning.corp_id == corp_id,
        CapacityWarning.staff_userid == staff_userid,
        CapacityWarning.day == day,
        CapacityWarning.kind == kind,
        CapacityWarning.threshold == threshold,
    )
    if session.scalar(seen) is not None:  # the common case after the first warning: cheap
        return False
    recipients = sorted({m for m, team in managers_of(session, corp_id) if staff_userid in team})
    warning_id = new_id()
    stmt = insert_ignoring_conflicts(
        session,
        CapacityWarning,
        {
            "id": warning_id,
            "corp_id": corp_id,
            "staff_userid": staff_userid,
            "day": day,
            "kind": kind,
            "threshold": threshold,
            "count": count,
            "cap": cap,
            "recipients": recipients or [staff_userid],
            "created_at": now,
        },
        conflict_columns=["corp_id", "staff_userid", "day", "kind", "threshold"],
    ).returning(CapacityWarning.id)
    if session.execute(stmt).first() is None:
        return False
    domain_events.emit(
        session,
        corp_id=corp_id,
        name=STAFF_CAPACITY_WARNING,
        subject_type="staff",
        subject_id=staff_userid,
        payload={"kind": kind, "threshold": threshold, "count": count, "cap": cap},
        occurred_at=now,
        dedup_key=f"capacity:{corp_id}:{staff_userid}:{day}:{kind}:{threshold}",
    )
    enqueue(
        session,
        SEND_JOB,
        key=f"{SEND_JOB}:{warning_id}",
        args={"warning_id": str(warning_id)},
        corp_id=corp_id,
    )
    return True


def message_text(warning: CapacityWarning) -> str:
    what = KIND_TEXT.get(warning.kind, warning.kind)
    return (
        f"容量预警：成员 {warning.staff_userid} 的{what}已达 {warning.count}/{warning.cap}"
        f"（≥{warning.threshold}%）。活码已自动减少分配给该成员的新客户，请及时扩容或调整。"
    )


def send_warning(ctx: JobContext, warning_id: uuid.UUID) -> None:
    """One app message per warning row; the row is stamped in the job's transaction."""
    from siyu.corps.repository import corps
    from siyu.wecom.client import client_for

    warning = ctx.session.get(CapacityWarning, warning_id)
    if warning is None or warning.sent_at is not None or warning.error is not None:
        return
    corp = corps.get(ctx.session, warning.corp_id)
    assert corp is not None
    values: dict[str, Any]
    if corp.agent_id is None:
        values = {"error": "no agent id configured"}
    else:
        try:
            client_for(ctx.runtime, corp).message_send(
                agentid=corp.agent_id,
                msgtype="text",
                content={"content": message_text(warning)},
                touser=list(warning.recipients),
            )
            values = {"sent_at": ctx.now}
        except WeComApiError as exc:
            if exc.errcode not in PERMANENT_ERRCODES:
                raise
            values = {"error": f"{exc.errcode} {exc.errmsg}"[:255]}
    ctx.session.execute(
        update(CapacityWarning).where(CapacityWarning.id == warning_id).values(**values)
    )
    log.info("capacity_warning", staff_userid=warning.staff_userid, kind=warning.kind, **values)
