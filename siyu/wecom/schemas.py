"""Typed WeCom answers (API-FACTS §4). Unknown fields are kept (`extra="allow"`): WeCom adds
fields over time, and dropping them would make the client the place data silently disappears.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from siyu.kit.pagination import Page
from siyu.kit.schemas import OutputSchema


class WeComModel(BaseModel):
    model_config = ConfigDict(extra="allow")


class Result(WeComModel):
    """An answer with nothing but errcode/errmsg (and whatever else WeCom adds)."""

    errcode: int = 0
    errmsg: str = "ok"


class Department(WeComModel):
    id: int
    name: str = ""
    parentid: int = 0
    order: int = 0


class DepartmentList(Result):
    department: list[Department] = Field(default_factory=list)


class User(WeComModel):
    userid: str
    name: str = ""
    department: list[int] = Field(default_factory=list)
    status: int | None = None


class UserGet(Result, User):
    pass


class UserList(Result):
    userlist: list[User] = Field(default_factory=list)


class MessageSent(Result):
    invaliduser: str | None = None
    invalidparty: str | None = None
    invalidtag: str | None = None
    msgid: str | None = None


class FollowUserList(Result):
    follow_user: list[str] = Field(default_factory=list)


class ExternalUserIds(Result):
    external_userid: list[str] = Field(default_factory=list)


class ExternalContact(WeComModel):
    external_userid: str
    name: str = ""
    type: int | None = None
    gender: int | None = None
    unionid: str | None = None


class FollowTag(WeComModel):
    tag_id: str | None = None
    tag_name: str | None = None
    group_name: str | None = None
    type: int | None = None


class FollowUser(WeComModel):
    userid: str
    remark: str | None = None
    description: str | None = None
    createtime: int | None = None
    tags: list[FollowTag] = Field(default_factory=list)
    add_way: int | None = None
    state: str | None = None


class ExternalContactGet(Result):
    external_contact: ExternalContact
    follow_user: list[FollowUser] = Field(default_factory=list)
    next_cursor: str | None = None


class FollowInfo(WeComModel):
    userid: str
    remark: str | None = None
    createtime: int | None = None
    tag_id: list[str] = Field(default_factory=list)
    add_way: int | None = None
    state: str | None = None


class BatchItem(WeComModel):
    external_contact: ExternalContact
    follow_info: FollowInfo


class BatchGetByUser(Result):
    external_contact_list: list[BatchItem] = Field(default_factory=list)
    next_cursor: str | None = None


class CorpTag(WeComModel):
    id: str
    name: str
    create_time: int | None = None
    order: int = 0
    deleted: bool | None = None


class CorpTagGroup(WeComModel):
    group_id: str
    group_name: str
    create_time: int | None = None
    order: int = 0
    deleted: bool | None = None
    tag: list[CorpTag] = Field(default_factory=list)


class CorpTagList(Result):
    tag_group: list[CorpTagGroup] = Field(default_factory=list)


class CorpTagAdded(Result):
    tag_group: CorpTagGroup


class ConfigCreated(Result):
    config_id: str
    qr_code: str | None = None


class ContactWayGet(Result):
    contact_way: dict[str, Any]


class ContactWayList(Result):
    contact_way: list[dict[str, Any]] = Field(default_factory=list)
    next_cursor: str | None = None


class JoinWayGet(Result):
    join_way: dict[str, Any]


class GroupChatRef(WeComModel):
    chat_id: str
    status: int = 0


class GroupChatList(Result):
    group_chat_list: list[GroupChatRef] = Field(default_factory=list)
    next_cursor: str | None = None


class GroupMember(WeComModel):
    userid: str
    type: int
    join_time: int | None = None
    join_scene: int | None = None
    unionid: str | None = None
    name: str | None = None
    state: str | None = None


class GroupChat(WeComModel):
    chat_id: str
    name: str = ""
    owner: str = ""
    create_time: int | None = None
    notice: str | None = None
    member_list: list[GroupMember] = Field(default_factory=list)
    admin_list: list[dict[str, Any]] = Field(default_factory=list)
    member_version: str | None = None


class GroupChatGet(Result):
    group_chat: GroupChat


class MsgTemplateAdded(Result):
    msgid: str | None = None
    fail_list: list[str] = Field(default_factory=list)


class GroupMsgList(Result):
    group_msg_list: list[dict[str, Any]] = Field(default_factory=list)
    next_cursor: str | None = None


class GroupMsgTasks(Result):
    task_list: list[dict[str, Any]] = Field(default_factory=list)
    next_cursor: str | None = None


class GroupMsgSendResult(Result):
    send_list: list[dict[str, Any]] = Field(default_factory=list)
    next_cursor: str | None = None


class MomentJob(Result):
    jobid: str


class MomentTaskResult(Result):
    status: int
    type: str | None = None
    result: dict[str, Any] | None = None


class MomentList(Result):
    moment_list: list[dict[str, Any]] = Field(default_factory=list)
    next_cursor: str | None = None


class MomentTasks(Result):
    # [{userid, publish_status (0 not yet, 1 published)}]
    task_list: list[dict[str, Any]] = Field(default_factory=list)
    next_cursor: str | None = None


class TransferCustomers(Result):
    customer: list[dict[str, Any]] = Field(default_factory=list)


class TransferResult(Result):
    customer: list[dict[str, Any]] = Field(default_factory=list)
    next_cursor: str | None = None


class UnionidConverted(Result):
    external_userid: str | None = None
    pending_id: str | None = None


class BehaviorData(Result):
    behavior_data: list[dict[str, Any]] = Field(default_factory=list)


# -- the call-journal API --------------------------------------------------------------------
class WeComCall(OutputSchema):
    id: uuid.UUID
    api: str
    started_at: datetime
    duration_ms: float
    errcode: int
    http_status: int | None
    attempt: int
    error: str | None


class WeComCallPage(Page[WeComCall]):
    pass
