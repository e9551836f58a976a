"""Scripts library API schemas."""

from __future__ import annotations

import uuid
from datetime import datetime

from pydantic import Field, field_validator

from siyu.kit.pagination import Page
from siyu.kit.schemas import InputSchema, OutputSchema
from siyu.materials.schemas import utf8_len

TEXT_BYTES = 4000  # text.content of WeCom's send APIs, before variables are filled in


def _text(value: str | None) -> str | None:
    if value is not None and utf8_len(value) > TEXT_BYTES:
        raise ValueError(f"text is {utf8_len(value)} bytes; WeCom takes at most {TEXT_BYTES}")
    return value


class ReplyGroupCreate(InputSchema):
    name: str = Field(min_length=1, max_length=64)
    position: int = Field(default=0, ge=0, le=1_000_000)


class ReplyGroupUpdate(InputSchema):
    name: str | None = Field(default=None, min_length=1, max_length=64)
    position: int | None = Field(default=None, ge=0, le=1_000_000)


class ReplyGroup(OutputSchema):
    id: uuid.UUID
    name: str
    position: int
    reply_count: int = 0
    created_at: datetime


class ReplyCreate(InputSchema):
    group_id: uuid.UUID
    title: str = Field(min_length=1, max_length=64)
    text: str = ""
    material_ids: list[uuid.UUID] = Field(default_factory=list, max_length=9)
    position: int = Field(default=0, ge=0, le=1_000_000)

    @field_validator("text")
    @classmethod
    def _text(cls, value: str) -> str:
        return _text(value) or ""


class ReplyUpdate(InputSchema):
    group_id: uuid.UUID | None = None
    title: str | None = Field(default=None, min_length=1, max_length=64)
    text: str | None = None
    material_ids: list[uuid.UUID] | None = Field(default=None, max_length=9)
    position: int | None = Field(default=None, ge=0, le=1_000_000)

    @field_validator("text")
    @classmethod
    def _text(cls, value: str | None) -> str | None:
        return _text(value)


class Reply(OutputSchema):
    id: uuid.UUID
    group_id: uuid.UUID
    title: str
    text: str
    variables: list[str] = Field(default_factory=list, description="Variables the text uses")
    material_ids: list[uuid.UUID]
    position: int
    use_count: int
    created_by: str
    created_at: datetime
    updated_at: datetime


class ReplyRender(InputSchema):
    values: dict[str, str] = Field(
        default_factory=dict, examples=[{"nickname": "小王", "staff_name": "李店长"}]
    )
    count_use: bool = Field(default=False, description="Count this as one use of the reply")


class RenderedReply(OutputSchema):
    text: str
    material_ids: list[uuid.UUID]


class ReplyVariable(OutputSchema):
    name: str
    description: str


ReplyPage = Page[Reply]
