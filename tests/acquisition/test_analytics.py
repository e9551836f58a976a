"""Analytics: adds → welcomed, lost and net per channel, code, day and staff; scoped; bad range."""

from __future__ import annotations

from fastapi import FastAPI

from siyu.auth.models import Role, ScopeKind
from tests.acquisition.helpers import scan, setup
from tests.customers.world import World
from tests.groupcodes.helpers import create_code as create_group_code
from tests.groupcodes.helpers import new_groups
from tests.groupcodes.helpers import scan as join_through
from tests.helpers.auth import member_client
from tests.profile.helpers import url

DAY = {"since": "2026-03-10", "until": "2026-03-10"}  # the sandbox's day (tests.sandbox.START)


class TestJoinedAGroup:
    def test_counts_channel_adds_who_then_joined_through_a_group_code(
        self, app: FastAPI, world: World
    ) -> None:
        client, code = setup(app, world, welcome_text="hi")
        added = [scan(world, code) for _ in range(3)]
        group_code = create_group_code(client, world, new_groups(world, 1))
        for person in added[:2]:
            join_through(world, group_code["config_id"], str(person["external_userid"]))
        join_through(world, group_code["config_id"], str(added[0]["external_userid"]))  # again
        world.deliver()
        [channel] = client.get(url(world, "/acquisition/stats/channels"), params=DAY).json()
        assert (channel["adds"], channel["joined_group"]) == (3, 2)
        [per_code] = client.get(url(world, "/acquisition/stats/codes"), params=DAY).json()
        assert per_code["joined_group"] == 2


class TestStats:
    def test_the_funnel_per_channel_code_day_and_staff(self, app: FastAPI, world: World) -> None:
        client, code = setup(app, world, welcome_text="hi")
        added = [scan(world, code) for _ in range(3)]
        world.act(
            "customer_deletes_staff",
            userid=added[0]["userid"],
            external_userid=added[0]["external_userid"],
        )
        world.deliver()
        [channel] = client.get(url(world, "/acquisition/stats/channels"), params=DAY).json()
        assert (channel["adds"], channel["welcomed"], channel["lost"], channel["net"]) == (
            3,
            3,
            1,
            2,
        )
        assert channel["joined_group"] == 0  # nobody has joined a group yet
        [per_code] = client.get(url(world, "/acquisition/stats/codes"), params=DAY).json()
        assert (per_code["code_id"], per_code["adds"]) == (code["id"], 3)
        [day] = client.get(url(world, "/acquisition/stats/daily"), params=DAY).json()
        assert (day["day"], day["new"], day["lost"], day["net"]) == ("2026-03-10", 3, 1, 2)
        staff = client.get(url(world, "/acquisition/stats/staff"), params=DAY).json()
        assert sum(row["adds"] for row in staff) == 3
        welcomes = client.get(url(world, "/acquisition/stats/welcomes")).json()
        assert (welcomes["sent"], welcomes["failed"], welcomes["expired"]) == (3, 0, 0)

        mine = added[1]["userid"]
        own = member_client(
            app, world.db, corp=world.corp, role=Role.staff, scope=ScopeKind.own, staff_userid=mine
        ).client
        rows = own.get(url(world, "/acquisition/stats/staff"), params=DAY).json()
        assert {row["staff_userid"] for row in rows} == {mine}

    def test_a_bad_range_is_named(self, app: FastAPI, world: World) -> None:
        client, _ = setup(app, world)
        backwards = {"since": "2026-03-10", "until": "2026-03-01"}
        response = client.get(url(world, "/acquisition/stats/codes"), params=backwards)
        assert response.status_code == 422 and "before since" in response.text
        too_long = {"since": "2024-01-01", "until": "2026-03-01"}
        response = client.get(url(world, "/acquisition/stats/daily"), params=too_long)
        assert response.status_code == 422 and "366" in response.text
