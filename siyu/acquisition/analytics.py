"""Per code, channel, day and staff: adds → welcomed → joined a group, lost and net.

WeCom reports no scans (neither does the sandbox): "adds" counts customers who added staff
through a code's state, which is the closest honest number. Group joins are counted by the
group-codes domain: customers added through a channel who joined a group through any group
code at or after that add.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, func, select
from sqlalchemy.orm import Session

from siyu.acquisition.loads import day_bounds
from siyu.acquisition.models import Channel, CodeAdd, LiveCode, WelcomeSend
from siyu.auth.scope import DataScope
from siyu.customers.models import FollowRelation
from siyu.groupcodes.service import group_code_service
from siyu.kit.errors import Unprocessable

MAX_DAYS = 366


def _joined_a_group(
    session: Session, corp_id: uuid.UUID, key: Any, where: list[ColumnElement[bool]]
) -> dict[Any, int]:
    """Per `key` (code or channel): distinct customers among these adds (same range and data
    scope as the funnel) who joined a group through a group code at or after their add; one
    set-based count over the group-codes domain's joins."""
    joins = group_code_service.member_joins(corp_id).subquery()
    joined_after_add = exists().where(
        joins.c.member_id == CodeAdd.external_userid, joins.c.joined_at >= CodeAdd.added_at
    )
    stmt = (
        select(key, func.count(func.distinct(CodeAdd.external_userid)))
        .where(*where, joined_after_add)
        .group_by(key)
    )
    return {k: int(count) for k, count in session.execute(stmt)}


def _check_range(since: date, until: date) -> None:
    if until < since:
        raise Unprocessable("until is before since")
    if (until - since).days >= MAX_DAYS:
        raise Unprocessable(f"a range is at most {MAX_DAYS} days")


def _adds_where(
    scope: DataScope, since: date, until: date, channel_id: uuid.UUID | None = None
) -> list[ColumnElement[bool]]:
    """The scoped adds of the range (and channel); checks the range first."""
    _check_range(since, until)
    channel = [CodeAdd.channel_id == channel_id] if channel_id is not None else []
    return [
        *channel,
        scope.condition(corp_column=CodeAdd.corp_id, owner_column=CodeAdd.staff_userid),
        CodeAdd.day >= since,
        CodeAdd.day <= until,
    ]


def _lost_join() -> ColumnElement[bool]:
    return and_(
        FollowRelation.corp_id == CodeAdd.corp_id,
        FollowRelation.staff_userid == CodeAdd.staff_userid,
        FollowRelation.external_userid == CodeAdd.external_userid,
        FollowRelation.deleted_by_customer_at.is_not(None),
    )


def _welcomed_join() -> ColumnElement[bool]:
    return and_(
        WelcomeSend.corp_id == CodeAdd.corp_id,
        WelcomeSend.code_id == CodeAdd.code_id,
        WelcomeSend.staff_userid == CodeAdd.staff_userid,
        WelcomeSend.external_userid == CodeAdd.external_userid,
        WelcomeSend.status == "sent",
    )


def _grouped(
    session: Session, key: Any, where: list[ColumnElement[bool]]
) -> dict[Any, tuple[int, int, int]]:
    stmt = (
        select(
            key,
            func.count(CodeAdd.id),
            func.count(WelcomeSend.id),
            func.count(FollowRelation.id),
        )
        .select_from(CodeAdd)
        .outerjoin(WelcomeSend, _welcomed_join())
        .outerjoin(FollowRelation, _lost_join())
        .where(*where)
        .group_by(key)
    )
    return {k: (int(a), int(w), int(lost)) for k, a, w, lost in session.execute(stmt)}


def by_code(
    session: Session,
    *,
    scope: DataScope,
    since: date,
    until: date,
    channel_id: uuid.UUID | None = None,
) -> list[dict[str, Any]]:
    where = _adds_where(scope, since, until, channel_id)
    counts = _grouped(session, CodeAdd.code_id, where)
    joins = _joined_a_group(session, scope.corp_id, CodeAdd.code_id, where)
    codes = session.scalars(select(LiveCode).where(LiveCode.corp_id == scope.corp_id))
    rows = []
    for code in codes:
        if channel_id is not None and code.channel_id != channel_id:
            continue
        adds, welcomed, lost = counts.get(code.id, (0, 0, 0))
        joined = joins.get(code.id, 0)
        rows.append(_row(code.id, code.channel_id, code.name, adds, welcomed, joined, lost))
    return rows


