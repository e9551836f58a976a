"""Data scopes: a staff-scoped member sees only their own customers' profiles, follow-ups,
lost entries, duplicates and stage counts."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI

from siyu.auth.models import Role
from siyu.customers.models import Customer
from siyu.profile.stages import day_of
from tests.customers.scope_bodies import customer_write_bodies
from tests.customers.world import World
from tests.helpers.auth import make_corp, member_client
from tests.helpers.scope import ScopeTarget, assert_scope_isolation
from tests.profile.helpers import add_customer, admin, url
from tests.sandbox.helpers import START


def _day() -> dict[str, str]:
    day = day_of(datetime.fromtimestamp(START, UTC)).isoformat()
    return {"since": day, "until": day}


class TestProfileScopes:
    def test_staff_reach_only_their_customers_profiles(self, app: FastAPI, world: World) -> None:
        mine, theirs = add_customer(world), add_customer(world, "bob")
        client = admin(app, world)
        client.post(url(world, f"/customers/{theirs.id}/follow-ups"), json={"content": "bob的"})
        alice = member_client(app, world.db, corp=world.corp, role=Role.staff, staff_userid="alice")
        report = assert_scope_isolation(
            app,
            alice.client,
            world.db,
            corp_ids=[world.corp.id, make_corp(world.db).id],
            targets=[ScopeTarget("customer_id", Customer, foreign=[theirs.id], visible=[mine.id])],
            sample_bodies=customer_write_bodies(mine.id),
        )
        assert any("/timeline" in d for d in report.denied)
        assert any("/follow-ups" in d for d in report.denied)

    def test_staff_see_only_their_lost_entries(self, app: FastAPI, world: World) -> None:
        mine, theirs = add_customer(world), add_customer(world, "bob")
        for customer, userid in ((mine, "alice"), (theirs, "bob")):
            world.act(
                "customer_deletes_staff", userid=userid, external_userid=customer.external_userid
            )
        world.deliver()
        alice = member_client(app, world.db, corp=world.corp, role=Role.staff, staff_userid="alice")
        items = alice.client.get(url(world, "/lost-customers"), params=_day()).json()["items"]
        assert [i["customer_id"] for i in items] == [str(mine.id)]
        daily = alice.client.get(url(world, "/lost-customers/daily"), params=_day()).json()
        assert {d["group"] for d in daily} == {"alice"}
        asked = alice.client.get(
            url(world, "/lost-customers"), params={**_day(), "staff_userid": "bob"}
        ).json()
        assert asked["items"] == []

    def test_staff_see_only_duplicates_they_are_part_of(self, app: FastAPI, world: World) -> None:
        ours = add_customer(world)
        world.act("add_customer", userid="bob", external_userid=ours.external_userid)
        others = add_customer(world, "bob")
        world.act("add_customer", userid="carol", external_userid=others.external_userid)
        world.deliver()
        alice = member_client(app, world.db, corp=world.corp, role=Role.staff, staff_userid="alice")
        body = alice.client.get(url(world, "/duplicate-customers")).json()
        assert [i["id"] for i in body["items"]] == [str(ours.id)]
        assert alice.client.get(url(world, "/duplicate-customers/count")).json() == {"count": 1}

    def test_staff_see_only_their_stage_counts(self, app: FastAPI, world: World) -> None:
        client = admin(app, world)
        stage = client.post(url(world, "/sales-stages"), json={"key": "new", "name": "新"}).json()
        for userid in ("alice", "bob"):
            customer = add_customer(world, userid)
            client.put(
                url(world, f"/customers/{customer.id}/stage"), json={"stage_id": stage["id"]}
            )
        alice = member_client(app, world.db, corp=world.corp, role=Role.staff, staff_userid="alice")
        today = day_of(datetime.now(UTC)).isoformat()
        rows = alice.client.get(
            url(world, "/stage-counts"), params={"since": today, "until": today}
        ).json()
        assert {r["staff_userid"] for r in rows} == {"alice"}
        refused = alice.client.post(url(world, "/sales-stages"), json={"key": "x", "name": "x"})
        assert refused.status_code == 403
