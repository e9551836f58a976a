"""Sales stages, follow-ups and the timeline."""

from __future__ import annotations

from datetime import date

from fastapi import FastAPI
from fastapi.testclient import TestClient

from siyu.jobs import enqueue
from siyu.kit.clock import utcnow
from siyu.profile.stages import day_of
from tests.customers.world import World
from tests.profile.helpers import add_customer, admin, url


def _stages(client: TestClient, world: World) -> dict[str, str]:
    ids = {}
    for position, key in enumerate(("new", "following", "done")):
        body = {"key": key, "name": key, "position": position, "is_final": key == "done"}
        response = client.post(url(world, "/sales-stages"), json=body)
        assert response.status_code == 201, response.text
        ids[key] = response.json()["id"]
    return ids


def _counts(client: TestClient, world: World) -> dict[tuple[str, str], tuple[int, int]]:
    today = day_of(utcnow()).isoformat()
    rows = client.get(url(world, "/stage-counts"), params={"since": today, "until": today})
    assert rows.status_code == 200, rows.text
    return {(r["stage_id"], r["staff_userid"]): (r["customers"], r["entered"]) for r in rows.json()}


def _run(world: World, name: str) -> None:
    with world.db.transaction() as session:
        enqueue(session, name, key=f"test:{name}:{utcnow().isoformat()}")


class TestStages:
    def test_moves_are_counted_per_stage_and_staff(self, app: FastAPI, world: World) -> None:
        client = admin(app, world)
        stages = _stages(client, world)
        one, two = add_customer(world), add_customer(world, "bob")
        for customer, stage in ((one, "new"), (two, "new"), (one, "following")):
            path = url(world, f"/customers/{customer.id}/stage")
            response = client.put(path, json={"stage_id": stages[stage]})
            assert response.status_code == 200, response.text
        counts = _counts(client, world)
        assert counts[(stages["new"], "alice")] == (0, 1)
        assert counts[(stages["new"], "bob")] == (1, 1)
        assert counts[(stages["following"], "alice")] == (1, 1)
        today = day_of(utcnow()).isoformat()
        totals = client.get(
            url(world, "/stage-counts"),
            params={"since": today, "until": today, "per_staff": "false"},
        ).json()
        assert {(r["stage_id"], r["staff_userid"], r["customers"]) for r in totals} == {
            (stages["new"], "", 1),
            (stages["following"], "", 1),
        }

    def test_the_snapshot_job_makes_counts_exact(self, app: FastAPI, world: World) -> None:
        client = admin(app, world)
        stages = _stages(client, world)
        customer = add_customer(world)
        client.put(url(world, f"/customers/{customer.id}/stage"), json={"stage_id": stages["new"]})
        world.act(
            "staff_deletes_customer", userid="alice", external_userid=customer.external_userid
        )
        world.deliver()
        _run(world, "profile.stage_counts")
        assert _counts(client, world)[(stages["new"], "alice")] == (0, 1)

    def test_a_stage_of_another_corp_is_refused(self, app: FastAPI, world: World) -> None:
        client = admin(app, world)
        customer = add_customer(world)
        response = client.put(
            url(world, f"/customers/{customer.id}/stage"),
            json={"stage_id": "0190f0b2-0000-7000-8000-000000000000"},
        )
        assert response.status_code == 400

    def test_a_range_ending_before_it_starts_is_refused(self, app: FastAPI, world: World) -> None:
        params = {"since": date(2026, 2, 1).isoformat(), "until": date(2026, 1, 1).isoformat()}
        response = admin(app, world).get(url(world, "/stage-counts"), params=params)
        assert response.status_code == 400


class TestFollowUpsAndTimeline:
    def test_everything_shows_on_the_timeline_newest_first(
        self, app: FastAPI, world: World
    ) -> None:
        client = admin(app, world)
        stages = _stages(client, world)
        client.post(
            url(world, "/customer-fields"),
            json={"key": "occupation", "label": "职业", "type": "text"},
        )
        customer = add_customer(world)
        base = url(world, f"/customers/{customer.id}")
        client.put(f"{base}/fields", json={"values": {"occupation": "教师"}})
        response = client.post(
            f"{base}/follow-ups",
            json={
                "content": "电话沟通，下周到店",
                "next_follow_up_at": "2026-12-08T02:00:00Z",
                "stage_id": stages["following"],
            },
        )
        assert response.status_code == 201, response.text
        follow_up = response.json()
        assert follow_up["stage_move_id"] is not None
        listed = client.get(f"{base}/follow-ups").json()["items"]
        assert [f["id"] for f in listed] == [follow_up["id"]]
        _run(world, "profile.timeline_feed")
        _run(world, "profile.timeline_feed")  # feeding twice adds nothing
        kinds = [e["kind"] for e in client.get(f"{base}/timeline").json()["items"]]
        assert sorted(kinds) == sorted(
            ["follow_up.added", "stage.moved", "field.changed", "customer.added"]
        )
        assert kinds[-1] == "customer.added"

    def test_the_timeline_pages_without_gaps(self, app: FastAPI, world: World) -> None:
        client = admin(app, world)
        customer = add_customer(world)
        base = url(world, f"/customers/{customer.id}")
        for index in range(5):
            client.post(f"{base}/follow-ups", json={"content": f"第{index}次", "kind": "note"})
        first = client.get(f"{base}/timeline", params={"limit": 3}).json()
        second = client.get(
            f"{base}/timeline", params={"limit": 3, "cursor": first["next_cursor"]}
        ).json()
        excerpts = [e["details"]["excerpt"] for e in first["items"] + second["items"]]
        assert excerpts == [f"第{i}次" for i in reversed(range(5))]
        assert second["next_cursor"] is None

    def test_group_joins_and_tags_reach_the_timeline(self, app: FastAPI, world: World) -> None:
        customer = add_customer(world)
        vip = world.tag_id("等级", "VIP")
        world.act(
            "staff_edits_customer",
            userid="alice",
            external_userid=customer.external_userid,
            add_tags=[vip],
        )
        chat = str(world.act("create_group", owner="alice", name="A群")["chat_id"])
        world.act("join_group", chat_id=chat, members=[customer.external_userid])
        world.deliver()
        _run(world, "profile.timeline_feed")
        client = admin(app, world)
        items = client.get(url(world, f"/customers/{customer.id}/timeline")).json()["items"]
        kinds = {e["kind"] for e in items}
        assert {"tag.added", "customer.added"} <= kinds
        joined = [e for e in items if e["kind"] == "group.joined"]
        assert joined and joined[0]["details"]["chat_id"] == chat
