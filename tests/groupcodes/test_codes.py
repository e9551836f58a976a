"""Group codes: the join way behind a code, pool edits, rotation and joins."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

from fastapi import FastAPI
from sqlalchemy import select

from siyu.auth.models import Role, ScopeKind
from siyu.groupcodes.models import GroupCode, GroupCodeJoin
from siyu.groupcodes.service import group_code_service
from siyu.jobs import enqueue
from tests.customers.world import World
from tests.groupcodes.helpers import create_code, customers, new_groups, scan, url, way_chats
from tests.helpers.auth import member_client
from tests.profile.helpers import admin
from tests.sandbox.helpers import START


def _chat_ids(code: dict[str, object], status: str) -> list[str]:
    slots = code["slots"]
    assert isinstance(slots, list)
    return [s["chat_id"] for s in slots if s["status"] == status]


def joined_members(world: World, code_id: str) -> list[tuple[str, str]]:
    """(group, member) of every join recorded for the code."""
    with world.db.transaction(write=False) as session:
        rows = session.execute(
            select(GroupCodeJoin.chat_id, GroupCodeJoin.member_id).where(
                GroupCodeJoin.code_id == uuid.UUID(code_id)
            )
        )
        return [(chat, member) for chat, member in rows]


def joined(world: World, code_id: str) -> set[str]:
    return {chat for chat, _ in joined_members(world, code_id)}


class TestCreate:
    def test_the_first_five_groups_are_the_join_way_and_the_rest_wait(
        self, app: FastAPI, world: World
    ) -> None:
        pool = new_groups(world, 7)
        code = create_code(admin(app, world), world, pool, group_cap=10, threshold_percent=80)
        way = world.wecom.join_ways[code["config_id"]]
        assert way.chat_id_list == _chat_ids(code, "active")
        assert len(way.chat_id_list) == 5 and len(_chat_ids(code, "standby")) == 2
        assert (way.scene, way.state, code["threshold"]) == (2, code["state"], 8)
        assert code["qr_code"] == way.qr_code and code["qr_code"]
        assert code["page_path"].endswith(code["slug"]) and len(code["slug"]) >= 20

    def test_bad_input_names_the_problem_and_writes_nothing(
        self, app: FastAPI, world: World
    ) -> None:
        client = admin(app, world)
        pool = new_groups(world, 2)
        cases = [
            ({"pool": []}, 422),
            ({"pool": [str(pool[0]), str(pool[0])]}, 422),
            ({"pool": ["00000000-0000-0000-0000-000000000001"]}, 400),
            ({"auto_create_room": True}, 400),
            ({"group_cap": 501}, 422),
            ({"threshold_percent": 5}, 422),
        ]
        for change, expected in cases:
            body = {"name": "x", "owner_userid": "alice", "pool": [str(g) for g in pool]} | change
            response = client.post(url(world), json=body)
            assert response.status_code == expected, (change, response.text)
        assert client.get(url(world)).json() == []
        assert world.wecom.join_ways == {}

    def test_a_wecom_refusal_is_a_502_and_leaves_no_code(self, app: FastAPI, world: World) -> None:
        pool = new_groups(world, 1)
        world.wecom.join_ways.update({f"fill{i}": None for i in range(3)})  # type: ignore[misc]
        world.state.rules.contact_way_cap = 3  # the 500k quota, reached
        response = admin(app, world).post(
            url(world), json={"name": "x", "owner_userid": "alice", "pool": [str(pool[0])]}
        )
        assert response.status_code == 502 and "41045" in response.text
        assert admin(app, world).get(url(world)).json() == []

    def test_a_failure_after_the_join_way_was_made_deletes_it_again(
        self, app: FastAPI, world: World
    ) -> None:
        pool = new_groups(world, 1)
        refuse_qr = {"externalcontact/groupchat/get_join_way": {"errcode": 40058}}
        world.state.faults.configure({"api_errors": refuse_qr})
        response = admin(app, world).post(
            url(world), json={"name": "x", "owner_userid": "alice", "pool": [str(pool[0])]}
        )
        assert response.status_code == 502 and "40058" in response.text
        world.state.faults.configure({})
        assert admin(app, world).get(url(world)).json() == []
        assert world.wecom.join_ways == {}  # made, then deleted when the request rolled back


class TestDelete:
    def test_the_join_way_goes_after_the_code_is_deleted(self, app: FastAPI, world: World) -> None:
        client = admin(app, world)
        code = create_code(client, world, new_groups(world, 2))
        assert code["config_id"] in world.wecom.join_ways
        assert client.delete(url(world, f"/{code['id']}")).status_code == 204
        assert client.get(url(world)).json() == []
        assert world.wecom.join_ways == {}  # by the job enqueued with the delete

    def test_a_refusal_from_wecom_does_not_bring_the_code_back(
        self, app: FastAPI, world: World
    ) -> None:
        """The row is gone once the request commits; WeCom refusing the delete afterwards
        (not a transient error) leaves only a way that routes nobody new."""
        client = admin(app, world)
        code = create_code(client, world, new_groups(world, 1))
        refuse = {"externalcontact/groupchat/del_join_way": {"errcode": 40058}}
        world.state.faults.configure({"api_errors": refuse})
        assert client.delete(url(world, f"/{code['id']}")).status_code == 204
        world.state.faults.configure({})
        assert client.get(url(world)).json() == []
        assert list(world.wecom.join_ways) == [code["config_id"]]


class TestRotation:
    def test_a_group_at_the_threshold_leaves_and_a_standby_takes_its_place(
        self, app: FastAPI, world: World
    ) -> None:
        pool = new_groups(world, 6)
        code = create_code(admin(app, world), world, pool, group_cap=5, threshold_percent=80)
        first, standby = _chat_ids(code, "active")[0], _chat_ids(code, "standby")[0]
        for external_userid in customers(world, 3):  # the owner + 3 = 4 = the threshold
            assert scan(world, code["config_id"], external_userid) == first
        world.deliver()
        assert first not in way_chats(world, code["config_id"])
        assert standby in way_chats(world, code["config_id"])
        detail = admin(app, world).get(url(world, f"/{code['id']}")).json()
        assert first in _chat_ids(detail, "retired") and detail["rotations"] == 1
        # The same rotation again (a retried job) changes nothing.
        with world.db.transaction() as session:
            enqueue(session, "groupcodes.rotate", key="again", args={"code_id": code["id"]})
        again = admin(app, world).get(url(world, f"/{code['id']}")).json()
        assert again["rotations"] == 1 and way_chats(world, code["config_id"]) == _chat_ids(
            again, "active"
        )

    def test_joins_no_callback_could_record_are_read_after_the_rotation(
        self, app: FastAPI, world: World
    ) -> None:
        """WeCom routes scans to the standby from the join-way update on; when that update
        landed but the rotation's transaction did not (its retry comes later), or a callback
        overtook the one that filled the old group, the standby's join arrives while Siyu
        still holds it as standby. The check queued after the rotation records it."""
        pool = new_groups(world, 6)
        code = create_code(admin(app, world), world, pool, group_cap=5, threshold_percent=80)
        first, standby = _chat_ids(code, "active")[0], _chat_ids(code, "standby")[0]
        filling = [scan(world, code["config_id"], e) for e in customers(world, 3)]
        assert filling == [first] * 3
        filled = world.take()
        # The rotation's update reached WeCom first: scans now go to the standby.
        world.wecom.join_ways[code["config_id"]].chat_id_list = [standby]
        late = customers(world, 1)[0]
        assert scan(world, code["config_id"], late) == standby
        world.deliver()  # its callback first: the standby is not active in Siyu yet
        assert joined(world, code["id"]) == set()
        world.deliver(filled)  # the old group reaches the threshold: rotation, then the check
        assert joined(world, code["id"]) == {first, standby}
        assert len(joined_members(world, code["id"])) == 4
        detail = admin(app, world).get(url(world, f"/{code['id']}")).json()
        assert standby in _chat_ids(detail, "active") and detail["rotations"] == 1

    def test_reordering_the_pool_sends_the_full_list(self, app: FastAPI, world: World) -> None:
        client = admin(app, world)
        pool = new_groups(world, 3)
        code = create_code(client, world, pool)
        response = client.patch(
            url(world, f"/{code['id']}"), json={"pool": [str(g) for g in reversed(pool)]}
        )
        assert response.status_code == 200, response.text
        assert way_chats(world, code["config_id"]) == list(reversed(_chat_ids(code, "active")))

    def test_joins_are_counted_per_day_and_by_state(self, app: FastAPI, world: World) -> None:
        pool = new_groups(world, 2)
        code = create_code(admin(app, world), world, pool)
        for external_userid in customers(world, 3):
            scan(world, code["config_id"], external_userid)
        world.deliver()
        day = datetime.fromtimestamp(START, UTC).date()
        daily = admin(app, world).get(
            url(world, f"/{code['id']}/joins"), params={"since": day.isoformat()}
        )
        assert [(d["chat_id"], d["joins"]) for d in daily.json()] == [
            (way_chats(world, code["config_id"])[0], 3)
        ]
        with world.db.transaction(write=False) as session:
            counts = group_code_service.joins_by_state(
                session, world.corp.id, [code["state"], "other"], day
            )
        assert counts == {code["state"]: 3}

    def test_the_periodic_check_adopts_rooms_wecom_created(
        self, app: FastAPI, world: World
    ) -> None:
        pool = new_groups(world, 1)
        code = create_code(
            admin(app, world),
            world,
            pool,
            auto_create_room=True,
            room_base_name="自动群",
            group_cap=500,
        )
        world.state.rules.group_size_cap = 3  # WeCom's cap, small for the test
        for external_userid in customers(world, 3):
            scan(world, code["config_id"], external_userid)
        world.deliver()
        created = way_chats(world, code["config_id"])[-1]
        assert created not in {s["chat_id"] for s in code["slots"]}
        with world.db.transaction() as session:
            enqueue(session, "groupcodes.check", key="check-now")
        detail = admin(app, world).get(url(world, f"/{code['id']}")).json()
        assert created in _chat_ids(detail, "active")
        with world.db.transaction(write=False) as session:
            row = session.get(GroupCode, uuid.UUID(code["id"]))
            assert row is not None and row.last_checked_at is not None


class TestScope:
    def test_staff_scoped_members_see_only_their_own_codes(
        self, app: FastAPI, world: World
    ) -> None:
        api = admin(app, world)
        pool = new_groups(world, 2)
        alices = create_code(api, world, pool[:1], owner_userid="alice")
        bobs = create_code(api, world, pool[1:], owner_userid="bob", name="bob 的群")
        bob = member_client(
            app, world.db, corp=world.corp, role=Role.staff, scope=ScopeKind.own, staff_userid="bob"
        ).client
        assert [c["id"] for c in bob.get(url(world)).json()] == [bobs["id"]]
        assert bob.get(url(world, f"/{alices['id']}")).status_code == 404
        assert bob.get(url(world, f"/{bobs['id']}")).status_code == 200
        assert bob.patch(url(world, f"/{bobs['id']}"), json={"name": "x"}).status_code == 403
        assert bob.delete(url(world, f"/{alices['id']}")).status_code in (403, 404)
        assert alices["config_id"] in world.wecom.join_ways
