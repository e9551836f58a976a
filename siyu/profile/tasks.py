"""Periodic profile jobs: copy the event outbox to timelines, keep today's stage counts exact."""

from __future__ import annotations

from datetime import timedelta

from siyu.jobs import JobContext, periodic
from siyu.profile.repository import profile_repository
from siyu.profile.stages import stage_service
from siyu.profile.timeline import timeline_service

FEED_BATCHES = 20  # ≤ 10,000 events per corp per run; the next run continues at the cursor


@periodic("profile.timeline_feed", every=timedelta(seconds=30))
def feed_timelines(ctx: JobContext) -> None:
    from siyu.corps.service import corp_service

    for corp in corp_service.list(ctx.session):
        corp_id = corp.id
        for _ in range(FEED_BATCHES):
            if timeline_service.feed_from_events(ctx.session, corp_id=corp_id) == 0:
                break


@periodic("profile.stage_counts", every=timedelta(hours=1))
def snapshot_stage_counts(ctx: JobContext) -> None:
    """Hourly, so the day's last snapshot is at most an hour before midnight (moves in that
    last hour are applied incrementally)."""
    for corp_id in profile_repository.corps_with_stages(ctx.session):
        stage_service.snapshot(ctx.session, corp_id=corp_id, at=ctx.now)
