"""change_external_contact callbacks through the real gateway, re-fetching from the sandbox."""

from __future__ import annotations

from siyu.events.service import (
    CUSTOMER_ADDED,
    CUSTOMER_LOST,
    CUSTOMER_REMOVED,
    CUSTOMER_UPDATED,
    TAG_ADDED,
    TAG_REMOVED,
)
from siyu.wecom.events import DelExternalContact, TransferFail
from tests.customers.world import World


def _add(world: World, userid: str = "alice", **body: object) -> str:
    result = world.act("add_customer", userid=userid, **body)
    return str(result["external_userid"])


class TestAddExternalContact:
    def test_the_contact_and_relation_are_stored_from_wecom(self, world: World) -> None:
        ext = _add(world, state="spring_poster", add_way=1)
        world.deliver()
        customer = world.customer(ext)
        wecom_customer = world.wecom.customers[ext]
        assert customer is not None
        assert (customer.name, customer.unionid, customer.status) == (
            wecom_customer.name,
            wecom_customer.unionid,
            "active",
        )
        relation = world.relations(ext)["alice"]
        assert relation.state == "spring_poster"
        assert relation.added_at is not None
        assert int(relation.added_at.timestamp()) == wecom_customer.follows["alice"].createtime
        assert world.count_events(CUSTOMER_ADDED) == 1

    def test_a_duplicated_callback_changes_nothing_the_second_time(self, world: World) -> None:
        ext = _add(world)
        events = world.deliver()
        before = world.relations(ext)["alice"]
        world.deliver(events)
        after = world.relations(ext)["alice"]
        meaning = ("id", "remark", "state", "added_at", "wecom_tag_ids", "deleted_by_staff_at")
        assert [getattr(after, f) for f in meaning] == [getattr(before, f) for f in meaning]
        assert world.count_events(CUSTOMER_ADDED) == 1

    def test_a_second_staff_member_adds_a_second_relation(self, world: World) -> None:
        ext = _add(world)
        _add(world, "bob", external_userid=ext)
        world.deliver()
        assert set(world.relations(ext)) == {"alice", "bob"}
        assert world.count_events(CUSTOMER_ADDED) == 2


class TestEditExternalContact:
    def test_remark_and_tags_follow_wecom(self, world: World) -> None:
        ext = _add(world)
        vip = world.tag_id("等级", "VIP")
        world.deliver()
        world.act(
            "staff_edits_customer",
            userid="alice",
            external_userid=ext,
            remark="老客户",
            add_tags=[vip],
        )
        world.deliver()
        relation = world.relations(ext)["alice"]
        assert (relation.remark, relation.wecom_tag_ids) == ("老客户", [vip])
        assert world.count_events(CUSTOMER_UPDATED) == 1
        assert world.count_events(TAG_ADDED) == 1
        world.act("staff_edits_customer", userid="alice", external_userid=ext, remove_tags=[vip])
        world.deliver()
        assert world.relations(ext)["alice"].wecom_tag_ids == []
        assert world.count_events(TAG_REMOVED) == 1

    def test_a_tag_siyu_has_not_seen_is_fetched(self, world: World) -> None:
        ext = _add(world)
        world.deliver()
        vip = world.tag_id("等级", "VIP")
        world.take()  # the tag's own create callback is lost
        world.act("staff_edits_customer", userid="alice", external_userid=ext, add_tags=[vip])
        world.deliver()
        assert world.relations(ext)["alice"].wecom_tag_ids == [vip]
        tag = world.tag(vip)
        assert tag is not None and tag.name == "VIP"
        assert world.linked_tags(ext, "alice") == {tag.id}


class TestDeletions:
    def test_staff_deleting_the_customer_ends_the_relation(self, world: World) -> None:
        ext = _add(world)
        world.deliver()
        world.act("staff_deletes_customer", userid="alice", external_userid=ext)
        world.deliver()
        relation = world.relations(ext)["alice"]
        assert relation.deleted_by_staff_at is not None
        customer = world.customer(ext)
        assert customer is not None and customer.status == "lost"
        assert world.count_events(CUSTOMER_REMOVED) == 1

    def test_a_transfer_deletion_is_noted(self, world: World) -> None:
        ext = _add(world)
        world.deliver()
        with world.state.lock:
            from siyu.sandbox import behaviours

            behaviours.staff_deletes_customer(
                world.state,
                world.wecom,
                userid="alice",
                external_userid=ext,
                source="DELETE_BY_TRANSFER",
            )
        events = world.take()
        assert isinstance(events[0], DelExternalContact)
        world.deliver(events)
        assert world.relations(ext)["alice"].delete_source == "DELETE_BY_TRANSFER"

    def test_the_customer_deleting_staff_is_lost_only_without_other_relations(
        self, world: World
    ) -> None:
        ext = _add(world)
        _add(world, "bob", external_userid=ext)
        world.deliver()
        world.act("customer_deletes_staff", userid="alice", external_userid=ext)
        world.deliver()
        relations = world.relations(ext)
        assert relations["alice"].deleted_by_customer_at is not None
        assert relations["bob"].deleted_by_customer_at is None
        customer = world.customer(ext)
        assert customer is not None and customer.status == "active"
        world.act("customer_deletes_staff", userid="bob", external_userid=ext)
        world.deliver()
        customer = world.customer(ext)
        assert customer is not None and customer.status == "lost"
        assert world.count_events(CUSTOMER_LOST) == 2


class TestOutOfOrder:
    def test_a_late_delete_does_not_end_a_relation_added_again(self, world: World) -> None:
        ext = _add(world)
        world.act("staff_deletes_customer", userid="alice", external_userid=ext)
        _add(world, external_userid=ext)
        add_1, delete, add_2 = world.take()
        world.deliver([add_1, add_2, delete])
        relation = world.relations(ext)["alice"]
        assert relation.deleted_by_staff_at is None
        assert world.count_events(CUSTOMER_ADDED) == 2
        assert world.count_events(CUSTOMER_REMOVED) == 1

    def test_a_delete_before_its_add_leaves_no_active_relation(self, world: World) -> None:
        ext = _add(world)
        world.act("staff_deletes_customer", userid="alice", external_userid=ext)
        add, delete = world.take()
        world.deliver([delete, add])
        relation = world.relations(ext).get("alice")
        assert relation is None or relation.deleted_by_staff_at is not None


class TestTransferFail:
    def test_is_handled_and_keeps_the_contact_current(self, world: World) -> None:
        ext = _add(world)
        world.deliver()
        event = TransferFail(
            to_user_name=world.wecom.corp_id,
            create_time=world.state.now(),
            fail_reason="customer_refused",
            user_id="bob",
            external_user_id=ext,
        )
        world.deliver([event])
        assert set(world.relations(ext)) == {"alice"}
