"""「联系我」 contact ways, join ways and welcome messages (API-FACTS §4.3–4.5)."""

from __future__ import annotations

from typing import Any

from siyu.sandbox.api_core import get_staff
from siyu.sandbox.api_media import check_media
from siyu.sandbox.models import ContactWay, Corp, JoinWay
from siyu.sandbox.params import Params, limit_of, next_cursor, offset_cursor
from siyu.sandbox.registry import Ctx, api
from siyu.wecom.errors import WeComError

DAY = 86400
ATTACHMENT_TYPES = {"image", "link", "miniprogram", "video", "file"}


def check_attachments(
    p: Params, *, max_items: int = 9, ctx: Ctx | None = None
) -> list[dict[str, Any]]:
    """Shape, count and (given `ctx`) media ids: unknown or expired ones are 40007."""
    attachments = p.list("attachments", max_items=max_items, too_many=41064)
    for item in attachments:
        if not isinstance(item, dict) or item.get("msgtype") not in ATTACHMENT_TYPES:
            raise WeComError(41065)
        if not isinstance(item.get(item["msgtype"]), dict):
            raise WeComError(40058, f"attachment {item['msgtype']} body missing")
        if ctx is not None:
            check_media(ctx, item)
    return attachments


def text_content(p: Params, *, max_bytes: int) -> dict[str, Any] | None:
    if "text" not in p.data:
        return None
    content = p.sub("text").str("content")
    if len(content.encode("utf-8")) > max_bytes:
        raise WeComError(40058, f"text.content exceeds {max_bytes} bytes")
    return {"content": content} if content else None


def expand_users(corp: Corp, users: list[str], parties: list[int]) -> list[str]:
    """Named users plus everyone in the named departments (the ≤100 cap counts both)."""
    result = dict.fromkeys(users)
    party_set = set(parties)
    if party_set:
        for staff in corp.staff.values():
            if party_set.intersection(staff.department):
                result[staff.userid] = None
    return list(result)


def _apply_contact_way(ctx: Ctx, way: ContactWay, p: Params, *, creating: bool) -> None:
    corp = ctx.corp
    if creating or "style" in p.data:
        style = p.int("style")
        if style is not None and style not in ((1, 2, 3) if way.type == 1 else (1, 2)):
            raise WeComError(41042)
        way.style = style
    if creating or "remark" in p.data:
        way.remark = p.str("remark", max_len=30)
    if creating or "skip_verify" in p.data:
        way.skip_verify = p.bool("skip_verify", default=True)
    if creating or "state" in p.data:
        way.state = p.str("state", max_len=30)
    if creating or "user" in p.data or "party" in p.data:
        users = p.str_list("user") if creating or "user" in p.data else way.user
        parties = [int(x) for x in p.list("party")] if creating or "party" in p.data else way.party
        if way.type == 1 and (len(users) != 1 or parties):
            raise WeComError(40058, "a single-user contact way takes exactly one user")
        if way.type == 2 and not users and not parties:
            raise WeComError(40058, "user and party are both empty")
        for userid in users:
            staff = get_staff(corp, userid, need_follow=True)
            if staff.resigned_at is not None:
                raise WeComError(41054)
        for party in parties:
            if party not in corp.departments:
                raise WeComError(60123)
        if len(expand_users(corp, users, parties)) > ctx.state.rules.contact_way_user_cap:
            raise WeComError(41041)
        way.user, way.party = users, parties
    if creating or "expires_in" in p.data:
        way.expires_in = p.int("expires_in", lo=1, hi=14 * DAY)
    if creating or "chat_expires_in" in p.data:
        way.chat_expires_in = p.int("chat_expires_in", lo=1, hi=14 * DAY)
    if creating or "unionid" in p.data:
        way.unionid = p.str("unionid")
    if creating or "conclusions" in p.data:
        way.conclusions = p.dict("conclusions") or None


