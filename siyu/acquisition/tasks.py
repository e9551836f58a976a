"""Jobs that keep each code's contact way equal to its plan, and the capacity warnings.

WeCom calls run before the job's session is touched: on SQLite that session's first statement
takes the database's write lock, which must not be held while WeCom answers (the same rule as
the inbox prefetch). What is read first comes from a read-only transaction.
"""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import structlog

from siyu.acquisition import capacity, welcome
from siyu.acquisition.effects import REMARK_JOB
from siyu.acquisition.models import LiveCode
from siyu.acquisition.planner import WayPlan, plan_way
from siyu.acquisition.repository import acquisition_repository as repo
from siyu.acquisition.service import DELETE_WAY_JOB, SYNC_JOB, acquisition_service
from siyu.corps.models import Corp
from siyu.corps.service import corp_service
from siyu.jobs import JobContext, job, periodic
from siyu.wecom.client import client_for
from siyu.wecom.exceptions import RETRYABLE, TOKEN_ERRCODES, WeComApiError

log = structlog.get_logger("siyu.acquisition")
REROUTE_JOB = "acquisition.reroute"
WELCOME_SETTLE_JOB = "acquisition.welcome.settle"
TRANSIENT = RETRYABLE | TOKEN_ERRCODES


def _way_body(code: LiveCode, plan: WayPlan) -> dict[str, Any]:
    return {
        "remark": code.name[:30],
        "skip_verify": plan.skip_verify,
        "state": code.state,
        "user": plan.users,
        "party": [],  # Siyu expands departments itself, so caps apply per member
    }


def sync_code(ctx: JobContext, code_id: uuid.UUID) -> str:
    """Create the way, or update it when the plan changed. Returns what it did."""
    with ctx.runtime.db.transaction(write=False) as read:
        code = read.get(LiveCode, code_id)
        if code is None:
            return "gone"
        plan = plan_way(read, code, now=ctx.now)
        corp = corp_service.get_or_404(read, code.corp_id)
        read.expunge(corp)
        body = _way_body(code, plan)
        config_id = code.config_id
        if config_id is not None and not plan.differs_from(code):
            return "unchanged"
    client = client_for(ctx.runtime, corp)
    values: dict[str, Any] = {"synced_at": ctx.now, "sync_error": None}
    try:
        if config_id is None:
            created = client.add_contact_way(type=2, scene=2, **body)
            values |= {"config_id": created.config_id, "qr_code": created.qr_code}
        else:
            client.update_contact_way(config_id=config_id, **body)
    except WeComApiError as exc:
        if exc.errcode in TRANSIENT:
            raise
        repo.set_way(ctx.session, code_id, sync_error=f"{exc.errcode} {exc.errmsg}"[:255])
        log.warning("code_sync_refused", code_id=str(code_id), errcode=exc.errcode)
        return "refused"
    values |= {"active_userids": plan.users, "active_skip_verify": plan.skip_verify}
    if config_id is None and not _claim_way(ctx, code_id, values):
        # Another sync created a way first: ours would be a second QR nobody prints.
        client.del_contact_way(config_id=values["config_id"])
        return "lost-race"
    if config_id is not None:
        repo.set_way(ctx.session, code_id, **values)
    return "created" if config_id is None else "updated"


def _claim_way(ctx: JobContext, code_id: uuid.UUID, values: dict[str, Any]) -> bool:
    code = ctx.session.get(LiveCode, code_id, with_for_update=True)
    if code is None or code.config_id is not None:
        return False
    for name, value in values.items():
        setattr(code, name, value)
    ctx.session.flush()
    return True


@job(SYNC_JOB, max_attempts=8, retry_base_seconds=2.0, retry_cap_seconds=300.0)
def sync_code_job(ctx: JobContext, code_id: str) -> None:
    outcome = sync_code(ctx, uuid.UUID(code_id))
    if outcome not in ("unchanged", "gone"):
        log.info("code_synced", code_id=code_id, outcome=outcome)


@job(DELETE_WAY_JOB, max_attempts=8)
def delete_way(ctx: JobContext, corp_id: str, config_id: str) -> None:
    with ctx.runtime.db.transaction(write=False) as read:
        corp: Corp = corp_service.get_or_404(read, uuid.UUID(corp_id))
        read.expunge(corp)
    try:
        client_for(ctx.runtime, corp).del_contact_way(config_id=config_id)
    except WeComApiError as exc:
        if exc.errcode in TRANSIENT:
            raise
        log.info("way_delete_refused", config_id=config_id, errcode=exc.errcode)


@periodic(REROUTE_JOB, every=timedelta(minutes=1))
def reroute(ctx: JobContext) -> None:
    """Shifts start and end, days roll over, windows open: re-plan every code once a minute
    and sync the ones whose plan changed (each in its own job, so no WeCom call waits here)."""
    with ctx.runtime.db.transaction(write=False) as read:
        stale = []
        for _, code_id in repo.codes_with_ways(read):
            code = read.get(LiveCode, code_id)
            if code is not None and plan_way(read, code, now=ctx.now).differs_from(code):
                stale.append(code)
        for code in stale:
            read.expunge(code)
    for code in stale:
        acquisition_service.request_sync(ctx.session, code=code, reason="reroute")


@periodic(WELCOME_SETTLE_JOB, every=timedelta(minutes=1))
def settle_welcomes(ctx: JobContext) -> None:
    settled = welcome.settle_stale(ctx.session, now=ctx.now)
    if settled:
        log.warning("welcomes_uncertain", count=settled)


@job(capacity.SEND_JOB, max_attempts=6)
def send_capacity_warning(ctx: JobContext, warning_id: str) -> None:
    capacity.send_warning(ctx, uuid.UUID(warning_id))


@job(REMARK_JOB, max_attempts=6)
def remark_contact(
    ctx: JobContext,
    corp_id: str,
    userid: str,
    external_userid: str,
    remark: str | None = None,
    description: str | None = None,
) -> None:
    """The code's auto remark/description (externalcontact/remark, API-FACTS §4.1)."""
    with ctx.runtime.db.transaction(write=False) as read:
        corp = corp_service.get_or_404(read, uuid.UUID(corp_id))
        read.expunge(corp)
    try:
        client_for(ctx.runtime, corp).remark(
            userid=userid, external_userid=external_userid, remark=remark, description=description
        )
    except WeComApiError as exc:
        if exc.errcode in TRANSIENT:
            raise
        log.info("remark_refused", userid=userid, errcode=exc.errcode)
