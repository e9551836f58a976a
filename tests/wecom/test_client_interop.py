"""wechatpy's WeChatClient and Siyu's client give the same answers from the same sandbox."""

from __future__ import annotations

from typing import Any

import pytest
from wechatpy.exceptions import WeChatClientException
from wechatpy.work import WeChatClient

from siyu.wecom.client import WeComApiError, WeComClient
from tests.wecom.conftest import CORP_ID, SECRET, MakeClient


class SandboxWeChat(WeChatClient):  # type: ignore[misc]
    """wechatpy hard-codes WeCom's gettoken URL; point it at the sandbox."""

    def __init__(self, base_url: str) -> None:
        self.API_BASE_URL = f"{base_url}/cgi-bin/"
        super().__init__(CORP_ID, SECRET)

    def fetch_access_token(self) -> Any:
        return self._fetch_access_token(
            url=f"{self.API_BASE_URL}gettoken",
            params={"corpid": self.corp_id, "corpsecret": self.secret},
        )


@pytest.fixture
def both(make_client: MakeClient, sandbox_url: str) -> tuple[WeComClient, SandboxWeChat]:
    return make_client(), SandboxWeChat(sandbox_url)


class TestSameAnswers:
    def test_staff_and_departments(self, both: tuple[WeComClient, SandboxWeChat]) -> None:
        ours, theirs = both
        assert (
            ours.get_follow_user_list().follow_user
            == (theirs.external_contact.get_follow_user_list()["follow_user"])
        )
        assert [d.model_dump() for d in ours.department_list().department] == [
            {k: d[k] for k in ("id", "name", "parentid", "order")} | d
            for d in theirs.department.list()
        ]
        userid = ours.get_follow_user_list().follow_user[0]
        assert ours.user_get(userid=userid).model_dump() == theirs.user.get(userid)

    def test_customers(self, both: tuple[WeComClient, SandboxWeChat]) -> None:
        ours, theirs = both
        userid = ours.get_follow_user_list().follow_user[0]
        ids = ours.externalcontact_list(userid=userid).external_userid
        assert ids == theirs.external_contact.list(userid)["external_userid"]
        detail = theirs.external_contact.get(ids[0])
        assert ours.externalcontact_get(external_userid=ids[0]).model_dump(
            exclude_none=True
        ) == _without_none(detail)
        relations = {
            i.external_contact.external_userid
            for i in ours.iter_batch_get_by_user(userid_list=[userid], limit=20)
        }
        assert relations == {
            i["external_contact"]["external_userid"]
            for i in theirs.external_contact.gen_all_by_user(userid, limit=20)
        }

    def test_tags_and_groups(self, both: tuple[WeComClient, SandboxWeChat]) -> None:
        ours, theirs = both
        assert ours.get_corp_tag_list().model_dump(exclude_none=True) == _without_none(
            theirs.external_contact.get_corp_tag_list()
        )
        chat_ids = [c.chat_id for c in ours.groupchat_list().group_chat_list]
        assert chat_ids == [
            c["chat_id"]
            for c in theirs.external_contact_group_chat.list(limit=1000)["group_chat_list"]
        ]
        theirs_chat = theirs.external_contact_group_chat.get(chat_ids[0])["group_chat"]
        # wechatpy asks without need_name, so members come without names.
        assert ours.groupchat_get(chat_id=chat_ids[0], need_name=False).group_chat.model_dump(
            exclude_none=True
        ) == _without_none(theirs_chat)

    def test_same_errcode_for_a_business_error(
        self, both: tuple[WeComClient, SandboxWeChat]
    ) -> None:
        ours, theirs = both
        with pytest.raises(WeComApiError) as mine:
            ours.user_get(userid="nobody")
        with pytest.raises(WeChatClientException) as other:
            theirs.user.get("nobody")
        assert mine.value.errcode == other.value.errcode == 60111


def _without_none(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _without_none(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [_without_none(v) for v in value]
    return value
