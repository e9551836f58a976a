"""Group code jobs: rotate one code, check every code against WeCom, alert when standbys run out."""

from __future__ import annotations

import uuid
from datetime import timedelta

import structlog

from siyu.corps.service import corp_service
from siyu.groupcodes import rotation
from siyu.groupcodes.models import SLOT_ACTIVE
from siyu.groupcodes.repository import group_code_repository as repo
from siyu.groupcodes.service import (
    ALERT_JOB,
    CHECK_CODE_JOB,
    DELETE_JOIN_WAY_JOB,
    ROTATE_JOB,
    group_code_service,
)
from siyu.groupcodes.wecom import JoinWays
from siyu.groups.service import group_service
from siyu.jobs import JobContext, job, periodic
from siyu.tags.handlers import payload
from siyu.wecom.client import client_for
from siyu.wecom.exceptions import RETRYABLE, TOKEN_ERRCODES, WeComApiError

log = structlog.get_logger("siyu.groupcodes")
CHECK_EVERY = timedelta(minutes=5)
# message/send: duplicate check window (4 h is WeCom's maximum) and errors a retry repeats.
DUPLICATE_CHECK_SECONDS = 4 * 3600
PERMANENT_ERRCODES = frozenset({40056, 40058, 81013})
TRANSIENT = RETRYABLE | TOKEN_ERRCODES


@job(ROTATE_JOB, max_attempts=8, retry_base_seconds=2.0)
def rotate(ctx: JobContext, *, code_id: str) -> None:
    """Plan and apply under the code's row lock; a second run finds nothing to change."""
    code = repo.lock(ctx.session, uuid.UUID(code_id))
    if code is None:
        return
    corp = corp_service.get_or_404(ctx.session, code.corp_id)
    group_code_service.rebalance(
        ctx.session, code=code, ways=JoinWays(client_for(ctx.runtime, corp))
    )


@job(DELETE_JOIN_WAY_JOB, max_attempts=8)
def delete_join_way(ctx: JobContext, *, corp_id: str, config_id: str) -> None:
    """A deleted code's join way, after its row is gone (no transaction held while WeCom
    answers). Transient errors retry; a refusal is logged: the way then only lingers in
    WeCom's list, routing nobody new."""
    with ctx.runtime.db.transaction(write=False) as read:
        corp = corp_service.get_or_404(read, uuid.UUID(corp_id))
        read.expunge(corp)
    try:
        JoinWays(client_for(ctx.runtime, corp)).delete_config(config_id)
    except WeComApiError as exc:
        if exc.errcode in TRANSIENT:
            raise
        log.warning("join_way_delete_refused", config_id=config_id, errcode=exc.errcode)


@periodic("groupcodes.check", every=CHECK_EVERY)
def check_codes(ctx: JobContext) -> None:
    """The safety net for lost callbacks: re-read the active groups (groupchat/get, which also
    reports each member's state), adopt rooms WeCom auto-created, then rebalance."""
    for corp in corp_service.list(ctx.session):
        for code in repo.list_corp(ctx.session, corp.id):
            check_code(ctx, code_id=code.id)


@job(CHECK_CODE_JOB, max_attempts=6)
def check_after_rotation(ctx: JobContext, *, code_id: str) -> None:
    """One code's check, queued by a rotation (see `GroupCodeService.rebalance`)."""
    check_code(ctx, code_id=uuid.UUID(code_id))


def check_code(ctx: JobContext, *, code_id: uuid.UUID) -> None:
    code = repo.lock(ctx.session, code_id)
    if code is None or not code.config_id:
        return
    corp = corp_service.get_or_404(ctx.session, code.corp_id)
    client = client_for(ctx.runtime, corp)
    ways = JoinWays(client)
    try:
        listed = [str(c) for c in ways.get(code).get("chat_id_list") or []]
    except WeComApiError as exc:
        log.warning("group_code_check_failed", code=str(code.id), errcode=exc.errcode)
        return
    group_code_service.adopt(ctx.session, code=code, chat_ids=listed)
    for slot in repo.slots(ctx.session, code.id):
        if slot.status != SLOT_ACTIVE:
            continue
        answer = payload(client.groupchat_get(chat_id=slot.chat_id, need_name=True))
        data = payload(answer.get("group_chat") or {})
        if not data.get("chat_id"):
            continue
        group_service.apply_snapshot(ctx.session, corp_id=corp.id, data=data, at=ctx.now)
        joined = [
            str(m["userid"])
            for m in data.get("member_list") or []
            if m.get("state") == code.state and m.get("userid")
        ]
        group_code_service.record_joins(
            ctx.session, code=code, chat_id=slot.chat_id, members=joined, at=ctx.now
        )
    group_code_service.rebalance(ctx.session, code=code, ways=ways, force_sync=False)


@job(ALERT_JOB, max_attempts=6)
def send_alert(ctx: JobContext, *, code_id: str, room_left: int) -> None:
    """One app message to the owner and operators; WeCom's duplicate check covers a retry."""
    code = repo.lock(ctx.session, uuid.UUID(code_id))
    if code is None:
        return
    corp = corp_service.get_or_404(ctx.session, code.corp_id)
    if corp.agent_id is None:
        log.warning("group_code_alert_skipped", code=code_id, reason="no agent id")
        return
    recipients = list(dict.fromkeys([code.owner_userid, *code.operator_userids]))
    threshold = rotation.threshold_of(code)
    text = (
        f"群活码「{code.name}」已没有备用群：当前群还能进约 {room_left} 人"
        f"（每群 {threshold} 人轮换）。请尽快在 Siyu 中添加备用群"
        + ("，或依靠企业微信自动建群。" if code.auto_create_room else "。")
    )
    try:
        client_for(ctx.runtime, corp).message_send(
            agentid=int(corp.agent_id),
            msgtype="text",
            content={"content": text},
            touser=recipients,
            enable_duplicate_check=1,
            duplicate_check_interval=DUPLICATE_CHECK_SECONDS,
        )
    except WeComApiError as exc:
        if exc.errcode in PERMANENT_ERRCODES:
            log.warning("group_code_alert_failed", code=code_id, errcode=exc.errcode)
            return
        raise
    log.info("group_code_alert_sent", code=code_id, recipients=recipients)
