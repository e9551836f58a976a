"""Which groups a code's join way lists, and the rotation that keeps them below the threshold.

A join way lists at most 5 chats (41091) and update_join_way overwrites, so every change sends
the whole list. The plan is a pure function of the pool and the member counts, so running it
twice (a retried job, a second member event) gives the same list and changes nothing; callers
hold the code row's lock while they plan and apply.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from siyu.groupcodes.models import SLOT_ACTIVE, SLOT_RETIRED, SLOT_STANDBY, GroupCode, GroupCodeSlot

JOIN_WAY_CHAT_CAP = 5  # API-FACTS §4.5: chat_id_list ≤5, else 41091


def threshold_of(code: GroupCode) -> int:
    """Members at which a group leaves the join way (90% of 200 → 180; never the cap itself
    when the cap is above 1, so a join in flight still finds room)."""
    value = math.floor(code.group_cap * code.threshold_percent / 100)
    return max(1, min(value, code.group_cap - 1 if code.group_cap > 1 else 1))


@dataclass(frozen=True)
class GroupState:
    member_count: int
    gone: bool  # dismissed in WeCom


@dataclass
class Plan:
    active: list[GroupCodeSlot]
    retire: list[GroupCodeSlot]
    activate: list[GroupCodeSlot]
    standby_left: int
    room_left: int  # joins the active groups can still take before they rotate

    @property
    def chat_ids(self) -> list[str]:
        return [s.chat_id for s in self.active]

    @property
    def changed(self) -> bool:
        return bool(self.retire or self.activate)


def plan(
    slots: Sequence[GroupCodeSlot], groups: Mapping[str, GroupState], *, threshold: int
) -> Plan:
    """Retire active groups at the threshold; fill up to 5 from the standbys in pool order."""

    def full(slot: GroupCodeSlot) -> bool:
        group = groups.get(slot.chat_id)
        return group is None or group.gone or group.member_count >= threshold

    ordered = sorted(slots, key=lambda s: (s.position, str(s.id)))
    keep = [s for s in ordered if s.status == SLOT_ACTIVE and not full(s)]
    retire = [s for s in ordered if s.status == SLOT_ACTIVE and full(s)]
    standbys = [s for s in ordered if s.status == SLOT_STANDBY]
    activate: list[GroupCodeSlot] = []
    for slot in standbys:
        if len(keep) + len(activate) >= JOIN_WAY_CHAT_CAP:
            break
        if full(slot):
            retire.append(slot)  # a standby that filled up by other means never goes live
        else:
            activate.append(slot)
    if not keep and not activate:
        # Never an empty list: the full groups stay on the way (WeCom opens a new room behind
        # them when auto_create_room is on) until an operator adds standbys.
        keep = [s for s in retire if s.status == SLOT_ACTIVE]
        retire = [s for s in retire if s.status != SLOT_ACTIVE]
    active = sorted([*keep, *activate], key=lambda s: (s.position, str(s.id)))
    taken = {s.id for s in (*activate, *retire)}
    standby_left = sum(1 for s in standbys if s.id not in taken)
    room_left = sum(max(0, threshold - _count(groups, s.chat_id, threshold)) for s in active)
    return Plan(active, retire, activate, standby_left, room_left)


def _count(groups: Mapping[str, GroupState], chat_id: str, threshold: int) -> int:
    group = groups.get(chat_id)
    return threshold if group is None or group.gone else group.member_count


def apply(plan_: Plan, *, now: datetime) -> None:
    for slot in plan_.retire:
        slot.status, slot.retired_at = SLOT_RETIRED, now
    for slot in plan_.activate:
        slot.status, slot.activated_at = SLOT_ACTIVE, now


def needs_alert(code: GroupCode, plan_: Plan, *, threshold: int) -> bool:
    """No standby left and less than one group's worth of room: tell people while there is
    still room, once per exhaustion (the flag is cleared when standbys are added)."""
    return (
        code.alert_enabled
        and code.exhausted_alerted_at is None
        and plan_.standby_left == 0
        and plan_.room_left < threshold
    )
