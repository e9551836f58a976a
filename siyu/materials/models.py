"""Materials, their folders and stored files, per-purpose usage, and cached WeCom media ids.

A material's kind-specific fields live in `content` (validated by `schemas.MaterialContent`
on the way in); a file, when the kind has one, is a `MaterialFile` stored under the configured
materials directory. WeCom media ids are cached per material in `MaterialMedia`: a temporary
media id is valid for 3 days, and the hot path (a welcome message within 20 s) reads the cache
instead of uploading.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import BigInteger, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, IdMixin, TimestampMixin
from siyu.db.types import TokenSet
from siyu.kit.clock import utcnow


class MaterialFolder(IdMixin, TimestampMixin, Base):
    __tablename__ = "material_folders"
    __table_args__ = (UniqueConstraint("corp_id", "name"),)

    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(default=0)


class MaterialFile(IdMixin, Base):
    """An uploaded file; `storage_key` is its path under the materials directory."""

    __tablename__ = "material_files"

    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    # image | video | file: which WeCom media type (and size limit) the upload was checked for.
    media_type: Mapped[str] = mapped_column(String(16))
    file_name: Mapped[str] = mapped_column(String(255))
    content_type: Mapped[str] = mapped_column(String(128))
    size: Mapped[int] = mapped_column(BigInteger)
    sha256: Mapped[str] = mapped_column(String(64))
    storage_key: Mapped[str] = mapped_column(String(255))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Material(IdMixin, TimestampMixin, Base):
    __tablename__ = "materials"
    __table_args__ = (
        Index("ix_materials_corp_id_kind_id", "corp_id", "kind", "id"),
        Index("ix_materials_corp_id_folder_id_id", "corp_id", "folder_id", "id"),
    )

    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    # text | image | link | miniprogram | file | video | poster
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(128))
    content: Mapped[dict[str, Any]] = mapped_column(default=dict)
    file_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("material_files.id", ondelete="RESTRICT")
    )
    folder_id: Mapped[uuid.UUID | None] = mapped_column(
        ForeignKey("material_folders.id", ondelete="SET NULL")
    )
    tags: Mapped[list[str]] = mapped_column(TokenSet(), default=list)
    # Null: a company material every member sees. A WeCom userid: that staff member's own,
    # seen by whoever's data scope covers them.
    owner_userid: Mapped[str | None] = mapped_column(String(64))
    usage_count: Mapped[int] = mapped_column(default=0)
    last_used_at: Mapped[datetime | None]
    created_by: Mapped[str] = mapped_column(String(255), default="")


class MaterialUsage(Base):
    """How often a material went out, per purpose (welcome, mass_message, moment, …)."""

    __tablename__ = "material_usages"

    material_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("materials.id", ondelete="CASCADE"), primary_key=True
    )
    purpose: Mapped[str] = mapped_column(String(32), primary_key=True)
    count: Mapped[int] = mapped_column(default=0)
    last_used_at: Mapped[datetime] = mapped_column(default=utcnow)


class MaterialMedia(Base):
    """The WeCom side of a material's file: a temporary media id (3 days) or, for link covers,
    a permanent image URL. `keep_fresh_until` marks materials in use: the refresh job renews
    their media ids before they expire, so attaching never has to upload."""

    __tablename__ = "material_media"
    __table_args__ = (Index("ix_material_media_expires_at", "expires_at"),)

    material_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("materials.id", ondelete="CASCADE"), primary_key=True
    )
    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    # The file this was uploaded from: a replaced file makes the row stale.
    file_sha256: Mapped[str] = mapped_column(String(64))
    media_type: Mapped[str] = mapped_column(String(16))
    media_id: Mapped[str | None] = mapped_column(String(255))
    url: Mapped[str | None] = mapped_column(String(1024))
    uploaded_at: Mapped[datetime]
    expires_at: Mapped[datetime | None]
    keep_fresh_until: Mapped[datetime | None]
