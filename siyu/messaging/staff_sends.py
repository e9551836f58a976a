"""Mass messages staff send themselves from the WeCom client, imported into the quota ledger.

WeCom counts every mass message a customer (or group) received in a period, enterprise- and
member-created together (API-FACTS §5, D:92135). Siyu counts its own campaigns as it plans
them; a member's own sends are visible only in WeCom's list: get_groupmsg_list_v2 with
`filter_type` 1 returns the member-created ones (`create_type` 1, D:96355). Without them the
planner would spend a customer's last slot that a member already used, and WeCom would answer
"already received another" (result 3) for it.

The import (job `messaging.import_staff_sends`, every 30 minutes per corp) lists the last
30 days (the list's span is at most a month, as long as the longest quota period), follows each
message's tasks (get_groupmsg_task) and, for every sent task, its per-target results
(get_groupmsg_send_result). Each delivered target (status 1) becomes a receipt counted at its
`send_time`. Receipts are keyed by (msgid, sender, target) and written ignoring conflicts, so
reading a message again writes nothing twice; a message whose tasks are all sent is marked
imported and is not asked for again.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from siyu.customers.service import customer_service
from siyu.messaging.repository import staff_sends
from siyu.messaging.sending import LIST_SPAN, pages
from siyu.wecom.client import WeComClient

MEMBER_CREATED = 1  # get_groupmsg_list_v2 filter_type / create_type: 1 个人
SENT = 2  # get_groupmsg_task status: 2 已发送
DELIVERED = 1  # get_groupmsg_send_result status: 1 已发送


def _at(value: Any, default: datetime) -> datetime:
    return datetime.fromtimestamp(int(value), UTC) if value else default


def _receipts(
    client: WeComClient, session: Session, *, corp_id: uuid.UUID, msgid: str, userid: str,
    sent_at: datetime,
) -> list[dict[str, Any]]:  # fmt: skip
    """The delivered targets of one sender's task, as receipt rows."""
    delivered = [
        row
        for row in pages(
            client.get_groupmsg_send_result, "send_list", msgid=msgid, userid=userid, limit=1000
        )
        if int(row.get("status", 0)) == DELIVERED
    ]
    externals = [str(r["external_userid"]) for r in delivered if r.get("external_userid")]
    known = customer_service.ids_by_external_userid(
        session, corp_id=corp_id, external_userids=externals
    )
    return [
        {
            "corp_id": corp_id,
            "msgid": msgid,
            "staff_userid": userid,
            "target": row.get("external_userid") or row["chat_id"],
            "customer_id": known.get(str(row.get("external_userid"))),
            "chat_id": row.get("chat_id") or None,
            "counted_at": _at(row.get("send_time"), sent_at),
        }
        for row in delivered
        if row.get("external_userid") or row.get("chat_id")
    ]


def import_message(
    client: WeComClient, session: Session, *, corp_id: uuid.UUID, message: dict[str, Any],
    chat_type: str, now: datetime,
) -> int:  # fmt: skip
    """One listed message: receipts of every sent task; imported once all are sent."""
    msgid = str(message["msgid"])
    created = _at(message.get("create_time"), now)
    tasks = pages(client.get_groupmsg_task, "task_list", msgid=msgid, limit=1000)
    written = 0
    for task in tasks:
        if int(task.get("status", 0)) != SENT or not task.get("userid"):
            continue
        rows = _receipts(
            client, session, corp_id=corp_id, msgid=msgid, userid=str(task["userid"]),
            sent_at=_at(task.get("send_time"), created),
        )  # fmt: skip
        staff_sends.add_receipts(session, rows)
        written += len(rows)
    all_sent = bool(tasks) and all(int(t.get("status", 0)) == SENT for t in tasks)
    staff_sends.upsert_message(
        session,
        {
            "corp_id": corp_id, "msgid": msgid, "chat_type": chat_type,
            "creator": message.get("creator"), "created_in_wecom_at": created,
            "imported_at": now if all_sent else None,
        },
    )  # fmt: skip
    return written


def import_corp(client: WeComClient, session: Session, *, corp_id: uuid.UUID, now: datetime) -> int:
    """Every member-created mass message of the last 30 days not fully imported yet."""
    written = 0
    for chat_type in ("single", "group"):
        listed = pages(
            client.get_groupmsg_list_v2,
            "group_msg_list",
            chat_type=chat_type,
            start_time=int((now - LIST_SPAN).timestamp()),
            end_time=int(now.timestamp()),
            filter_type=MEMBER_CREATED,
            limit=100,
        )
        own = [m for m in listed if m.get("msgid") and m.get("create_type") == MEMBER_CREATED]
        pending = staff_sends.pending_msgids(session, corp_id, [str(m["msgid"]) for m in own])
        for message in own:
            if str(message["msgid"]) in pending:
                written += import_message(
                    client, session, corp_id=corp_id, message=message, chat_type=chat_type,
                    now=now,
                )  # fmt: skip
        session.flush()
    return written
