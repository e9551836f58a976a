"""Acquisition API schemas: channels, codes, welcome defaults, capacity and analytics."""

from __future__ import annotations

import re
import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from siyu.kit.schemas import InputSchema, OutputSchema

Routing = Literal["round_robin", "weighted", "least_loaded"]
_HHMM = re.compile(r"^([01]\d|2[0-3]):[0-5]\d$")
# WeCom's state is ≤30 chars; letters, digits and -_ keep it safe in URLs and XML alike.
_STATE = re.compile(r"^[A-Za-z0-9_-]{1,30}$")
ATTACHMENT_TYPES = ("image", "link", "miniprogram", "video", "file")


def _hhmm(value: str, what: str) -> str:
    if not _HHMM.match(value):
        raise ValueError(f"{what} must be HH:MM (00:00–23:59), not {value!r}")
    return value


class TimeWindow(InputSchema):
    start: str
    end: str

    @model_validator(mode="after")
    def _check(self) -> TimeWindow:
        _hhmm(self.start, "start")
        _hhmm(self.end, "end")
        return self


class WorkingHours(TimeWindow):
    weekdays: list[int] = Field(default_factory=lambda: [1, 2, 3, 4, 5, 6, 7], min_length=1)

    @field_validator("weekdays")
    @classmethod
    def _days(cls, value: list[int]) -> list[int]:
        if any(d < 1 or d > 7 for d in value):
            raise ValueError("weekdays are 1 (Monday) to 7 (Sunday)")
        return sorted(set(value))


class Attachment(InputSchema):
    """A WeCom welcome attachment body as send_welcome_msg takes it (API-FACTS §4.4)."""

    msgtype: Literal["image", "link", "miniprogram", "video", "file"]
    image: dict[str, Any] | None = None
    link: dict[str, Any] | None = None
    miniprogram: dict[str, Any] | None = None
    video: dict[str, Any] | None = None
    file: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _body(self) -> Attachment:
        body = getattr(self, self.msgtype)
        if not isinstance(body, dict) or not body:
            raise ValueError(f"a {self.msgtype} attachment needs its {self.msgtype} body")
        if self.msgtype == "link" and not (body.get("title") and body.get("url")):
            raise ValueError("a link attachment needs a title and a url")
        if self.msgtype == "link" and len(str(body["title"]).encode()) > 128:
            raise ValueError("a link title is at most 128 bytes")
        return self

    def wecom(self) -> dict[str, Any]:
        return {"msgtype": self.msgtype, self.msgtype: getattr(self, self.msgtype)}


class ChannelCreate(InputSchema):
    name: str = Field(min_length=1, max_length=64)
    description: str = Field(default="", max_length=2000)
    tag_ids: list[uuid.UUID] = Field(default_factory=list, max_length=20)


class ChannelUpdate(InputSchema):
    name: str | None = Field(default=None, min_length=1, max_length=64)
    description: str | None = Field(default=None, max_length=2000)
    tag_ids: list[uuid.UUID] | None = Field(default=None, max_length=20)


class Channel(OutputSchema):
    id: uuid.UUID
    name: str
    description: str
    tag_ids: list[str]
    code_count: int = 0
    created_at: datetime


class _CodeFields(InputSchema):
    staff_userids: list[str] = Field(default_factory=list, max_length=1000)
    department_ids: list[int] = Field(default_factory=list, max_length=100)
    backup_userids: list[str] = Field(default_factory=list, max_length=20)
    routing: Routing = "round_robin"
    weights: dict[str, int] = Field(default_factory=dict)
    daily_cap: int | None = Field(default=None, ge=1, le=2000)
    working_hours: WorkingHours | None = None
    skip_verify: bool = True
    skip_verify_windows: list[TimeWindow] = Field(default_factory=list, max_length=10)
    tag_ids: list[uuid.UUID] = Field(default_factory=list, max_length=20)
    remark_template: str = Field(default="", max_length=128)
    description_template: str = Field(default="", max_length=300)
    welcome_text: str = Field(default="", max_length=4000)
    welcome_attachments: list[Attachment] = Field(default_factory=list, max_length=9)
    welcome_material_ids: list[uuid.UUID] = Field(default_factory=list, max_length=9)
    expires_at: datetime | None = None
    enabled: bool = True

    @field_validator("weights")
    @classmethod
    def _weights(cls, value: dict[str, int]) -> dict[str, int]:
        bad = [k for k, w in value.items() if w < 0 or w > 100]
        if bad:
            raise ValueError(f"weights are 0–100; check {', '.join(sorted(bad))}")
        return value


