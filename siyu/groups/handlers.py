"""change_external_chat callbacks (API-FACTS §3.2): create, update (members, name, owner,
notice) and dismiss.

group.joined / group.left are facts about each member named in a distinct member callback,
keyed by the inbox key and the member, whatever the order they arrive in; the stored members
follow the version chain (see `siyu.groups.service`).
"""

from __future__ import annotations

from typing import Any

from siyu.customers.service import from_timestamp
from siyu.events.service import GROUP_JOINED, GROUP_LEFT, domain_events
from siyu.groupcodes.service import group_code_service as groupcodes_service
from siyu.groups.service import MemberStep, group_service
from siyu.inbox.handlers import HandlerContext, callback_handler
from siyu.tags.handlers import fact_key, payload
from siyu.wecom.client import client_for
from siyu.wecom.events import ExternalChatCreate, ExternalChatDismiss, ExternalChatUpdate
from siyu.wecom.exceptions import WeComApiError

# groupchat/get: "chatid not found" — the group was dismissed (or never was a customer group).
GONE_ERRCODES = frozenset({40050, 90507})
MEMBER_DETAILS = frozenset({"add_member", "del_member"})


def refresh_group(ctx: HandlerContext, chat_id: str) -> bool:
    """Re-read the group from WeCom; False if WeCom no longer has it (then it is dismissed)."""
    client = client_for(ctx.runtime, ctx.corp)
    try:
        answer = payload(client.groupchat_get(chat_id=chat_id, need_name=True))
    except WeComApiError as exc:
        if exc.errcode not in GONE_ERRCODES:
            raise
        group_service.mark_dismissed(ctx.session, corp_id=ctx.corp.id, chat_id=chat_id, at=ctx.now)
        return False
    data: dict[str, Any] = payload(answer.get("group_chat") or {})
    if not data.get("chat_id"):
        return False
    group_service.apply_snapshot(ctx.session, corp_id=ctx.corp.id, data=data, at=ctx.now)
    return True


@callback_handler("change_external_chat", "create")
def on_group_create(ctx: HandlerContext, event: ExternalChatCreate) -> None:
    group_service.lock_group(ctx.session, corp_id=ctx.corp.id, chat_id=event.chat_id)
    refresh_group(ctx, event.chat_id)


@callback_handler("change_external_chat", "update")
def on_group_update(ctx: HandlerContext, event: ExternalChatUpdate) -> None:
    group_service.lock_group(ctx.session, corp_id=ctx.corp.id, chat_id=event.chat_id)
    if event.update_detail not in MEMBER_DETAILS:
        refresh_group(ctx, event.chat_id)  # name, owner or notice: re-read them
        return
    members = list(event.mem_change_list or ())
    joining = event.update_detail == "add_member"
    group = group_service.get_by_chat_id(ctx.session, corp_id=ctx.corp.id, chat_id=event.chat_id)
    step = group_service.step_of(
        group, last_version=event.last_mem_ver, current_version=event.cur_mem_ver
    )
    at = from_timestamp(event.create_time) or ctx.now
    if step is MemberStep.next and group is not None and event.cur_mem_ver:
        group_service.apply_member_step(
            ctx.session,
            group=group,
            at=at,
            current_version=event.cur_mem_ver,
            joined=members if joining else (),
            left=() if joining else members,
            join_scene=event.join_scene,
            quit_scene=event.quit_scene,
        )
    elif step is MemberStep.gap:
        refresh_group(ctx, event.chat_id)
    # Group codes watch the groups behind their join ways: record joins, rotate full groups out.
    groupcodes_service.note_member_change(
        ctx.session,
        corp_id=ctx.corp.id,
        chat_id=event.chat_id,
        joined=members if joining else (),
        join_scene=event.join_scene,
        at=at,
    )
    for member_id in members:
        domain_events.emit(
            ctx.session,
            corp_id=ctx.corp.id,
            name=GROUP_JOINED if joining else GROUP_LEFT,
            subject_type="group",
            subject_id=event.chat_id,
            payload={
                "member_id": member_id,
                "join_scene": event.join_scene,
                "quit_scene": event.quit_scene,
            },
            occurred_at=at,
            dedup_key=fact_key(event, member_id),
        )


@callback_handler("change_external_chat", "dismiss")
def on_group_dismiss(ctx: HandlerContext, event: ExternalChatDismiss) -> None:
    """A group dismissed before Siyu ever saw it stays unknown: WeCom answers 40050 for it."""
    at = from_timestamp(event.create_time) or ctx.now
    group_service.mark_dismissed(ctx.session, corp_id=ctx.corp.id, chat_id=event.chat_id, at=at)
