"""The add's effects inside the handler's transaction: the code add row (caps, analytics),
the channel and code tags (mark_tag through the tags service), the auto remark/description
(a job, since it calls WeCom), a re-plan of the code's user list, and the capacity check."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy.orm import Session

from siyu.acquisition import capacity
from siyu.acquisition.models import Channel, LiveCode
from siyu.acquisition.planner import plan_way
from siyu.acquisition.repository import acquisition_repository as repo
from siyu.acquisition.service import acquisition_service
from siyu.acquisition.templates import TemplateValues, render_description, render_remark
from siyu.acquisition.welcome import live_code
from siyu.customers.models import FollowRelation
from siyu.customers.service import ContactSync, from_timestamp
from siyu.inbox.handlers import HandlerContext
from siyu.jobs import enqueue
from siyu.profile.stages import CN_TZ, day_of
from siyu.staff.repository import staff_members
from siyu.tags.service import tag_service
from siyu.wecom.events import AddExternalContact

REMARK_JOB = "acquisition.remark"


def _channel_tags(session: Session, code: LiveCode) -> list[uuid.UUID]:
    channel = session.get(Channel, code.channel_id)
    ids = [*(channel.tag_ids if channel is not None else []), *code.tag_ids]
    return [uuid.UUID(i) for i in dict.fromkeys(ids)]


def _mark_tags(session: Session, code: LiveCode, relation: FollowRelation) -> None:
    wanted = _channel_tags(session, code)
    tags = tag_service.get_tags(session, corp_id=code.corp_id, tag_ids=wanted)
    have = set(relation.wecom_tag_ids or [])
    missing = [t.id for t in tags if t.deleted_at is None and t.wecom_tag_id not in have]
    if missing:
        tag_service.queue_mark(
            session,
            corp_id=code.corp_id,
            relation_id=relation.id,
            staff_userid=relation.staff_userid,
            external_userid=relation.external_userid,
            add=missing,
            remove=[],
        )


def _remark(ctx: HandlerContext, code: LiveCode, relation: FollowRelation, nickname: str) -> None:
    if not code.remark_template and not code.description_template:
        return
    channel = ctx.session.get(Channel, code.channel_id)
    member = staff_members.get_by_userid(ctx.session, code.corp_id, relation.staff_userid)
    values = TemplateValues(
        channel=channel.name if channel is not None else "",
        code=code.name,
        nickname=nickname,
        staff_name=member.name if member is not None else relation.staff_userid,
        at=(relation.added_at or ctx.now).astimezone(CN_TZ),
    )
    args: dict[str, Any] = {
        "corp_id": str(code.corp_id),
        "userid": relation.staff_userid,
        "external_userid": relation.external_userid,
    }
    if code.remark_template:
        args["remark"] = render_remark(code.remark_template, values)
    if code.description_template:
        args["description"] = render_description(code.description_template, values)
    if (
        args.get("remark", relation.remark) == relation.remark
        and args.get("description", relation.description) == relation.description
    ):
        return  # already so (a replay after the remark landed)
    enqueue(
        ctx.session,
        REMARK_JOB,
        key=f"{REMARK_JOB}:{relation.id}:{ctx.inbox_event_id}",
        args=args,
        corp_id=code.corp_id,
    )


def after_add(
    ctx: HandlerContext, event: AddExternalContact, sync: ContactSync, _welcome: Any
) -> None:
    """`_welcome` (the prefetch's send) is already recorded by `welcome.send_welcome`."""
    session, corp_id = ctx.session, ctx.corp.id
    relation = sync.relations.get(event.user_id)
    if relation is None or relation.deleted_by_staff_at or relation.deleted_by_customer_at:
        return  # a half add WeCom has not confirmed, or a relation already gone
    code = repo.code_by_state(session, corp_id, event.state) if event.state else None
    if code is not None:
        added_at = relation.added_at or from_timestamp(event.create_time) or ctx.now
        repo.record_add(
            session,
            {
                "corp_id": corp_id,
                "code_id": code.id,
                "channel_id": code.channel_id,
                "staff_userid": event.user_id,
                "external_userid": event.external_user_id,
                "day": day_of(added_at),
                "added_at": added_at,
            },
        )
        if live_code(session, corp_id, event.state, ctx.now) is not None:
            _mark_tags(session, code, relation)
            nickname = sync.customer.name if sync.customer is not None else ""
            _remark(ctx, code, relation, nickname)
        if code.config_id and plan_way(session, code, now=ctx.now).differs_from(code):
            acquisition_service.request_sync(session, code=code, reason="add")
    capacity.check(session, corp_id=corp_id, staff_userid=event.user_id, now=ctx.now)
