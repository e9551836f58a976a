"""Lost customers: lists and daily counts, and alerts sent once through WeCom app messages."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fastapi import FastAPI
from fastapi.testclient import TestClient

from siyu.auth.models import Role, ScopeKind
from siyu.jobs import enqueue
from siyu.kit.clock import utcnow
from siyu.profile.stages import day_of
from tests.customers.world import World
from tests.helpers.auth import make_department, make_staff, member_client
from tests.profile.helpers import add_customer, admin, url
from tests.sandbox.helpers import START


def _today() -> dict[str, str]:
    """The sandbox's day (its clock starts at START and the deletions happen then)."""
    today = day_of(datetime.fromtimestamp(START, UTC)).isoformat()
    return {"since": today, "until": today}


def _collect(world: World) -> None:
    with world.db.transaction() as session:
        enqueue(session, "lost.collect", key=f"test:lost.collect:{utcnow().isoformat()}")


def _alerts_to(world: World, userid: str) -> list[dict[str, Any]]:
    return [m for m in world.wecom.app_messages if m["touser"] == userid]


def _enable(client: TestClient, world: World, **body: Any) -> None:
    response = client.put(
        url(world, "/lost-alert-settings"), json={"enabled": True, "batch_minutes": 0, **body}
    )
    assert response.status_code == 200, response.text


def _alice_managed_by_carol(app: FastAPI, world: World) -> None:
    """alice in a department whose manager in Siyu is carol."""
    team = make_department(world.db, corp=world.corp, wecom_dept_id=3)
    make_staff(world.db, corp=world.corp, userid="alice", departments=[team])
    member_client(
        app,
        world.db,
        corp=world.corp,
        role=Role.manager,
        scope=ScopeKind.department,
        staff_userid="carol",
        department_ids=[3],
    )


class TestLostList:
    def test_who_deleted_whom_is_listed(self, app: FastAPI, world: World) -> None:
        gone = add_customer(world)
        dropped = add_customer(world, "bob")
        add_customer(world)  # still a friend
        world.act("customer_deletes_staff", userid="alice", external_userid=gone.external_userid)
        world.act("staff_deletes_customer", userid="bob", external_userid=dropped.external_userid)
        world.deliver()
        client = admin(app, world)
        body = client.get(url(world, "/lost-customers"), params=_today()).json()
        found = {(i["customer_id"], i["staff_userid"], i["deleted_by"]) for i in body["items"]}
        assert found == {(str(gone.id), "alice", "customer"), (str(dropped.id), "bob", "staff")}
        only = client.get(
            url(world, "/lost-customers"), params={**_today(), "deleted_by": "customer"}
        ).json()
        assert [i["customer_id"] for i in only["items"]] == [str(gone.id)]
        daily = client.get(url(world, "/lost-customers/daily"), params=_today()).json()
        assert {(d["group"], d["deleted_by"], d["count"]) for d in daily} == {
            ("alice", "customer", 1),
            ("bob", "staff", 1),
        }

    def test_counts_per_team(self, app: FastAPI, world: World) -> None:
        sales = make_department(world.db, corp=world.corp, wecom_dept_id=7)
        make_staff(world.db, corp=world.corp, userid="alice", departments=[sales])
        for _ in range(2):
            customer = add_customer(world)
            world.act(
                "customer_deletes_staff", userid="alice", external_userid=customer.external_userid
            )
        world.deliver()
        daily = admin(app, world).get(
            url(world, "/lost-customers/daily"), params={**_today(), "group_by": "department"}
        )
        assert [(d["group"], d["count"]) for d in daily.json()] == [("7", 2)]

    def test_pages_follow_the_cursor(self, app: FastAPI, world: World) -> None:
        for _ in range(3):
            customer = add_customer(world)
            world.act(
                "customer_deletes_staff", userid="alice", external_userid=customer.external_userid
            )
        world.deliver()
        client = admin(app, world)
        first = client.get(url(world, "/lost-customers"), params={**_today(), "limit": 2}).json()
        second = client.get(
            url(world, "/lost-customers"),
            params={**_today(), "limit": 2, "cursor": first["next_cursor"]},
        ).json()
        ids = [i["id"] for i in first["items"] + second["items"]]
        assert len(ids) == 3 == len(set(ids)) and second["next_cursor"] is None


class TestLostAlerts:
    def test_one_message_per_recipient_and_never_twice(self, app: FastAPI, world: World) -> None:
        _alice_managed_by_carol(app, world)
        _enable(admin(app, world), world)
        customers = [add_customer(world) for _ in range(2)]
        for customer in customers:
            world.act(
                "customer_deletes_staff", userid="alice", external_userid=customer.external_userid
            )
        events = world.deliver()
        _collect(world)
        world.deliver(events)  # WeCom retried the callbacks
        _collect(world)
        (to_alice,) = _alerts_to(world, "alice")
        (to_manager,) = _alerts_to(world, "carol")
        text = to_alice["body"]["text"]["content"]
        assert "2 位客户" in text and all(c.name in text for c in customers)
        assert to_manager["body"]["enable_duplicate_check"] == 1
        assert not _alerts_to(world, "bob")

    def test_nothing_is_sent_while_switched_off(self, app: FastAPI, world: World) -> None:
        customer = add_customer(world)
        world.act(
            "customer_deletes_staff", userid="alice", external_userid=customer.external_userid
        )
        world.deliver()
        _collect(world)
        _enable(admin(app, world), world)
        _collect(world)
        assert world.wecom.app_messages == []

    def test_a_staff_deletion_is_not_alerted(self, app: FastAPI, world: World) -> None:
        _enable(admin(app, world), world)
        customer = add_customer(world)
        world.act(
            "staff_deletes_customer", userid="alice", external_userid=customer.external_userid
        )
        world.deliver()
        _collect(world)
        assert world.wecom.app_messages == []

    def test_a_staff_deletion_tells_the_manager_once(self, app: FastAPI, world: World) -> None:
        _alice_managed_by_carol(app, world)
        _enable(admin(app, world), world)
        dropped = add_customer(world)
        world.act("staff_deletes_customer", userid="alice", external_userid=dropped.external_userid)
        events = world.deliver()
        _collect(world)
        world.deliver(events)  # WeCom retried the callback
        _collect(world)
        (to_manager,) = _alerts_to(world, "carol")
        text = to_manager["body"]["text"]["content"]
        assert "成员删除了 1 位客户" in text and dropped.name in text and "alice" in text
        assert to_manager["body"]["enable_duplicate_check"] == 1
        assert not _alerts_to(world, "alice")  # she deleted the customer herself

    def test_settings_are_admin_only(self, app: FastAPI, world: World) -> None:
        alice = member_client(app, world.db, corp=world.corp, role=Role.staff, staff_userid="alice")
        response = alice.client.put(url(world, "/lost-alert-settings"), json={"enabled": True})
        assert response.status_code == 403
