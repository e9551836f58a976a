"""change_external_tag callbacks: the tags concerned are re-read from get_corp_tag_list."""

from __future__ import annotations

from tests.customers.world import World


class TestTagCallbacks:
    def test_create_and_update_mirror_wecom(self, world: World) -> None:
        vip = world.tag_id("等级", "VIP")
        world.deliver()
        tag = world.tag(vip)
        assert tag is not None and (tag.name, tag.deleted_at) == ("VIP", None)
        world.act("tag_change", change="update", tag_id=vip, name="超级VIP")
        world.deliver()
        tag = world.tag(vip)
        assert tag is not None and tag.name == "超级VIP"

    def test_a_late_update_reads_the_current_name(self, world: World) -> None:
        vip = world.tag_id("等级", "VIP")
        world.act("tag_change", change="update", tag_id=vip, name="V2")
        create, update = world.take()
        world.deliver([update, create])
        tag = world.tag(vip)
        assert tag is not None and tag.name == "V2"

    def test_delete_marks_the_tag_and_strips_it_from_customers(self, world: World) -> None:
        ext = str(world.act("add_customer", userid="alice")["external_userid"])
        vip = world.tag_id("等级", "VIP")
        world.act("staff_edits_customer", userid="alice", external_userid=ext, add_tags=[vip])
        world.deliver()
        assert world.relations(ext)["alice"].wecom_tag_ids == [vip]
        world.act("tag_change", change="delete", tag_id=vip)
        events = world.deliver()
        tag = world.tag(vip)
        assert tag is not None and tag.deleted_at is not None
        assert world.relations(ext)["alice"].wecom_tag_ids == []
        assert world.linked_tags(ext, "alice") == set()
        world.deliver(events)  # a duplicate delete changes nothing
        assert world.relations(ext)["alice"].wecom_tag_ids == []

    def test_a_create_arriving_after_the_delete_keeps_it_deleted(self, world: World) -> None:
        vip = world.tag_id("等级", "VIP")
        world.act("tag_change", change="delete", tag_id=vip)
        create, delete = world.take()
        world.deliver([delete, create])
        tag = world.tag(vip)
        assert tag is None or tag.deleted_at is not None
