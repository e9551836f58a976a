"""The contract other domains call: `wecom_attachments` and `ensure_media`, against the sandbox
over real HTTP — shapes WeCom accepts, limits refused with a 422 naming the material, usage per
purpose, and media ids read from the cache (no upload on the hot path) and renewed in time."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.corps.models import Corp
from siyu.jobs import enqueue
from siyu.kit.clock import FrozenClock
from siyu.kit.errors import Unprocessable
from siyu.materials.models import MaterialMedia, MaterialUsage
from siyu.materials.service import materials_service
from siyu.runtime import Runtime
from siyu.wecom.client import WeComClient, client_for
from tests.customers.world import World
from tests.materials.conftest import MP4, admin, create, image_material, upload

DAY = 86400


def attach(
    world: World, runtime: Runtime, ids: list[Any], purpose: str = "welcome"
) -> list[dict[str, Any]]:
    with world.db.transaction() as session:
        return materials_service.wecom_attachments(
            session,
            corp=corp_of(session, world),
            runtime=runtime,
            material_ids=[uuid.UUID(str(i)) for i in ids],
            purpose=purpose,
        )


def ensure(world: World, runtime: Runtime, ids: list[Any]) -> int:
    with world.db.transaction() as session:
        return materials_service.ensure_media(
            session,
            corp=corp_of(session, world),
            runtime=runtime,
            material_ids=[uuid.UUID(str(i)) for i in ids],
        )


def one_of_each(client: TestClient, world: World) -> dict[str, dict[str, Any]]:
    cover = upload(client, world).json()["id"]
    video = upload(
        client, world, MP4, media_type="video", file_name="v.mp4", content_type="video/mp4"
    )
    pdf = upload(
        client,
        world,
        b"%PDF-1.4 x",
        media_type="file",
        file_name="目录.pdf",
        content_type="application/pdf",
    )
    return {
        "image": image_material(client, world),
        "link": create(
            client,
            world,
            kind="link",
            title="新品",
            content={"url": "https://s.example.com", "desc": "看看"},
            file_id=cover,
        ),
        "miniprogram": create(
            client,
            world,
            kind="miniprogram",
            title="小店",
            content={"appid": "wx99", "page": "pages/i.html"},
            file_id=cover,
        ),
        "video": create(client, world, kind="video", title="视频", file_id=video.json()["id"]),
        "file": create(client, world, kind="file", title="目录", file_id=pdf.json()["id"]),
        "poster": create(client, world, kind="poster", title="海报", file_id=cover),
    }


class TestWeComAttachments:
    def test_shapes_that_the_sandbox_accepts(
        self, app: FastAPI, world: World, runtime: Runtime
    ) -> None:
        made = one_of_each(admin(app, world), world)
        ids = [m["id"] for m in made.values()]
        assert ensure(world, runtime, ids) == 6
        result = attach(world, runtime, ids)
        assert [a["msgtype"] for a in result] == [
            "image",
            "link",
            "miniprogram",
            "video",
            "file",
            "image",
        ]
        link = result[1]["link"]
        assert (
            link["title"] == "新品"
            and link["url"] == "https://s.example.com"
            and link["desc"] == "看看"
        )
        assert link["picurl"] in world.wecom.images
        mini = result[2]["miniprogram"]
        assert (mini["appid"], mini["page"], mini["title"]) == ("wx99", "pages/i.html", "小店")
        assert world.wecom.media[mini["pic_media_id"]].type == "image"
        assert world.wecom.media[result[3]["video"]["media_id"]].type == "video"
        assert world.wecom.media[result[4]["file"]["media_id"]].filename == "目录.pdf"
        code = world.act("add_customer", userid="alice")["welcome_code"]
        answer = runtime_client(world, runtime).send_welcome_msg(
            welcome_code=code, attachments=result
        )
        assert answer.errcode == 0
        assert world.wecom.welcomes[-1]["attachments"] == result

    def test_limits_are_refused_naming_the_material(
        self, app: FastAPI, world: World, runtime: Runtime
    ) -> None:
        client = admin(app, world)
        text = create(client, world, kind="text", title="开场白", content={"content": "您好"})
        image = image_material(client, world)
        cases = [
            ([text["id"]], text["id"], "message text"),
            ([str(uuid.uuid4())], None, "does not exist"),
            ([image["id"]] * 10, None, "at most 9"),
        ]
        for ids, named, words in cases:
            with pytest.raises(Unprocessable) as caught:
                attach(world, runtime, ids)
            assert words in caught.value.message
            if named:
                assert named in caught.value.message and caught.value.details == {
                    "material_id": named
                }
        with pytest.raises(Unprocessable):
            attach(world, runtime, [image["id"]], purpose="Bad Purpose!")
        assert usage(world, image["id"]) == {}  # nothing counted by the refusals

    def test_usage_is_counted_per_purpose(
        self, app: FastAPI, world: World, runtime: Runtime
    ) -> None:
        client = admin(app, world)
        image = image_material(client, world)
        attach(world, runtime, [image["id"]], "welcome")
        attach(world, runtime, [image["id"]], "welcome")
        attach(world, runtime, [image["id"]], "mass_message")
        assert usage(world, image["id"]) == {"welcome": 2, "mass_message": 1}
        detail = client.get(f"/api/v1/corps/{world.corp.id}/materials/{image['id']}").json()
        assert detail["usage_count"] == 3
        assert {u["purpose"]: u["count"] for u in detail["usages"]} == {
            "welcome": 2,
            "mass_message": 1,
        }


class TestMediaCache:
    def test_hot_path_reads_the_cache(self, app: FastAPI, world: World, runtime: Runtime) -> None:
        image = image_material(admin(app, world), world)
        ensure(world, runtime, [image["id"]])
        uploaded = len(world.wecom.media)
        first = attach(world, runtime, [image["id"]])
        second = attach(world, runtime, [image["id"]])
        assert len(world.wecom.media) == uploaded  # no upload while sending
        assert first == second
        assert ensure(world, runtime, [image["id"]]) == 0  # fresh: nothing to do

    def test_falls_back_to_uploading_when_nothing_is_cached(
        self, app: FastAPI, world: World, runtime: Runtime
    ) -> None:
        image = image_material(admin(app, world), world)
        assert world.wecom.media == {}
        result = attach(world, runtime, [image["id"]])
        assert result[0]["image"]["media_id"] in world.wecom.media

    def test_refresh_renews_media_in_use_before_it_expires(
        self, app: FastAPI, world: World, runtime: Runtime, clock: FrozenClock
    ) -> None:
        client = admin(app, world)
        used, idle = image_material(client, world), image_material(client, world)
        ensure(world, runtime, [used["id"]])
        attach(world, runtime, [idle["id"]])  # cached, and in use since it was sent
        forget_use(world, idle["id"])
        old = cached(world, used["id"]).media_id
        elapsed = 2 * DAY + 13 * 3600  # 11 h before the 3-day expiry: inside the window
        clock.advance(timedelta(seconds=elapsed))
        world.state.clock.advance(elapsed)
        run_refresh(world)
        renewed = cached(world, used["id"])
        assert renewed.media_id != old and renewed.media_id in world.wecom.media
        assert renewed.expires_at == clock.now() + timedelta(days=3)
        assert cached(world, idle["id"]).uploaded_at < clock.now()  # not in use: left alone
        # The renewed id is what WeCom accepts after the old one expired.
        clock.advance(timedelta(days=1))
        world.state.clock.advance(DAY)
        result = attach(world, runtime, [used["id"]])
        code = world.act("add_customer", userid="alice")["welcome_code"]
        assert (
            runtime_client(world, runtime)
            .send_welcome_msg(welcome_code=code, attachments=result)
            .errcode
            == 0
        )

    def test_a_replaced_file_is_uploaded_again(
        self, app: FastAPI, world: World, runtime: Runtime
    ) -> None:
        client = admin(app, world)
        image = image_material(client, world)
        ensure(world, runtime, [image["id"]])
        other = upload(client, world, b"\x89PNG-other-bytes").json()["id"]
        patched = client.patch(
            f"/api/v1/corps/{world.corp.id}/materials/{image['id']}", json={"file_id": other}
        )
        assert patched.status_code == 200 and patched.json()["media"] is None
        assert ensure(world, runtime, [image["id"]]) == 1

    def test_scheduled_upload_runs_after_commit(
        self, app: FastAPI, world: World, runtime: Runtime
    ) -> None:
        image = image_material(admin(app, world), world)
        with world.db.transaction() as session:
            materials_service.schedule_media(
                session, corp_id=world.corp.id, material_ids=[uuid.UUID(image["id"])]
            )
        row = cached(world, image["id"])
        assert row.media_id in world.wecom.media and row.keep_fresh_until is not None


def corp_of(session: Session, world: World) -> Corp:
    corp = session.get(Corp, world.corp.id)
    assert corp is not None
    return corp


def runtime_client(world: World, runtime: Runtime) -> WeComClient:
    with world.db.transaction(write=False) as session:
        return client_for(runtime, corp_of(session, world))


def usage(world: World, material_id: str) -> dict[str, int]:
    with world.db.transaction(write=False) as session:
        rows = session.scalars(
            select(MaterialUsage).where(MaterialUsage.material_id == uuid.UUID(material_id))
        )
        return {r.purpose: r.count for r in rows}


def cached(world: World, material_id: str) -> MaterialMedia:
    with world.db.transaction(write=False) as session:
        row = session.get(MaterialMedia, uuid.UUID(material_id))
        assert row is not None
        return row


def forget_use(world: World, material_id: str) -> None:
    with world.db.transaction() as session:
        row = session.get(MaterialMedia, uuid.UUID(material_id))
        assert row is not None
        row.keep_fresh_until = None


def run_refresh(world: World) -> None:
    with world.db.transaction() as session:
        enqueue(session, "materials.refresh_media", key=f"test:refresh:{uuid.uuid4()}")
