"""Materials API schemas, with the typed content of each kind.

`content` is validated per kind (`CONTENT_SCHEMAS`): WeCom's byte limits are checked where
the material is written, so a material in the library is one WeCom will accept.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field, field_validator

from siyu.kit.pagination import Page
from siyu.kit.schemas import InputSchema, OutputSchema

MaterialKind = Literal["text", "image", "link", "miniprogram", "file", "video", "poster"]
MediaType = Literal["image", "video", "file"]
KINDS: tuple[str, ...] = ("text", "image", "link", "miniprogram", "file", "video", "poster")


def utf8_len(value: str) -> int:
    return len(value.encode("utf-8"))


def _max_bytes(value: str, limit: int, name: str) -> str:
    if utf8_len(value) > limit:
        raise ValueError(f"{name} is {utf8_len(value)} bytes; WeCom takes at most {limit}")
    return value


def _http_url(value: str) -> str:
    if not value.startswith(("http://", "https://")) or len(value) > 1024:
        raise ValueError("must be an http(s) URL of at most 1024 characters")
    return value


class TextContent(InputSchema):
    content: str = Field(min_length=1)

    @field_validator("content")
    @classmethod
    def _content(cls, value: str) -> str:
        return _max_bytes(value, 4000, "content")  # text.content of every send API


class NoContent(InputSchema):
    """Image, file and video carry nothing but their file."""


class LinkContent(InputSchema):
    url: str
    desc: str = ""
    # The cover: a URL, or leave it out and give the material an image file (uploaded to
    # WeCom's media/uploadimg for a permanent URL).
    picurl: str | None = None

    @field_validator("url", "picurl")
    @classmethod
    def _urls(cls, value: str | None) -> str | None:
        return None if value is None else _http_url(value)

    @field_validator("desc")
    @classmethod
    def _desc(cls, value: str) -> str:
        return _max_bytes(value, 512, "desc")


class MiniprogramContent(InputSchema):
    appid: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_]+$")
    page: str = Field(min_length=1, max_length=255)


class PosterTemplate(InputSchema):
    """How the poster was composed (kept for editing; the stored image is what is sent)."""

    text: str = Field(default="", max_length=200)
    text_color: str = Field(default="#000000", pattern=r"^#[0-9A-Fa-f]{6}$")
    # Where the QR code goes on the background, in pixels.
    qr_x: int = Field(default=0, ge=0, le=10_000)
    qr_y: int = Field(default=0, ge=0, le=10_000)
    qr_size: int = Field(default=200, ge=20, le=2000)


class PosterContent(InputSchema):
    template: PosterTemplate = Field(default_factory=PosterTemplate)


CONTENT_SCHEMAS: dict[str, type[InputSchema]] = {
    "text": TextContent,
    "image": NoContent,
    "link": LinkContent,
    "miniprogram": MiniprogramContent,
    "file": NoContent,
    "video": NoContent,
    "poster": PosterContent,
}
# The file each kind needs (media type), and whether it is required.
FILE_RULES: dict[str, tuple[str | None, bool]] = {
    "text": (None, False),
    "image": ("image", True),
    "link": ("image", False),
    "miniprogram": ("image", True),
    "file": ("file", True),
    "video": ("video", True),
    "poster": ("image", True),
}
# WeCom's title limits in bytes (attachments of send_welcome_msg / add_msg_template).
TITLE_BYTES = {"link": 128, "miniprogram": 64}


def _clean_tags(value: list[str]) -> list[str]:
    tags = []
    for tag in value:
        tag = tag.strip()
        if not tag or len(tag) > 32:
            raise ValueError("tags are 1 to 32 characters")
        if tag not in tags:
            tags.append(tag)
    return tags


class MaterialCreate(InputSchema):
    kind: MaterialKind
    title: str = Field(min_length=1, max_length=128)
    content: dict[str, Any] = Field(default_factory=dict)
    file_id: uuid.UUID | None = Field(default=None, description="From upload_material_file")
    folder_id: uuid.UUID | None = None
    tags: list[str] = Field(default_factory=list, max_length=20)
    personal: bool = Field(
        default=False,
        description="Yours only (staff members' materials always are); else the company's",
    )

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str]) -> list[str]:
        return _clean_tags(value)


class MaterialUpdate(InputSchema):
    title: str | None = Field(default=None, min_length=1, max_length=128)
    content: dict[str, Any] | None = None
    file_id: uuid.UUID | None = None
    folder_id: uuid.UUID | None = None
    tags: list[str] | None = Field(default=None, max_length=20)

    @field_validator("tags")
    @classmethod
    def _tags(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else _clean_tags(value)


class MaterialFileInfo(OutputSchema):
    id: uuid.UUID
    media_type: str
    file_name: str
    content_type: str
    size: int
    sha256: str
    created_at: datetime


class MaterialUsageCount(OutputSchema):
    purpose: str
    count: int
    last_used_at: datetime


class MaterialMediaState(OutputSchema):
    media_type: str
    media_id: str | None
    url: str | None
    uploaded_at: datetime
    expires_at: datetime | None


class Material(OutputSchema):
    id: uuid.UUID
    kind: MaterialKind
    title: str
    content: dict[str, Any]
    file: MaterialFileInfo | None = None
    folder_id: uuid.UUID | None
    tags: list[str]
    owner_userid: str | None = Field(description="Null for company materials")
    usage_count: int
    last_used_at: datetime | None
    created_by: str
    created_at: datetime
    updated_at: datetime


class MaterialDetail(Material):
    usages: list[MaterialUsageCount] = Field(default_factory=list)
    media: MaterialMediaState | None = None


class MaterialFolderCreate(InputSchema):
    name: str = Field(min_length=1, max_length=64)
    position: int = Field(default=0, ge=0, le=1_000_000)


class MaterialFolderUpdate(InputSchema):
    name: str | None = Field(default=None, min_length=1, max_length=64)
    position: int | None = Field(default=None, ge=0, le=1_000_000)


class MaterialFolder(OutputSchema):
    id: uuid.UUID
    name: str
    position: int
    material_count: int = 0
    created_at: datetime


class MaterialTagCount(OutputSchema):
    tag: str
    count: int


MaterialPage = Page[Material]
