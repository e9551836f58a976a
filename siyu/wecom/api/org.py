"""Departments, members and app messages."""

from __future__ import annotations

from typing import Any

from siyu.wecom.api.base import ApiBase
from siyu.wecom.schemas import DepartmentList, MessageSent, UserGet, UserList


class OrgApi(ApiBase):
    def department_list(self, *, id: int | None = None) -> DepartmentList:  # noqa: A002
        return self._get("department/list", DepartmentList, id=id)

    def user_get(self, *, userid: str) -> UserGet:
        return self._get("user/get", UserGet, userid=userid)

    def user_list(self, *, department_id: int, fetch_child: bool = False) -> UserList:
        return self._get(
            "user/list", UserList, department_id=department_id, fetch_child=int(fetch_child)
        )

    def user_simplelist(self, *, department_id: int, fetch_child: bool = False) -> UserList:
        return self._get(
            "user/simplelist", UserList, department_id=department_id, fetch_child=int(fetch_child)
        )

    def message_send(
        self,
        *,
        agentid: int,
        msgtype: str,
        content: dict[str, Any],
        touser: list[str] | None = None,
        toparty: list[str] | None = None,
        totag: list[str] | None = None,
        **options: Any,
    ) -> MessageSent:
        """`content` is the body of `msgtype` (for text: {"content": "..."})."""
        body: dict[str, Any] = {
            "agentid": agentid,
            "msgtype": msgtype,
            msgtype: content,
            "touser": "|".join(touser) if touser else None,
            "toparty": "|".join(toparty) if toparty else None,
            "totag": "|".join(totag) if totag else None,
        }
        return self._post("message/send", MessageSent, body | options)
