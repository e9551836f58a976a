"""Business rules of moment posts: what may change in which status, and what is queued when.

Services only flush; the request or job boundary commits, and jobs are woken after commit.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from siyu.auth.scope import DataScope
from siyu.jobs import enqueue
from siyu.kit.errors import Conflict, NotFound, Unprocessable
from siyu.kit.ids import new_id
from siyu.kit.pagination import decode_time_id_cursor, encode_time_id_cursor
from siyu.materials.service import materials_service
from siyu.moments import rules
from siyu.moments.models import MomentPost, MomentReminder, MomentStatus
from siyu.moments.repository import moment_repository as repo
from siyu.moments.schemas import MomentCreate, MomentRetry
from siyu.profile.stages import day_of
from siyu.tags.service import tag_service

SUBMIT_JOB = "moments.submit"
CHECK_JOB = "moments.check"
CANCEL_JOB = "moments.cancel"
REMIND_JOB = "moments.remind"
EDITABLE = (MomentStatus.draft, MomentStatus.scheduled)
RETRYABLE = (MomentStatus.failed, MomentStatus.uncertain)
# Scheduling further ahead than this is almost always a typo in the year.
MAX_SCHEDULE_AHEAD = timedelta(days=90)


class MomentService:
    def get_or_404(self, session: Session, *, scope: DataScope, post_id: uuid.UUID) -> MomentPost:
        post = repo.get(session, scope, post_id)
        if post is None:
            raise NotFound(f"moment post {post_id} does not exist")
        return post

    def page(
        self,
        session: Session,
        *,
        scope: DataScope,
        status: MomentStatus | None,
        cursor: str | None,
        limit: int,
    ) -> tuple[list[dict[str, Any]], str | None]:
        rows = repo.page(
            session, scope, status=status, after=decode_time_id_cursor(cursor), limit=limit
        )
        more = len(rows) > limit
        rows = rows[:limit]
        progress = repo.progress(session, [r.id for r in rows])
        items = [self._with_progress(r, progress.get(r.id, (0, 0))) for r in rows]
        next_cursor = encode_time_id_cursor(rows[-1].created_at, rows[-1].id) if more else None
        return items, next_cursor

    def detail(self, session: Session, *, scope: DataScope, post: MomentPost) -> dict[str, Any]:
        tasks = repo.tasks(session, scope, post.id)
        names = _staff_names(session, post.corp_id, [t.userid for t in tasks])
        published = sum(1 for t in tasks if t.published)
        return self._with_progress(post, (len(tasks), published)) | {
            "staff": [
                {
                    "userid": t.userid,
                    "name": names.get(t.userid),
                    "published": t.published,
                    "seen_published_at": t.seen_published_at,
                }
                for t in tasks
            ],
            "reminders": repo.reminders(session, post.id),
        }

    def create(
        self,
        session: Session,
        *,
        corp_id: uuid.UUID,
        data: MomentCreate,
        created_by: uuid.UUID | None,
        now: datetime,
    ) -> MomentPost:
        post = MomentPost(id=new_id(), corp_id=corp_id, created_by=created_by, created_at=now)
        self._apply(session, post, data, now=now)
        session.add(post)
        session.flush()
        self._queue_if_due(session, post, now)
        return post

    def update(
        self, session: Session, *, post: MomentPost, data: MomentCreate, now: datetime
    ) -> MomentPost:
        if post.status not in EDITABLE:
            raise Conflict(f"a {post.status} post can no longer be edited")
        self._apply(session, post, data, now=now)
        session.flush()
        self._queue_if_due(session, post, now)
        return post

    def delete(self, session: Session, *, post: MomentPost) -> None:
        if post.status not in (*EDITABLE, MomentStatus.failed, MomentStatus.cancelled):
            raise Conflict(f"a {post.status} post is in WeCom; cancel it instead of deleting")
        session.delete(post)
        session.flush()

    def cancel(self, session: Session, *, post: MomentPost, now: datetime) -> MomentPost:
        """Before submission nothing reaches WeCom; after it, cancel_moment_task needs the
        moment_id, which WeCom only gives once the job has finished."""
        if post.status == MomentStatus.scheduled:
            post.status, post.cancelled_at = MomentStatus.cancelled, now
        elif post.status == MomentStatus.published:
            post.status, post.next_check_at = MomentStatus.cancelling, None
            session.flush()
            enqueue(session, CANCEL_JOB, key=f"{CANCEL_JOB}:{post.id}", args=_args(post))
        elif post.status in (MomentStatus.submitting, MomentStatus.publishing):
            raise Conflict("WeCom is still creating this moment; cancel it once it is published")
        else:
            raise Conflict(f"a {post.status} post cannot be cancelled")
        session.flush()
        return post

    def retry(
        self, session: Session, *, post: MomentPost, data: MomentRetry, now: datetime
    ) -> MomentPost:
        if post.status not in RETRYABLE:
            raise Conflict(f"only failed or uncertain posts are retried, this one is {post.status}")
        if post.status == MomentStatus.uncertain and not data.confirm_not_in_wecom:
            raise Unprocessable(
                "this post may already exist in WeCom (a worker stopped while submitting it): "
                "check WeCom's moment list, then retry with confirm_not_in_wecom=true",
                details={"field": "confirm_not_in_wecom"},
            )
        post.status, post.error, post.due_at = MomentStatus.scheduled, None, now
        post.submit_attempt += 1
        session.flush()
        self._queue_if_due(session, post, now)
        return post

    def remind(
        self, session: Session, *, post: MomentPost, requested_by: uuid.UUID | None, now: datetime
    ) -> MomentReminder:
        """One app message per post per China day to the senders who have not posted yet."""
        if post.status != MomentStatus.published:
            raise Conflict(f"a {post.status} post has no senders to remind")
        pending = repo.unpublished_userids(session, post.id)
        if not pending:
            raise Conflict("every sender has already posted this moment")
        day = day_of(now)
        row = {"id": new_id(), "post_id": post.id, "corp_id": post.corp_id, "day": day}
        if not repo.add_reminder(session, row | {"requested_by": requested_by, "created_at": now}):
            raise Conflict(
                f"this post's senders were already reminded on {day.isoformat()}; "
                "WeCom members get at most one reminder per post per day",
                code="already_reminded",
            )
        enqueue(
            session,
            REMIND_JOB,
            key=f"{REMIND_JOB}:{post.id}:{day}",
            args=_args(post) | {"day": day.isoformat()},
        )
        reminder = repo.reminder(session, post.id, day)
        assert reminder is not None
        return reminder

    # -- helpers ---------------------------------------------------------------------------
    def _apply(
        self, session: Session, post: MomentPost, data: MomentCreate, *, now: datetime
    ) -> None:
        rules.check_text(data.text)
        rules.check_attachments(data.attachments)
        senders = rules.check_senders(data.visibility.sender_userids)
        if data.action != "draft":
            rules.check_not_empty(data.text, data.attachments)
        tag_ids = list(dict.fromkeys(data.visibility.tag_ids))
        _check_tags(session, post.corp_id, tag_ids)
        material_ids = [a.material_id for a in data.attachments if a.material_id]
        if material_ids:
            materials_service.check_attachable(
                session, corp_id=post.corp_id, material_ids=material_ids
            )
        post.text = data.text
        post.attachments = [a.model_dump(mode="json", exclude_none=True) for a in data.attachments]
        post.sender_userids = senders
        post.sender_department_ids = sorted(set(data.visibility.sender_department_ids))
        post.tag_ids = [str(t) for t in tag_ids]
        if data.action == "draft":
            post.status, post.due_at = MomentStatus.draft, data.due_at
        elif data.action == "now":
            post.status, post.due_at = MomentStatus.scheduled, now
        else:
            post.status, post.due_at = MomentStatus.scheduled, _check_due(data.due_at, now)

    def _queue_if_due(self, session: Session, post: MomentPost, now: datetime) -> None:
        """Due posts are queued at once; later ones are picked up by the periodic tick."""
        if post.status == MomentStatus.scheduled and post.due_at and post.due_at <= now:
            queue_submit(session, post)

    def _with_progress(self, post: MomentPost, progress: tuple[int, int]) -> dict[str, Any]:
        row = {c.key: getattr(post, c.key) for c in MomentPost.__table__.columns}
        return row | {"progress": {"senders": progress[0], "published": progress[1]}}


def queue_submit(session: Session, post: MomentPost) -> None:
    # due_at is in the key: a post rescheduled after its job ran gets a new job.
    assert post.due_at is not None
    key = f"{SUBMIT_JOB}:{post.id}:{post.submit_attempt}:{post.due_at.isoformat()}"
    enqueue(session, SUBMIT_JOB, key=key, args=_args(post), corp_id=post.corp_id)


def _args(post: MomentPost) -> dict[str, str]:
    return {"post_id": str(post.id)}


def _check_due(due_at: datetime | None, now: datetime) -> datetime:
    if due_at is None:
        raise Unprocessable("a scheduled post needs due_at", details={"field": "due_at"})
    if due_at.tzinfo is None:
        raise Unprocessable("due_at needs a time zone (e.g. +08:00)", details={"field": "due_at"})
    if due_at <= now:
        raise Unprocessable("due_at is in the past; use action=now", details={"field": "due_at"})
    if due_at - now > MAX_SCHEDULE_AHEAD:
        raise Unprocessable("due_at is more than 90 days ahead", details={"field": "due_at"})
    return due_at


def _check_tags(session: Session, corp_id: uuid.UUID, tag_ids: list[uuid.UUID]) -> None:
    found = {t.id: t for t in tag_service.get_tags(session, corp_id=corp_id, tag_ids=tag_ids)}
    unknown = [str(t) for t in tag_ids if t not in found or found[t].deleted_at is not None]
    if unknown:
        raise Unprocessable(
            f"unknown tags: {', '.join(unknown[:5])}",
            details={"field": "visibility.tag_ids", "unknown": unknown},
        )
    local = [str(t) for t in tag_ids if not found[t].wecom_tag_id]
    if local:
        raise Unprocessable(
            f"tags not yet created in WeCom: {', '.join(local[:5])}",
            details={"field": "visibility.tag_ids", "not_in_wecom": local},
        )


def _staff_names(session: Session, corp_id: uuid.UUID, userids: list[str]) -> dict[str, str]:
    from siyu.staff.service import staff_service

    return staff_service.names(session, corp_id=corp_id, userids=userids)


moment_service = MomentService()
