"""Customer groups and transfers of customers between staff."""

from __future__ import annotations

from collections.abc import Iterator

from siyu.wecom.api.base import ApiBase
from siyu.wecom.schemas import (
    GroupChatGet,
    GroupChatList,
    GroupChatRef,
    TransferCustomers,
    TransferResult,
)

P = "externalcontact/"


class GroupsApi(ApiBase):
    def groupchat_list(
        self,
        *,
        status_filter: int = 0,
        owner_userids: list[str] | None = None,
        cursor: str | None = None,
        limit: int = 1000,
    ) -> GroupChatList:
        body = {
            "status_filter": status_filter,
            "owner_filter": {"userid_list": owner_userids} if owner_userids else None,
            "cursor": cursor,
            "limit": limit,
        }
        return self._post(P + "groupchat/list", GroupChatList, body)

    def iter_groupchat_list(
        self, *, status_filter: int = 0, owner_userids: list[str] | None = None, limit: int = 1000
    ) -> Iterator[GroupChatRef]:
        cursor: str | None = None
        while True:
            page = self.groupchat_list(
                status_filter=status_filter, owner_userids=owner_userids, cursor=cursor, limit=limit
            )
            yield from page.group_chat_list
            if not page.next_cursor:
                return
            cursor = page.next_cursor

    def groupchat_get(self, *, chat_id: str, need_name: bool = True) -> GroupChatGet:
        body = {"chat_id": chat_id, "need_name": int(need_name)}
        return self._post(P + "groupchat/get", GroupChatGet, body)

    def transfer_customer(
        self,
        *,
        handover_userid: str,
        takeover_userid: str,
        external_userid: list[str],
        transfer_success_msg: str | None = None,
    ) -> TransferCustomers:
        body = {
            "handover_userid": handover_userid,
            "takeover_userid": takeover_userid,
            "external_userid": external_userid,
            "transfer_success_msg": transfer_success_msg,
        }
        return self._post(P + "transfer_customer", TransferCustomers, body)

    def transfer_result(
        self, *, handover_userid: str, takeover_userid: str, cursor: str | None = None
    ) -> TransferResult:
        body = {
            "handover_userid": handover_userid,
            "takeover_userid": takeover_userid,
            "cursor": cursor,
        }
        return self._post(P + "transfer_result", TransferResult, body)

    def resigned_transfer_customer(
        self, *, handover_userid: str, takeover_userid: str, external_userid: list[str]
    ) -> TransferCustomers:
        body = {
            "handover_userid": handover_userid,
            "takeover_userid": takeover_userid,
            "external_userid": external_userid,
        }
        return self._post(P + "resigned/transfer_customer", TransferCustomers, body)

    def resigned_transfer_result(
        self, *, handover_userid: str, takeover_userid: str, cursor: str | None = None
    ) -> TransferResult:
        body = {
            "handover_userid": handover_userid,
            "takeover_userid": takeover_userid,
            "cursor": cursor,
        }
        return self._post(P + "resigned/transfer_result", TransferResult, body)
