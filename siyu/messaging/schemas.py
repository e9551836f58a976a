"""Mass-message API schemas: the composer's body, the reach preview, campaigns, tasks, results,
the report and the corp's settings."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, field_validator, model_validator

from siyu.kit.pagination import Page
from siyu.kit.schemas import InputSchema, OutputSchema
from siyu.segments.conditions import Condition

MAX_TEXT_BYTES = 4000  # text.content ≤ 4000 bytes (D:92135)
MAX_ATTACHMENTS = 9
MAX_LISTED_CUSTOMERS = 10_000
MAX_LISTED_CHATS = 20_000
CampaignKind = Literal["customers", "groups"]
OwnerRule = Literal["most_recent", "earliest_added", "primary_owner"]
QuotaRule = Literal["days_in_month", "four_per_month", "seven_per_week", "one_per_day"]
LeftOutReason = Literal["no_quota", "frequency_cap", "no_relation", "lost", "opted_out"]
ATTACHMENT_TYPES = ("image", "link", "miniprogram", "video", "file")


class Attachment(InputSchema):
    """One WeCom attachment as add_msg_template takes it: `{"msgtype": "image", "image": {…}}`."""

    msgtype: Literal["image", "link", "miniprogram", "video", "file"]
    image: dict[str, Any] | None = None
    link: dict[str, Any] | None = None
    miniprogram: dict[str, Any] | None = None
    video: dict[str, Any] | None = None
    file: dict[str, Any] | None = None

    @model_validator(mode="after")
    def _body_matches_type(self) -> Attachment:
        given = [t for t in ATTACHMENT_TYPES if getattr(self, t) is not None]
        if given != [self.msgtype]:
            raise ValueError(f"a {self.msgtype} attachment carries exactly its `{self.msgtype}`")
        return self

    def wecom(self) -> dict[str, Any]:
        return {"msgtype": self.msgtype, self.msgtype: getattr(self, self.msgtype)}


class CampaignCreate(InputSchema):
    kind: CampaignKind = "customers"
    name: str = Field(min_length=1, max_length=128)
    text: str | None = Field(default=None, description="One text for everyone (no variables)")
    attachments: list[Attachment] = Field(default_factory=list, max_length=MAX_ATTACHMENTS)
    material_ids: list[uuid.UUID] = Field(default_factory=list, max_length=MAX_ATTACHMENTS)
    # Customers: a saved segment, a tree, or listed people. Groups: chat ids and/or owners.
    segment_id: uuid.UUID | None = None
    condition: Condition | None = None
    customer_ids: list[uuid.UUID] | None = Field(default=None, max_length=MAX_LISTED_CUSTOMERS)
    chat_ids: list[str] | None = Field(default=None, max_length=MAX_LISTED_CHATS)
    owner_userids: list[str] | None = Field(default=None, max_length=2000)
    owner_rule: OwnerRule = "most_recent"
    send_at: datetime | None = Field(default=None, description="None: now (after quiet hours)")

    @field_validator("text")
    @classmethod
    def _text_fits(cls, value: str | None) -> str | None:
        if value is not None and len(value.encode()) > MAX_TEXT_BYTES:
            raise ValueError(f"text is {len(value.encode())} bytes; WeCom takes ≤ 4000")
        return value or None

    @field_validator("send_at")
    @classmethod
    def _send_at_has_zone(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("send_at needs a time zone offset (e.g. +08:00)")
        return value

    @model_validator(mode="after")
    def _has_content_and_one_audience(self) -> CampaignCreate:
        if self.text is None and not self.attachments and not self.material_ids:
            raise ValueError("give a text or at least one attachment")
        if len(self.attachments) + len(self.material_ids) > MAX_ATTACHMENTS:
            raise ValueError(f"at most {MAX_ATTACHMENTS} attachments in all")
        people = [self.segment_id, self.condition, self.customer_ids]
        groups = [self.chat_ids, self.owner_userids]
        if self.kind == "customers":
            if sum(x is not None for x in people) != 1 or any(x is not None for x in groups):
                raise ValueError(
                    "a customer campaign takes one of segment_id, condition, customer_ids"
                )
            if self.customer_ids == []:
                raise ValueError("customer_ids is empty")
        else:
            if all(x is None for x in groups) or any(x is not None for x in people):
                raise ValueError("a group campaign takes chat_ids and/or owner_userids")
            if not (self.chat_ids or self.owner_userids):
                raise ValueError("the group audience is empty")
        return self


class StaffReach(OutputSchema):
    staff_userid: str
    reachable: int
    left_out: int
    tasks: int


class ReachPreview(OutputSchema):
    audience: int
    reachable: int
    left_out: dict[str, int] = Field(
        description="By reason: no_quota, frequency_cap, no_relation, lost, opted_out"
    )
    staff: list[StaffReach]
    tasks: int
    send_at: datetime = Field(description="When it would go out (after quiet hours)")
    moved_by_quiet_hours: bool


class Campaign(OutputSchema):
    id: uuid.UUID
    kind: str
    name: str
    text: str | None
    attachments: list[dict[str, Any]]
    segment_id: uuid.UUID | None
    owner_rule: str
    status: str
    due_at: datetime
    requested_at: datetime | None
    planned_at: datetime | None
    finished_at: datetime | None
    cancelled_at: datetime | None
    audience_count: int
    reachable_count: int
    left_out: dict[str, int]
    error: str | None
    created_by_label: str
    created_at: datetime


class Task(OutputSchema):
    id: uuid.UUID
    staff_userid: str
    chunk: int
    recipients: int
    status: str
    msgid: str | None
    fail_count: int
    wecom_status: int | None
    confirmed_at: datetime | None
    reminders: list[str]
    error: str | None


class Recipient(OutputSchema):
    customer_id: uuid.UUID | None
    chat_id: str | None
    external_userid: str | None
    staff_userid: str | None
    status: str
    reason: str | None
    sent_at: datetime | None


class StaffReport(OutputSchema):
    staff_userid: str
    recipients: int
    delivered: int
    confirmed_tasks: int
    tasks: int
    deleted_within_72h: int


class CampaignReport(OutputSchema):
    audience: int
    reachable: int
    left_out: dict[str, int]
    by_status: dict[str, int]
    delivered: int
    tasks: int
    confirmed_tasks: int
    confirmation_rate: float | None
    deleted_within_24h: int
    deleted_within_72h: int
    deletion_rate_72h: float | None
    replies: int | None = Field(description="None: not known")
    replies_note: str
    conversions: int | None = Field(description="None: not known")
    conversions_note: str
    staff: list[StaffReport]


class RemindResult(OutputSchema):
    reminded: int
    at_cap: int = Field(description="Tasks already reminded 3 times in the last 24 h")
    skipped: int = Field(description="Tasks confirmed, cancelled or not yet created")


class MassSettingsOut(OutputSchema):
    quota_rule: str
    daily_cap: int | None
    weekly_cap: int | None
    quiet_start_hour: int | None
    quiet_end_hour: int | None


class MassSettingsUpdate(InputSchema):
    quota_rule: QuotaRule | None = None
    daily_cap: int | None = Field(default=None, ge=1, le=31)
    weekly_cap: int | None = Field(default=None, ge=1, le=100)
    quiet_start_hour: int | None = Field(default=None, ge=0, le=23)
    quiet_end_hour: int | None = Field(default=None, ge=0, le=23)


class OptOutBody(InputSchema):
    customer_ids: list[uuid.UUID] = Field(min_length=1, max_length=1000)


CampaignPage = Page[Campaign]
RecipientPage = Page[Recipient]
