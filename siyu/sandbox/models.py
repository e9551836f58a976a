"""The sandbox's world as plain dataclasses, keyed by WeCom's own ids.

Indexes that keep the hot paths O(page): each staff member keeps an append-only order of
external ids (`follow_order`) next to the live relations (`follows`), so cursor paging is an
index into a list; removed relations leave a tombstone that paging skips.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Department:
    id: int
    name: str
    parentid: int = 0
    order: int = 0
    name_en: str = ""


@dataclass(slots=True)
class Staff:
    userid: str
    name: str
    department: list[int]
    mobile: str = ""
    gender: str = "1"
    position: str = ""
    email: str = ""
    status: int = 1  # 1 active, 2 disabled, 4 not activated, 5 resigned (sandbox)
    can_follow: bool = True  # has 客户联系 permission
    resigned_at: int | None = None
    follows: dict[str, Follow] = field(default_factory=dict)
    follow_order: list[str] = field(default_factory=list)
    daily_adds: dict[str, int] = field(default_factory=dict)  # CN date -> passive adds


@dataclass(slots=True)
class Follow:
    userid: str
    external_userid: str
    createtime: int
    add_way: int = 1
    state: str = ""
    remark: str = ""
    description: str = ""
    remark_corp_name: str = ""
    remark_mobiles: list[str] = field(default_factory=list)
    oper_userid: str = ""
    tags: list[str] = field(default_factory=list)
    deleted_by_customer: bool = False  # one-way: still returned by the APIs
    pos: int = -1  # index in the staff member's follow_order
    # Rendered batch/get_by_user item; whoever changes the relation (or its customer's
    # public fields) must reset it with `touch()`.
    cache: bytes | None = field(default=None, repr=False, compare=False)

    def touch(self) -> None:
        self.cache = None


@dataclass(slots=True)
class Customer:
    external_userid: str
    name: str
    unionid: str
    gender: int = 0
    phone: str = ""
    type: int = 1
    avatar: str = ""
    corp_name: str = ""
    corp_full_name: str = ""
    position: str = ""
    created_at: int = 0
    chatting: bool = False  # has replied: welcome codes become unusable (41051)
    follows: dict[str, Follow] = field(default_factory=dict)
    transfers: list[int] = field(default_factory=list)  # in-service transfer start times
    received: dict[str, int] = field(default_factory=dict)  # quota window -> mass messages


@dataclass(slots=True)
class Tag:
    id: str
    name: str
    group_id: str
    create_time: int
    order: int = 0


@dataclass(slots=True)
class TagGroup:
    group_id: str
    group_name: str
    create_time: int
    order: int = 0
    tags: dict[str, Tag] = field(default_factory=dict)


@dataclass(slots=True)
class ContactWay:
    config_id: str
    type: int
    scene: int
    created_at: int
    style: int | None = None
    remark: str = ""
    skip_verify: bool = True
    state: str = ""
    user: list[str] = field(default_factory=list)
    party: list[int] = field(default_factory=list)
    is_temp: bool = False
    expires_in: int | None = None
    chat_expires_in: int | None = None
    unionid: str = ""
    conclusions: dict[str, Any] | None = None
    qr_code: str = ""
    used: bool = False


@dataclass(slots=True)
class GroupMember:
    userid: str
    type: int  # 1 staff, 2 external
    join_time: int
    join_scene: int  # 1 direct invite, 2 invite link, 3 group QR
    unionid: str = ""
    invitor: str = ""
    group_nickname: str = ""
    name: str = ""
    state: str = ""


@dataclass(slots=True)
class GroupChat:
    chat_id: str
    name: str
    owner: str
    create_time: int
    notice: str = ""
    members: dict[str, GroupMember] = field(default_factory=dict)
    admin_list: list[str] = field(default_factory=list)
    member_version: str = ""
    status: int = 0
    dismissed: bool = False
    received: dict[str, int] = field(default_factory=dict)


@dataclass(slots=True)
class JoinWay:
    config_id: str
    scene: int
    created_at: int
    remark: str = ""
    auto_create_room: int = 1
    room_base_name: str = ""
    room_base_id: int | None = None
    chat_id_list: list[str] = field(default_factory=list)
    state: str = ""
    qr_code: str = ""


@dataclass(slots=True)
class WelcomeCode:
    code: str
    userid: str
    external_userid: str
    issued_at: int
    used_at: int | None = None


@dataclass(slots=True)
class SendRecord:
    external_userid: str
    chat_id: str
    userid: str
    status: int = 0  # 0 pending, 1 sent, 2 not a friend, 3 already received another
    send_time: int | None = None


@dataclass(slots=True)
class MassMessage:
    msgid: str
    chat_type: str
    creator: str
    create_type: int
    create_time: int
    text: dict[str, Any] | None
    attachments: list[dict[str, Any]]
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)  # userid -> status/send_time
    records: dict[str, list[SendRecord]] = field(default_factory=dict)  # userid -> records
    cancelled: bool = False
    reminders: list[int] = field(default_factory=list)


@dataclass(slots=True)
class Moment:
    moment_id: str
    jobid: str
    creator: str
    create_type: int
    create_time: int
    text: dict[str, Any] | None
    attachments: list[dict[str, Any]]
    visible_type: int
    tasks: dict[str, dict[str, Any]] = field(default_factory=dict)
    invalid_sender_list: list[str] = field(default_factory=list)


@dataclass(slots=True)
class Transfer:
    external_userid: str
    handover_userid: str
    takeover_userid: str
    started_at: int
    resigned: bool
    status: int = 2  # 1 done, 2 waiting, 3 refused, 4 takeover at limit
    takeover_time: int = 0


@dataclass(slots=True)
class Media:
    """A temporary media file (media/upload): valid until `expires_at` on the sandbox clock."""

    media_id: str
    type: str  # image | voice | video | file
    filename: str
    size: int
    created_at: int
    expires_at: int


@dataclass(slots=True)
class Corp:
    corp_id: str
    name: str
    secret: str
    agentid: int
    callback_token: str
    encoding_aes_key: str
    callback_url: str = ""
    departments: dict[int, Department] = field(default_factory=dict)
    staff: dict[str, Staff] = field(default_factory=dict)
    customers: dict[str, Customer] = field(default_factory=dict)
    unionids: dict[str, str] = field(default_factory=dict)
    tag_groups: dict[str, TagGroup] = field(default_factory=dict)
    tags: dict[str, Tag] = field(default_factory=dict)
    contact_ways: dict[str, ContactWay] = field(default_factory=dict)
    join_ways: dict[str, JoinWay] = field(default_factory=dict)
    groups: dict[str, GroupChat] = field(default_factory=dict)
    welcome_codes: dict[str, WelcomeCode] = field(default_factory=dict)
    welcomes: list[dict[str, Any]] = field(default_factory=list)
    mass_messages: dict[str, MassMessage] = field(default_factory=dict)
    moments: dict[str, Moment] = field(default_factory=dict)
    moment_jobs: dict[str, str] = field(default_factory=dict)  # jobid -> moment_id
    transfers: dict[tuple[str, str], Transfer] = field(default_factory=dict)  # (ext, takeover)
    app_messages: list[dict[str, Any]] = field(default_factory=list)
    tokens: dict[str, int] = field(default_factory=dict)  # access_token -> expires_at
    current_token: str = ""
    replies: list[dict[str, Any]] = field(default_factory=list)
    media: dict[str, Media] = field(default_factory=dict)  # media_id -> temporary media
    images: dict[str, int] = field(default_factory=dict)  # uploadimg url -> size
