"""After submission: the job result, then the per-staff publishing status, for a few days."""

from __future__ import annotations

from datetime import timedelta
from typing import TYPE_CHECKING, Any

from sqlalchemy.orm import Session

from siyu.corps.service import corp_service
from siyu.kit.clock import utcnow
from siyu.moments.models import MomentPost, MomentStatus
from siyu.moments.repository import moment_repository as repo
from siyu.wecom.client import WeComClient, client_for
from siyu.wecom.exceptions import RETRYABLE, WeComApiError

if TYPE_CHECKING:
    from siyu.runtime import Runtime

RESULT_POLL = timedelta(seconds=30)
STATUS_POLL = timedelta(minutes=30)
TRACK_FOR = timedelta(days=3)  # staff rarely post a company moment later than this
TASK_PAGE = 1000  # get_moment_task's maximum page (API-FACTS §4.7)
JOB_DONE = 3


def check(session: Session, runtime: Runtime, post: MomentPost, *, last_attempt: bool) -> None:
    """One step for a post in `publishing` or `published`; sets when to look again. A failed
    read never strands the post: it is looked at again later (or fails, for a refused jobid)."""
    client = client_for(runtime, corp_service.get_or_404(session, post.corp_id))
    try:
        _step(session, client, post)
    except WeComApiError as exc:
        if exc.errcode in RETRYABLE and not last_attempt:
            raise
        post.error = f"{exc.api}: {exc.errcode} {exc.errmsg}"[:500]
        if post.status == MomentStatus.publishing and exc.errcode not in RETRYABLE:
            post.status, post.next_check_at = MomentStatus.failed, None
        else:
            post.next_check_at = utcnow() + STATUS_POLL


def _step(session: Session, client: WeComClient, post: MomentPost) -> None:
    now = utcnow()
    if post.status == MomentStatus.publishing:
        if post.jobid_expires_at and now > post.jobid_expires_at:
            post.status, post.next_check_at = MomentStatus.failed, None
            post.error = "WeCom's job expired (24 h) before it reported a result"
            return
        assert post.jobid is not None
        answer = client.get_moment_task_result(jobid=post.jobid)
        if answer.status != JOB_DONE:
            post.next_check_at = now + RESULT_POLL
            return
        if not _take_result(post, answer.result or {}):
            return
        post.published_at, post.track_until = now, now + TRACK_FOR
    if post.status == MomentStatus.published:
        refresh_staff(session, client, post)
        post.next_check_at = now + STATUS_POLL
        if post.track_until is None or post.next_check_at > post.track_until:
            post.next_check_at = None


def _take_result(post: MomentPost, result: dict[str, Any]) -> bool:
    errcode = int(result.get("errcode") or 0)
    if errcode:
        post.status, post.next_check_at = MomentStatus.failed, None
        post.error = f"{errcode}: {result.get('errmsg', '')}"[:500]
        return False
    post.status, post.moment_id = MomentStatus.published, str(result["moment_id"])
    invalid = result.get("invalid_sender_list") or {}
    post.invalid_senders = [
        *invalid.get("user_list", []),
        *(f"department:{d}" for d in invalid.get("department_list", [])),
    ]
    tags = (result.get("invalid_external_contact_list") or {}).get("tag_list", [])
    post.invalid_tags = sorted({*post.invalid_tags, *tags})
    return True


def refresh_staff(session: Session, client: WeComClient, post: MomentPost) -> None:
    assert post.moment_id is not None
    now = utcnow()
    cursor: str | None = None
    while True:
        page = client.get_moment_task(moment_id=post.moment_id, cursor=cursor, limit=TASK_PAGE)
        rows = [
            {
                "post_id": post.id,
                "corp_id": post.corp_id,
                "userid": str(t["userid"]),
                "published": int(t.get("publish_status", 0)) == 1,
                "seen_published_at": now if int(t.get("publish_status", 0)) == 1 else None,
                "updated_at": now,
            }
            for t in page.task_list
        ]
        repo.upsert_tasks(session, rows)
        cursor = page.next_cursor
        if not cursor:
            return


def cancel(session: Session, runtime: Runtime, post: MomentPost) -> None:
    if post.status != MomentStatus.cancelling or post.moment_id is None:
        return
    client = client_for(runtime, corp_service.get_or_404(session, post.corp_id))
    try:
        client.cancel_moment_task(moment_id=post.moment_id)
    except WeComApiError as exc:
        if exc.errcode in RETRYABLE:
            raise
        # Refused for good: the post stays published and says why.
        post.status, post.next_check_at = MomentStatus.published, utcnow()
        post.error = f"cancel refused: {exc.errcode} {exc.errmsg}"[:500]
        return
    post.status, post.cancelled_at, post.next_check_at = MomentStatus.cancelled, utcnow(), None
