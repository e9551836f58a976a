"""Tag changes made in Siyu: recorded, then pushed to WeCom (the sandbox) by the tags.push job."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi import FastAPI

from siyu.auth.models import Role
from siyu.events.service import TAG_ADDED, TAG_REMOVED
from siyu.tags.service import CORP_TAG_CAP
from tests.customers.world import World
from tests.helpers.auth import Member, member_client


@pytest.fixture
def admin(app: FastAPI, world: World) -> Member:
    return member_client(app, world.db, corp=world.corp, role=Role.admin)


def wecom_groups(world: World) -> dict[str, Any]:
    return {g.group_name: g for g in world.wecom.tag_groups.values()}


class TestCreateTagGroup:
    def test_a_corp_group_goes_to_wecom_and_keeps_its_ids(
        self, world: World, admin: Member
    ) -> None:
        base = f"/api/v1/corps/{world.corp.id}"
        response = admin.client.post(
            f"{base}/tag-groups",
            json={"name": "会员等级", "order": 5, "tags": [{"name": "金卡"}, {"name": "银卡"}]},
        )
        assert response.status_code == 201, response.text
        assert response.json()["pending"] is True  # the job runs after the answer
        listed = admin.client.get(f"{base}/tag-groups").json()
        (group,) = [g for g in listed if g["name"] == "会员等级"]
        remote = wecom_groups(world)["会员等级"]
        assert group["wecom_group_id"] == remote.group_id
        assert {t["name"]: t["wecom_tag_id"] for t in group["tags"]} == {
            t.name: t.id for t in remote.tags.values()
        }
        assert group["pending"] is False

    def test_a_siyu_only_group_never_reaches_wecom(self, world: World, admin: Member) -> None:
        response = admin.client.post(
            f"/api/v1/corps/{world.corp.id}/tag-groups",
            json={"name": "内部备注", "origin": "siyu", "tags": [{"name": "难缠"}]},
        )
        assert response.status_code == 201, response.text
        assert "内部备注" not in wecom_groups(world)
        assert response.json()["pending"] is False

    @pytest.mark.parametrize(
        "body",
        [
            {"name": "x" * 31, "tags": [{"name": "a"}]},
            {"name": "ok", "tags": [{"name": "y" * 31}]},
            {"name": "ok", "tags": []},
            {"name": "ok", "tags": [{"name": "a"}, {"name": "a"}]},
        ],
    )
    def test_wecom_rules_are_checked_first(
        self, world: World, admin: Member, body: dict[str, Any]
    ) -> None:
        response = admin.client.post(f"/api/v1/corps/{world.corp.id}/tag-groups", json=body)
        assert response.status_code == 422, response.text
        assert wecom_groups(world) == {}

    def test_the_corp_tag_cap_is_enforced(self, world: World, admin: Member) -> None:
        base = f"/api/v1/corps/{world.corp.id}"
        names = [{"name": f"t{i}"} for i in range(100)]
        for index in range(CORP_TAG_CAP // 100):
            response = admin.client.post(
                f"{base}/tag-groups", json={"name": f"g{index}", "origin": "wecom", "tags": names}
            )
            assert response.status_code == 201, response.text
        over = admin.client.post(
            f"{base}/tag-groups", json={"name": "one more", "tags": [{"name": "x"}]}
        )
        assert over.status_code == 409
        assert "40126" in over.json()["error"]["message"]

    def test_staff_may_not_change_tag_groups(self, app: FastAPI, world: World) -> None:
        staff = member_client(app, world.db, corp=world.corp, role=Role.staff, staff_userid="alice")
        response = staff.client.post(
            f"/api/v1/corps/{world.corp.id}/tag-groups", json={"name": "g", "tags": [{"name": "t"}]}
        )
        assert response.status_code == 403


class TestEditAndDelete:
    def _group(self, world: World, admin: Member) -> dict[str, Any]:
        response = admin.client.post(
            f"/api/v1/corps/{world.corp.id}/tag-groups",
            json={"name": "兴趣", "tags": [{"name": "跑步"}]},
        )
        assert response.status_code == 201
        body: dict[str, Any] = admin.client.get(f"/api/v1/corps/{world.corp.id}/tag-groups").json()[
            0
        ]
        return body

    def test_rename_reorder_and_add_a_tag(self, world: World, admin: Member) -> None:
        group = self._group(world, admin)
        base = f"/api/v1/corps/{world.corp.id}"
        renamed = admin.client.patch(
            f"{base}/tag-groups/{group['id']}", json={"name": "爱好", "order": 9}
        )
        assert renamed.status_code == 200, renamed.text
        tag = group["tags"][0]
        assert (
            admin.client.patch(f"{base}/tags/{tag['id']}", json={"name": "长跑"}).status_code == 200
        )
        added = admin.client.post(f"{base}/tag-groups/{group['id']}/tags", json={"name": "游泳"})
        assert added.status_code == 201, added.text
        remote = wecom_groups(world)["爱好"]
        assert remote.order == 9
        assert sorted(t.name for t in remote.tags.values()) == ["游泳", "长跑"]

    def test_a_duplicate_name_is_a_conflict(self, world: World, admin: Member) -> None:
        group = self._group(world, admin)
        response = admin.client.post(
            f"/api/v1/corps/{world.corp.id}/tag-groups/{group['id']}/tags", json={"name": "跑步"}
        )
        assert response.status_code == 409

    def test_delete_tag_and_group(self, world: World, admin: Member) -> None:
        group = self._group(world, admin)
        base = f"/api/v1/corps/{world.corp.id}"
        extra = admin.client.post(f"{base}/tag-groups/{group['id']}/tags", json={"name": "游泳"})
        assert admin.client.delete(f"{base}/tags/{extra.json()['id']}").status_code == 204
        assert [t.name for t in wecom_groups(world)["兴趣"].tags.values()] == ["跑步"]
        assert admin.client.delete(f"{base}/tag-groups/{group['id']}").status_code == 204
        assert "兴趣" not in wecom_groups(world)
        assert admin.client.get(f"{base}/tag-groups").json() == []


class TestMarkCustomerTags:
    def _setup(self, world: World, admin: Member) -> tuple[str, str, list[dict[str, Any]]]:
        ext = str(world.act("add_customer", userid="alice")["external_userid"])
        world.deliver()
        base = f"/api/v1/corps/{world.corp.id}"
        admin.client.post(
            f"{base}/tag-groups",
            json={"name": "等级", "tags": [{"name": "金卡"}, {"name": "银卡"}]},
        )
        tags = admin.client.get(f"{base}/tag-groups").json()[0]["tags"]
        customer = world.customer(ext)
        assert customer is not None
        return ext, str(customer.id), tags

    def test_mark_goes_to_wecom_and_onto_the_relation(self, world: World, admin: Member) -> None:
        ext, customer_id, tags = self._setup(world, admin)
        url = f"/api/v1/corps/{world.corp.id}/customers/{customer_id}/tags"
        response = admin.client.post(url, json={"userid": "alice", "add": [t["id"] for t in tags]})
        assert response.status_code == 202, response.text
        change = admin.client.get(
            f"/api/v1/corps/{world.corp.id}/tag-changes/{response.json()['id']}"
        ).json()
        assert change["status"] == "done"
        wecom_ids = sorted(t["wecom_tag_id"] for t in tags)
        assert sorted(world.wecom.customers[ext].follows["alice"].tags) == wecom_ids
        assert sorted(world.relations(ext)["alice"].wecom_tag_ids) == wecom_ids
        assert world.count_events(TAG_ADDED) == 2
        response = admin.client.post(url, json={"userid": "alice", "remove": [tags[0]["id"]]})
        assert response.status_code == 202
        assert world.relations(ext)["alice"].wecom_tag_ids == [tags[1]["wecom_tag_id"]]
        assert world.count_events(TAG_REMOVED) == 1

    def test_nothing_to_add_or_remove_is_refused(self, world: World, admin: Member) -> None:
        _, customer_id, _ = self._setup(world, admin)
        response = admin.client.post(
            f"/api/v1/corps/{world.corp.id}/customers/{customer_id}/tags", json={"userid": "alice"}
        )
        assert response.status_code == 422

    def test_wecom_refusing_is_recorded(self, world: World, admin: Member) -> None:
        ext, customer_id, tags = self._setup(world, admin)
        with world.state.lock:  # the relation ends in WeCom before the job runs
            from siyu.sandbox import behaviours

            behaviours.staff_deletes_customer(
                world.state, world.wecom, userid="alice", external_userid=ext
            )
        response = admin.client.post(
            f"/api/v1/corps/{world.corp.id}/customers/{customer_id}/tags",
            json={"userid": "alice", "add": [tags[0]["id"]]},
        )
        change = admin.client.get(
            f"/api/v1/corps/{world.corp.id}/tag-changes/{response.json()['id']}"
        ).json()
        assert (change["status"], change["errcode"]) == ("failed", 84061)
