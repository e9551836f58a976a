"""What people do in the simulated world, and the callbacks WeCom sends for it.

API calls never emit callbacks (API-FACTS §2.2); these behaviours are the only source. They
run under the state lock, from the control API, the live driver or the scheduler.
"""

from __future__ import annotations

from typing import Any

from siyu.sandbox.api_tags import delete_tags
from siyu.sandbox.models import (
    Corp,
    Customer,
    Follow,
    Staff,
    Tag,
    TagGroup,
    WelcomeCode,
)
from siyu.sandbox.rules import quota_window
from siyu.sandbox.state import ACTIONS, SandboxState, scheduled_action
from siyu.wecom import events
from siyu.wecom.errors import WeComError


def staff_of(corp: Corp, userid: str) -> Staff:
    staff = corp.staff.get(userid)
    if staff is None:
        raise WeComError(60111, f"userid not found: {userid}")
    return staff


def customer_of(corp: Corp, external_userid: str) -> Customer:
    customer = corp.customers.get(external_userid)
    if customer is None:
        raise WeComError(40096, f"unknown external_userid: {external_userid}")
    return customer


def link(staff: Staff, customer: Customer, follow: Follow) -> None:
    """Index a relation on both sides; paging walks `follow_order`."""
    follow.pos = len(staff.follow_order)
    staff.follow_order.append(customer.external_userid)
    staff.follows[customer.external_userid] = follow
    customer.follows[staff.userid] = follow


def unlink(staff: Staff, customer: Customer) -> Follow | None:
    customer.follows.pop(staff.userid, None)
    return staff.follows.pop(customer.external_userid, None)


def add_customer(
    state: SandboxState,
    corp: Corp,
    *,
    userid: str,
    customer: Customer,
    state_param: str = "",
    add_way: int = 1,
    passive: bool = True,
    welcome: bool | None = None,
) -> Follow:
    """A customer becomes the staff member's friend; WeCom sends add_external_contact."""
    staff = staff_of(corp, userid)
    if not staff.can_follow or staff.resigned_at is not None:
        raise WeComError(84074)
    if customer.external_userid in staff.follows:
        raise WeComError(40058, "already a friend")
    if len(staff.follows) >= state.rules.friend_cap:
        raise WeComError(40099)
    now = state.now()
    if passive:
        day = quota_window("one_per_day", now)[0]
        if staff.daily_adds.get(day, 0) >= state.rules.daily_passive_add_cap:
            raise WeComError(45009, "daily add limit reached for this member")
        staff.daily_adds = {day: staff.daily_adds.get(day, 0) + 1}
    corp.customers.setdefault(customer.external_userid, customer)
    if customer.unionid:
        corp.unionids[customer.unionid] = customer.external_userid
    follow = Follow(
        userid,
        customer.external_userid,
        now,
        add_way=add_way,
        state=state_param,
        oper_userid=customer.external_userid,
    )
    link(staff, customer, follow)
    code = None
    if (
        welcome
        if welcome is not None
        else state.rng.random() < state.behaviour.welcome_code_probability
    ):
        code = state.token(43)
        corp.welcome_codes[code] = WelcomeCode(code, userid, customer.external_userid, now)
    state.emit(
        corp,
        events.AddExternalContact(
            to_user_name=corp.corp_id,
            create_time=now,
            user_id=userid,
            external_user_id=customer.external_userid,
            state=state_param or None,
            welcome_code=code,
        ),
    )
    if state.rng.random() < state.behaviour.reply_probability:
        state.at(
            now + state.behaviour.reply_delay,
            "customer.reply",
            corp.corp_id,
            external_userid=customer.external_userid,
            userid=userid,
        )
    return follow


def half_add(
    state: SandboxState, corp: Corp, *, userid: str, customer: Customer, state_param: str = ""
) -> str:
    """Customer added a member who has not confirmed yet: only add_half_external_contact."""
    staff_of(corp, userid)
    corp.customers.setdefault(customer.external_userid, customer)
    now = state.now()
    code = state.token(43)
    corp.welcome_codes[code] = WelcomeCode(code, userid, customer.external_userid, now)
    state.emit(
        corp,
        events.AddHalfExternalContact(
            to_user_name=corp.corp_id,
            create_time=now,
            user_id=userid,
            external_user_id=customer.external_userid,
            state=state_param or None,
            welcome_code=code,
        ),
    )
    return code


