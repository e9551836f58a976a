"""Composing moment posts: content rules, drafts, schedules and who may see what."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from siyu.auth.models import Role, ScopeKind
from siyu.kit.clock import FrozenClock
from tests.customers.world import World
from tests.helpers.auth import member_client
from tests.moments.helpers import POSTS, compose, create, detail
from tests.profile.helpers import admin, url

IMAGE = {"kind": "image", "media_id": "m"}
VIDEO = {"kind": "video", "media_id": "v"}
LINK = {"kind": "link", "title": "活动", "url": "https://example.com/a"}


def refused(client: TestClient, world: World, body: dict[str, Any]) -> dict[str, Any]:
    response = client.post(url(world, POSTS), json=body)
    assert response.status_code == 422, response.text
    error: dict[str, Any] = response.json()["error"]
    return error


class TestContentRules:
    @pytest.mark.parametrize(
        ("overrides", "message"),
        [
            ({"text": "字" * 2001}, "2001 characters"),
            ({"text": "😀" * 1001}, "4004 bytes"),
            ({"attachments": [IMAGE] * 10}, "10 images"),
            ({"attachments": [VIDEO, VIDEO]}, "only one video"),
            ({"attachments": [LINK, LINK]}, "only one link"),
            ({"attachments": [IMAGE, LINK]}, "mix image and link"),
            ({"attachments": [{"kind": "link", "url": "https://x.cn"}]}, "give title and url"),
            ({"attachments": [{"kind": "image"}]}, "needs a material_id or a WeCom media_id"),
            ({"text": " ", "attachments": []}, "needs text or at least one attachment"),
            ({"visibility": {"sender_userids": ["bad id!"]}}, "not WeCom userids: bad id!"),
            ({"action": "schedule"}, "needs due_at"),
        ],
    )
    def test_bad_posts_are_refused_naming_the_problem(
        self, app: FastAPI, world: World, overrides: dict[str, Any], message: str
    ) -> None:
        client = admin(app, world)
        assert message in refused(client, world, compose(**overrides))["message"]
        assert client.get(url(world, POSTS)).json()["items"] == []

    def test_too_many_senders(self, app: FastAPI, world: World) -> None:
        senders = [f"u{i}" for i in range(100_001)]
        error = refused(admin(app, world), world, compose(visibility={"sender_userids": senders}))
        assert "at most 100,000" in error["message"]

    def test_unknown_tags_are_named(self, app: FastAPI, world: World) -> None:
        ghost = "00000000-0000-0000-0000-000000000001"
        error = refused(admin(app, world), world, compose(visibility={"tag_ids": [ghost]}))
        assert error["details"] == {"field": "visibility.tag_ids", "unknown": [ghost]}

    def test_nine_images_or_one_video_are_fine(self, app: FastAPI, world: World) -> None:
        client = admin(app, world)
        for attachments in ([IMAGE] * 9, [VIDEO], [LINK]):
            create(client, world, attachments=attachments, action="draft")


class TestDraftsAndSchedules:
    def test_a_draft_is_edited_then_deleted(self, app: FastAPI, world: World) -> None:
        client = admin(app, world)
        post = create(client, world, action="draft", text="草稿")
        assert post["status"] == "draft" and post["jobid"] is None
        edited = client.put(url(world, f"{POSTS}/{post['id']}"), json=compose(action="draft"))
        assert edited.json()["text"] == compose()["text"]
        assert client.delete(url(world, f"{POSTS}/{post['id']}")).status_code == 204
        assert client.get(url(world, f"{POSTS}/{post['id']}")).status_code == 404

    def test_a_past_due_at_is_refused(self, app: FastAPI, world: World, clock: FrozenClock) -> None:
        past = (clock.now() - timedelta(minutes=1)).isoformat()
        error = refused(admin(app, world), world, compose(action="schedule", due_at=past))
        assert "in the past" in error["message"]

    def test_a_scheduled_post_waits_and_can_be_cancelled(
        self, app: FastAPI, world: World, clock: FrozenClock
    ) -> None:
        client = admin(app, world)
        due = (clock.now() + timedelta(hours=2)).isoformat()
        post = create(client, world, action="schedule", due_at=due)
        assert post["status"] == "scheduled" and world.wecom.moments == {}
        cancelled = client.post(url(world, f"{POSTS}/{post['id']}/cancel"))
        assert cancelled.json()["status"] == "cancelled"
        again = client.post(url(world, f"{POSTS}/{post['id']}/cancel"))
        assert again.status_code == 409


class TestAccess:
    def test_staff_cannot_compose(self, app: FastAPI, world: World) -> None:
        staff = member_client(app, world.db, corp=world.corp, role=Role.staff).client
        assert staff.post(url(world, POSTS), json=compose()).status_code == 403

    def test_staff_see_only_posts_they_are_to_send(self, app: FastAPI, world: World) -> None:
        client = admin(app, world)
        for_alice = create(client, world, visibility={"sender_userids": ["alice"]})
        for_bob = create(client, world, visibility={"sender_userids": ["bob"]})
        alice = member_client(
            app, world.db, corp=world.corp, scope=ScopeKind.own, staff_userid="alice"
        ).client
        listed = [p["id"] for p in alice.get(url(world, POSTS)).json()["items"]]
        assert listed == [for_alice["id"]]
        assert alice.get(url(world, f"{POSTS}/{for_bob['id']}")).status_code == 404
        assert [s["userid"] for s in detail(alice, world, for_alice["id"])["staff"]] == ["alice"]
