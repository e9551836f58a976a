"""Customer groups and join ways (API-FACTS §4.5, §5)."""

from __future__ import annotations

import random
from typing import Any

from siyu.sandbox.models import Corp
from siyu.sandbox.state import SandboxState
from siyu.sandbox.world import make_staff
from tests.sandbox.helpers import WeCom, assert_errcode


def customers(wecom: WeCom, count: int) -> list[str]:
    return [wecom.action("add_customer", userid="alice")["external_userid"] for _ in range(count)]


def group(wecom: WeCom, members: list[str] | None = None, owner: str = "alice") -> str:
    chat_id: str = wecom.action("create_group", owner=owner, name="福利群", members=members or [])[
        "chat_id"
    ]
    return chat_id


class TestGroupchatList:
    def test_filters_and_pages(self, wecom: WeCom) -> None:
        mine = [group(wecom) for _ in range(3)]
        theirs = group(wecom, owner="bob")
        first = wecom.ok(
            "externalcontact/groupchat/list",
            {"owner_filter": {"userid_list": ["alice"]}, "limit": 2},
        )
        rest = wecom.ok(
            "externalcontact/groupchat/list",
            {
                "owner_filter": {"userid_list": ["alice"]},
                "limit": 2,
                "cursor": first["next_cursor"],
            },
        )
        assert [g["chat_id"] for g in first["group_chat_list"] + rest["group_chat_list"]] == mine
        assert first["group_chat_list"][0] == {"chat_id": mine[0], "status": 0}
        every = wecom.ok("externalcontact/groupchat/list", {"limit": 100})["group_chat_list"]
        assert theirs in {g["chat_id"] for g in every}

    def test_limits(self, wecom: WeCom, corp: Corp) -> None:
        assert_errcode(wecom.post("externalcontact/groupchat/list", {}), 40058)
        assert_errcode(wecom.post("externalcontact/groupchat/list", {"limit": 1001}), 40058)
        assert_errcode(
            wecom.post(
                "externalcontact/groupchat/list",
                {"limit": 10, "owner_filter": {"userid_list": ["a"] * 101}},
            ),
            40058,
        )

    def test_resigned_owner_status(self, wecom: WeCom) -> None:
        chat_id = group(wecom)
        wecom.action("resign_staff", userid="alice")
        assert wecom.ok("externalcontact/groupchat/list", {"limit": 10, "status_filter": 1})[
            "group_chat_list"
        ] == [{"chat_id": chat_id, "status": 1}]


class TestGroupchatGet:
    def test_shape_and_member_version(self, wecom: WeCom) -> None:
        members = customers(wecom, 2)
        chat_id = group(wecom, members)
        chat = wecom.ok("externalcontact/groupchat/get", {"chat_id": chat_id, "need_name": 1})[
            "group_chat"
        ]
        assert set(chat) == {
            "chat_id",
            "name",
            "owner",
            "create_time",
            "notice",
            "member_list",
            "admin_list",
            "member_version",
        }
        assert [m["type"] for m in chat["member_list"]] == [1, 2, 2]
        external = chat["member_list"][1]
        assert set(external) >= {
            "userid",
            "type",
            "join_time",
            "join_scene",
            "invitor",
            "unionid",
            "name",
            "group_nickname",
        }
        version = chat["member_version"]
        wecom.action("leave_group", chat_id=chat_id, members=[members[0]])
        assert (
            wecom.ok("externalcontact/groupchat/get", {"chat_id": chat_id})["group_chat"][
                "member_version"
            ]
            != version
        )

    def test_unknown_or_dismissed(self, wecom: WeCom) -> None:
        chat_id = group(wecom)
        wecom.action("dismiss_group", chat_id=chat_id)
        assert_errcode(wecom.post("externalcontact/groupchat/get", {"chat_id": chat_id}), 40050)
        assert_errcode(wecom.post("externalcontact/groupchat/get", {}), 40050)


class TestGroupSizeCaps:
    def test_500_by_qr_and_200_by_invitation_link(
        self, wecom: WeCom, state: SandboxState, client: Any, corp: Corp
    ) -> None:
        state.rules.group_size_cap, state.rules.group_invite_link_cap = 4, 3
        members = customers(wecom, 4)
        chat_id = group(wecom, members[:1])  # owner + 1
        wecom.action("join_group", chat_id=chat_id, members=[members[1]], join_scene=2)  # 3 members
        url = f"/sandbox/corps/{corp.corp_id}/actions/join_group"
        refused = client.post(
            url, json={"chat_id": chat_id, "members": [members[2]], "join_scene": 2}
        )
        assert refused.status_code == 409 and refused.json()["errcode"] == 90503
        wecom.action("join_group", chat_id=chat_id, members=[members[2]], join_scene=3)
        assert (
            client.post(url, json={"chat_id": chat_id, "members": [members[3]]}).json()["errcode"]
            == 90503
        )


