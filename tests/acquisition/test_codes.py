"""Channels and live codes over the API: the way WeCom holds follows the code, bad input
changes nothing, the QR and the poster download."""

from __future__ import annotations

from fastapi import FastAPI

from tests.acquisition.helpers import channel_tag, create_channel, directory, setup, way_users
from tests.customers.world import World
from tests.profile.helpers import admin, url


class TestCreateCode:
    def test_the_contact_way_is_created_with_the_pool_and_state(
        self, app: FastAPI, world: World
    ) -> None:
        _, code = setup(app, world, state="store_01", skip_verify=False)
        assert code["config_id"] and code["qr_code"]
        way = world.wecom.contact_ways[code["config_id"]]
        assert (way.state, way.type, way.skip_verify) == ("store_01", 2, False)
        assert way_users(world, code) == ["alice", "bob"] == code["active_userids"]

    def test_a_state_is_generated_when_omitted(self, app: FastAPI, world: World) -> None:
        _, code = setup(app, world)
        assert 1 <= len(code["state"]) <= 30
        assert world.wecom.contact_ways[code["config_id"]].state == code["state"]

    def test_an_update_pushes_the_new_pool(self, app: FastAPI, world: World) -> None:
        client, code = setup(app, world)
        response = client.patch(
            url(world, f"/acquisition/codes/{code['id']}"), json={"staff_userids": ["carol"]}
        )
        assert response.status_code == 200, response.text
        assert way_users(world, code) == ["carol"]

    def test_delete_removes_the_way(self, app: FastAPI, world: World) -> None:
        client, code = setup(app, world)
        assert client.delete(url(world, f"/acquisition/codes/{code['id']}")).status_code == 204
        assert code["config_id"] not in world.wecom.contact_ways


class TestBadInput:
    def _codes(self, app: FastAPI, world: World) -> int:
        return len(admin(app, world).get(url(world, "/acquisition/codes")).json())

    def test_each_mistake_is_named_and_nothing_is_written(self, app: FastAPI, world: World) -> None:
        directory(world)
        client = admin(app, world)
        channel_id = create_channel(client, world)
        base = {"channel_id": channel_id, "name": "码", "staff_userids": ["alice"]}
        cases = [
            ({"staff_userids": ["nobody"]}, 422, "nobody"),
            ({"staff_userids": []}, 422, "pool is empty"),
            ({"remark_template": "{date:%m%d}-{unknown}"}, 422, "unknown variable"),
            ({"remark_template": "{channel:>5}"}, 422, "only {date}"),
            ({"welcome_text": "hello {nickname"}, 422, "welcome_text"),
            ({"state": "有中文"}, 422, "state"),
            ({"state": "x" * 31}, 422, "state"),
            ({"department_ids": [999]}, 422, "999"),
            ({"weights": {"carol": 3}}, 422, "outside the pool"),
            ({"working_hours": {"start": "25:00", "end": "18:00"}}, 422, "HH:MM"),
            ({"tag_ids": ["00000000-0000-0000-0000-000000000001"]}, 422, "do not exist"),
            ({"channel_id": "00000000-0000-0000-0000-000000000002"}, 404, "channel"),
            ({"welcome_attachments": [{"msgtype": "link", "link": {"url": "x"}}]}, 422, "title"),
            ({"expires_at": "2000-01-01T00:00:00Z"}, 422, "past"),
            ({"surprise": 1}, 422, "surprise"),
        ]
        for change, status, needle in cases:
            response = client.post(url(world, "/acquisition/codes"), json={**base, **change})
            assert response.status_code == status, (change, response.text)
            assert needle in response.text, (change, response.text)
        assert self._codes(app, world) == 0
        assert not world.wecom.contact_ways

    def test_a_duplicate_state_is_a_conflict(self, app: FastAPI, world: World) -> None:
        client, code = setup(app, world, state="dup")
        again = client.post(
            url(world, "/acquisition/codes"),
            json={
                "channel_id": code["channel_id"],
                "name": "b",
                "staff_userids": ["bob"],
                "state": "dup",
            },
        )
        assert again.status_code == 409 and "dup" in again.text
        assert len(world.wecom.contact_ways) == 1

    def test_a_channel_with_codes_cannot_be_deleted(self, app: FastAPI, world: World) -> None:
        client, code = setup(app, world)
        response = client.delete(url(world, f"/acquisition/channels/{code['channel_id']}"))
        assert response.status_code == 409 and "codes" in response.text

    def test_staff_members_cannot_change_codes(self, app: FastAPI, world: World) -> None:
        from siyu.auth.models import Role
        from tests.helpers.auth import member_client

        _, code = setup(app, world)
        staff = member_client(app, world.db, corp=world.corp, role=Role.staff).client
        response = staff.patch(url(world, f"/acquisition/codes/{code['id']}"), json={"name": "x"})
        assert response.status_code == 403


class TestChannelTags:
    def test_channel_tags_must_be_corp_tags(self, app: FastAPI, world: World) -> None:
        tag_id, _ = channel_tag(world)
        client = admin(app, world)
        channel = client.post(
            url(world, "/acquisition/channels"), json={"name": "包裹卡", "tag_ids": [tag_id]}
        )
        assert channel.status_code == 201 and channel.json()["tag_ids"] == [tag_id]
        twice = client.post(url(world, "/acquisition/channels"), json={"name": "包裹卡"})
        assert twice.status_code == 409


class TestImages:
    def test_qr_and_poster_are_pngs(self, app: FastAPI, world: World) -> None:
        client, code = setup(app, world)
        for name in ("qr.png", "poster.png"):
            response = client.get(url(world, f"/acquisition/codes/{code['id']}/{name}"))
            assert response.status_code == 200, response.text
            assert response.headers["content-type"] == "image/png"
            assert response.content[:8] == b"\x89PNG\r\n\x1a\n"
