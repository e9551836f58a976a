"""The welcome path: one welcome per add, the code's text rendered, tags and remark applied,
nothing sent without a WelcomeCode, and the staff / corp defaults as fallback."""

from __future__ import annotations

from datetime import datetime

from fastapi import FastAPI

from siyu.inbox.service import inbox_service
from siyu.profile.stages import CN_TZ
from tests.acquisition.helpers import (
    channel_tag,
    create_channel,
    create_code,
    directory,
    scan,
    setup,
    welcome_rows,
    welcomes,
)
from tests.customers.world import World
from tests.profile.helpers import admin, url


class TestCodeWelcome:
    def test_the_code_welcome_is_sent_once_with_variables(self, app: FastAPI, world: World) -> None:
        _, code = setup(app, world, welcome_text="你好 {nickname}，我是{staff_name}")
        result = scan(world, code, name="王小明")
        [sent] = welcomes(world)
        assert sent["welcome_code"] == result["welcome_code"]
        staff_name = {"alice": "小艾", "bob": "小博"}[result["userid"]]
        assert sent["text"] == {"content": f"你好 王小明，我是{staff_name}"}
        [row] = welcome_rows(world)
        assert (row.status, row.source, row.errcode) == ("sent", "code", None)
        assert row.latency_ms is not None and row.latency_ms >= 0
        assert row.received_at is not None and row.sent_at is not None

    def test_a_duplicated_callback_never_sends_twice(self, app: FastAPI, world: World) -> None:
        _, code = setup(app, world, welcome_text="hi")
        world.act("scan_contact_way", config_id=code["config_id"])
        [event] = world.take()
        # The same add delivered twice, and the stored event replayed from the console.
        world.deliver([event, event])
        with world.db.transaction() as session:
            [row] = inbox_service.search(
                session, corp_id=world.corp.id, event="change_external_contact"
            )
            inbox_service.replay(session, row=row)
        assert len(welcomes(world)) == 1
        assert len(welcome_rows(world)) == 1

    def test_a_second_add_event_with_the_same_code_is_refused_by_the_claim(
        self, app: FastAPI, world: World
    ) -> None:
        """WeCom may resend with another CreateTime: a different inbox row, the same code."""
        import dataclasses

        _, code = setup(app, world, welcome_text="hi")
        world.act("scan_contact_way", config_id=code["config_id"])
        [event] = world.take()
        later = dataclasses.replace(event, create_time=event.create_time + 3)
        world.deliver([event, later])
        assert len(welcomes(world)) == 1

    def test_nothing_is_sent_without_a_welcome_code(self, app: FastAPI, world: World) -> None:
        _, code = setup(app, world, welcome_text="hi")
        world.state.behaviour.update({"welcome_code_probability": 0.0})
        scan(world, code)
        assert welcomes(world) == [] and welcome_rows(world) == []

    def test_attachments_go_with_the_text(self, app: FastAPI, world: World) -> None:
        link = {"msgtype": "link", "link": {"title": "新人券", "url": "https://example.com/c"}}
        _, code = setup(app, world, welcome_text="券来了", welcome_attachments=[link])
        scan(world, code)
        [sent] = welcomes(world)
        assert sent["attachments"] == [link]


class TestTagsAndRemark:
    def test_channel_and_code_tags_and_the_remark_are_applied(
        self, app: FastAPI, world: World
    ) -> None:
        directory(world)
        tag_id, wecom_tag_id = channel_tag(world)
        client = admin(app, world)
        channel_id = create_channel(client, world, name="门店A", tag_ids=[tag_id])
        code = create_code(
            client,
            world,
            channel_id,
            remark_template="{date:%m%d}-{channel}-{nickname}",
            description_template="来自{code}",
        )
        result = scan(world, code, name="一个名字特别特别长的顾客朋友")
        customer = world.wecom.customers[result["external_userid"]]
        follow = customer.follows[result["userid"]]
        assert wecom_tag_id in follow.tags
        day = datetime.fromtimestamp(follow.createtime, CN_TZ).strftime("%m%d")
        # Cut to WeCom's 20 characters.
        assert follow.remark == f"{day}-门店A-一个名字特别特别长的顾客朋友"[:20]
        assert follow.description == "来自收银台"


class TestFallbacks:
    def test_staff_default_then_corp_default(self, app: FastAPI, world: World) -> None:
        directory(world)
        client = admin(app, world)
        assert (
            client.put(
                url(world, "/acquisition/welcome-defaults/corp"),
                json={"text": "公司欢迎 {staff_name}"},
            ).status_code
            == 200
        )
        assert (
            client.put(
                url(world, "/acquisition/welcome-defaults/staff/alice"), json={"text": "艾的欢迎"}
            ).status_code
            == 200
        )
        world.act("add_customer", userid="alice")
        world.act("add_customer", userid="bob")
        world.deliver()
        texts = sorted(w["text"]["content"] for w in welcomes(world))
        assert texts == ["公司欢迎 小博", "艾的欢迎"]
        assert sorted(r.source for r in welcome_rows(world)) == ["corp", "staff"]

    def test_a_code_without_welcome_text_uses_the_defaults(
        self, app: FastAPI, world: World
    ) -> None:
        client, code = setup(app, world)
        client.put(url(world, "/acquisition/welcome-defaults/corp"), json={"text": "默认"})
        scan(world, code)
        assert [w["text"]["content"] for w in welcomes(world)] == ["默认"]

    def test_a_disabled_code_routes_to_backups_and_uses_defaults(
        self, app: FastAPI, world: World
    ) -> None:
        client, code = setup(app, world, welcome_text="活动", backup_userids=["carol"])
        client.patch(url(world, f"/acquisition/codes/{code['id']}"), json={"enabled": False})
        assert world.wecom.contact_ways[code["config_id"]].user == ["carol"]
        result = scan(world, code)
        assert result["userid"] == "carol" and welcomes(world) == []

    def test_an_empty_default_is_refused(self, app: FastAPI, world: World) -> None:
        response = admin(app, world).put(url(world, "/acquisition/welcome-defaults/corp"), json={})
        assert response.status_code == 422 and "text or attachments" in response.text