@scheduled_action("customer.reply")
def customer_reply(state: SandboxState, corp: Corp, args: dict[str, Any]) -> None:
    """Once a customer has spoken, welcome codes for them are unusable (41051)."""
    customer = customer_of(corp, args["external_userid"])
    customer.chatting = True
    corp.replies.append(
        {
            "external_userid": customer.external_userid,
            "userid": args.get("userid", ""),
            "at": state.now(),
            "text": args.get("text", "你好"),
        }
    )


def customer_deletes_staff(
    state: SandboxState, corp: Corp, *, external_userid: str, userid: str
) -> None:
    customer = customer_of(corp, external_userid)
    follow = customer.follows.get(userid)
    if follow is None:
        raise WeComError(84061)
    follow.deleted_by_customer = True  # one-way: the APIs keep returning it
    state.emit(
        corp,
        events.DelFollowUser(
            to_user_name=corp.corp_id,
            create_time=state.now(),
            user_id=userid,
            external_user_id=external_userid,
        ),
    )


def staff_deletes_customer(
    state: SandboxState, corp: Corp, *, userid: str, external_userid: str, source: str | None = None
) -> None:
    customer = customer_of(corp, external_userid)
    if unlink(staff_of(corp, userid), customer) is None:
        raise WeComError(84061)
    state.emit(
        corp,
        events.DelExternalContact(
            to_user_name=corp.corp_id,
            create_time=state.now(),
            user_id=userid,
            external_user_id=external_userid,
            source=source,
        ),
    )


def staff_edits_customer(
    state: SandboxState,
    corp: Corp,
    *,
    userid: str,
    external_userid: str,
    remark: str | None = None,
    add_tags: list[str] | None = None,
    remove_tags: list[str] | None = None,
) -> None:
    follow = customer_of(corp, external_userid).follows.get(userid)
    if follow is None:
        raise WeComError(84061)
    if remark is not None:
        follow.remark = remark
    for tag_id in add_tags or []:
        if tag_id not in corp.tags:
            raise WeComError(40068)
        if tag_id not in follow.tags:
            follow.tags.append(tag_id)
    follow.tags = [t for t in follow.tags if t not in set(remove_tags or [])]
    follow.touch()
    state.emit(
        corp,
        events.EditExternalContact(
            to_user_name=corp.corp_id,
            create_time=state.now(),
            user_id=userid,
            external_user_id=external_userid,
        ),
    )


def resign_staff(state: SandboxState, corp: Corp, *, userid: str) -> None:
    staff = staff_of(corp, userid)
    staff.resigned_at = state.now()
    for group in corp.groups.values():
        if group.owner == userid:
            group.status = 1  # 跟进人离职


def confirm_task(state: SandboxState, corp: Corp, *, kind: str, task_id: str, userid: str) -> None:
    action = "mass.confirm" if kind == "mass" else "moment.confirm"
    key = "msgid" if kind == "mass" else "moment_id"
    ACTIONS[action](state, corp, {key: task_id, "userid": userid})


def console_tag_change(
    state: SandboxState,
    corp: Corp,
    *,
    change: str,
    group_name: str = "",
    name: str = "",
    tag_id: str = "",
) -> str:
    """An admin edits tags in the console: WeCom sends change_external_tag (API edits do not)."""
    now = state.now()
    if change == "create":
        group = next((g for g in corp.tag_groups.values() if g.group_name == group_name), None)
        if group is None:
            group = TagGroup(state.new_id("et", 30), group_name or "默认", now)
            corp.tag_groups[group.group_id] = group
        tag = Tag(state.new_id("et", 30), name, group.group_id, now)
        group.tags[tag.id] = tag
        corp.tags[tag.id] = tag
        state.emit(
            corp,
            events.ExternalTagCreate(
                to_user_name=corp.corp_id, create_time=now, id=tag.id, tag_type="tag"
            ),
        )
        return tag.id
    existing = corp.tags.get(tag_id)
    if existing is None:
        raise WeComError(40068)
    tag = existing
    if change == "update":
        tag.name = name or tag.name
        state.emit(
            corp,
            events.ExternalTagUpdate(
                to_user_name=corp.corp_id, create_time=now, id=tag.id, tag_type="tag"
            ),
        )
    elif change == "delete":
        delete_tags(corp, [tag.id], [])
        state.emit(
            corp,
            events.ExternalTagDelete(
                to_user_name=corp.corp_id, create_time=now, id=tag.id, tag_type="tag"
            ),
        )
    else:
        raise WeComError(40058, f"unknown tag change {change}")
    return tag.id
