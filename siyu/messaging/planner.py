"""Planning a campaign in SQL: choose each person's sender, leave out those without a slot, cut
each sender's list into chunks and write every recipient row, in one INSERT … SELECT.

Why one statement: at 1,000,000 people a Python pass (or a query per person) costs minutes and
gigabytes; the database ranks relations with a window function, joins the quota counts (one
grouped scan each, quota.received_counts), and numbers the chunks with a second window, while
Python holds nothing but the statement. The tasks are then one GROUP BY over the result.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Table, and_, case, func, insert, literal, null, select
from sqlalchemy.orm import Session

from siyu.auth.scope import DataScope
from siyu.customers import reach as customer_reach
from siyu.db.types import IdType, UTCDateTime
from siyu.groups import reach as group_reach
from siyu.messaging.models import MassOptOut, MassRecipient
from siyu.messaging.quota import Limits, Window, received_counts

# Any select, whatever its columns (Select is variadic in SQLAlchemy 2.1).
Rows = Select[*tuple[Any, ...]]

CUSTOMER_CHUNK = 10_000  # add_msg_template external_userid ≤ 10,000 (D:92135)
GROUP_CHUNK = 2_000  # chat_id_list ≤ 2000
R: Table = MassRecipient.__table__  # type: ignore[assignment]
_COLUMNS = [
    "campaign_id", "corp_id", "customer_id", "chat_id", "external_userid", "staff_userid",
    "chunk", "status", "reason", "counted_at",
]  # fmt: skip


def _over(window: Window, counts: Any) -> Any:
    if window.allowed is None:
        return literal(False)
    return func.coalesce(counts.c.n, 0) >= window.allowed


def _reason(chosen: Any, opted: Any, limits: Limits, counts: dict[str, Any], person: Any) -> Any:
    lost = case((customer_reach.person_status(person) == "lost", "lost"), else_="no_relation")
    return case(
        (chosen.c.staff_userid.is_(None), lost),
        (opted.c.customer_id.is_not(None), "opted_out"),
        (_over(limits.quota, counts["quota"]), "no_quota"),
        (_over(limits.daily, counts["daily"]), "frequency_cap"),
        (_over(limits.weekly, counts["weekly"]), "frequency_cap"),
        else_=null(),
    )


def _counts(corp_id: uuid.UUID, target: Any, limits: Limits) -> dict[str, Any]:
    return {
        name: received_counts(corp_id=corp_id, target=target, window=window).subquery(name)
        for name, window in (
            ("quota", limits.quota),
            ("daily", limits.daily),
            ("weekly", limits.weekly),
        )
    }


def _rows(
    base: Rows, *, campaign_id: uuid.UUID, corp_id: uuid.UUID, send_at: datetime, size: int
) -> Rows:
    """Number the reachable rows per sender (ascending target) and cut them into chunks."""
    b = base.subquery("b")
    planned = b.c.reason.is_(None)
    number = func.row_number().over(partition_by=(b.c.staff_userid, planned), order_by=b.c.target)
    return select(
        literal(campaign_id, IdType),
        literal(corp_id, IdType),
        b.c.customer_id,
        b.c.chat_id,
        b.c.external_userid,
        b.c.staff_userid,
        case((planned, (number - 1) // size), else_=null()),
        case((planned, "planned"), else_="left_out"),
        b.c.reason,
        case((planned, literal(send_at, UTCDateTime())), else_=null()),
    )


def customer_targets(*, scope: DataScope, audience: Rows, owner_rule: str, limits: Limits) -> Rows:
    """(customer_id, chat_id, external_userid, staff_userid, target, reason) per person."""
    corp_id = scope.corp_id
    people = audience.subquery("people")
    person = people.c[0]
    ranked = customer_reach.owner_candidates(scope, select(person), rule=owner_rule).subquery("r")
    chosen = select(ranked).where(ranked.c.rank == 1).subquery("chosen")
    opted = select(MassOptOut.customer_id).where(MassOptOut.corp_id == corp_id).subquery("opted")
    counts = _counts(corp_id, "customer", limits)
    stmt = select(
        person.label("customer_id"),
        null().label("chat_id"),
        chosen.c.external_userid,
        chosen.c.staff_userid,
        person.label("target"),
        _reason(chosen, opted, limits, counts, person).label("reason"),
    ).select_from(people)
    stmt = stmt.outerjoin(chosen, chosen.c.customer_id == person)
    stmt = stmt.outerjoin(opted, opted.c.customer_id == person)
    for sub in counts.values():
        stmt = stmt.outerjoin(sub, sub.c.target == person)
    return stmt


def group_targets(
    *,
    scope: DataScope,
    chat_ids: Sequence[str] | None,
    owner_userids: Sequence[str] | None,
    limits: Limits,
) -> Rows:
    """The live groups of the given owners (or chat ids) in scope, each sent by its owner."""
    corp_id = scope.corp_id
    groups = group_reach.live_groups(scope, chat_ids=chat_ids, owner_userids=owner_userids)
    g = groups.subquery("g")
    counts = _counts(corp_id, "group", limits)
    reason = case(
        (_over(limits.quota, counts["quota"]), "no_quota"),
        (_over(limits.daily, counts["daily"]), "frequency_cap"),
        (_over(limits.weekly, counts["weekly"]), "frequency_cap"),
        else_=null(),
    )
    stmt = select(
        null().label("customer_id"),
        g.c.chat_id,
        null().label("external_userid"),
        g.c.owner_userid.label("staff_userid"),
        g.c.chat_id.label("target"),
        reason.label("reason"),
    ).select_from(g)
    for sub in counts.values():
        stmt = stmt.outerjoin(sub, sub.c.target == g.c.chat_id)
    return stmt


def missing_chats(session: Session, targets: Rows, chat_ids: Sequence[str]) -> list[str]:
    """Chat ids asked for that are no live group in scope (left out as `no_relation`)."""
    found = set(session.scalars(select(targets.subquery().c.chat_id)))
    return [c for c in dict.fromkeys(chat_ids) if c not in found]


def write(
    session: Session,
    *,
    campaign_id: uuid.UUID,
    corp_id: uuid.UUID,
    targets: Rows,
    send_at: datetime,
    chunk_size: int,
    missing_chat_ids: Sequence[str] = (),
) -> None:
    """Every recipient row of the campaign, reachable ones numbered into chunks."""
    rows = _rows(
        targets, campaign_id=campaign_id, corp_id=corp_id, send_at=send_at, size=chunk_size
    )
    session.execute(insert(R).from_select(_COLUMNS, rows))
    if missing_chat_ids:
        session.execute(
            insert(R),
            [
                {"campaign_id": campaign_id, "corp_id": corp_id, "chat_id": c,
                 "status": "left_out", "reason": "no_relation"}
                for c in missing_chat_ids
            ],
        )  # fmt: skip


def preview(session: Session, targets: Rows) -> list[tuple[str | None, str | None, int]]:
    """(staff_userid, reason, count) without writing anything: the reach preview."""
    t = targets.subquery("t")
    stmt = select(t.c.staff_userid, t.c.reason, func.count()).group_by(t.c.staff_userid, t.c.reason)
    return [(s, r, int(n)) for s, r, n in session.execute(stmt)]


def summary(session: Session, campaign_id: uuid.UUID) -> tuple[int, int, dict[str, int]]:
    """(audience, reachable, left out by reason) of a planned campaign: one GROUP BY."""
    stmt = (
        select(R.c.reason, func.count()).where(R.c.campaign_id == campaign_id).group_by(R.c.reason)
    )
    by_reason = {reason: int(n) for reason, n in session.execute(stmt)}
    reachable = by_reason.pop(None, 0)
    return reachable + sum(by_reason.values()), reachable, by_reason


def chunks(session: Session, campaign_id: uuid.UUID) -> list[tuple[str, int, int]]:
    """(staff_userid, chunk, recipients) of the planned rows: the tasks to create."""
    stmt = (
        select(R.c.staff_userid, R.c.chunk, func.count())
        .where(and_(R.c.campaign_id == campaign_id, R.c.status == "planned"))
        .group_by(R.c.staff_userid, R.c.chunk)
        .order_by(R.c.staff_userid, R.c.chunk)
    )
    return [(str(s), int(c), int(n)) for s, c, n in session.execute(stmt)]
