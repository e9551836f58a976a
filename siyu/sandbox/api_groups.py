"""Customer group endpoints (API-FACTS §4.5)."""

from __future__ import annotations

from typing import Any

from siyu.sandbox.api_core import get_staff
from siyu.sandbox.params import next_cursor, offset_cursor
from siyu.sandbox.registry import Ctx, api
from siyu.sandbox.views import group_json
from siyu.wecom.errors import WeComError

VISIBLE_RANGE_LIMIT = 1000


@api("externalcontact/groupchat/list")
def groupchat_list(ctx: Ctx) -> dict[str, Any]:
    p, corp = ctx.params, ctx.corp
    status_filter = p.int("status_filter", default=0, lo=0, hi=3)
    owners = p.sub("owner_filter").str_list("userid_list", max_items=100)
    for userid in owners:
        get_staff(corp, userid)
    if not owners and len(corp.staff) > VISIBLE_RANGE_LIMIT:
        raise WeComError(81017, "owner_filter required when the visible range exceeds 1000 users")
    limit = p.req_int("limit", lo=1, hi=1000)
    owner_set = set(owners)
    chats = [
        g
        for g in corp.groups.values()
        if not g.dismissed
        and (not owner_set or g.owner in owner_set)
        and (status_filter == 0 or g.status == status_filter)
    ]
    offset = offset_cursor(p)
    page = chats[offset : offset + limit]
    return {
        "group_chat_list": [{"chat_id": g.chat_id, "status": g.status} for g in page],
        "next_cursor": next_cursor(offset + limit, len(chats)),
    }


@api("externalcontact/groupchat/get")
def groupchat_get(ctx: Ctx) -> dict[str, Any]:
    chat_id = ctx.params.str("chat_id", required=True, missing=40050)
    group = ctx.corp.groups.get(chat_id)
    if group is None or group.dismissed:
        raise WeComError(40050)
    need_name = ctx.params.int("need_name", default=0, lo=0, hi=1) == 1
    return {"group_chat": group_json(ctx.corp, group, need_name=need_name)}
