"""Planning a campaign in SQL: choose each person's sender, leave out those without a slot, cut
each sender's list into chunks. Every step is one statement over the campaign's rows.

Why set-based steps: at 1,000,000 people a Python pass (or a query per person) costs minutes
and gigabytes. Here the database ranks relations with a window function and inserts the chosen
ones (one scan), adds the people without a live relation (one NOT EXISTS probe each), marks the
left-out with `UPDATE … WHERE target IN (grouped counts HAVING n >= allowed)` (one grouped scan
per rule), then numbers the chunks with a second window. Python holds only the statements.
Small steps also keep both planners on simple plans (one big statement with LEFT JOINs to the
ranked relations made SQLite rescan the window subquery for every person).

The reach preview runs the very same steps in a savepoint and rolls them back, so the preview
and the plan can never disagree.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Table, and_, case, func, insert, literal, null, select, update
from sqlalchemy.orm import Session

from siyu.auth.scope import DataScope
from siyu.customers import reach as customer_reach
from siyu.db.types import IdType, UTCDateTime
from siyu.groups import reach as group_reach
from siyu.messaging.models import MassOptOut, MassRecipient
from siyu.messaging.quota import Limits, Window

# Any select, whatever its columns (Select is variadic in SQLAlchemy 2.1).
Rows = Select[*tuple[Any, ...]]

CUSTOMER_CHUNK = 10_000  # add_msg_template external_userid ≤ 10,000 (D:92135)
GROUP_CHUNK = 2_000  # chat_id_list ≤ 2000
R: Table = MassRecipient.__table__  # type: ignore[assignment]
_COLUMNS = [
    "campaign_id", "corp_id", "customer_id", "chat_id", "external_userid", "staff_userid",
    "status", "reason", "counted_at",
]  # fmt: skip


def _const(campaign_id: uuid.UUID, corp_id: uuid.UUID) -> tuple[Any, Any]:
    return literal(campaign_id, IdType), literal(corp_id, IdType)


def _leave_out(
    session: Session, campaign_id: uuid.UUID, column: Any, reason: str, targets: Rows
) -> None:
    """Planned rows whose target is in `targets` are left out for `reason` (first one wins)."""
    session.execute(
        update(R)
        .where(R.c.campaign_id == campaign_id, R.c.status == "planned", column.in_(targets))
        .values(status="left_out", reason=reason, counted_at=None)
    )


def _over(corp_id: uuid.UUID, campaign_id: uuid.UUID, column: Any, window: Window) -> Rows:
    """Targets that already have `window.allowed` counted sends in the window (other campaigns)."""
    return (
        select(column)
        .where(
            R.c.corp_id == corp_id,
            column.is_not(None),
            R.c.counted_at >= window.start,
            R.c.counted_at < window.end,
            R.c.campaign_id != campaign_id,
        )
        .group_by(column)
        .having(func.count() >= window.allowed)
    )


def _apply_limits(
    session: Session, campaign_id: uuid.UUID, corp_id: uuid.UUID, column: Any, limits: Limits
) -> None:
    for window, reason in (
        (limits.quota, "no_quota"),
        (limits.daily, "frequency_cap"),
        (limits.weekly, "frequency_cap"),
    ):
        if window.allowed is not None:
            _leave_out(
                session, campaign_id, column, reason, _over(corp_id, campaign_id, column, window)
            )


def _number_chunks(session: Session, campaign_id: uuid.UUID, size: int) -> None:
    """Chunk k of a sender holds their planned rows k·size … (k+1)·size − 1, in row order."""
    number = func.row_number().over(partition_by=R.c.staff_userid, order_by=R.c.id)
    numbered = (
        select(R.c.id.label("rid"), ((number - 1) // size).label("n"))
        .where(R.c.campaign_id == campaign_id, R.c.status == "planned")
        .subquery("numbered")
    )
    session.execute(update(R).where(R.c.id == numbered.c.rid).values(chunk=numbered.c.n))


def write_customers(
    session: Session,
    *,
    campaign_id: uuid.UUID,
    scope: DataScope,
    audience: Rows,
    owner_rule: str,
    limits: Limits,
    send_at: datetime,
    chunk_size: int = CUSTOMER_CHUNK,
) -> None:
    corp_id = scope.corp_id
    campaign, corp = _const(campaign_id, corp_id)
    people = audience.subquery("people")
    person = people.c[0]
    ranked = customer_reach.owner_candidates(scope, select(person), rule=owner_rule).subquery("r")
    chosen = select(
        campaign, corp, ranked.c.customer_id, null(), ranked.c.external_userid,
        ranked.c.staff_userid, literal("planned"), null(), literal(send_at, UTCDateTime()),
    ).where(ranked.c.rank == 1)  # fmt: skip
    session.execute(insert(R).from_select(_COLUMNS, chosen))
    lost = case((customer_reach.person_status(person) == "lost", "lost"), else_="no_relation")
    unrelated = select(
        campaign, corp, person, null(), null(), null(), literal("left_out"), lost, null()
    ).where(customer_reach.no_live_relation(scope, person))
    session.execute(insert(R).from_select(_COLUMNS, unrelated))
    opted = select(MassOptOut.customer_id).where(MassOptOut.corp_id == corp_id)
    _leave_out(session, campaign_id, R.c.customer_id, "opted_out", opted)
    _apply_limits(session, campaign_id, corp_id, R.c.customer_id, limits)
    _number_chunks(session, campaign_id, chunk_size)


def write_groups(
    session: Session,
    *,
    campaign_id: uuid.UUID,
    scope: DataScope,
    chat_ids: Sequence[str] | None,
    owner_userids: Sequence[str] | None,
    limits: Limits,
    send_at: datetime,
    chunk_size: int = GROUP_CHUNK,
) -> None:
    """The live groups of the given owners (or chat ids) in scope, each sent by its owner;
    chat ids that are no live group in scope are left out as `no_relation`."""
    corp_id = scope.corp_id
    campaign, corp = _const(campaign_id, corp_id)
    g = group_reach.live_groups(scope, chat_ids=chat_ids, owner_userids=owner_userids).subquery()
    rows = select(
        campaign, corp, null(), g.c.chat_id, null(), g.c.owner_userid, literal("planned"),
        null(), literal(send_at, UTCDateTime()),
    )  # fmt: skip
    session.execute(insert(R).from_select(_COLUMNS, rows))
    if chat_ids:
        found = set(session.scalars(select(R.c.chat_id).where(R.c.campaign_id == campaign_id)))
        missing = [c for c in dict.fromkeys(chat_ids) if c not in found]
        if missing:
            session.execute(
                insert(R),
                [
                    {"campaign_id": campaign_id, "corp_id": corp_id, "chat_id": c,
                     "status": "left_out", "reason": "no_relation"}
                    for c in missing
                ],
            )  # fmt: skip
    _apply_limits(session, campaign_id, corp_id, R.c.chat_id, limits)
    _number_chunks(session, campaign_id, chunk_size)


def summary(session: Session, campaign_id: uuid.UUID) -> tuple[int, int, dict[str, int]]:
    """(audience, reachable, left out by reason) of a planned campaign: one GROUP BY."""
    stmt = (
        select(R.c.reason, func.count()).where(R.c.campaign_id == campaign_id).group_by(R.c.reason)
    )
    by_reason = {reason: int(n) for reason, n in session.execute(stmt)}
    reachable = by_reason.pop(None, 0)
    return reachable + sum(by_reason.values()), reachable, by_reason


def per_staff(session: Session, campaign_id: uuid.UUID) -> list[tuple[str | None, str | None, int]]:
    """(staff_userid, reason, count): the preview's per-sender breakdown."""
    stmt = (
        select(R.c.staff_userid, R.c.reason, func.count())
        .where(R.c.campaign_id == campaign_id)
        .group_by(R.c.staff_userid, R.c.reason)
    )
    return [(s, r, int(n)) for s, r, n in session.execute(stmt)]


def chunks(session: Session, campaign_id: uuid.UUID) -> list[tuple[str, int, int]]:
    """(staff_userid, chunk, recipients) of the planned rows: the tasks to create."""
    stmt = (
        select(R.c.staff_userid, R.c.chunk, func.count())
        .where(and_(R.c.campaign_id == campaign_id, R.c.status == "planned"))
        .group_by(R.c.staff_userid, R.c.chunk)
        .order_by(R.c.staff_userid, R.c.chunk)
    )
    return [(str(s), int(c), int(n)) for s, c, n in session.execute(stmt)]
