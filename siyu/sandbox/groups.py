"""Group behaviours: create, join (directly or through a join way), leave, rename, dismiss.

Each change bumps the group's member_version and emits change_external_chat, whose
LastMemVer/CurMemVer match what groupchat/get reports before and after.
"""

from __future__ import annotations

from siyu.sandbox.behaviours import customer_of, staff_of
from siyu.sandbox.models import Corp, GroupChat, GroupMember
from siyu.sandbox.state import SandboxState
from siyu.wecom import events
from siyu.wecom.errors import WeComError


def _bump(state: SandboxState, group: GroupChat) -> tuple[str, str]:
    last = group.member_version
    group.member_version = state.version(group.chat_id, last, len(group.members), state.now())
    return last, group.member_version


def create_group(
    state: SandboxState, corp: Corp, *, owner: str, name: str, members: list[str] | None = None
) -> GroupChat:
    staff_of(corp, owner)
    now = state.now()
    group = GroupChat(state.new_id("wr", 30), name, owner, now)
    group.members[owner] = GroupMember(owner, 1, now, 1, name=corp.staff[owner].name)
    for userid in members or []:
        _member(corp, group, userid, now, 1, owner, "")
    _bump(state, group)
    corp.groups[group.chat_id] = group
    state.emit(
        corp,
        events.ExternalChatCreate(
            to_user_name=corp.corp_id, create_time=now, chat_id=group.chat_id
        ),
    )
    return group


def _member(
    corp: Corp,
    group: GroupChat,
    member_id: str,
    now: int,
    scene: int,
    invitor: str,
    state_param: str,
) -> None:
    if member_id in corp.staff:
        group.members[member_id] = GroupMember(
            member_id,
            1,
            now,
            scene,
            invitor=invitor,
            name=corp.staff[member_id].name,
            state=state_param,
        )
    else:
        customer = customer_of(corp, member_id)
        group.members[member_id] = GroupMember(
            member_id,
            2,
            now,
            scene,
            unionid=customer.unionid,
            invitor=invitor,
            name=customer.name,
            state=state_param,
        )


def join_group(
    state: SandboxState,
    corp: Corp,
    *,
    chat_id: str,
    members: list[str],
    join_scene: int = 3,
    invitor: str = "",
    state_param: str = "",
) -> GroupChat:
    """join_scene: 1 direct invite, 2 invitation link (200 cap), 3 group QR code (500 cap)."""
    group = corp.groups.get(chat_id)
    if group is None or group.dismissed:
        raise WeComError(40050)
    cap = state.rules.group_invite_link_cap if join_scene == 2 else state.rules.group_size_cap
    new = [m for m in dict.fromkeys(members) if m not in group.members]
    if len(group.members) + len(new) > cap:
        raise WeComError(90503)
    now = state.now()
    for member_id in new:
        _member(corp, group, member_id, now, join_scene, invitor or group.owner, state_param)
    last, current = _bump(state, group)
    # The callback's JoinScene uses 0 for any member invitation and 3 for a QR scan.
    state.emit(
        corp,
        events.ExternalChatUpdate(
            to_user_name=corp.corp_id,
            create_time=now,
            chat_id=chat_id,
            update_detail="add_member",
            join_scene=3 if join_scene == 3 else 0,
            mem_change_cnt=len(new),
            mem_change_list=tuple(new),
            last_mem_ver=last,
            cur_mem_ver=current,
        ),
    )
    return group


def join_by_way(
    state: SandboxState, corp: Corp, *, config_id: str, external_userid: str
) -> GroupChat:
    """Scan a join way: the first chat with room, or a new room when auto_create_room is on."""
    way = corp.join_ways.get(config_id)
    if way is None:
        raise WeComError(41044)
    for chat_id in way.chat_id_list:
        group = corp.groups.get(chat_id)
        if group and not group.dismissed and len(group.members) < state.rules.group_size_cap:
            return join_group(
                state, corp, chat_id=chat_id, members=[external_userid], state_param=way.state
            )
    if not way.auto_create_room or not way.chat_id_list:
        raise WeComError(90503)
    base = corp.groups[way.chat_id_list[-1]]
    way.room_base_id = (way.room_base_id or 1) + 1
    group = create_group(
        state, corp, owner=base.owner, name=f"{way.room_base_name or base.name}{way.room_base_id}"
    )
    if len(way.chat_id_list) < state.rules.join_way_chat_cap:
        way.chat_id_list.append(group.chat_id)
    else:
        way.chat_id_list = [*way.chat_id_list[1:], group.chat_id]
    return join_group(
        state, corp, chat_id=group.chat_id, members=[external_userid], state_param=way.state
    )


def leave_group(
    state: SandboxState, corp: Corp, *, chat_id: str, members: list[str], quit_scene: int = 0
) -> None:
    group = corp.groups.get(chat_id)
    if group is None or group.dismissed:
        raise WeComError(40050)
    gone = [m for m in members if group.members.pop(m, None) is not None]
    last, current = _bump(state, group)
    state.emit(
        corp,
        events.ExternalChatUpdate(
            to_user_name=corp.corp_id,
            create_time=state.now(),
            chat_id=chat_id,
            update_detail="del_member",
            quit_scene=quit_scene,
            mem_change_cnt=len(gone),
            mem_change_list=tuple(gone),
            last_mem_ver=last,
            cur_mem_ver=current,
        ),
    )


def rename_group(state: SandboxState, corp: Corp, *, chat_id: str, name: str) -> None:
    group = corp.groups.get(chat_id)
    if group is None or group.dismissed:
        raise WeComError(40050)
    group.name = name
    state.emit(
        corp,
        events.ExternalChatUpdate(
            to_user_name=corp.corp_id,
            create_time=state.now(),
            chat_id=chat_id,
            update_detail="change_name",
        ),
    )


def dismiss_group(state: SandboxState, corp: Corp, *, chat_id: str) -> None:
    group = corp.groups.get(chat_id)
    if group is None or group.dismissed:
        raise WeComError(40050)
    group.dismissed = True
    state.emit(
        corp,
        events.ExternalChatDismiss(
            to_user_name=corp.corp_id, create_time=state.now(), chat_id=chat_id
        ),
    )
