"""Following a campaign after its tasks exist: confirmations and results until final (or for
3 days), and reminders to the staff who have not confirmed (≤ 3 per task per 24 h, 41094)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from siyu.kit.errors import Conflict
from siyu.messaging import sending
from siyu.messaging.models import MassCampaign
from siyu.messaging.repository import recipients, tasks
from siyu.messaging.schemas import RemindResult
from siyu.wecom.client import WeComClient
from siyu.wecom.exceptions import WeComApiError

TRACK_FOR = timedelta(days=3)
REMIND_CAP = 3
REMIND_WINDOW = timedelta(hours=24)
REMIND_LIMITED = 41094
CANCELLED_IN_WECOM = 41093


def track(client: WeComClient, session: Session, *, campaign: MassCampaign, now: datetime) -> None:
    """One round: every created task's confirmation and results. After 3 days what is still
    unconfirmed is final as `unsent` and gives its quota slots back."""
    if campaign.status not in ("sending", "sent"):
        return
    open_tasks = [t for t in tasks.of_campaign(session, campaign.id) if t.status == "created"]
    for task in open_tasks:
        sending.track_task(client, session, task=task, now=now)
    planned = campaign.planned_at or now
    expired = now - planned >= TRACK_FOR
    for task in open_tasks:
        if task.status == "created" and expired:
            recipients.set_status(session, task, "unsent", where_status=("sent",))
            task.status = "done"
    session.flush()
    if campaign.status == "sent" and all(
        t.status in ("done", "failed", "cancelled") for t in tasks.of_campaign(session, campaign.id)
    ):
        campaign.status, campaign.finished_at = "finished", now


def _recent(reminders: list[str], now: datetime) -> list[str]:
    return [r for r in reminders if now - datetime.fromisoformat(r) < REMIND_WINDOW]


def remind(
    client: WeComClient, session: Session, *, campaign: MassCampaign, now: datetime
) -> RemindResult:
    """Remind every sender who has not confirmed; a task reminded 3 times in 24 h is skipped
    (and WeCom's own 41094 is taken as the same answer, never an error)."""
    if campaign.status not in ("sending", "sent"):
        raise Conflict(f"a {campaign.status} campaign has nobody to remind")
    reminded = at_cap = skipped = 0
    for task in tasks.of_campaign(session, campaign.id):
        if task.status != "created" or task.wecom_status == 2 or not task.msgid:
            skipped += 1
            continue
        recent = _recent(list(task.reminders), now)
        if len(recent) >= REMIND_CAP:
            at_cap += 1
            continue
        try:
            client.remind_groupmsg_send(msgid=task.msgid)
        except WeComApiError as exc:
            if exc.errcode == REMIND_LIMITED:
                at_cap += 1
                continue
            if exc.errcode == CANCELLED_IN_WECOM:
                task.status = "cancelled"
                recipients.set_status(session, task, "cancelled", where_status=("sent",))
                skipped += 1
                continue
            raise
        task.reminders = [*recent, now.isoformat()]
        reminded += 1
    session.flush()
    return RemindResult(reminded=reminded, at_cap=at_cap, skipped=skipped)
