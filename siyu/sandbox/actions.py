"""Behaviours the control API can trigger: POST /sandbox/corps/{corp_id}/actions/{name}."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from siyu.sandbox import behaviours as b
from siyu.sandbox import groups as g
from siyu.sandbox.api_mass import member_send
from siyu.sandbox.live import scan_contact_way
from siyu.sandbox.models import Corp, Customer
from siyu.sandbox.state import SandboxState
from siyu.sandbox.world import make_customer
from siyu.wecom.errors import WeComError

Action = Callable[[SandboxState, Corp, dict[str, Any]], dict[str, Any]]


def _customer(state: SandboxState, corp: Corp, body: dict[str, Any]) -> Customer:
    """An existing customer by id, or a new one (with optional overrides) entering the world."""
    ext = body.get("external_userid")
    if ext and ext in corp.customers:
        return corp.customers[ext]
    customer = make_customer(state.rng, state.now())
    if ext:
        customer.external_userid = ext
    for key in ("name", "unionid", "phone", "gender"):
        if key in body:
            setattr(customer, key, body[key])
    return customer


def add_customer(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    customer = _customer(state, corp, body)
    b.add_customer(
        state,
        corp,
        userid=body["userid"],
        customer=customer,
        state_param=body.get("state", ""),
        add_way=int(body.get("add_way", 1)),
        welcome=body.get("welcome"),
    )
    code = next(
        (
            c.code
            for c in reversed(corp.welcome_codes.values())
            if c.external_userid == customer.external_userid and c.userid == body["userid"]
        ),
        None,
    )
    return {
        "external_userid": customer.external_userid,
        "userid": body["userid"],
        "welcome_code": code,
    }


def scan(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    way = corp.contact_ways.get(body["config_id"])
    if way is None:
        raise WeComError(41044)
    customer = _customer(state, corp, body)
    userid = scan_contact_way(state, corp, way, customer, state.rng)
    code = next(
        (
            c.code
            for c in reversed(corp.welcome_codes.values())
            if c.external_userid == customer.external_userid
        ),
        None,
    )
    return {
        "external_userid": customer.external_userid,
        "userid": userid,
        "state": way.state,
        "welcome_code": code,
    }


def half_add(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    customer = _customer(state, corp, body)
    code = b.half_add(
        state, corp, userid=body["userid"], customer=customer, state_param=body.get("state", "")
    )
    return {"external_userid": customer.external_userid, "welcome_code": code}


def reply(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    b.customer_reply(state, corp, body)
    return {"external_userid": body["external_userid"]}


def customer_deletes_staff(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    b.customer_deletes_staff(
        state, corp, external_userid=body["external_userid"], userid=body["userid"]
    )
    return {}


def staff_deletes_customer(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    b.staff_deletes_customer(
        state, corp, userid=body["userid"], external_userid=body["external_userid"]
    )
    return {}


def staff_edits_customer(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    b.staff_edits_customer(
        state,
        corp,
        userid=body["userid"],
        external_userid=body["external_userid"],
        remark=body.get("remark"),
        add_tags=body.get("add_tags"),
        remove_tags=body.get("remove_tags"),
    )
    return {}


def create_group(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    group = g.create_group(
        state,
        corp,
        owner=body["owner"],
        name=body.get("name", "客户群"),
        members=body.get("members"),
    )
    return {"chat_id": group.chat_id, "member_version": group.member_version}


def join_group(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    if "config_id" in body:
        group = g.join_by_way(
            state, corp, config_id=body["config_id"], external_userid=body["external_userid"]
        )
    else:
        group = g.join_group(
            state,
            corp,
            chat_id=body["chat_id"],
            members=list(body["members"]),
            join_scene=int(body.get("join_scene", 3)),
            invitor=body.get("invitor", ""),
        )
    return {
        "chat_id": group.chat_id,
        "member_version": group.member_version,
        "members": len(group.members),
    }


def leave_group(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    g.leave_group(
        state,
        corp,
        chat_id=body["chat_id"],
        members=list(body["members"]),
        quit_scene=int(body.get("quit_scene", 0)),
    )
    return {"member_version": corp.groups[body["chat_id"]].member_version}


def rename_group(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    g.rename_group(state, corp, chat_id=body["chat_id"], name=body["name"])
    return {}


def dismiss_group(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    g.dismiss_group(state, corp, chat_id=body["chat_id"])
    return {}


def tag_change(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    tag_id = b.console_tag_change(
        state,
        corp,
        change=body["change"],
        group_name=body.get("group_name", ""),
        name=body.get("name", ""),
        tag_id=body.get("tag_id", ""),
    )
    return {"tag_id": tag_id}


def confirm_task(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    b.confirm_task(
        state, corp, kind=body.get("kind", "mass"), task_id=body["id"], userid=body["userid"]
    )
    return {}


def staff_mass_send(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    msgid = member_send(
        state,
        corp,
        userid=body["userid"],
        external_userids=body.get("external_userids"),
        chat_ids=body.get("chat_ids"),
        text=str(body.get("text", "")),
    )
    return {"msgid": msgid}


def resign_staff(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    b.resign_staff(state, corp, userid=body["userid"])
    return {}


ACTION_TABLE: dict[str, Action] = {
    "add_customer": add_customer,
    "scan_contact_way": scan,
    "half_add": half_add,
    "customer_reply": reply,
    "customer_deletes_staff": customer_deletes_staff,
    "staff_deletes_customer": staff_deletes_customer,
    "staff_edits_customer": staff_edits_customer,
    "create_group": create_group,
    "join_group": join_group,
    "leave_group": leave_group,
    "rename_group": rename_group,
    "dismiss_group": dismiss_group,
    "tag_change": tag_change,
    "confirm_task": confirm_task,
    "staff_mass_send": staff_mass_send,
    "resign_staff": resign_staff,
}
