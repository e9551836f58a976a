"""Publishing through the sandbox over real HTTP: one WeCom task per post, its result, the
per-staff status as staff confirm in their clients, reminders and cancel."""

from __future__ import annotations

import uuid
from datetime import timedelta

from fastapi import FastAPI
from sqlalchemy import update

from siyu.kit.clock import FrozenClock
from siyu.moments.models import MomentPost, MomentStatus
from siyu.moments.publishing import submit
from tests.customers.world import World
from tests.materials.conftest import create as create_material
from tests.materials.conftest import image_material, upload
from tests.moments.helpers import POSTS, compose, create, detail, tick
from tests.profile.helpers import admin, url


def staff_status(body: dict[str, object]) -> dict[str, bool]:
    return {s["userid"]: s["published"] for s in body["staff"]}  # type: ignore[attr-defined,index]


class TestPublishNow:
    def test_round_trip(self, app: FastAPI, world: World, clock: FrozenClock) -> None:
        client = admin(app, world)
        tag = world.tag_id("会员", "金卡")
        world.deliver()
        siyu_tag = world.tag(tag)
        assert siyu_tag is not None
        post = create(
            client,
            world,
            visibility={"sender_userids": ["alice", "bob", "ghost"], "tag_ids": [str(siyu_tag.id)]},
        )
        (moment,) = world.wecom.moments.values()
        assert moment.text == {"content": "双十一新品，点开看看"}
        assert moment.attachments == [{"msgtype": "image", "image": {"media_id": "media-1"}}]
        assert moment.visible_type == 1
        body = detail(client, world, post["id"])
        assert body["status"] == "published" and body["moment_id"] == moment.moment_id
        assert body["invalid_senders"] == ["ghost"]
        assert staff_status(body) == {"alice": False, "bob": False}

        world.act("confirm_task", kind="moment", id=moment.moment_id, userid="alice")
        clock.advance(timedelta(minutes=31))
        tick(world)
        body = detail(client, world, post["id"])
        assert staff_status(body) == {"alice": True, "bob": False}
        assert body["progress"] == {"senders": 2, "published": 1}
        listed = client.get(url(world, POSTS)).json()["items"]
        assert listed[0]["progress"] == {"senders": 2, "published": 1}

    def test_a_slow_job_is_polled_until_done(
        self, app: FastAPI, world: World, clock: FrozenClock
    ) -> None:
        world.state.behaviour.update({"moment_job_seconds": 120})
        client = admin(app, world)
        post = create(client, world)
        assert detail(client, world, post["id"])["status"] == "publishing"
        world.state.clock.advance(120)
        clock.advance(timedelta(seconds=31))
        tick(world)
        assert detail(client, world, post["id"])["status"] == "published"
        assert len(world.wecom.moments) == 1

    def test_wecom_refusing_the_post_fails_it_with_the_reason(
        self, app: FastAPI, world: World
    ) -> None:
        client = admin(app, world)
        world.state.faults.configure(
            {"api_errors": {"externalcontact/add_moment_task": {"errcode": 48002}}}
        )
        post = create(client, world)
        body = detail(client, world, post["id"])
        assert body["status"] == "failed" and body["error"].startswith("48002")
        assert world.wecom.moments == {}

    def test_a_busy_wecom_leaves_the_post_scheduled_for_the_job_retry(
        self, app: FastAPI, world: World
    ) -> None:
        client = admin(app, world)
        world.state.faults.configure(
            {"api_errors": {"externalcontact/add_moment_task": {"errcode": -1}}}
        )
        post = create(client, world)
        assert detail(client, world, post["id"])["status"] == "scheduled"
        assert world.wecom.moments == {}
        # The job's last attempt fails the post with the reason instead of leaving it waiting.
        submit(app.state.runtime, uuid.UUID(post["id"]), last_attempt=True)
        body = detail(client, world, post["id"])
        assert body["status"] == "failed" and "stayed busy" in body["error"]

    def test_unknown_departments_are_reported(self, app: FastAPI, world: World) -> None:
        client = admin(app, world)
        post = create(client, world, visibility={"sender_department_ids": [404]})
        assert detail(client, world, post["id"])["invalid_senders"] == ["department:404"]


class TestMaterials:
    def test_library_materials_are_uploaded_and_attached(self, app: FastAPI, world: World) -> None:
        client = admin(app, world)
        material = image_material(client, world)
        post = create(client, world, attachments=[{"kind": "image", "material_id": material["id"]}])
        assert detail(client, world, post["id"])["status"] == "published"
        (moment,) = world.wecom.moments.values()
        (attachment,) = moment.attachments
        assert attachment["image"]["media_id"] in world.wecom.media

    def test_a_material_that_is_not_a_moment_kind_fails_the_post(
        self, app: FastAPI, world: World
    ) -> None:
        client = admin(app, world)
        file_id = upload(
            client, world, file_name="a.pdf", media_type="file", content_type="application/pdf"
        ).json()["id"]
        pdf = create_material(client, world, kind="file", title="手册", file_id=file_id)
        post = create(client, world, attachments=[{"kind": "image", "material_id": pdf["id"]}])
        body = detail(client, world, post["id"])
        assert body["status"] == "failed" and "file" in body["error"]
        assert world.wecom.moments == {}

    def test_an_unknown_material_is_refused_when_saving(self, app: FastAPI, world: World) -> None:
        ghost = "00000000-0000-0000-0000-000000000002"
        response = admin(app, world).post(
            url(world, POSTS),
            json=compose(attachments=[{"kind": "image", "material_id": ghost}]),
        )
        assert response.status_code == 422 and ghost in response.text


