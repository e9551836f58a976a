"""Lost-customer alerts: one WeCom app message per recipient per batch window.

`collect` reads `customer.lost` and `customer.removed` events from the outbox (behind a cursor)
and writes one alert row per (relation, recipient). When the customer deleted the staff member,
that member and the managers whose departments hold them are told; when the staff member
deleted the customer (not a transfer), only those managers are, in a message of its own.
Rows of one recipient and window share a `batch_key`, and one send job per batch key is
enqueued (after commit, keyed, due at the window's end).

Sending is idempotent twice over: the job stamps every row it sent in the transaction that
marks the job done, so a re-run finds nothing unsent; and the message is sent with WeCom's
duplicate check over a deterministic text, so a retry after a send whose commit was lost is
dropped by WeCom instead of reaching the person twice.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta

from sqlalchemy.orm import Session

from siyu.auth.models import Role, ScopeKind
from siyu.auth.repository import memberships
from siyu.auth.scope import build_scope
from siyu.customers.models import FollowRelation
from siyu.events.models import DomainEvent
from siyu.events.service import CUSTOMER_LOST, CUSTOMER_REMOVED, domain_events
from siyu.jobs import enqueue
from siyu.lost.models import LostAlert, LostAlertSetting
from siyu.lost.repository import lost_repository as repo
from siyu.profile.queries import timeline_queries
from siyu.profile.stages import CN_TZ
from siyu.staff.repository import userids_in_departments

CONSUMER = "lost_alerts"
SEND_JOB = "lost.send_alerts"
DUPLICATE_CHECK_SECONDS = 4 * 3600  # WeCom's maximum (API-FACTS §4, message/send)
# Answers a retry would only repeat: bad agent id, bad parameters, no valid recipient.
PERMANENT_ERRCODES = frozenset({40056, 40058, 81013})
BY_CUSTOMER, BY_STAFF = "customer", "staff"  # LostAlert.deleted_by
MAX_LISTED = 20  # customers named in one message; the rest are counted (2048-byte limit)


def batch_window(now: datetime, minutes: int) -> tuple[str, datetime]:
    """The window `now` falls in: its key and its end (when the batch is sent)."""
    if minutes <= 0:
        return now.isoformat(), now
    width = timedelta(minutes=minutes)
    epoch = datetime(2020, 1, 1, tzinfo=UTC)
    start = epoch + ((now - epoch) // width) * width
    return start.isoformat(), start + width


def managers_of(session: Session, corp_id: uuid.UUID) -> list[tuple[str, frozenset[str]]]:
    """(manager userid, userids in their departments) for department-scoped managers."""
    result = []
    for membership, _ in memberships.of_corp(session, corp_id):
        if membership.role != Role.manager or not membership.staff_userid:
            continue
        if membership.scope != ScopeKind.department:
            continue
        scope = build_scope(
            session,
            corp_id=corp_id,
            kind=ScopeKind.department,
            staff_userid=membership.staff_userid,
            department_ids=membership.department_ids or [],
        )
        userids = session.scalars(userids_in_departments(corp_id, scope.department_ids))
        result.append((membership.staff_userid, frozenset(userids)))
    return result


def collect(session: Session, *, corp_id: uuid.UUID, now: datetime, batch: int = 500) -> int:
    """Turn new `customer.lost` and `customer.removed` events into alert rows and send jobs;
    returns events read."""
    settings = repo.settings(session, corp_id)
    after = timeline_queries.cursor(session, CONSUMER, corp_id)
    events = domain_events.list_after(
        session,
        corp_id=corp_id,
        after_id=after,
        names=[CUSTOMER_LOST, CUSTOMER_REMOVED],
        limit=batch,
    )
    if not events:
        return 0
    timeline_queries.advance(session, CONSUMER, corp_id, events[-1].id)
    if settings is None or not settings.enabled:
        return len(events)  # switched off: these losses are never alerted, even if enabled later
    managers = managers_of(session, corp_id) if settings.notify_managers else []
    key, due = batch_window(now, settings.batch_minutes)
    rows = []
    for relation, by in _ended(session, corp_id, events):
        at = relation.deleted_by_customer_at if by == BY_CUSTOMER else relation.deleted_by_staff_at
        recipients = {m for m, team in managers if relation.staff_userid in team}
        if by == BY_CUSTOMER:
            recipients.add(relation.staff_userid)
        else:  # the member who deleted the customer knows; their managers should hear of it
            recipients.discard(relation.staff_userid)
        for recipient in sorted(recipients):
            rows.append(
                {
                    "id": uuid.uuid4(),
                    "corp_id": corp_id,
                    "relation_id": relation.id,
                    "customer_id": relation.customer_id,
                    "staff_userid": relation.staff_userid,
                    "recipient_userid": recipient,
                    "deleted_by": by,
                    "lost_at": at,
                    # Separate messages for the two kinds: each says plainly what happened.
                    "batch_key": f"{recipient}@{key}" + ("" if by == BY_CUSTOMER else "/staff"),
                    "created_at": now,
                }
            )
    for batch_key in sorted(set(repo.add_alerts(session, rows))):
        enqueue(
            session,
            SEND_JOB,
            key=f"lost-alert:{corp_id}:{batch_key}",
            corp_id=corp_id,
            args={"corp_id": str(corp_id), "batch_key": batch_key},
            run_at=due,
        )
    return len(events)


def _ended(
    session: Session, corp_id: uuid.UUID, events: list[DomainEvent]
) -> list[tuple[FollowRelation, str]]:
    """The relations the events ended, each with who ended it."""
    lost = [e for e in events if e.name == CUSTOMER_LOST]
    removed = [e for e in events if e.name == CUSTOMER_REMOVED]
    by_customer = repo.lost_since(
        session, corp_id=corp_id, relation_ids=_relation_ids(session, corp_id, lost)
    )
    by_staff = repo.removed_since(
        session, corp_id=corp_id, relation_ids=_relation_ids(session, corp_id, removed)
    )
    return [(r, BY_CUSTOMER) for r in by_customer] + [(r, BY_STAFF) for r in by_staff]


def _relation_ids(
    session: Session, corp_id: uuid.UUID, events: list[DomainEvent]
) -> list[uuid.UUID]:
    from siyu.customers.service import customer_service

    if not events:
        return []
    wanted = {(str(e.payload.get("staff_userid") or ""), e.subject_id) for e in events}
    return customer_service.relation_ids(session, corp_id=corp_id, pairs=sorted(wanted))


def message_text(alerts: list[LostAlert], names: dict[uuid.UUID, str]) -> str:
    """Deterministic for one batch (WeCom's duplicate check compares the content)."""
    by_staff: dict[str, list[LostAlert]] = defaultdict(list)
    for alert in alerts:
        by_staff[alert.staff_userid].append(alert)
    if alerts and alerts[0].deleted_by == BY_STAFF:  # a batch holds one kind (its key says)
        lines = [f"成员删除客户提醒：成员删除了 {len(alerts)} 位客户"]
    else:
        lines = [f"客户流失提醒：{len(alerts)} 位客户删除了成员"]
    listed = 0
    for staff, rows in sorted(by_staff.items()):
        lines.append(f"成员 {staff}：")
        for alert in rows:
            if listed >= MAX_LISTED:
                break
            at = alert.lost_at.astimezone(CN_TZ).strftime("%m-%d %H:%M")
            lines.append(f"· {names.get(alert.customer_id) or '客户'}（{at}）")
            listed += 1
    if listed < len(alerts):
        lines.append(f"另有 {len(alerts) - listed} 位，请在控制台「流失客户」查看")
    return "\n".join(lines)


def agent_of(settings: LostAlertSetting | None, corp_agent_id: int | None) -> int | None:
    if settings is not None and settings.agent_id is not None:
        return settings.agent_id
    return corp_agent_id
