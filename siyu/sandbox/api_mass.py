"""Mass messages (群发, API-FACTS §4.6, §5).

A task does not send by itself: each staff member confirms it (or never does), simulated by the
behaviour settings or triggered through the control API. At confirmation each customer or group
is checked against its quota window; an exhausted quota yields status 3.
"""

from __future__ import annotations

from typing import Any

from siyu.sandbox.api_core import get_staff
from siyu.sandbox.api_ways import check_attachments, text_content
from siyu.sandbox.models import Corp, Follow, MassMessage, SendRecord
from siyu.sandbox.params import Params, limit_of, next_cursor, offset_cursor
from siyu.sandbox.registry import Ctx, api
from siyu.sandbox.rules import quota_window
from siyu.sandbox.state import SandboxState, scheduled_action
from siyu.wecom.errors import WeComError

DAY = 86400


def _tag_match(follow: Follow, groups: list[set[str]]) -> bool:
    # OR within a tag group, AND across groups.
    return all(group.intersection(follow.tags) for group in groups)


def _tag_groups(p: Params) -> list[set[str]]:
    groups = p.sub("tag_filter").list("group_list")
    return [set(Params(g).str_list("tag_list")) for g in groups if isinstance(g, dict)]


def _plan_single(ctx: Ctx, msg: MassMessage, sender: str, p: Params) -> list[str]:
    corp = ctx.corp
    fail: list[str] = []
    targets = p.str_list("external_userid", max_items=10_000)
    tag_groups = _tag_groups(p)
    pairs: list[tuple[str, str]] = []
    if targets:
        for ext in dict.fromkeys(targets):
            customer = corp.customers.get(ext)
            follows = [
                f
                for f in (customer.follows.values() if customer else [])
                if not sender or f.userid == sender
            ]
            follows = [f for f in follows if _tag_match(f, tag_groups)]
            if not follows:
                fail.append(ext)
                continue
            # The task goes to the member who last added the customer (API-FACTS §4.6).
            pairs.append((max(follows, key=lambda f: f.createtime).userid, ext))
    else:
        members = [corp.staff[sender]] if sender else list(corp.staff.values())
        latest: dict[str, Follow] = {}
        for member in members:
            for follow in member.follows.values():
                if _tag_match(follow, tag_groups):
                    seen = latest.get(follow.external_userid)
                    if seen is None or follow.createtime > seen.createtime:
                        latest[follow.external_userid] = follow
        pairs = [(f.userid, ext) for ext, f in latest.items()]
    for userid, ext in pairs:
        msg.records.setdefault(userid, []).append(SendRecord(ext, "", userid))
    return fail


def _plan_group(ctx: Ctx, msg: MassMessage, sender: str, p: Params) -> list[str]:
    chats = p.str_list("chat_id_list", max_items=2000)
    groups = [g for g in ctx.corp.groups.values() if g.owner == sender and not g.dismissed]
    if chats:
        groups = [g for g in groups if g.chat_id in set(chats)]
    for group in groups:
        msg.records.setdefault(sender, []).append(SendRecord("", group.chat_id, sender))
    found = {g.chat_id for g in groups}
    return [c for c in chats if c not in found]


@api("externalcontact/add_msg_template")
def add_msg_template(ctx: Ctx) -> dict[str, Any]:
    p, corp, state = ctx.params, ctx.corp, ctx.state
    chat_type = p.str("chat_type", default="single")
    if chat_type not in ("single", "group"):
        raise WeComError(40058, "chat_type must be single or group")
    sender = p.str("sender")
    if sender:
        get_staff(corp, sender, need_follow=True)
    elif chat_type == "group":
        raise WeComError(40058, "sender required for group mass messages")
    text = text_content(p, max_bytes=4000)
    attachments = check_attachments(p, ctx=ctx)
    if text is None and not attachments:
        raise WeComError(40063, "text and attachments are both empty")
    msg = MassMessage(state.new_id("msg", 30), chat_type, sender, 0, ctx.now, text, attachments)
    plan = _plan_single if chat_type == "single" else _plan_group
    fail_list = plan(ctx, msg, sender, p)
    if not msg.records:
        raise WeComError(41048)
    corp.mass_messages[msg.msgid] = msg
    behaviour = state.behaviour
    for userid in msg.records:
        msg.tasks[userid] = {"status": 0, "send_time": None}
        if state.rng.random() < behaviour.mass_confirm_probability:
            state.at(
                ctx.now + behaviour.mass_confirm_delay,
                "mass.confirm",
                corp.corp_id,
                msgid=msg.msgid,
                userid=userid,
            )
    return {"msgid": msg.msgid, "fail_list": fail_list}