@api("externalcontact/add_contact_way")
def add_contact_way(ctx: Ctx) -> dict[str, Any]:
    p, corp = ctx.params, ctx.corp
    way_type = p.req_int("type", missing=41037, invalid=41039)
    scene = p.req_int("scene", missing=41038, invalid=41040)
    if way_type not in (1, 2):
        raise WeComError(41039)
    if scene not in (1, 2):
        raise WeComError(41040)
    is_temp = p.bool("is_temp", default=False)
    if is_temp and way_type != 1:
        raise WeComError(40058, "temporary contact ways are single-user only")
    if (
        not is_temp
        and len(corp.contact_ways) + len(corp.join_ways) >= ctx.state.rules.contact_way_cap
    ):
        raise WeComError(41045)
    way = ContactWay(ctx.state.new_id("", 32).lower(), way_type, scene, ctx.now, is_temp=is_temp)
    _apply_contact_way(ctx, way, p, creating=True)
    if scene == 2:
        way.qr_code = f"https://wework.qpic.cn/wwpic/{way.config_id}/0"
    corp.contact_ways[way.config_id] = way
    return {"config_id": way.config_id} | ({"qr_code": way.qr_code} if way.qr_code else {})


def get_way(ctx: Ctx) -> ContactWay:
    config_id = ctx.params.str("config_id", required=True, missing=41043)
    way = ctx.corp.contact_ways.get(config_id)
    if way is None:
        raise WeComError(41044)
    return way


@api("externalcontact/get_contact_way")
def get_contact_way(ctx: Ctx) -> dict[str, Any]:
    way = get_way(ctx)
    data: dict[str, Any] = {
        "config_id": way.config_id,
        "type": way.type,
        "scene": way.scene,
        "style": way.style or 1,
        "remark": way.remark,
        "skip_verify": way.skip_verify,
        "state": way.state,
        "user": way.user,
        "party": way.party,
        "is_temp": way.is_temp,
    }
    if way.qr_code:
        data["qr_code"] = way.qr_code
    if way.is_temp:
        data["expires_in"] = way.expires_in or 7 * DAY
        data["chat_expires_in"] = way.chat_expires_in or DAY
        data["unionid"] = way.unionid
        data["conclusions"] = way.conclusions or {}
    return {"contact_way": data}


@api("externalcontact/update_contact_way")
def update_contact_way(ctx: Ctx) -> dict[str, Any]:
    _apply_contact_way(ctx, get_way(ctx), ctx.params, creating=False)
    return {}


@api("externalcontact/del_contact_way")
def del_contact_way(ctx: Ctx) -> dict[str, Any]:
    del ctx.corp.contact_ways[get_way(ctx).config_id]
    return {}


@api("externalcontact/list_contact_way")
def list_contact_way(ctx: Ctx) -> dict[str, Any]:
    p = ctx.params
    start = p.int("start_time", default=ctx.now - 90 * DAY)
    end = p.int("end_time", default=ctx.now)
    assert start is not None and end is not None
    if end < start:
        raise WeComError(40058, "end_time before start_time")
    limit = limit_of(p, default=100, maximum=1000, clamp=False)
    ways = [w.config_id for w in ctx.corp.contact_ways.values() if start <= w.created_at <= end]
    offset = offset_cursor(p)
    page = ways[offset : offset + limit]
    return {
        "contact_way": [{"config_id": c} for c in page],
        "next_cursor": next_cursor(offset + limit, len(ways)),
    }


