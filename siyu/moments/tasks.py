"""Moment jobs: the periodic tick that finds due work, and one job per step of a post."""

from __future__ import annotations

import uuid
from datetime import date, timedelta

from siyu.jobs import JobContext, job, periodic
from siyu.moments import publishing, reminders, tracking
from siyu.moments.models import MomentPost
from siyu.moments.repository import moment_repository as repo
from siyu.moments.service import CANCEL_JOB, CHECK_JOB, REMIND_JOB, SUBMIT_JOB, queue_submit

TICK_BATCH = 200


@periodic("moments.tick", every=timedelta(minutes=1))
def tick(ctx: JobContext) -> None:
    """Queue scheduled posts that are due and posts whose next check has come (keyed, so a
    post already queued is not queued twice)."""
    for post in repo.due_for_submit(ctx.session, now=ctx.now, limit=TICK_BATCH):
        queue_submit(ctx.session, post)
    for post in repo.due_for_check(ctx.session, now=ctx.now, limit=TICK_BATCH):
        publishing.queue_check(ctx.session, post)


@job(SUBMIT_JOB, max_attempts=6, retry_base_seconds=30)
def submit(ctx: JobContext, *, post_id: str) -> None:
    # Commits its own steps before the job's session is used (see publishing.py).
    publishing.submit(ctx.runtime, uuid.UUID(post_id), last_attempt=ctx.is_last_attempt)


@job(CHECK_JOB, max_attempts=4)
def check(ctx: JobContext, *, post_id: str) -> None:
    post = ctx.session.get(MomentPost, uuid.UUID(post_id))
    if post is not None and publishing.due(post, ctx.now):
        tracking.check(ctx.session, ctx.runtime, post, last_attempt=ctx.is_last_attempt)


@job(CANCEL_JOB, max_attempts=6)
def cancel(ctx: JobContext, *, post_id: str) -> None:
    post = ctx.session.get(MomentPost, uuid.UUID(post_id))
    if post is not None:
        tracking.cancel(ctx.session, ctx.runtime, post)


@job(REMIND_JOB, max_attempts=6)
def remind(ctx: JobContext, *, post_id: str, day: str) -> None:
    post = ctx.session.get(MomentPost, uuid.UUID(post_id))
    if post is not None:
        reminders.send(ctx.session, ctx.runtime, post, date.fromisoformat(day))
