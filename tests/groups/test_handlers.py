"""change_external_chat callbacks: member versions decide between applying and re-reading."""

from __future__ import annotations

from sqlalchemy import select

from siyu.events.service import GROUP_JOINED, GROUP_LEFT
from siyu.groups.models import CustomerGroup, GroupMember
from tests.customers.world import World


def group_row(world: World, chat_id: str) -> CustomerGroup | None:
    with world.db.transaction(write=False) as session:
        return session.scalar(
            select(CustomerGroup).where(
                CustomerGroup.corp_id == world.corp.id, CustomerGroup.chat_id == chat_id
            )
        )


def active_members(world: World, chat_id: str) -> set[str]:
    group = group_row(world, chat_id)
    assert group is not None
    with world.db.transaction(write=False) as session:
        rows = session.scalars(select(GroupMember).where(GroupMember.group_id == group.id))
        return {m.member_id for m in rows if m.left_at is None}


def wecom_members(world: World, chat_id: str) -> set[str]:
    return set(world.wecom.groups[chat_id].members)


def customers(world: World, count: int) -> list[str]:
    ids = []
    for _ in range(count):
        ids.append(str(world.act("add_customer", userid="alice")["external_userid"]))
    world.take()
    return ids


def new_group(world: World, members: list[str]) -> str:
    result = world.act("create_group", owner="alice", name="门店1群", members=members)
    return str(result["chat_id"])


class TestCreate:
    def test_the_group_and_its_members_come_from_groupchat_get(self, world: World) -> None:
        a, b = customers(world, 2)
        chat_id = new_group(world, [a, b])
        world.deliver()
        group = group_row(world, chat_id)
        assert group is not None
        assert (group.name, group.owner_userid, group.member_count) == ("门店1群", "alice", 3)
        assert group.member_version == world.wecom.groups[chat_id].member_version
        assert active_members(world, chat_id) == {"alice", a, b}


class TestMemberEvents:
    def test_events_that_chain_are_applied_in_order(self, world: World) -> None:
        a, b, c = customers(world, 3)
        chat_id = new_group(world, [a])
        world.deliver()
        world.act("join_group", chat_id=chat_id, members=[b, c], join_scene=3)
        world.act("leave_group", chat_id=chat_id, members=[a], quit_scene=0)
        world.deliver()
        assert active_members(world, chat_id) == wecom_members(world, chat_id)
        group = group_row(world, chat_id)
        assert group is not None
        assert group.member_version == world.wecom.groups[chat_id].member_version
        assert (world.count_events(GROUP_JOINED), world.count_events(GROUP_LEFT)) == (2, 1)

    def test_a_lost_event_makes_siyu_reread_the_group(self, world: World) -> None:
        a, b, c = customers(world, 3)
        chat_id = new_group(world, [])
        world.deliver()
        world.act("join_group", chat_id=chat_id, members=[a], join_scene=3)
        world.take()  # lost
        world.act("join_group", chat_id=chat_id, members=[b, c], join_scene=3)
        world.deliver()
        assert active_members(world, chat_id) == {"alice", a, b, c}

    def test_a_stale_event_never_overrides_a_newer_state(self, world: World) -> None:
        a, b = customers(world, 2)
        chat_id = new_group(world, [])
        world.deliver()
        world.act("join_group", chat_id=chat_id, members=[a, b], join_scene=3)
        world.act("leave_group", chat_id=chat_id, members=[a], quit_scene=1)
        join, leave = world.take()
        world.deliver([leave, join])
        assert active_members(world, chat_id) == {"alice", b}
        assert (world.count_events(GROUP_JOINED), world.count_events(GROUP_LEFT)) == (2, 1)

    def test_duplicates_change_nothing(self, world: World) -> None:
        (a,) = customers(world, 1)
        chat_id = new_group(world, [])
        world.deliver()
        world.act("join_group", chat_id=chat_id, members=[a], join_scene=3)
        events = world.deliver()
        world.deliver(events)
        assert active_members(world, chat_id) == {"alice", a}
        assert world.count_events(GROUP_JOINED) == 1


class TestOtherUpdates:
    def test_rename_and_dismiss(self, world: World) -> None:
        chat_id = new_group(world, [])
        world.act("rename_group", chat_id=chat_id, name="新名字")
        world.deliver()
        group = group_row(world, chat_id)
        assert group is not None and group.name == "新名字"
        world.act("dismiss_group", chat_id=chat_id)
        world.deliver()
        group = group_row(world, chat_id)
        assert group is not None and group.dismissed_at is not None