@api("externalcontact/send_welcome_msg")
def send_welcome_msg(ctx: Ctx) -> dict[str, Any]:
    p, corp = ctx.params, ctx.corp
    code = p.str("welcome_code", required=True, missing=41049)
    entry = corp.welcome_codes.get(code)
    if entry is None or ctx.now - entry.issued_at > ctx.state.rules.welcome_code_ttl:
        raise WeComError(41050)
    if entry.used_at is not None:
        raise WeComError(41051)  # the first caller won (API-FACTS §4.4)
    customer = corp.customers.get(entry.external_userid)
    if customer is not None and customer.chatting:
        raise WeComError(41051)
    text = text_content(p, max_bytes=4000)
    attachments = check_attachments(p, ctx=ctx)
    if text is None and not attachments:
        raise WeComError(40063, "text and attachments are both empty")
    entry.used_at = ctx.now
    corp.welcomes.append(
        {
            "welcome_code": code,
            "userid": entry.userid,
            "external_userid": entry.external_userid,
            "issued_at": entry.issued_at,
            "sent_at": ctx.now,
            "text": text,
            "attachments": attachments,
        }
    )
    return {}


# -- group join ways -------------------------------------------------------------------------


def _apply_join_way(ctx: Ctx, way: JoinWay, p: Params) -> None:
    chats = p.str_list("chat_id_list")
    if len(chats) > ctx.state.rules.join_way_chat_cap:
        raise WeComError(41091)
    for chat_id in chats:
        group = ctx.corp.groups.get(chat_id)
        if group is None or group.dismissed:
            raise WeComError(40050, f"chatid not found: {chat_id}")
    way.chat_id_list = chats
    way.remark = p.str("remark")[:30]  # WeCom truncates rather than rejects
    way.auto_create_room = p.int("auto_create_room", default=1, lo=0, hi=1) or 0
    way.room_base_name = p.str("room_base_name", max_len=40)
    way.room_base_id = p.int("room_base_id", lo=0)
    way.state = p.str("state", max_len=30)
    if way.auto_create_room and not way.room_base_name and not chats:
        raise WeComError(40058, "room_base_name required when auto_create_room is on")


@api("externalcontact/groupchat/add_join_way")
def add_join_way(ctx: Ctx) -> dict[str, Any]:
    p, corp = ctx.params, ctx.corp
    scene = p.req_int("scene")
    if scene not in (1, 2):
        raise WeComError(40058, "scene must be 1 or 2")
    if len(corp.contact_ways) + len(corp.join_ways) >= ctx.state.rules.contact_way_cap:
        raise WeComError(41045)
    way = JoinWay(ctx.state.new_id("", 32).lower(), scene, ctx.now)
    _apply_join_way(ctx, way, p)
    if scene == 2:
        way.qr_code = f"https://wework.qpic.cn/wwpic/{way.config_id}/0"
    corp.join_ways[way.config_id] = way
    return {"config_id": way.config_id}


def get_join(ctx: Ctx) -> JoinWay:
    config_id = ctx.params.str("config_id", required=True, missing=41043)
    way = ctx.corp.join_ways.get(config_id)
    if way is None:
        raise WeComError(41044)
    return way


@api("externalcontact/groupchat/get_join_way")
def get_join_way(ctx: Ctx) -> dict[str, Any]:
    way = get_join(ctx)
    data: dict[str, Any] = {
        "config_id": way.config_id,
        "scene": way.scene,
        "remark": way.remark,
        "auto_create_room": way.auto_create_room,
        "room_base_name": way.room_base_name,
        "room_base_id": way.room_base_id or 0,
        "chat_id_list": way.chat_id_list,
        "state": way.state,
    }
    if way.qr_code:
        data["qr_code"] = way.qr_code
    return {"join_way": data}


@api("externalcontact/groupchat/update_join_way")
def update_join_way(ctx: Ctx) -> dict[str, Any]:
    way = get_join(ctx)
    scene = ctx.params.req_int("scene")
    if scene not in (1, 2):
        raise WeComError(40058, "scene must be 1 or 2")
    way.scene = scene
    _apply_join_way(ctx, way, ctx.params)  # overwrite semantics, like WeCom
    return {}


@api("externalcontact/groupchat/del_join_way")
def del_join_way(ctx: Ctx) -> dict[str, Any]:
    del ctx.corp.join_ways[get_join(ctx).config_id]
    return {}