@scheduled_action("mass.confirm")
def confirm_mass(state: SandboxState, corp: Corp, args: dict[str, Any]) -> None:
    """The staff member taps 'send': each target is checked against its quota window now."""
    msg = corp.mass_messages.get(args["msgid"])
    if msg is None:
        raise WeComError(41047)
    if msg.cancelled:
        raise WeComError(41093)
    userid, now = args["userid"], state.now()
    task = msg.tasks.get(userid)
    if task is None or task["status"] != 0:
        return
    window, allowed = quota_window(state.rules.mass_quota, now)
    for record in msg.records[userid]:
        if record.chat_id:
            target = corp.groups.get(record.chat_id)
            received = target.received if target and not target.dismissed else None
        else:
            customer = corp.customers.get(record.external_userid)
            received = customer.received if customer and userid in customer.follows else None
        if received is None:
            record.status = 2  # no longer a friend (or the group is gone)
        elif received.get(window, 0) >= allowed:
            record.status = 3  # already received another mass message this period
        else:
            received[window] = received.get(window, 0) + 1
            record.status, record.send_time = 1, now
    task["status"], task["send_time"] = 2, now


def member_send(
    state: SandboxState,
    corp: Corp,
    *,
    userid: str,
    external_userids: list[str] | None = None,
    chat_ids: list[str] | None = None,
    text: str = "",
) -> str:
    """A member mass-sends from their own client (to customers, or to the groups they own):
    get_groupmsg_list_v2 lists it with create_type 1, and it goes out at once under the same
    quota as the enterprise's messages. `None` targets: all of the member's."""
    member = get_staff(corp, userid)
    chat_type = "group" if chat_ids is not None else "single"
    content = {"content": text} if text else None
    msg = MassMessage(state.new_id("msg", 30), chat_type, userid, 1, state.now(), content, [])
    if chat_type == "group":
        owned = [g for g in corp.groups.values() if g.owner == userid and not g.dismissed]
        wanted = set(chat_ids or [])
        picked = [g for g in owned if not wanted or g.chat_id in wanted]
        records = [SendRecord("", g.chat_id, userid) for g in picked]
    else:
        exts = external_userids if external_userids is not None else list(member.follows)
        records = [SendRecord(e, "", userid) for e in dict.fromkeys(exts) if e in member.follows]
    if not records:
        raise WeComError(41048)
    msg.records[userid] = records
    msg.tasks[userid] = {"status": 0, "send_time": None}
    corp.mass_messages[msg.msgid] = msg
    confirm_mass(state, corp, {"msgid": msg.msgid, "userid": userid})
    return msg.msgid


def _get_msg(ctx: Ctx) -> MassMessage:
    msgid = ctx.params.str("msgid", required=True, missing=41046)
    msg = ctx.corp.mass_messages.get(msgid)
    if msg is None:
        raise WeComError(41047)
    return msg


