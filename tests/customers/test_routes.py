"""The minimal contact and group read API, and its data scopes."""

from __future__ import annotations

from fastapi import FastAPI

from siyu.auth.models import Role
from siyu.customers.models import Customer
from siyu.groups.models import CustomerGroup
from tests.customers.scope_bodies import customer_write_bodies
from tests.customers.world import World
from tests.helpers.auth import make_corp, member_client
from tests.helpers.scope import ScopeTarget, assert_scope_isolation


def _people(world: World) -> tuple[Customer, Customer]:
    mine = str(world.act("add_customer", userid="alice")["external_userid"])
    theirs = str(world.act("add_customer", userid="bob")["external_userid"])
    world.deliver()
    a, b = world.customer(mine), world.customer(theirs)
    assert a is not None and b is not None
    return a, b


def _groups(world: World) -> tuple[CustomerGroup, CustomerGroup]:
    from tests.groups.test_handlers import group_row

    mine = str(world.act("create_group", owner="alice", name="A群")["chat_id"])
    theirs = str(world.act("create_group", owner="bob", name="B群")["chat_id"])
    world.deliver()
    a, b = group_row(world, mine), group_row(world, theirs)
    assert a is not None and b is not None
    return a, b


class TestListCustomers:
    def test_pages_newest_first(self, app: FastAPI, world: World) -> None:
        for _ in range(5):
            world.act("add_customer", userid="alice")
        world.deliver()
        admin = member_client(app, world.db, corp=world.corp, role=Role.admin)
        url = f"/api/v1/corps/{world.corp.id}/customers"
        first = admin.client.get(url, params={"limit": 3}).json()
        second = admin.client.get(url, params={"limit": 3, "cursor": first["next_cursor"]}).json()
        ids = [c["id"] for c in first["items"] + second["items"]]
        assert len(ids) == 5 == len(set(ids))
        assert ids == sorted(ids, reverse=True)
        assert second["next_cursor"] is None

    def test_detail_has_relations_and_tags(self, app: FastAPI, world: World) -> None:
        ext = str(world.act("add_customer", userid="alice", state="poster")["external_userid"])
        vip = world.tag_id("等级", "VIP")
        world.act("staff_edits_customer", userid="alice", external_userid=ext, add_tags=[vip])
        world.deliver()
        customer = world.customer(ext)
        assert customer is not None
        admin = member_client(app, world.db, corp=world.corp, role=Role.admin)
        body = admin.client.get(f"/api/v1/corps/{world.corp.id}/customers/{customer.id}").json()
        (relation,) = body["relations"]
        assert (relation["staff_userid"], relation["state"]) == ("alice", "poster")
        assert [t["name"] for t in relation["tags"]] == ["VIP"]


class TestScopes:
    def test_staff_see_only_customers_related_to_them(self, app: FastAPI, world: World) -> None:
        mine, theirs = _people(world)
        alice = member_client(app, world.db, corp=world.corp, role=Role.staff, staff_userid="alice")
        other = make_corp(world.db)
        report = assert_scope_isolation(
            app,
            alice.client,
            world.db,
            corp_ids=[world.corp.id, other.id],
            targets=[ScopeTarget("customer_id", Customer, foreign=[theirs.id], visible=[mine.id])],
            sample_bodies=customer_write_bodies(mine.id),
        )
        assert report.denied and report.lists

    def test_staff_see_only_groups_they_own(self, app: FastAPI, world: World) -> None:
        mine, theirs = _groups(world)
        alice = member_client(app, world.db, corp=world.corp, role=Role.staff, staff_userid="alice")
        report = assert_scope_isolation(
            app,
            alice.client,
            world.db,
            corp_ids=[world.corp.id],
            targets=[
                ScopeTarget("group_id", CustomerGroup, foreign=[theirs.id], visible=[mine.id])
            ],
        )
        assert report.denied

    def test_group_detail_lists_members(self, app: FastAPI, world: World) -> None:
        mine, _ = _groups(world)
        admin = member_client(app, world.db, corp=world.corp, role=Role.admin)
        body = admin.client.get(f"/api/v1/corps/{world.corp.id}/groups/{mine.id}").json()
        assert [m["member_id"] for m in body["members"]] == ["alice"]
