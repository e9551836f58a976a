"""API shapes of moment posts. Content rules beyond field shapes live in `rules.py`."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from siyu.kit.pagination import Page

AttachmentKind = Literal["image", "video", "link"]


class MomentAttachment(BaseModel):
    """A material from the library (`material_id`), or a WeCom media id / link given directly."""

    model_config = ConfigDict(extra="forbid")

    kind: AttachmentKind
    material_id: uuid.UUID | None = None
    media_id: str | None = Field(default=None, max_length=256)
    title: str | None = Field(default=None, max_length=128)
    url: str | None = Field(default=None, max_length=2048)


class MomentVisibility(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sender_userids: list[str] = Field(default_factory=list)
    sender_department_ids: list[int] = Field(default_factory=list)
    tag_ids: list[uuid.UUID] = Field(default_factory=list)


class MomentCreate(BaseModel):
    model_config = ConfigDict(extra="forbid")

    text: str = ""
    attachments: list[MomentAttachment] = Field(default_factory=list)
    visibility: MomentVisibility = Field(default_factory=MomentVisibility)
    # draft: keep editing; schedule: publish at due_at; now: publish at once.
    action: Literal["draft", "schedule", "now"] = "draft"
    due_at: datetime | None = None


class MomentUpdate(MomentCreate):
    """Drafts and not-yet-due scheduled posts are replaced whole."""


class MomentRetry(BaseModel):
    model_config = ConfigDict(extra="forbid")

    # An `uncertain` post may already exist in WeCom; retrying must be asked for knowingly.
    confirm_not_in_wecom: bool = False


class MomentPost(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    status: str
    text: str
    attachments: list[dict[str, Any]]
    sender_userids: list[str]
    sender_department_ids: list[int]
    tag_ids: list[uuid.UUID]
    due_at: datetime | None
    created_at: datetime
    submitted_at: datetime | None
    jobid: str | None
    moment_id: str | None
    invalid_senders: list[str]
    invalid_tags: list[str]
    published_at: datetime | None
    track_until: datetime | None
    cancelled_at: datetime | None
    error: str | None


class MomentProgress(BaseModel):
    senders: int
    published: int


class MomentPostRow(MomentPost):
    progress: MomentProgress


MomentPostPage = Page[MomentPostRow]


class MomentStaffTask(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    userid: str
    name: str | None = None
    published: bool
    seen_published_at: datetime | None


class MomentReminder(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: uuid.UUID
    day: date
    recipients: list[str]
    sent_at: datetime | None
    error: str | None
    created_at: datetime


class MomentDetail(MomentPostRow):
    staff: list[MomentStaffTask]
    reminders: list[MomentReminder]


class WeComMoment(BaseModel):
    """A moment as get_moment_list reports it (company or personal)."""

    moment_id: str
    creator: str | None = None
    create_time: int
    create_type: int
    visible_type: int | None = None
    text: str = ""
    images: int = 0
    has_video: bool = False
    link_title: str | None = None


class WeComMomentPage(BaseModel):
    items: list[WeComMoment]
    next_cursor: str | None = None