class LiveCodeCreate(_CodeFields):
    channel_id: uuid.UUID
    name: str = Field(min_length=1, max_length=64)
    state: str | None = Field(
        default=None, description="≤30 letters, digits, - or _; generated when omitted"
    )

    @field_validator("state")
    @classmethod
    def _state(cls, value: str | None) -> str | None:
        if value is not None and not _STATE.match(value):
            raise ValueError("state is 1–30 letters, digits, - or _")
        return value


class LiveCodeUpdate(InputSchema):
    """Every field optional; lists replace what was there."""

    channel_id: uuid.UUID | None = None
    name: str | None = Field(default=None, min_length=1, max_length=64)
    staff_userids: list[str] | None = Field(default=None, max_length=1000)
    department_ids: list[int] | None = Field(default=None, max_length=100)
    backup_userids: list[str] | None = Field(default=None, max_length=20)
    routing: Routing | None = None
    weights: dict[str, int] | None = None
    daily_cap: int | None = Field(default=None, ge=1, le=2000)
    working_hours: WorkingHours | None = None
    skip_verify: bool | None = None
    skip_verify_windows: list[TimeWindow] | None = Field(default=None, max_length=10)
    tag_ids: list[uuid.UUID] | None = Field(default=None, max_length=20)
    remark_template: str | None = Field(default=None, max_length=128)
    description_template: str | None = Field(default=None, max_length=300)
    welcome_text: str | None = Field(default=None, max_length=4000)
    welcome_attachments: list[Attachment] | None = Field(default=None, max_length=9)
    welcome_material_ids: list[uuid.UUID] | None = Field(default=None, max_length=9)
    expires_at: datetime | None = None
    enabled: bool | None = None


class LiveCode(OutputSchema):
    id: uuid.UUID
    channel_id: uuid.UUID
    name: str
    state: str
    enabled: bool
    expires_at: datetime | None
    staff_userids: list[str]
    department_ids: list[int]
    backup_userids: list[str]
    routing: str
    weights: dict[str, int]
    daily_cap: int | None
    working_hours: dict[str, Any] | None
    skip_verify: bool
    skip_verify_windows: list[dict[str, str]]
    tag_ids: list[str]
    remark_template: str
    description_template: str
    welcome_text: str
    welcome_attachments: list[dict[str, Any]]
    welcome_material_ids: list[str]
    config_id: str | None
    qr_code: str | None
    active_userids: list[str]
    synced_at: datetime | None
    sync_error: str | None
    created_at: datetime
    updated_at: datetime


class WelcomeDefaultUpdate(InputSchema):
    text: str = Field(default="", max_length=4000)
    attachments: list[Attachment] = Field(default_factory=list, max_length=9)
    material_ids: list[uuid.UUID] = Field(default_factory=list, max_length=9)


class WelcomeDefault(OutputSchema):
    staff_userid: str = Field(description='"" is the corp-wide default')
    text: str
    attachments: list[dict[str, Any]]
    material_ids: list[str]
    updated_at: datetime


class StaffCapacity(OutputSchema):
    userid: str
    name: str
    friends: int
    friend_cap: int
    adds_today: int
    daily_cap: int
    friends_percent: float
    adds_percent: float
    level: Literal["ok", "warn80", "warn95", "full"]


class CodeStats(OutputSchema):
    code_id: uuid.UUID | None
    channel_id: uuid.UUID | None
    name: str
    adds: int = Field(description="Adds carrying the code's state (WeCom cannot count scans)")
    welcomed: int
    joined_group: int | None = Field(
        description="Customers added in the range who joined a group through a group code since"
    )
    lost: int
    net: int


class DailyStats(OutputSchema):
    day: date
    new: int
    lost: int
    net: int


class StaffStats(OutputSchema):
    staff_userid: str
    adds: int
    welcomed: int
    lost: int


class WelcomeStats(OutputSchema):
    sent: int
    failed: int
    expired: int
    p50_ms: float | None
    p99_ms: float | None
