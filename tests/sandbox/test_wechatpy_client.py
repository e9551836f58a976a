"""wechatpy's WeChatClient against the sandbox over real HTTP.

Covered endpoints (every one wechatpy 2.0.0a26 has among those the sandbox serves):
gettoken, user/get, user/list, department/list, message/send,
externalcontact/get_follow_user_list, list, get, batch/get_by_user (legacy `userid`),
add/get/update/del_contact_way, get/add/edit/del_corp_tag, mark_tag, send_welcome_msg,
add_msg_template, get_group_msg_result (legacy), get_user_behavior_data, get_unassigned_list,
groupchat/list, groupchat/get.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from wechatpy.exceptions import WeChatClientException
from wechatpy.work import WeChatClient

from siyu.sandbox.callbacks import CallbackEmitter
from siyu.sandbox.models import Corp
from siyu.sandbox.state import SandboxState
from siyu.sandbox.world import generate_world
from tests.sandbox.helpers import START


class SandboxClient(WeChatClient):  # type: ignore[misc]
    """wechatpy hard-codes the gettoken URL; point it and API_BASE_URL at the sandbox."""

    def __init__(self, base_url: str, corp: Corp) -> None:
        self.API_BASE_URL = f"{base_url}/cgi-bin/"
        super().__init__(corp.corp_id, corp.secret)

    def fetch_access_token(self) -> Any:
        return self._fetch_access_token(
            url=f"{self.API_BASE_URL}gettoken",
            params={"corpid": self.corp_id, "corpsecret": self.secret},
        )


@pytest.fixture
def wechat(
    served: tuple[str, CallbackEmitter], state: SandboxState, corp: Corp
) -> Iterator[SandboxClient]:
    generate_world(state, corp, customers=120, staff=0, groups=4)
    yield SandboxClient(served[0], corp)


class TestOrganisation:
    def test_user_department_message(self, wechat: SandboxClient, corp: Corp) -> None:
        assert wechat.user.get("alice")["userid"] == "alice"
        assert {u["userid"] for u in wechat.user.list(1, fetch_child=True)} >= {
            "alice",
            "bob",
            "carol",
        }
        assert {d["id"] for d in wechat.department.list()} == set(corp.departments)
        sent = wechat.message.send_text(corp.agentid, ["alice", "ghost"], "hello")
        assert sent["invaliduser"] == "ghost"


class TestCustomers:
    def test_follow_users_list_get(self, wechat: SandboxClient) -> None:
        follow_users = wechat.external_contact.get_follow_user_list()["follow_user"]
        assert follow_users == ["alice", "bob", "carol"]
        ids = wechat.external_contact.list("alice")["external_userid"]
        detail = wechat.external_contact.get(ids[0])
        assert detail["external_contact"]["external_userid"] == ids[0]
        assert "alice" in [f["userid"] for f in detail["follow_user"]]

    def test_batch_get_by_user_with_legacy_userid(self, wechat: SandboxClient) -> None:
        expected = wechat.external_contact.list("alice")["external_userid"]
        walked = [
            item["external_contact"]["external_userid"]
            for item in wechat.external_contact.gen_all_by_user("alice", limit=7)
        ]
        assert walked == expected


class TestContactWaysAndWelcome:
    def test_contact_way_life_cycle(self, wechat: SandboxClient) -> None:
        ec = wechat.external_contact
        config_id = ec.add_contact_way(
            1, 2, style=1, remark="门店", state="store01", user=["alice"]
        )["config_id"]
        assert ec.get_contact_way(config_id)["contact_way"]["state"] == "store01"
        ec.update_contact_way(config_id, remark="新门店")
        assert ec.get_contact_way(config_id)["contact_way"]["remark"] == "新门店"
        ec.del_contact_way(config_id)
        with pytest.raises(WeChatClientException) as raised:
            ec.get_contact_way(config_id)
        assert raised.value.errcode == 41044

    def test_welcome(self, wechat: SandboxClient, state: SandboxState, corp: Corp) -> None:
        from siyu.sandbox import behaviours
        from siyu.sandbox.world import make_customer

        with state.lock:
            behaviours.add_customer(
                state, corp, userid="alice", customer=make_customer(state.rng, START), welcome=True
            )
            code = list(corp.welcome_codes)[-1]
        wechat.external_contact.send_welcome_msg(
            {"welcome_code": code, "text": {"content": "欢迎"}}
        )
        assert corp.welcomes[-1]["welcome_code"] == code


class TestTags:
    def test_tag_crud_and_mark(self, wechat: SandboxClient) -> None:
        ec = wechat.external_contact
        group = ec.add_corp_tag(None, "活动", 1, [{"name": "双11"}, {"name": "618"}])["tag_group"]
        tag_id = group["tag"][0]["id"]
        ec.edit_corp_tag(tag_id, name="双十一")
        listed = ec.get_corp_tag_list([tag_id])["tag_group"]
        assert listed[0]["tag"][0]["name"] == "双十一"
        ext = ec.list("alice")["external_userid"][0]
        ec.mark_tag("alice", ext, add_tag=[tag_id])
        assert tag_id in [
            t["tag_id"]
            for f in ec.get(ext)["follow_user"]
            if f["userid"] == "alice"
            for t in f["tags"]
        ]
        ec.del_corp_tag(tag_id=[tag_id])
        assert tag_id not in {
            t["id"] for g in ec.get_corp_tag_list()["tag_group"] for t in g["tag"]
        }


class TestMassAndStats:
    def test_add_msg_template_and_behavior_data(self, wechat: SandboxClient) -> None:
        ec = wechat.external_contact
        created = ec.add_msg_template({"sender": "alice", "text": {"content": "福利"}})
        assert created["msgid"] and created["fail_list"] == []
        legacy = ec.get_group_msg_result(created["msgid"])["detail_list"]
        assert {r["userid"] for r in legacy} == {"alice"} and all(r["status"] == 0 for r in legacy)
        rows = ec.get_user_behavior_data(["alice"], START - 86400, START)["behavior_data"]
        assert [r["stat_time"] for r in rows] == sorted(r["stat_time"] for r in rows) and len(
            rows
        ) == 2


class TestTransfers:
    def test_unassigned_list(self, wechat: SandboxClient, state: SandboxState, corp: Corp) -> None:
        from siyu.sandbox import behaviours

        with state.lock:
            behaviours.resign_staff(state, corp, userid="carol")
        info = wechat.external_contact.get_unassigned_list()["info"]
        assert {r["external_userid"] for r in info} == set(corp.staff["carol"].follows)
        assert all(r["handover_userid"] == "carol" for r in info)


class TestGroups:
    def test_group_chat_list_and_get(self, wechat: SandboxClient, corp: Corp) -> None:
        chats = wechat.external_contact_group_chat.list_all(limit=2)
        assert {c["chat_id"] for c in chats} == set(corp.groups)
        info = wechat.external_contact_group_chat.get(chats[0]["chat_id"])["group_chat"]
        assert info["member_version"] and info["owner"] in corp.staff
        assert wechat.external_contact.get_group_chat_list(10)["group_chat_list"]
        assert (
            wechat.external_contact.get_group_chat_info(chats[0]["chat_id"])["group_chat"][
                "chat_id"
            ]
            == chats[0]["chat_id"]
        )


class TestTokenRefresh:
    def test_refetches_after_early_revocation(
        self, wechat: SandboxClient, served: tuple[str, CallbackEmitter], corp: Corp
    ) -> None:
        import httpx

        first = wechat.access_token
        assert httpx.post(f"{served[0]}/sandbox/corps/{corp.corp_id}/tokens/revoke").json() == {
            "revoked": 1
        }
        assert wechat.external_contact.get_follow_user_list()["follow_user"]
        assert wechat.access_token != first