class TestScheduled:
    def test_the_tick_submits_a_post_when_it_is_due(
        self, app: FastAPI, world: World, clock: FrozenClock
    ) -> None:
        client = admin(app, world)
        due = clock.now() + timedelta(hours=1)
        post = create(client, world, action="schedule", due_at=due.isoformat())
        tick(world)
        assert world.wecom.moments == {}
        clock.advance(timedelta(hours=1))
        tick(world)
        tick(world)
        assert detail(client, world, post["id"])["status"] == "published"
        assert len(world.wecom.moments) == 1


class TestExactlyOnce:
    def test_a_worker_killed_mid_submit_never_submits_again(
        self, app: FastAPI, world: World, clock: FrozenClock
    ) -> None:
        client = admin(app, world)
        due = clock.now() + timedelta(minutes=5)
        post = create(client, world, action="schedule", due_at=due.isoformat())
        # The state a SIGKILL leaves between the committed claim and the recorded jobid.
        with world.db.transaction() as session:
            session.execute(
                update(MomentPost)
                .where(MomentPost.id == uuid.UUID(post["id"]))
                .values(status=MomentStatus.submitting, due_at=clock.now())
            )
        submit(app.state.runtime, uuid.UUID(post["id"]))
        body = detail(client, world, post["id"])
        assert body["status"] == "uncertain" and world.wecom.moments == {}
        retry = client.post(url(world, f"{POSTS}/{post['id']}/retry"), json={})
        assert retry.status_code == 422 and "confirm_not_in_wecom" in retry.text
        retry = client.post(
            url(world, f"{POSTS}/{post['id']}/retry"), json={"confirm_not_in_wecom": True}
        )
        assert retry.status_code == 200, retry.text
        assert detail(client, world, post["id"])["status"] == "published"
        assert len(world.wecom.moments) == 1

    def test_a_repeated_submit_job_does_nothing(self, app: FastAPI, world: World) -> None:
        client = admin(app, world)
        post = create(client, world)
        submit(app.state.runtime, uuid.UUID(post["id"]))
        assert len(world.wecom.moments) == 1


class TestRemindAndCancel:
    def test_one_reminder_per_day_to_those_who_have_not_posted(
        self, app: FastAPI, world: World, clock: FrozenClock
    ) -> None:
        client = admin(app, world)
        post = create(client, world)
        (moment,) = world.wecom.moments.values()
        world.act("confirm_task", kind="moment", id=moment.moment_id, userid="alice")
        clock.advance(timedelta(minutes=31))
        tick(world)
        reminders = url(world, f"{POSTS}/{post['id']}/reminders")
        first = client.post(reminders)
        assert first.status_code == 201, first.text
        sent = [m for m in world.wecom.app_messages if "朋友圈" in str(m)]
        assert [m["touser"] for m in sent] == ["bob"]
        second = client.post(reminders)
        assert second.status_code == 409 and second.json()["error"]["code"] == "already_reminded"
        clock.advance(timedelta(days=1))
        client = admin(app, world)  # the console session has expired meanwhile
        assert client.post(reminders).status_code == 201
        body = detail(client, world, post["id"])
        assert [r["recipients"] for r in body["reminders"]] == [["bob"], ["bob"]]

    def test_cancel_stops_the_moment_in_wecom(self, app: FastAPI, world: World) -> None:
        client = admin(app, world)
        post = create(client, world)
        (moment,) = world.wecom.moments.values()
        world.act("confirm_task", kind="moment", id=moment.moment_id, userid="alice")
        cancelled = client.post(url(world, f"{POSTS}/{post['id']}/cancel"))
        assert cancelled.status_code == 200, cancelled.text
        assert detail(client, world, post["id"])["status"] == "cancelled"
        assert moment.cancelled
        assert client.post(url(world, f"{POSTS}/{post['id']}/reminders")).status_code == 409


class TestWeComList:
    def test_lists_company_moments_of_a_range(self, app: FastAPI, world: World) -> None:
        client = admin(app, world)
        create(client, world)
        day = world.state.clock.now().astimezone().date().isoformat()
        listed = client.get(url(world, f"{POSTS}/wecom"), params={"since": day, "until": day})
        assert listed.status_code == 200, listed.text
        (item,) = listed.json()["items"]
        assert item["images"] == 1 and item["create_type"] == 0

    def test_more_than_30_days_is_refused(self, app: FastAPI, world: World) -> None:
        response = admin(app, world).get(
            url(world, f"{POSTS}/wecom"), params={"since": "2026-01-01", "until": "2026-01-31"}
        )
        assert response.status_code == 422 and "30 days" in response.text
