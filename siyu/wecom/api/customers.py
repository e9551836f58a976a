"""Customers (external contacts), corp tags, ids and statistics."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from siyu.wecom.api.base import ApiBase
from siyu.wecom.schemas import (
    BatchGetByUser,
    BatchItem,
    BehaviorData,
    CorpTagAdded,
    CorpTagList,
    ExternalContactGet,
    ExternalUserIds,
    FollowUserList,
    Result,
    UnionidConverted,
)

P = "externalcontact/"


class CustomersApi(ApiBase):
    def get_follow_user_list(self) -> FollowUserList:
        return self._get(P + "get_follow_user_list", FollowUserList)

    def externalcontact_list(self, *, userid: str) -> ExternalUserIds:
        return self._get(P + "list", ExternalUserIds, userid=userid)

    def externalcontact_get(
        self, *, external_userid: str, cursor: str | None = None
    ) -> ExternalContactGet:
        return self._get(
            P + "get", ExternalContactGet, external_userid=external_userid, cursor=cursor
        )

    def batch_get_by_user(
        self, *, userid_list: Sequence[str], cursor: str | None = None, limit: int = 100
    ) -> BatchGetByUser:
        body = {"userid_list": list(userid_list), "cursor": cursor or "", "limit": limit}
        return self._post(P + "batch/get_by_user", BatchGetByUser, body)

    def iter_batch_get_by_user(
        self, *, userid_list: Sequence[str], limit: int = 100
    ) -> Iterator[BatchItem]:
        """Every relation of the given staff (≤100 per call), following `next_cursor`."""
        cursor: str | None = None
        while True:
            page = self.batch_get_by_user(userid_list=userid_list, cursor=cursor, limit=limit)
            yield from page.external_contact_list
            if not page.next_cursor:
                return
            cursor = page.next_cursor

    def remark(
        self,
        *,
        userid: str,
        external_userid: str,
        remark: str | None = None,
        description: str | None = None,
        remark_company: str | None = None,
        remark_mobiles: list[str] | None = None,
        remark_pic_mediaid: str | None = None,
    ) -> Result:
        body = {
            "userid": userid,
            "external_userid": external_userid,
            "remark": remark,
            "description": description,
            "remark_company": remark_company,
            "remark_mobiles": remark_mobiles,
            "remark_pic_mediaid": remark_pic_mediaid,
        }
        return self._post(P + "remark", Result, body)

    def get_corp_tag_list(
        self, *, tag_id: list[str] | None = None, group_id: list[str] | None = None
    ) -> CorpTagList:
        return self._post(
            P + "get_corp_tag_list", CorpTagList, {"tag_id": tag_id, "group_id": group_id}
        )

    def add_corp_tag(
        self,
        *,
        tag: list[dict[str, Any]],
        group_id: str | None = None,
        group_name: str | None = None,
        order: int | None = None,
        agentid: int | None = None,
    ) -> CorpTagAdded:
        body = {"group_id": group_id, "group_name": group_name, "order": order, "tag": tag}
        return self._post(P + "add_corp_tag", CorpTagAdded, body | {"agentid": agentid})

    def edit_corp_tag(
        self,
        *,
        id: str,
        name: str | None = None,
        order: int | None = None,  # noqa: A002
    ) -> Result:
        return self._post(P + "edit_corp_tag", Result, {"id": id, "name": name, "order": order})

    def del_corp_tag(
        self, *, tag_id: list[str] | None = None, group_id: list[str] | None = None
    ) -> Result:
        return self._post(P + "del_corp_tag", Result, {"tag_id": tag_id, "group_id": group_id})

    def mark_tag(
        self,
        *,
        userid: str,
        external_userid: str,
        add_tag: list[str] | None = None,
        remove_tag: list[str] | None = None,
    ) -> Result:
        body = {
            "userid": userid,
            "external_userid": external_userid,
            "add_tag": add_tag,
            "remove_tag": remove_tag,
        }
        return self._post(P + "mark_tag", Result, body)

    def unionid_to_external_userid(
        self, *, unionid: str, openid: str | None = None
    ) -> UnionidConverted:
        body = {"unionid": unionid, "openid": openid}
        return self._post(P + "unionid_to_external_userid", UnionidConverted, body)

    def get_user_behavior_data(
        self,
        *,
        start_time: int,
        end_time: int,
        userid: list[str] | None = None,
        partyid: list[int] | None = None,
    ) -> BehaviorData:
        body = {
            "userid": userid,
            "partyid": partyid,
            "start_time": start_time,
            "end_time": end_time,
        }
        return self._post(P + "get_user_behavior_data", BehaviorData, body)
