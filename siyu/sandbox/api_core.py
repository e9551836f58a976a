"""Organisation, customer and statistics endpoints (API-FACTS §4.1, §4.9)."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from siyu.sandbox.models import Corp, Customer, Follow, Staff
from siyu.sandbox.params import limit_of
from siyu.sandbox.registry import Ctx, api
from siyu.sandbox.rules import CN_TZ
from siyu.sandbox.views import customer_json, dumps, follow_json, render_batch_item, staff_json
from siyu.wecom.errors import WeComError

DAY = 86400


def get_staff(corp: Corp, userid: str, *, need_follow: bool = False) -> Staff:
    if not userid or len(userid) > 64:
        raise WeComError(40003)
    staff = corp.staff.get(userid)
    if staff is None:
        raise WeComError(60111, f"userid not found: {userid}")
    if need_follow and not staff.can_follow:
        raise WeComError(84074)
    return staff


def get_customer(corp: Corp, external_userid: str) -> Customer:
    if not external_userid:
        raise WeComError(41035)
    customer = corp.customers.get(external_userid)
    if customer is None:
        raise WeComError(40096)
    return customer


def get_follow(corp: Corp, userid: str, external_userid: str) -> Follow:
    get_staff(corp, userid, need_follow=True)
    customer = get_customer(corp, external_userid)
    follow = customer.follows.get(userid)
    if follow is None:
        raise WeComError(84061)
    return follow


# -- organisation ----------------------------------------------------------------------------


@api("user/get", "GET")
def user_get(ctx: Ctx) -> dict[str, Any]:
    staff = get_staff(ctx.corp, ctx.params.str("userid", required=True, missing=40003))
    return staff_json(ctx.corp, staff)


def _department_ids(corp: Corp, root: int, recursive: bool) -> set[int]:
    ids = {root}
    if recursive:
        grew = True
        while grew:
            extra = {d.id for d in corp.departments.values() if d.parentid in ids} - ids
            ids |= extra
            grew = bool(extra)
    return ids


@api("user/list", "GET")
def user_list(ctx: Ctx) -> dict[str, Any]:
    return {"userlist": [staff_json(ctx.corp, s) for s in _department_users(ctx)]}


def _department_users(ctx: Ctx) -> list[Staff]:
    dept = ctx.params.req_int("department_id", missing=40058)
    if dept not in ctx.corp.departments:
        raise WeComError(60123)
    ids = _department_ids(ctx.corp, dept, ctx.params.int("fetch_child", default=0) == 1)
    return [s for s in ctx.corp.staff.values() if ids.intersection(s.department)]


@api("user/simplelist", "GET")
def user_simplelist(ctx: Ctx) -> dict[str, Any]:
    rows = [staff_json(ctx.corp, s) for s in _department_users(ctx)]
    return {
        "userlist": [
            {"userid": r["userid"], "name": r["name"], "department": r["department"]} for r in rows
        ]
    }


@api("department/list", "GET")
def department_list(ctx: Ctx) -> dict[str, Any]:
    root = ctx.params.int("id")
    departments = list(ctx.corp.departments.values())
    if root is not None:
        if root not in ctx.corp.departments:
            raise WeComError(60123)
        ids = _department_ids(ctx.corp, root, True)
        departments = [d for d in departments if d.id in ids]
    return {
        "department": [
            {
                "id": d.id,
                "name": d.name,
                "name_en": d.name_en,
                "department_leader": [],
                "parentid": d.parentid,
                "order": d.order,
            }
            for d in departments
        ]
    }


@api("message/send")
def message_send(ctx: Ctx) -> dict[str, Any]:
    p = ctx.params
    msgtype = p.str("msgtype", required=True, missing=40008)
    if msgtype not in {
        "text",
        "image",
        "voice",
        "video",
        "file",
        "textcard",
        "news",
        "mpnews",
        "markdown",
        "miniprogram_notice",
        "template_card",
    }:
        raise WeComError(40008)
    if p.int("agentid", required=True, missing=40056) != ctx.corp.agentid:
        raise WeComError(40056)
    touser, toparty, totag = p.str("touser"), p.str("toparty"), p.str("totag")
    if not (touser or toparty or totag):
        raise WeComError(40058, "touser, toparty and totag are all empty")
    users = [] if touser == "@all" else [u for u in touser.split("|") if u]
    if len(users) > 1000 or len(toparty.split("|")) > 100 or len(totag.split("|")) > 100:
        raise WeComError(40058, "too many receivers")
    if (
        msgtype == "text"
        and len(p.sub("text").str("content", required=True, missing=40058).encode()) > 2048
    ):
        raise WeComError(40058, "content exceeds 2048 bytes")
    invalid_users = [u for u in users if u not in ctx.corp.staff]
    invalid_parties = [
        x
        for x in toparty.split("|")
        if x and (not x.isdigit() or int(x) not in ctx.corp.departments)
    ]
    msgid = ctx.state.new_id("msg", 40)
    ctx.corp.app_messages.append(
        {"msgid": msgid, "at": ctx.now, "touser": touser, "msgtype": msgtype, "body": p.data}
    )
    return {
        "invaliduser": "|".join(invalid_users),
        "invalidparty": "|".join(invalid_parties),
        "invalidtag": "",
        "unlicenseduser": "",
        "msgid": msgid,
        "response_code": ctx.state.token(40),
    }


# -- customers -------------------------------------------------------------------------------


@api("externalcontact/get_follow_user_list", "GET")
def get_follow_user_list(ctx: Ctx) -> dict[str, Any]:
    return {
        "follow_user": [
            s.userid for s in ctx.corp.staff.values() if s.can_follow and s.resigned_at is None
        ]
    }


@api("externalcontact/list", "GET")
def list_customers(ctx: Ctx) -> dict[str, Any]:
    staff = get_staff(
        ctx.corp, ctx.params.str("userid", required=True, missing=40003), need_follow=True
    )
    return {"external_userid": list(staff.follows)}


@api("externalcontact/get", "GET")
def get_customer_detail(ctx: Ctx) -> dict[str, Any]:
    customer = get_customer(
        ctx.corp, ctx.params.str("external_userid", required=True, missing=41035)
    )
    if not customer.follows:
        raise WeComError(84061)
    follows = list(customer.follows.values())
    # follow_user pages at 500; the cursor is the offset of the next follow user.
    cursor = ctx.params.str("cursor")
    start = int(cursor) if cursor.isdigit() else 0
    page = follows[start : start + 500]
    return {
        "external_contact": customer_json(customer),
        "follow_user": [follow_json(ctx.corp, f, detailed_tags=True) for f in page],
        "next_cursor": str(start + 500) if start + 500 < len(follows) else "",
    }


def _decode_batch_cursor(cursor: str) -> tuple[int, int]:
    if not cursor:
        return 0, 0
    try:
        user_index, position = base64.urlsafe_b64decode(cursor.encode()).decode().split(":")
        return int(user_index), int(position)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise WeComError(40058, "invalid cursor") from None


@api("externalcontact/batch/get_by_user")
def batch_get_by_user(ctx: Ctx) -> bytes:
    """The sync hot path: items are rendered once per relation and cached (see Follow.cache)."""
    p = ctx.params
    userids = p.str_list("userid_list", max_items=100)
    if not userids and p.has("userid"):
        userids = [p.str("userid")]  # legacy single-user form (wechatpy still sends it)
    if not userids:
        raise WeComError(40058, "userid_list missing")
    staff = [get_staff(ctx.corp, userid, need_follow=True) for userid in userids]
    limit = limit_of(p, default=50, maximum=100)
    user_index, position = _decode_batch_cursor(p.str("cursor"))
    corp = ctx.corp
    items: list[bytes] = []
    while user_index < len(staff) and len(items) < limit:
        member = staff[user_index]
        order, follows = member.follow_order, member.follows
        while position < len(order) and len(items) < limit:
            follow = follows.get(order[position])
            position += 1
            if follow is None or follow.pos != position - 1:
                continue  # tombstone of a removed (or since re-added) relation
            items.append(follow.cache or render_batch_item(corp, follow))
        if position >= len(order):
            user_index, position = user_index + 1, 0
    more = user_index < len(staff)
    cursor = base64.urlsafe_b64encode(f"{user_index}:{position}".encode()).decode() if more else ""
    return b'"external_contact_list":[' + b",".join(items) + b'],"next_cursor":' + dumps(cursor)


@api("externalcontact/remark")
def remark(ctx: Ctx) -> dict[str, Any]:
    p = ctx.params
    follow = get_follow(
        ctx.corp,
        p.str("userid", required=True, missing=40003),
        p.str("external_userid", required=True, missing=41035),
    )
    # Only the fields present are changed; API edits emit no callback (API-FACTS §2.2).
    if "remark" in p.data:
        follow.remark = p.str("remark", max_len=20)
    if "description" in p.data:
        follow.description = p.str("description", max_len=150)
    if "remark_company" in p.data:
        follow.remark_corp_name = p.str("remark_company", max_len=20)
    if "remark_mobiles" in p.data:
        follow.remark_mobiles = p.str_list("remark_mobiles", max_items=5)
    follow.touch()
    return {}


@api("externalcontact/unionid_to_external_userid")
def unionid_to_external_userid(ctx: Ctx) -> dict[str, Any]:
    unionid = ctx.params.str("unionid", required=True, missing=40058)
    ctx.params.str("openid", required=True, missing=40058)
    external_userid = ctx.corp.unionids.get(unionid)
    if external_userid is None or not ctx.corp.customers[external_userid].follows:
        raise WeComError(610014)
    return {"external_userid": external_userid}


def _day_start(ts: int) -> int:
    offset = int(CN_TZ.utcoffset(None).total_seconds())
    return (ts + offset) // DAY * DAY - offset


@api("externalcontact/get_user_behavior_data")
def get_user_behavior_data(ctx: Ctx) -> dict[str, Any]:
    p = ctx.params
    userids = p.str_list("userid", max_items=100)
    parties = p.list("partyid", max_items=100)
    if not userids and not parties:
        raise WeComError(40058, "userid and partyid are both empty")
    start = _day_start(p.req_int("start_time"))
    end = _day_start(p.req_int("end_time"))
    if end < start or end - start > 30 * DAY or start < _day_start(ctx.now) - 180 * DAY:
        raise WeComError(40058, "invalid time range")
    members = [get_staff(ctx.corp, u, need_follow=True) for u in userids]
    party_ids = {int(x) for x in parties}
    members += [
        s
        for s in ctx.corp.staff.values()
        if party_ids.intersection(s.department) and s not in members
    ]
    days = range(start, end + DAY, DAY)
    new_contacts = dict.fromkeys(days, 0)
    for member in members:
        for follow in member.follows.values():
            day = _day_start(follow.createtime)
            if day in new_contacts:
                new_contacts[day] += 1
    rows = []
    for day in days:
        # Chat activity is not simulated message by message; derive stable numbers from the day.
        seed = ctx.state.version(ctx.corp.corp_id, day, *userids)
        chats = int(seed[:2], 16) % 20 * len(members)
        row: dict[str, Any] = {
            "stat_time": day,
            "chat_cnt": chats,
            "message_cnt": chats * (1 + int(seed[2], 16) % 5),
            "negative_feedback_cnt": int(seed[3], 16) % 2,
            "new_apply_cnt": new_contacts[day] + int(seed[4], 16) % 3,
            "new_contact_cnt": new_contacts[day],
        }
        if chats:
            row["reply_percentage"] = round(60 + int(seed[5:7], 16) % 40 + 0.5, 1)
            row["avg_reply_time"] = 1 + int(seed[7:9], 16) % 30
        rows.append(row)
    return {"behavior_data": rows}
