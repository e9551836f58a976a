"""Reminding the senders who have not posted: one WeCom app message per post per day.

The reminder row is unique per (post, China day), the job is keyed the same way, and the
message goes out with WeCom's duplicate check, so neither a double click nor a retried job
reaches anyone twice.
"""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from siyu.corps.service import corp_service
from siyu.kit.clock import utcnow
from siyu.moments.models import MomentPost
from siyu.moments.repository import moment_repository as repo
from siyu.wecom.client import client_for
from siyu.wecom.exceptions import RETRYABLE, WeComApiError

if TYPE_CHECKING:
    from siyu.runtime import Runtime

TOUSER_MAX = 1000  # message/send takes ≤1000 userids per call (API-FACTS §4.9)
DUPLICATE_CHECK_SECONDS = 4 * 3600  # WeCom's maximum
EXCERPT = 60


def message_text(post: MomentPost) -> str:
    excerpt = post.text[:EXCERPT] + ("…" if len(post.text) > EXCERPT else "")
    return (
        "【企业朋友圈待发表】公司为你准备了一条朋友圈，请在企业微信「客户朋友圈」中确认发表。"
        + (f"\n内容：{excerpt}" if excerpt else "")
    )


def send(session: Session, runtime: Runtime, post: MomentPost, day: date) -> None:
    reminder = repo.reminder(session, post.id, day)
    if reminder is None or reminder.sent_at is not None or reminder.error:
        return
    corp = corp_service.get_or_404(session, post.corp_id)
    pending = repo.unpublished_userids(session, post.id)
    if not pending:
        reminder.error = "every sender had posted"
        return
    if corp.agent_id is None:
        reminder.error = "no agent id configured for app messages"
        return
    client = client_for(runtime, corp)
    msgid = None
    for start in range(0, len(pending), TOUSER_MAX):
        try:
            answer = client.message_send(
                agentid=corp.agent_id,
                msgtype="text",
                content={"content": message_text(post)},
                touser=pending[start : start + TOUSER_MAX],
                enable_duplicate_check=1,
                duplicate_check_interval=DUPLICATE_CHECK_SECONDS,
            )
        except WeComApiError as exc:
            if exc.errcode in RETRYABLE:
                raise  # the duplicate check keeps already-sent chunks from repeating
            reminder.error = f"{exc.errcode}: {exc.errmsg}"[:255]
            return
        msgid = msgid or answer.msgid
    reminder.recipients, reminder.sent_at, reminder.msgid = pending, utcnow(), msgid
