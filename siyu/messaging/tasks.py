"""Messaging jobs: plan a due campaign, create one WeCom task, follow campaigns' results."""

from __future__ import annotations

import uuid
from datetime import timedelta

from siyu.corps.service import corp_service
from siyu.jobs import JobContext, enqueue, job, periodic
from siyu.messaging import sending, staff_sends, tracking
from siyu.messaging.repository import campaigns, recipients, tasks
from siyu.messaging.service import DISPATCH_JOB, PLAN_JOB, SEND_JOB, messaging_service
from siyu.wecom.client import client_for

TRACK_JOB = "messaging.track_campaign"
IMPORT_JOB = "messaging.import_staff_sends_corp"


@job(PLAN_JOB, max_attempts=5, retry_base_seconds=10.0)
def plan_campaign(ctx: JobContext, campaign_id: str) -> None:
    messaging_service.plan(
        ctx.session, campaign_id=uuid.UUID(campaign_id), now=ctx.now, runtime=ctx.runtime
    )


@job(DISPATCH_JOB, max_attempts=5)
def dispatch_campaign(ctx: JobContext, campaign_id: str) -> None:
    messaging_service.dispatch(ctx.session, campaign_id=uuid.UUID(campaign_id))


@job(SEND_JOB, max_attempts=8, retry_base_seconds=10.0)
def send_task(ctx: JobContext, task_id: str) -> None:
    """One add_msg_template; a retry first looks for what an earlier attempt created
    (sending.py explains why that makes the call happen once)."""
    task = tasks.lock(ctx.session, uuid.UUID(task_id))
    if task is None or task.status != "pending":
        return
    campaign = campaigns.lock(ctx.session, task.campaign_id)
    assert campaign is not None
    if campaign.status == "cancelled":
        task.status = "cancelled"
        recipients.set_status(ctx.session, task, "cancelled")
        return
    corp = corp_service.get_or_404(ctx.session, campaign.corp_id)
    client = client_for(ctx.runtime, corp)
    sending.create_task(
        client, ctx.session, campaign=campaign, task=task, attempt=ctx.attempt, now=ctx.now
    )
    messaging_service.after_send(ctx.session, campaign, task)


@job(TRACK_JOB, max_attempts=3)
def track_campaign(ctx: JobContext, campaign_id: str) -> None:
    campaign = campaigns.lock(ctx.session, uuid.UUID(campaign_id))
    if campaign is None:
        return
    corp = corp_service.get_or_404(ctx.session, campaign.corp_id)
    tracking.track(client_for(ctx.runtime, corp), ctx.session, campaign=campaign, now=ctx.now)


@periodic("messaging.due", every=timedelta(minutes=1))
def plan_due(ctx: JobContext) -> None:
    """A safety net under the plan jobs queued for `due_at`: any scheduled campaign that is due
    gets a plan job (planning is a no-op for one already planned)."""
    for campaign_id in campaigns.due(ctx.session, ctx.now):
        enqueue(
            ctx.session, PLAN_JOB, key=f"{PLAN_JOB}:{campaign_id}:due:{ctx.now.isoformat()}",
            args={"campaign_id": str(campaign_id)},
        )  # fmt: skip


@periodic("messaging.track", every=timedelta(minutes=10))
def track_open(ctx: JobContext) -> None:
    """Every 10 minutes, each campaign still sending or awaiting results is followed once."""
    for campaign_id in campaigns.tracking(ctx.session):
        enqueue(
            ctx.session, TRACK_JOB, key=f"{TRACK_JOB}:{campaign_id}:{ctx.now.isoformat()}",
            args={"campaign_id": str(campaign_id)},
        )  # fmt: skip


@job(IMPORT_JOB, max_attempts=3)
def import_staff_sends_corp(ctx: JobContext, corp_id: str) -> None:
    corp = corp_service.get_or_404(ctx.session, uuid.UUID(corp_id))
    staff_sends.import_corp(
        client_for(ctx.runtime, corp), ctx.session, corp_id=corp.id, now=ctx.now
    )


@periodic("messaging.import_staff_sends", every=timedelta(minutes=30))
def import_staff_sends(ctx: JobContext) -> None:
    """Every 30 minutes, each corp with an app secret imports its staff's own mass messages
    (staff_sends.py), so the next plan counts them."""
    for corp in corp_service.list(ctx.session):
        if corp.app_secret_ciphertext is not None:
            enqueue(
                ctx.session, IMPORT_JOB, key=f"{IMPORT_JOB}:{corp.id}:{ctx.now.isoformat()}",
                args={"corp_id": str(corp.id)}, corp_id=corp.id,
            )  # fmt: skip
