"""Submitting a post to WeCom exactly once, and following it until every sender has posted.

add_moment_task has no idempotency key, so a second call creates a second moment. The submit
step therefore commits `submitting` before calling WeCom and commits the jobid right after, each
in a transaction of its own (the job's session is not begun yet, so SQLite's single writer is
free). A run that finds `submitting` without a jobid cannot know whether WeCom holds a task and
marks the post `uncertain` for an operator instead of calling again.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import structlog

from siyu.corps.service import corp_service
from siyu.jobs import enqueue
from siyu.kit.clock import utcnow
from siyu.kit.errors import SiyuError
from siyu.moments import wire
from siyu.moments.models import MomentPost, MomentStatus
from siyu.moments.service import CHECK_JOB
from siyu.wecom.client import client_for
from siyu.wecom.exceptions import RETRYABLE, WeComApiError, WeComTransportError

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from siyu.runtime import Runtime

log = structlog.get_logger("siyu.moments")
JOBID_LIFETIME = timedelta(hours=24)  # API-FACTS §4.7
UNCERTAIN = (
    "a worker stopped while submitting this post to WeCom; it may exist there already. "
    "Check WeCom, then retry with confirm_not_in_wecom=true or delete it"
)


def submit(runtime: Runtime, post_id: uuid.UUID, *, last_attempt: bool = False) -> None:
    db = runtime.db
    with db.transaction() as session:
        post = session.get(MomentPost, post_id)
        if post is None or not _claim(post):
            return
        corp = corp_service.get_or_404(session, post.corp_id)
        try:
            attachments = wire.attachments_of(session, post, corp=corp, runtime=runtime)
        except SiyuError as exc:
            post.status, post.error = MomentStatus.failed, exc.message[:500]
            return
        visible, gone_tags = wire.visible_range(session, post)
        text = post.text or None
    # The claim is committed: from here on a crash leaves `submitting` without a jobid.
    try:
        answer = client_for(runtime, corp).add_moment_task(
            text=text, attachments=attachments or None, visible_range=visible or None
        )
    except WeComTransportError:
        _finish(runtime, post_id, MomentStatus.uncertain, error=UNCERTAIN)
        return
    except WeComApiError as exc:
        if exc.errcode in RETRYABLE:
            # WeCom answered and refused (busy, rate limit): no task exists; the job retries,
            # and after its last attempt the post fails with the reason (retry is one click).
            if last_attempt:
                reason = f"WeCom stayed busy: {exc.errcode} {exc.errmsg}"[:500]
                _finish(runtime, post_id, MomentStatus.failed, error=reason)
                return
            _finish(runtime, post_id, MomentStatus.scheduled, error=None)
            raise
        _finish(runtime, post_id, MomentStatus.failed, error=f"{exc.errcode}: {exc.errmsg}"[:500])
        return
    now = utcnow()
    with db.transaction() as session:
        post = session.get(MomentPost, post_id)
        assert post is not None
        # Also over `uncertain`: a run that outlived its lease may have been judged dead.
        post.status, post.error = MomentStatus.publishing, None
        post.jobid, post.jobid_expires_at = answer.jobid, now + JOBID_LIFETIME
        post.invalid_tags = gone_tags
        post.next_check_at = now
        session.flush()
        queue_check(session, post)
    log.info("moment_submitted", post_id=str(post_id), jobid=answer.jobid)


def _claim(post: MomentPost) -> bool:
    if post.status == MomentStatus.submitting and post.jobid is None:
        post.status, post.error = MomentStatus.uncertain, UNCERTAIN
        return False
    if post.status != MomentStatus.scheduled or post.due_at is None or post.due_at > utcnow():
        return False  # edited, cancelled or rescheduled since the job was queued
    post.status, post.submitted_at = MomentStatus.submitting, utcnow()
    return True


def _finish(
    runtime: Runtime, post_id: uuid.UUID, status: MomentStatus, *, error: str | None
) -> None:
    with runtime.db.transaction() as session:
        post = session.get(MomentPost, post_id)
        if post is not None and post.status == MomentStatus.submitting:
            post.status, post.error = status, error


def queue_check(session: Session, post: MomentPost) -> None:
    assert post.next_check_at is not None
    key = f"{CHECK_JOB}:{post.id}:{post.next_check_at.isoformat()}"
    enqueue(session, CHECK_JOB, key=key, args={"post_id": str(post.id)}, corp_id=post.corp_id)


def due(post: MomentPost, now: datetime) -> bool:
    return post.next_check_at is not None and post.next_check_at <= now
