"""Talking to WeCom for a campaign: create each task once, find it again after a crash, follow
its results, remind and cancel (API-FACTS §4.6).

Exactly once, and what happens when the call succeeded but the commit failed
----------------------------------------------------------------------------
add_msg_template has no idempotency key, so Siyu makes the task row the key: one row per
(campaign, staff member, chunk), sent by a job keyed by the row's id, and the msgid is written
in the same transaction that marks the job done. If the worker dies (or the commit fails) after
WeCom answered, the row is still `pending` with no msgid, and the job runs again with a higher
attempt number. Every attempt after the first therefore looks for the task first, in
get_groupmsg_list_v2: messages of that sender since the row was planned, with the campaign's
text, whose msgid no Siyu task holds. Chunks of one sender are sent one after another (the next
is enqueued when the previous is recorded), so at most one unrecorded message per sender and
campaign can exist and the match is unambiguous. Found: the msgid is adopted and nothing is
sent again. Not found: the call never reached WeCom, and it is made now.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from siyu.messaging.models import MassCampaign, MassTask
from siyu.messaging.repository import recipients, tasks
from siyu.wecom.client import WeComClient
from siyu.wecom.exceptions import RETRYABLE, WeComApiError

LIST_SPAN = timedelta(days=30)  # get_groupmsg_list_v2 takes at most one month
RESULT_STATUS = {0: "unsent", 1: "delivered", 2: "not_friend", 3: "got_other"}
CHAT_TYPE = {"customers": "single", "groups": "group"}


def _ts(moment: datetime) -> int:
    return int(moment.timestamp())


def pages(call: Any, key: str, **args: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        answer = call(cursor=cursor, **args)
        rows.extend(getattr(answer, key))
        cursor = answer.next_cursor
        if not cursor:
            return rows


def find_created(
    client: WeComClient, session: Session, *, campaign: MassCampaign, task: MassTask, now: datetime
) -> str | None:
    """The msgid of this task if an earlier attempt created it (see the module docstring)."""
    since = max(task.created_at - timedelta(minutes=1), now - LIST_SPAN)
    known = tasks.known_msgids(session, campaign.corp_id)
    listed = pages(
        client.get_groupmsg_list_v2,
        "group_msg_list",
        chat_type=CHAT_TYPE[campaign.kind],
        start_time=_ts(since),
        end_time=_ts(now) + 1,
        creator=task.staff_userid,
        filter_type=0,
        limit=100,
    )
    for message in listed:
        text = (message.get("text") or {}).get("content")
        if message.get("msgid") in known or text != campaign.text:
            continue
        if message.get("creator") not in (None, "", task.staff_userid):
            continue
        return str(message["msgid"])
    return None


def create_task(
    client: WeComClient,
    session: Session,
    *,
    campaign: MassCampaign,
    task: MassTask,
    attempt: int,
    now: datetime,
) -> None:
    """Create the WeCom task for one chunk, or adopt the one an earlier attempt created."""
    msgid = (
        find_created(client, session, campaign=campaign, task=task, now=now)
        if attempt > 1
        else None
    )
    fail_list: list[str] = []
    if msgid is None:
        targets = recipients.targets(session, task)
        body: dict[str, Any] = {"sender": task.staff_userid, "allow_select": False}
        body["chat_id_list" if campaign.kind == "groups" else "external_userid"] = targets
        if campaign.text:
            body["text"] = {"content": campaign.text}
        if campaign.attachments:
            body["attachments"] = campaign.attachments
        try:
            answer = client.add_msg_template(chat_type=CHAT_TYPE[campaign.kind], **body)
        except WeComApiError as exc:
            if exc.errcode in RETRYABLE:
                raise  # the job retries; the retry looks for the task first
            task.status, task.error = "failed", f"{exc.errcode} {exc.errmsg}"[:255]
            recipients.set_status(session, task, "failed")
            return
        msgid, fail_list = answer.msgid, list(answer.fail_list)
    task.msgid, task.status, task.created_in_wecom_at = msgid, "created", now
    task.fail_count = len(fail_list)
    recipients.set_status(session, task, "sent")
    if fail_list:
        recipients.set_status(session, task, "failed", only=fail_list)


def track_task(client: WeComClient, session: Session, *, task: MassTask, now: datetime) -> None:
    """Confirmation (get_groupmsg_task) and, once confirmed, every per-target result
    (get_groupmsg_send_result, paged): a confirmed task's results are final."""
    if task.status != "created" or not task.msgid:
        return
    for row in pages(client.get_groupmsg_task, "task_list", msgid=task.msgid, limit=1000):
        if row.get("userid") == task.staff_userid:
            task.wecom_status = int(row.get("status", 0))
            if row.get("send_time"):
                task.confirmed_at = datetime.fromtimestamp(int(row["send_time"]), UTC)
    if task.wecom_status != 2:
        return
    results = pages(
        client.get_groupmsg_send_result,
        "send_list",
        msgid=task.msgid,
        userid=task.staff_userid,
        limit=1000,
    )
    rows = []
    for row in results:
        status = RESULT_STATUS.get(int(row.get("status", 0)), "unsent")
        sent_at = (
            datetime.fromtimestamp(int(row["send_time"]), UTC) if row.get("send_time") else None
        )
        rows.append(
            {
                "b_target": row.get("external_userid") or row.get("chat_id"),
                "b_status": status,
                "b_sent_at": sent_at,
                # Delivered counts in the period it arrived in; the rest give the slot back.
                "b_counted_at": (sent_at or now) if status == "delivered" else None,
            }
        )
    recipients.apply_results(session, task, rows)
    # Targets WeCom did not list were never sent to.
    recipients.set_status(session, task, "unsent", where_status=("sent",))
    task.status = "done"
