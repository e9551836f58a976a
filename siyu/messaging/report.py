"""The campaign report: reach, delivery, confirmation, and what the campaign cost.

Deletions are attributed to a campaign when the customer deleted the very staff member who sent
it, within 24 h / 72 h after it was delivered (the lost-relations facts of siyu/customers, as
siyu/lost lists them). Replies and conversions need data Siyu does not have yet (the chat
archive; orders): they are reported as not known rather than as zero.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from datetime import timedelta

from sqlalchemy.orm import Session

from siyu.auth.scope import DataScope
from siyu.customers import reach as customer_reach
from siyu.messaging.models import MassCampaign
from siyu.messaging.repository import recipients, tasks
from siyu.messaging.schemas import CampaignReport, StaffReport

REPLIES_NOTE = "not known: WeCom reports no replies to mass messages without the chat archive"
CONVERSIONS_NOTE = "not known: no order data is connected yet"


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def build(session: Session, *, campaign: MassCampaign, scope: DataScope) -> CampaignReport:
    by_status: Counter[str] = Counter()
    left_out: Counter[str] = Counter()
    per_staff: dict[str, Counter[str]] = defaultdict(Counter)
    for staff, status, reason, n in recipients.counts(session, campaign.id, scope):
        by_status[status] += n
        if reason is not None:
            left_out[reason] += n
        elif staff:
            per_staff[staff]["recipients"] += n
            per_staff[staff][status] += n
    rows = tasks.of_campaign(session, campaign.id, scope)
    created = [t for t in rows if t.msgid]
    for task in rows:
        per_staff[task.staff_userid]["tasks"] += 1
        per_staff[task.staff_userid]["confirmed"] += int(task.wecom_status == 2)
    d24 = d72 = 0
    first = recipients.first_delivery(session, campaign.id)
    if first is not None:
        deleted = customer_reach.deleted_by_customer_since(scope, first)
        for staff, sent_at, deleted_at in recipients.deletions_after_delivery(
            session, campaign.id, deleted
        ):
            after = deleted_at - sent_at
            if after <= timedelta(hours=72):
                d72 += 1
                per_staff[staff]["deleted72"] += 1
                d24 += int(after <= timedelta(hours=24))
    confirmed = sum(int(t.wecom_status == 2) for t in created)
    delivered = by_status["delivered"]
    return CampaignReport(
        audience=sum(by_status.values()),
        reachable=sum(by_status.values()) - by_status["left_out"],
        left_out=dict(left_out),
        by_status=dict(by_status),
        delivered=delivered,
        tasks=len(created),
        confirmed_tasks=confirmed,
        confirmation_rate=_rate(confirmed, len(created)),
        deleted_within_24h=d24,
        deleted_within_72h=d72,
        deletion_rate_72h=_rate(d72, delivered),
        replies=None,
        replies_note=REPLIES_NOTE,
        conversions=None,
        conversions_note=CONVERSIONS_NOTE,
        staff=[
            StaffReport(
                staff_userid=staff,
                recipients=c["recipients"],
                delivered=c["delivered"],
                tasks=c["tasks"],
                confirmed_tasks=c["confirmed"],
                deleted_within_72h=c["deleted72"],
            )
            for staff, c in sorted(per_staff.items())
        ],
    )
