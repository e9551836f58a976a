"""Lost-alert jobs: collect new losses every minute, send each batch once when it is due."""

from __future__ import annotations

import uuid
from datetime import timedelta

import structlog

from siyu.corps.service import corp_service
from siyu.jobs import JobContext, job, periodic
from siyu.lost import alerts
from siyu.lost.repository import lost_repository as repo
from siyu.wecom.client import client_for
from siyu.wecom.exceptions import WeComApiError

log = structlog.get_logger("siyu.lost")
COLLECT_BATCHES = 20


@periodic("lost.collect", every=timedelta(minutes=1))
def collect_lost(ctx: JobContext) -> None:
    for corp in corp_service.list(ctx.session):
        for _ in range(COLLECT_BATCHES):
            if alerts.collect(ctx.session, corp_id=corp.id, now=ctx.now) == 0:
                break


@job(alerts.SEND_JOB, max_attempts=6)
def send_alerts(ctx: JobContext, *, corp_id: str, batch_key: str) -> None:
    """One app message for the batch's unsent rows, then stamp them (same transaction as the
    job's completion). Errors WeCom will repeat on retry are recorded on the rows instead."""
    corp = corp_service.get_or_404(ctx.session, uuid.UUID(corp_id))
    rows = repo.unsent(ctx.session, corp.id, batch_key)
    if not rows:
        return
    recipient = rows[0].recipient_userid
    ids = [r.id for r in rows]
    agent_id = alerts.agent_of(repo.settings(ctx.session, corp.id), corp.agent_id)
    if agent_id is None:
        repo.stamp(ctx.session, ids, sent_at=None, msgid=None, error="no agent id configured")
        return
    from siyu.customers.service import customer_service

    names = customer_service.names(ctx.session, customer_ids=[r.customer_id for r in rows])
    try:
        answer = client_for(ctx.runtime, corp).message_send(
            agentid=agent_id,
            msgtype="text",
            content={"content": alerts.message_text(rows, names)},
            touser=[recipient],
            enable_duplicate_check=1,
            duplicate_check_interval=alerts.DUPLICATE_CHECK_SECONDS,
        )
    except WeComApiError as exc:
        if exc.errcode in alerts.PERMANENT_ERRCODES:
            repo.stamp(ctx.session, ids, sent_at=None, msgid=None, error=f"{exc.errcode}")
            return
        raise
    if recipient in (answer.invaliduser or "").split("|"):
        repo.stamp(ctx.session, ids, sent_at=None, msgid=None, error="recipient not in the app")
        return
    repo.stamp(ctx.session, ids, sent_at=ctx.now, msgid=answer.msgid)
    log.info("lost_alert_sent", recipient=recipient, customers=len(rows))