def by_channel(
    session: Session, *, scope: DataScope, since: date, until: date
) -> list[dict[str, Any]]:
    _check_range(since, until)
    where = _adds_where(scope, since, until)
    counts = _grouped(session, CodeAdd.channel_id, where)
    joins = _joined_a_group(session, scope.corp_id, CodeAdd.channel_id, where)
    rows = []
    for channel in session.scalars(select(Channel).where(Channel.corp_id == scope.corp_id)):
        adds, welcomed, lost = counts.get(channel.id, (0, 0, 0))
        joined = joins.get(channel.id, 0)
        rows.append(_row(None, channel.id, channel.name, adds, welcomed, joined, lost))
    return rows


def _row(
    code_id: Any,
    channel_id: Any,
    name: str,
    adds: int,
    welcomed: int,
    joined: int | None,
    lost: int,
) -> dict[str, Any]:
    return {
        "code_id": code_id,
        "channel_id": channel_id,
        "name": name,
        "adds": adds,
        "welcomed": welcomed,
        "joined_group": joined,
        "lost": lost,
        "net": adds - lost,
    }


def daily(
    session: Session,
    *,
    scope: DataScope,
    since: date,
    until: date,
    channel_id: uuid.UUID | None = None,
    code_id: uuid.UUID | None = None,
) -> list[dict[str, Any]]:
    """New adds per day, and losses per day of the customers those codes brought."""
    _check_range(since, until)
    # Losses in the range of customers added up to a year before it.
    where = [
        scope.condition(corp_column=CodeAdd.corp_id, owner_column=CodeAdd.staff_userid),
        CodeAdd.day >= since - timedelta(days=MAX_DAYS),
        CodeAdd.day <= until,
    ]
    if channel_id is not None:
        where.append(CodeAdd.channel_id == channel_id)
    if code_id is not None:
        where.append(CodeAdd.code_id == code_id)
    new = dict(
        session.execute(
            select(CodeAdd.day, func.count(CodeAdd.id))
            .where(*where, CodeAdd.day >= since)
            .group_by(CodeAdd.day)
        ).all()
    )
    start, _ = day_bounds(since)
    _, end = day_bounds(until)
    lost_at = (
        select(FollowRelation.deleted_by_customer_at)
        .join(CodeAdd, _lost_join())
        .where(
            *where,
            FollowRelation.deleted_by_customer_at >= start,
            FollowRelation.deleted_by_customer_at < end,
        )
    )
    from siyu.profile.stages import day_of

    lost: dict[date, int] = {}
    for moment in session.scalars(lost_at):
        if moment is not None:
            lost[day_of(moment)] = lost.get(day_of(moment), 0) + 1
    days = [since + timedelta(days=i) for i in range((until - since).days + 1)]
    return [
        {
            "day": d,
            "new": int(new.get(d, 0)),
            "lost": lost.get(d, 0),
            "net": int(new.get(d, 0)) - lost.get(d, 0),
        }
        for d in days
    ]


def by_staff(
    session: Session,
    *,
    scope: DataScope,
    since: date,
    until: date,
    channel_id: uuid.UUID | None = None,
) -> list[dict[str, Any]]:
    where = _adds_where(scope, since, until, channel_id)
    counts = _grouped(session, CodeAdd.staff_userid, where)
    return [
        {"staff_userid": u, "adds": a, "welcomed": w, "lost": lost}
        for u, (a, w, lost) in sorted(counts.items(), key=lambda kv: (-kv[1][0], kv[0]))
    ]


def welcome_stats(session: Session, *, corp_id: uuid.UUID, since: Any) -> dict[str, Any]:
    rows = session.execute(
        select(WelcomeSend.status, WelcomeSend.errcode, WelcomeSend.latency_ms).where(
            WelcomeSend.corp_id == corp_id, WelcomeSend.created_at >= since
        )
    ).all()
    latencies = sorted(lat for status, _, lat in rows if status == "sent" and lat is not None)

    def pct(p: float) -> float | None:
        return (
            round(latencies[min(len(latencies) - 1, int(p * len(latencies)))], 1)
            if latencies
            else None
        )

    return {
        "sent": sum(1 for s, _, _ in rows if s == "sent"),
        "failed": sum(1 for s, _, _ in rows if s == "failed"),
        # WeCom refused the code as expired, or it was past the window before the call.
        "expired": sum(1 for s, e, _ in rows if e == 41050 or s == "expired"),
        "p50_ms": pct(0.5),
        "p99_ms": pct(0.99),
    }
