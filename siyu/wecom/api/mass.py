"""Mass messages (群发) and moments (朋友圈)."""

from __future__ import annotations

from typing import Any

from siyu.wecom.api.base import ApiBase
from siyu.wecom.schemas import (
    GroupMsgList,
    GroupMsgSendResult,
    GroupMsgTasks,
    MomentJob,
    MomentList,
    MomentTaskResult,
    MsgTemplateAdded,
    Result,
)

P = "externalcontact/"


class MassApi(ApiBase):
    def add_msg_template(self, *, chat_type: str = "single", **fields: Any) -> MsgTemplateAdded:
        """Fields: external_userid, chat_id_list, tag_filter, sender, allow_select, text, …"""
        return self._post(
            P + "add_msg_template", MsgTemplateAdded, {"chat_type": chat_type} | fields
        )

    def get_groupmsg_list_v2(
        self,
        *,
        chat_type: str,
        start_time: int,
        end_time: int,
        creator: str | None = None,
        filter_type: int | None = None,
        cursor: str | None = None,
        limit: int | None = None,
    ) -> GroupMsgList:
        body = {
            "chat_type": chat_type,
            "start_time": start_time,
            "end_time": end_time,
            "creator": creator,
            "filter_type": filter_type,
            "cursor": cursor,
            "limit": limit,
        }
        return self._post(P + "get_groupmsg_list_v2", GroupMsgList, body)

    def get_groupmsg_task(
        self, *, msgid: str, cursor: str | None = None, limit: int | None = None
    ) -> GroupMsgTasks:
        body = {"msgid": msgid, "cursor": cursor, "limit": limit}
        return self._post(P + "get_groupmsg_task", GroupMsgTasks, body)

    def get_groupmsg_send_result(
        self, *, msgid: str, userid: str, cursor: str | None = None, limit: int | None = None
    ) -> GroupMsgSendResult:
        body = {"msgid": msgid, "userid": userid, "cursor": cursor, "limit": limit}
        return self._post(P + "get_groupmsg_send_result", GroupMsgSendResult, body)

    def remind_groupmsg_send(self, *, msgid: str) -> Result:
        return self._post(P + "remind_groupmsg_send", Result, {"msgid": msgid})

    def cancel_groupmsg_send(self, *, msgid: str) -> Result:
        return self._post(P + "cancel_groupmsg_send", Result, {"msgid": msgid})

    def add_moment_task(
        self,
        *,
        text: str | None = None,
        attachments: list[dict[str, Any]] | None = None,
        visible_range: dict[str, Any] | None = None,
    ) -> MomentJob:
        body = {
            "text": {"content": text} if text is not None else None,
            "attachments": attachments,
            "visible_range": visible_range,
        }
        return self._post(P + "add_moment_task", MomentJob, body)

    def get_moment_task_result(self, *, jobid: str) -> MomentTaskResult:
        return self._get(P + "get_moment_task_result", MomentTaskResult, jobid=jobid)

    def get_moment_list(
        self,
        *,
        start_time: int,
        end_time: int,
        creator: str | None = None,
        filter_type: int | None = None,
        cursor: str | None = None,
        limit: int | None = None,
    ) -> MomentList:
        body = {
            "start_time": start_time,
            "end_time": end_time,
            "creator": creator,
            "filter_type": filter_type,
            "cursor": cursor,
            "limit": limit,
        }
        return self._post(P + "get_moment_list", MomentList, body)