@api("externalcontact/get_groupmsg_list_v2")
def get_groupmsg_list_v2(ctx: Ctx) -> dict[str, Any]:
    p = ctx.params
    chat_type = p.str("chat_type", required=True)
    if chat_type not in ("single", "group"):
        raise WeComError(40058, "chat_type must be single or group")
    start, end = p.req_int("start_time"), p.req_int("end_time")
    if end < start or end - start > 31 * DAY:
        raise WeComError(40058, "time span exceeds one month")
    creator = p.str("creator")
    filter_type = p.int("filter_type", default=2, lo=0, hi=2)
    limit = limit_of(p, default=50, maximum=100)
    msgs = [
        m
        for m in ctx.corp.mass_messages.values()
        if m.chat_type == chat_type
        and start <= m.create_time <= end
        and (not creator or m.creator == creator)
        and (filter_type == 2 or m.create_type == filter_type)
    ]
    offset = offset_cursor(p)
    rows = []
    for m in msgs[offset : offset + limit]:
        row: dict[str, Any] = {
            "msgid": m.msgid,
            "creator": m.creator,
            "create_time": m.create_time,
            "create_type": m.create_type,
        }
        if m.text:
            row["text"] = m.text
        if m.attachments:
            row["attachments"] = m.attachments
        rows.append(row)
    return {"group_msg_list": rows, "next_cursor": next_cursor(offset + limit, len(msgs))}


@api("externalcontact/get_groupmsg_task")
def get_groupmsg_task(ctx: Ctx) -> dict[str, Any]:
    msg = _get_msg(ctx)
    limit = limit_of(ctx.params, default=500, maximum=1000)
    offset = offset_cursor(ctx.params)
    tasks = list(msg.tasks.items())
    rows = [
        {"userid": u, "status": t["status"]}
        | ({"send_time": t["send_time"]} if t["send_time"] else {})
        for u, t in tasks[offset : offset + limit]
    ]
    return {"task_list": rows, "next_cursor": next_cursor(offset + limit, len(tasks))}


@api("externalcontact/get_groupmsg_send_result")
def get_groupmsg_send_result(ctx: Ctx) -> dict[str, Any]:
    msg = _get_msg(ctx)
    userid = ctx.params.str("userid", required=True, missing=40003)
    get_staff(ctx.corp, userid)
    limit = limit_of(ctx.params, default=500, maximum=1000)
    offset = offset_cursor(ctx.params)
    records = msg.records.get(userid, [])
    rows = []
    for r in records[offset : offset + limit]:
        row: dict[str, Any] = {"userid": r.userid, "status": r.status}
        row["chat_id" if r.chat_id else "external_userid"] = r.chat_id or r.external_userid
        if r.send_time:
            row["send_time"] = r.send_time
        rows.append(row)
    return {"send_list": rows, "next_cursor": next_cursor(offset + limit, len(records))}


@api("externalcontact/get_group_msg_result")
def get_group_msg_result(ctx: Ctx) -> dict[str, Any]:
    """The legacy result API (wechatpy still calls it): every target of every member."""
    msg = _get_msg(ctx)
    limit = limit_of(ctx.params, default=10_000, maximum=10_000)
    offset = offset_cursor(ctx.params)
    records = [r for rows in msg.records.values() for r in rows]
    detail = [
        {
            "external_userid": r.external_userid,
            "chat_id": r.chat_id,
            "userid": r.userid,
            "status": r.status,
        }
        | ({"send_time": r.send_time} if r.send_time else {})
        for r in records[offset : offset + limit]
    ]
    return {
        "detail_list": detail,
        "next_cursor": next_cursor(offset + limit, len(records)),
    }


@api("externalcontact/remind_groupmsg_send")
def remind_groupmsg_send(ctx: Ctx) -> dict[str, Any]:
    msg = _get_msg(ctx)
    if msg.cancelled:
        raise WeComError(41093)
    recent = [t for t in msg.reminders if ctx.now - t < DAY]
    if len(recent) >= ctx.state.rules.remind_max_per_day:
        raise WeComError(41094)
    msg.reminders = [*recent, ctx.now]
    return {}


@api("externalcontact/cancel_groupmsg_send")
def cancel_groupmsg_send(ctx: Ctx) -> dict[str, Any]:
    _get_msg(ctx).cancelled = True
    return {}
