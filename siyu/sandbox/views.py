"""WeCom JSON shapes for the sandbox's objects (API-FACTS §4)."""

from __future__ import annotations

import json
from typing import Any

from siyu.sandbox.models import Corp, Customer, Follow, GroupChat, Staff


def staff_json(corp: Corp, staff: Staff) -> dict[str, Any]:
    return {
        "userid": staff.userid,
        "name": staff.name,
        "department": staff.department,
        "order": [0] * len(staff.department),
        "position": staff.position,
        "mobile": staff.mobile,
        "gender": staff.gender,
        "email": staff.email,
        "is_leader_in_dept": [0] * len(staff.department),
        "avatar": f"https://wework.qpic.cn/wwhead/{corp.corp_id}-{staff.userid}/0",
        "thumb_avatar": f"https://wework.qpic.cn/wwhead/{corp.corp_id}-{staff.userid}/100",
        "status": 1 if staff.resigned_at is None else 5,
        "main_department": staff.department[0] if staff.department else 1,
        "external_profile": {"external_corp_name": corp.name, "external_attr": []},
        "open_userid": f"wo{staff.userid}",
    }


def customer_json(customer: Customer) -> dict[str, Any]:
    data: dict[str, Any] = {
        "external_userid": customer.external_userid,
        "name": customer.name,
        "type": customer.type,
        "avatar": customer.avatar,
        "gender": customer.gender,
    }
    if customer.type == 2:
        data["position"] = customer.position
        data["corp_name"] = customer.corp_name
        data["corp_full_name"] = customer.corp_full_name
    if customer.unionid:
        data["unionid"] = customer.unionid
    return data


def follow_json(corp: Corp, follow: Follow, *, detailed_tags: bool) -> dict[str, Any]:
    data: dict[str, Any] = {
        "userid": follow.userid,
        "remark": follow.remark,
        "description": follow.description,
        "createtime": follow.createtime,
        "remark_corp_name": follow.remark_corp_name,
        "remark_mobiles": follow.remark_mobiles,
        "oper_userid": follow.oper_userid or follow.external_userid,
        "add_way": follow.add_way,
    }
    if follow.state:
        data["state"] = follow.state
    if detailed_tags:
        tags = []
        for tag_id in follow.tags:
            tag = corp.tags.get(tag_id)
            if tag is not None:
                group = corp.tag_groups[tag.group_id]
                tags.append(
                    {
                        "group_name": group.group_name,
                        "tag_name": tag.name,
                        "tag_id": tag.id,
                        "type": 1,
                    }
                )
        data["tags"] = tags
    else:
        data["tag_id"] = list(follow.tags)
    return data


def group_json(_corp: Corp, group: GroupChat, *, need_name: bool) -> dict[str, Any]:
    members = []
    for member in group.members.values():
        item: dict[str, Any] = {
            "userid": member.userid,
            "type": member.type,
            "join_time": member.join_time,
            "join_scene": member.join_scene,
            "group_nickname": member.group_nickname,
        }
        if member.invitor:
            item["invitor"] = {"userid": member.invitor}
        if member.type == 2 and member.unionid:
            item["unionid"] = member.unionid
        if member.state:
            item["state"] = member.state
        if need_name:
            item["name"] = member.name
        members.append(item)
    return {
        "chat_id": group.chat_id,
        "name": group.name,
        "owner": group.owner,
        "create_time": group.create_time,
        "notice": group.notice,
        "member_list": members,
        "admin_list": [{"userid": userid} for userid in group.admin_list],
        "member_version": group.member_version,
    }


_ENCODER = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"))


def dumps(value: Any) -> bytes:
    return _ENCODER.encode(value).encode("utf-8")


def render_batch_item(corp: Corp, follow: Follow) -> bytes:
    """One batch/get_by_user item, rendered once and kept on the relation (render on write:
    the world generator renders every relation it creates; `Follow.touch()` forgets it)."""
    follow.cache = dumps(
        {
            "external_contact": customer_json(corp.customers[follow.external_userid]),
            "follow_info": follow_json(corp, follow, detailed_tags=False),
        }
    )
    return follow.cache
