"""Caps and capacity: the way's users follow each member's adds; warnings once per threshold."""

from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import select

from siyu.acquisition.models import CapacityWarning
from siyu.events.service import STAFF_CAPACITY_WARNING
from tests.acquisition.helpers import create_channel, create_code, directory, scan, setup, way_users
from tests.customers.world import World
from tests.profile.helpers import admin, url


class TestDailyCaps:
    def test_a_member_at_the_code_cap_leaves_the_way_until_backups_take_over(
        self, app: FastAPI, world: World
    ) -> None:
        _, code = setup(app, world, daily_cap=2, backup_userids=["carol"])
        received: dict[str, int] = {}
        for _ in range(6):
            result = scan(world, code)
            received[result["userid"]] = received.get(result["userid"], 0) + 1
        assert received == {"alice": 2, "bob": 2, "carol": 2}
        assert way_users(world, code) == ["carol"]  # never empty: the backup stays

    def test_the_members_own_daily_cap_counts_every_channel(
        self, app: FastAPI, world: World
    ) -> None:
        directory(world, alice={"daily_add_cap": 2})
        client = admin(app, world)
        code = create_code(client, world, create_channel(client, world))
        world.act("add_customer", userid="alice")  # added outside any code
        world.deliver()
        while "alice" in way_users(world, code):
            scan(world, code)
        with world.db.transaction(write=False) as session:
            from siyu.customers.models import FollowRelation

            adds = session.scalars(
                select(FollowRelation).where(FollowRelation.staff_userid == "alice")
            )
            assert len(list(adds)) == 2


class TestWarnings:
    def test_80_and_95_percent_warn_the_manager_once_each(self, app: FastAPI, world: World) -> None:
        from siyu.auth.models import Role, ScopeKind
        from tests.helpers.auth import make_department, make_membership, make_user

        directory(world, bob={"daily_add_cap": 10})
        team = make_department(world.db, corp=world.corp, wecom_dept_id=5)
        with world.db.transaction() as session:
            from siyu.staff.models import StaffDepartment, StaffMember

            bob = session.scalar(select(StaffMember).where(StaffMember.userid == "bob"))
            assert bob is not None
            session.add(
                StaffDepartment(
                    staff_member_id=bob.id, department_id=team.id, corp_id=world.corp.id
                )
            )
        make_membership(
            world.db,
            corp=world.corp,
            user=make_user(world.db),
            role=Role.manager,
            scope=ScopeKind.department,
            staff_userid="carol",
            department_ids=[5],
        )
        client = admin(app, world)
        code = create_code(client, world, create_channel(client, world), staff_userids=["bob"])
        for _ in range(10):
            scan(world, code)
        with world.db.transaction(write=False) as session:
            warnings = list(session.scalars(select(CapacityWarning)))
        assert sorted((w.kind, w.threshold, w.count) for w in warnings) == [
            ("daily_adds", 80, 8),
            ("daily_adds", 95, 10),
        ]
        messages = [m for m in world.wecom.app_messages if m["touser"] == "carol"]
        assert len(messages) == 2 and "bob" in messages[0]["body"]["text"]["content"]
        assert world.count_events(STAFF_CAPACITY_WARNING) == 2

    def test_the_capacity_view_is_scoped(self, app: FastAPI, world: World) -> None:
        from siyu.auth.models import Role, ScopeKind
        from tests.helpers.auth import member_client

        _, code = setup(app, world)
        scan(world, code)
        everyone = admin(app, world).get(url(world, "/acquisition/capacity")).json()
        assert {r["userid"] for r in everyone} == {"alice", "bob", "carol"}
        own = member_client(
            app, world.db, corp=world.corp, role=Role.staff, scope=ScopeKind.own, staff_userid="bob"
        ).client
        rows = own.get(url(world, "/acquisition/capacity")).json()
        assert [r["userid"] for r in rows] == ["bob"]
        assert rows[0]["friend_cap"] == 5000 and rows[0]["level"] == "ok"