class TestJoinWays:
    def test_life_cycle(self, wecom: WeCom) -> None:
        chats = [group(wecom) for _ in range(2)]
        body = {
            "scene": 2,
            "remark": "r" * 40,
            "auto_create_room": 1,
            "room_base_name": "福利群",
            "room_base_id": 1,
            "chat_id_list": chats,
            "state": "poster",
        }
        config_id = wecom.ok("externalcontact/groupchat/add_join_way", body)["config_id"]
        way = wecom.ok("externalcontact/groupchat/get_join_way", {"config_id": config_id})[
            "join_way"
        ]
        assert (
            way["remark"] == "r" * 30
            and way["chat_id_list"] == chats
            and way["qr_code"]
            and way["state"] == "poster"
        )
        wecom.ok(
            "externalcontact/groupchat/update_join_way",
            {"config_id": config_id, "scene": 1, "chat_id_list": chats[:1], "auto_create_room": 0},
        )
        way = wecom.ok("externalcontact/groupchat/get_join_way", {"config_id": config_id})[
            "join_way"
        ]
        assert (way["scene"], way["chat_id_list"], way["state"]) == (
            1,
            chats[:1],
            "",
        )  # overwrite semantics
        wecom.ok("externalcontact/groupchat/del_join_way", {"config_id": config_id})
        assert_errcode(
            wecom.post("externalcontact/groupchat/get_join_way", {"config_id": config_id}), 41044
        )

    def test_rules(self, wecom: WeCom) -> None:
        chats = [group(wecom) for _ in range(6)]
        assert_errcode(
            wecom.post(
                "externalcontact/groupchat/add_join_way", {"scene": 2, "chat_id_list": chats}
            ),
            41091,
        )
        assert_errcode(
            wecom.post(
                "externalcontact/groupchat/add_join_way", {"scene": 3, "chat_id_list": chats[:1]}
            ),
            40058,
        )
        assert_errcode(
            wecom.post(
                "externalcontact/groupchat/add_join_way",
                {"scene": 2, "chat_id_list": chats[:1], "state": "s" * 31},
            ),
            40058,
        )
        assert_errcode(
            wecom.post(
                "externalcontact/groupchat/add_join_way", {"scene": 2, "chat_id_list": ["wrnope"]}
            ),
            40050,
        )

    def test_joining_fills_then_creates_rooms(
        self, wecom: WeCom, state: SandboxState, corp: Corp
    ) -> None:
        state.rules.group_size_cap = 2
        chat_id = group(wecom)
        config_id = wecom.ok(
            "externalcontact/groupchat/add_join_way",
            {
                "scene": 2,
                "chat_id_list": [chat_id],
                "room_base_name": "福利群",
                "room_base_id": 1,
                "state": "poster",
            },
        )["config_id"]
        first, second = customers(wecom, 2)
        assert (
            wecom.action("join_group", config_id=config_id, external_userid=first)["chat_id"]
            == chat_id
        )
        created = wecom.action("join_group", config_id=config_id, external_userid=second)["chat_id"]
        assert created != chat_id and corp.groups[created].name == "福利群2"
        assert corp.join_ways[config_id].chat_id_list == [chat_id, created]
        member = wecom.ok("externalcontact/groupchat/get", {"chat_id": chat_id})["group_chat"][
            "member_list"
        ][1]
        assert (member["userid"], member["join_scene"], member["state"]) == (first, 3, "poster")

    def test_without_auto_create_a_full_way_refuses_and_update_keeps_the_5_cap(
        self, wecom: WeCom, state: SandboxState
    ) -> None:
        state.rules.group_size_cap = 2
        chats = [group(wecom) for _ in range(6)]
        config_id = wecom.ok(
            "externalcontact/groupchat/add_join_way",
            {"scene": 2, "chat_id_list": chats[:1], "auto_create_room": 0, "state": "s"},
        )["config_id"]
        first, second = customers(wecom, 2)
        wecom.action("join_group", config_id=config_id, external_userid=first)
        refused = wecom.client.post(
            f"/sandbox/corps/{wecom.corp.corp_id}/actions/join_group",
            json={"config_id": config_id, "external_userid": second},
        )
        assert refused.status_code != 200 and "90503" in refused.text
        assert_errcode(
            wecom.post(
                "externalcontact/groupchat/update_join_way",
                {"config_id": config_id, "scene": 2, "chat_id_list": chats},
            ),
            41091,
        )


class TestVisibleRange:
    def test_owner_filter_required_beyond_1000_staff(self, wecom: WeCom, corp: Corp) -> None:
        rng = random.Random(0)
        for index in range(1001):
            staff = make_staff(rng, corp, 10 + index)
            corp.staff[staff.userid] = staff
        assert_errcode(wecom.post("externalcontact/groupchat/list", {"limit": 10}), 81017)
        wecom.ok(
            "externalcontact/groupchat/list",
            {"limit": 10, "owner_filter": {"userid_list": ["alice"]}},
        )
