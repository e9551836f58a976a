"""Planning a campaign in SQL: choose each person's sender, judge them against the quota, the
caps and the opt-outs, and number each sender's chunks, all in the INSERT … SELECT that writes
the rows.

Why one pass: at 1,000,000 people a Python pass (or a query per person) costs minutes and
gigabytes, and so does touching the rows again after writing them (an UPDATE per rule and one
for the chunk numbers rewrote a million rows four times). Here the database

1. ranks the live relations with a window function (rank 1 sends);
2. left-joins each chosen relation to the opt-outs (a primary-key probe) and to its rows in
   both ledgers (Siyu's counted rows and the staff's own sends imported from WeCom,
   staff_sends.py) inside the windows' span, through the ledgers' own indexes, and groups
   per person: one `count(DISTINCT case …)` per window;
3. turns those counts into a verdict (`reason`, first rule wins: opted_out, no_quota,
   frequency_cap) and numbers the planned rows per sender with a second window;

and inserts the result. The people with no live relation are a second INSERT (one NOT EXISTS
probe each). The campaign's own rows are not in the ledger yet while it is counted, so nothing
has to be excluded from the counts. Python holds only the statements.

Every join runs from the ranked relations (materialised once) to an index, never to an
unindexed subquery: SQLite scanned a LEFT JOINed grouped subquery in full for every person
when it guessed it small (no statistics), and a LEFT JOIN from the audience *to* the ranked
window made it rescan the window for every person.

The reach preview runs the very same statements in a savepoint and rolls them back, so the
preview and the plan can never disagree.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import (
    Select,
    Subquery,
    Table,
    and_,
    case,
    cast,
    distinct,
    func,
    insert,
    literal,
    null,
    or_,
    select,
)
from sqlalchemy.orm import Session

from siyu.auth.scope import DataScope
from siyu.customers import reach as customer_reach
from siyu.db.types import IdType, UTCDateTime
from siyu.groups import reach as group_reach
from siyu.messaging.models import MassOptOut, MassRecipient, StaffMassReceipt
from siyu.messaging.quota import Limits, Window

# Any select, whatever its columns (Select is variadic in SQLAlchemy 2.1).
Rows = Select[*tuple[Any, ...]]

CUSTOMER_CHUNK = 10_000  # add_msg_template external_userid ≤ 10,000 (D:92135)
GROUP_CHUNK = 2_000  # chat_id_list ≤ 2000
R: Table = MassRecipient.__table__  # type: ignore[assignment]
S: Table = StaffMassReceipt.__table__  # type: ignore[assignment]
_COLUMNS = [
    "campaign_id", "corp_id", "customer_id", "chat_id", "external_userid", "staff_userid",
    "status", "reason", "counted_at", "chunk",
]  # fmt: skip


def _const(campaign_id: uuid.UUID, corp_id: uuid.UUID) -> tuple[Any, Any]:
    return literal(campaign_id, IdType), literal(corp_id, IdType)


def _windows(limits: Limits) -> dict[str, Window]:
    """The rules that limit anything, by name (a window with no limit needs no count)."""
    named = {"quota": limits.quota, "daily": limits.daily, "weekly": limits.weekly}
    return {name: w for name, w in named.items() if w.allowed is not None}


def _join_ledgers(
    source: Any, key: Any, corp_id: uuid.UUID, target: str, windows: dict[str, Window]
) -> tuple[Any, dict[str, Any]]:
    """LEFT JOINs from `source` to both ledgers (Siyu's counted rows and the staff's own sends
    imported from WeCom) on `key` = their `target` column (customer_id or chat_id) inside the
    windows' span, and per window the aggregate that counts the sends in it.

    The joins go to the ledgers' own (corp_id, target, counted_at) indexes, so each person is
    one index seek on SQLite whatever its statistics say (a join to a grouped subquery was
    planned as a full scan of it per person when the table had no statistics yet) and a hash
    join on PostgreSQL. The two joins multiply each other's rows, so each counts its rows by id.
    """
    start = min(w.start for w in windows.values())
    end = max(w.end for w in windows.values())
    counts: dict[str, Any] = {name: literal(0) for name in windows}
    for table, name in ((R, "ledger_siyu"), (S, "ledger_staff")):
        t = table.alias(name)
        source = source.outerjoin(
            t,
            and_(
                t.c.corp_id == corp_id,
                t.c[target] == key,
                t.c.counted_at >= start,
                t.c.counted_at < end,
            ),
        )
        for window_name, w in windows.items():
            inside = and_(t.c.counted_at >= w.start, t.c.counted_at < w.end)
            counts[window_name] = counts[window_name] + func.count(
                distinct(case((inside, t.c.id), else_=null()))
            )
    return source, counts


def _verdict(counts: dict[str, Any], windows: dict[str, Window], opted: Any = None) -> Any:
    """Why a candidate is left out (None: planned); the first rule that applies wins."""
    whens: list[tuple[Any, str]] = []
    if opted is not None:
        whens.append((opted.is_not(None), "opted_out"))
    if "quota" in windows:
        whens.append((counts["quota"] >= windows["quota"].allowed, "no_quota"))
    capped = [counts[n] >= windows[n].allowed for n in ("daily", "weekly") if n in windows]
    if capped:
        whens.append((or_(*capped), "frequency_cap"))
    return case(*whens, else_=null()) if whens else null()


def _judged_rows(
    campaign_id: uuid.UUID, corp_id: uuid.UUID, judged: Subquery, send_at: datetime, size: int
) -> Rows:
    """The insert's rows: planned ones count from `send_at` and get their sender's chunk
    (k holds that sender's planned rows k·size … (k+1)·size − 1 in target order)."""
    campaign, corp = _const(campaign_id, corp_id)
    planned = judged.c.reason.is_(None)
    number = func.row_number().over(
        partition_by=(judged.c.staff_userid, judged.c.reason), order_by=judged.c.target
    )
    return select(
        campaign, corp, judged.c.customer_id, judged.c.chat_id, judged.c.external_userid,
        judged.c.staff_userid, case((planned, "planned"), else_="left_out"), judged.c.reason,
        case((planned, literal(send_at, UTCDateTime())), else_=null()),
        case((planned, (number - 1) // size), else_=null()),
    )  # fmt: skip


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
    people = audience.subquery("people")
    person = people.c[0]
    ranked = customer_reach.owner_candidates(scope, select(person), rule=owner_rule).subquery("r")
    windows = _windows(limits)
    opted = select(MassOptOut.customer_id).where(MassOptOut.corp_id == corp_id).subquery("opted")
    source: Any = ranked.outerjoin(opted, opted.c.customer_id == ranked.c.customer_id)
    counts: dict[str, Any] = {}
    if windows:
        source, counts = _join_ledgers(
            source, ranked.c.customer_id, corp_id, "customer_id", windows
        )
    judged = (
        select(
            ranked.c.customer_id, null().label("chat_id"), ranked.c.external_userid,
            ranked.c.staff_userid, ranked.c.customer_id.label("target"),
            _verdict(counts, windows, opted.c.customer_id).label("reason"),
        )
        .select_from(source)
        .where(ranked.c.rank == 1)
        .group_by(
            ranked.c.customer_id, ranked.c.external_userid, ranked.c.staff_userid,
            opted.c.customer_id,
        )
        .subquery("judged")
    )  # fmt: skip
    rows = _judged_rows(campaign_id, corp_id, judged, send_at, chunk_size)
    session.execute(insert(R).from_select(_COLUMNS, rows))
    campaign, corp = _const(campaign_id, corp_id)
    lost = case((customer_reach.person_status(person) == "lost", "lost"), else_="no_relation")
    unrelated = select(
        campaign, corp, person, null(), null(), null(), literal("left_out"), lost, null(), null()
    ).where(customer_reach.no_live_relation(scope, person))
    session.execute(insert(R).from_select(_COLUMNS, unrelated))


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
    g = group_reach.live_groups(scope, chat_ids=chat_ids, owner_userids=owner_userids).subquery()
    windows = _windows(limits)
    source: Any = g
    counts: dict[str, Any] = {}
    if windows:
        source, counts = _join_ledgers(source, g.c.chat_id, corp_id, "chat_id", windows)
    judged = (
        select(
            # A typed NULL: PostgreSQL reads a bare NULL in a subquery as text, not uuid.
            cast(null(), IdType).label("customer_id"), g.c.chat_id,
            null().label("external_userid"),
            g.c.owner_userid.label("staff_userid"), g.c.chat_id.label("target"),
            _verdict(counts, windows).label("reason"),
        )
        .select_from(source)
        .group_by(g.c.chat_id, g.c.owner_userid)
        .subquery("judged")
    )  # fmt: skip
    rows = _judged_rows(campaign_id, corp_id, judged, send_at, chunk_size)
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


@dataclass
class Tally:
    """A planned campaign's counts from one GROUP BY (sender, reason): the totals, the
    preview's per-sender breakdown and the tasks to create."""

    left_out: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    # sender → [reachable, left out]
    per_staff: dict[str, list[int]] = field(default_factory=lambda: defaultdict(lambda: [0, 0]))

    @property
    def reachable(self) -> int:
        return sum(r for r, _ in self.per_staff.values())

    @property
    def audience(self) -> int:
        return self.reachable + sum(self.left_out.values())

    def chunks(self, size: int) -> list[tuple[str, int, int]]:
        """(sender, chunk, recipients): chunk k holds planned rows k·size … as numbered by
        `_judged_rows`, so its size follows from the sender's count."""
        return [
            (staff, k, min(size, reachable - k * size))
            for staff, (reachable, _) in sorted(self.per_staff.items())
            for k in range(-(-reachable // size))
        ]


def tally(session: Session, campaign_id: uuid.UUID) -> Tally:
    stmt = (
        select(R.c.staff_userid, R.c.reason, func.count())
        .where(R.c.campaign_id == campaign_id)
        .group_by(R.c.staff_userid, R.c.reason)
    )
    out = Tally()
    for sender, reason, n in session.execute(stmt):
        if reason is None:
            out.per_staff[sender or ""][0] += int(n)
        else:
            out.left_out[reason] += int(n)
            if sender:
                out.per_staff[sender][1] += int(n)
    return out
