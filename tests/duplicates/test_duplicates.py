"""Duplicates: people followed by several staff members; primary owner; export."""

from __future__ import annotations

from fastapi import FastAPI

from siyu.customers.models import Customer
from tests.customers.world import World
from tests.profile.helpers import add_customer, admin, url


def _shared(world: World, *staff: str) -> Customer:
    customer = add_customer(world, staff[0])
    for userid in staff[1:]:
        world.act("add_customer", userid=userid, external_userid=customer.external_userid)
    world.deliver()
    return customer


class TestDuplicates:
    def test_people_with_several_active_relations_are_listed(
        self, app: FastAPI, world: World
    ) -> None:
        shared = _shared(world, "alice", "bob")
        add_customer(world)
        left = _shared(world, "alice", "carol")
        world.act("customer_deletes_staff", userid="carol", external_userid=left.external_userid)
        world.deliver()
        client = admin(app, world)
        body = client.get(url(world, "/duplicate-customers")).json()
        assert [i["id"] for i in body["items"]] == [str(shared.id)]
        assert {s["staff_userid"] for s in body["items"][0]["staff"]} == {"alice", "bob"}
        assert client.get(url(world, "/duplicate-customers/count")).json() == {"count": 1}

    def test_pages_follow_the_cursor(self, app: FastAPI, world: World) -> None:
        made = [_shared(world, "alice", "bob") for _ in range(3)]
        client = admin(app, world)
        first = client.get(url(world, "/duplicate-customers"), params={"limit": 2}).json()
        second = client.get(
            url(world, "/duplicate-customers"), params={"limit": 2, "cursor": first["next_cursor"]}
        ).json()
        ids = [i["id"] for i in first["items"] + second["items"]]
        assert ids == sorted((str(c.id) for c in made), reverse=True)

    def test_the_primary_owner_must_follow_the_person(self, app: FastAPI, world: World) -> None:
        shared = _shared(world, "alice", "bob")
        client = admin(app, world)
        path = url(world, f"/customers/{shared.id}/primary-staff")
        refused = client.put(path, json={"staff_userid": "carol"})
        assert refused.status_code == 400 and "alice, bob" in refused.json()["error"]["message"]
        response = client.put(path, json={"staff_userid": "bob"})
        assert response.status_code == 200 and response.json()["primary_staff_userid"] == "bob"
        item = client.get(url(world, "/duplicate-customers")).json()["items"][0]
        assert item["primary_staff_userid"] == "bob"

    def test_the_list_exports(self, app: FastAPI, world: World) -> None:
        shared = _shared(world, "alice", "bob")
        client = admin(app, world)
        response = client.post(url(world, "/exports"), json={"kind": "duplicate_customers"})
        assert response.status_code in (200, 201, 202), response.text
        export = client.get(url(world, f"/exports/{response.json()['id']}")).json()
        assert export["status"] == "done", export
        content = client.get(url(world, f"/exports/{export['id']}/download")).text
        assert str(shared.id) in content and "alice|bob" in content
