"""One uploaded import file and what became of it."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, IdMixin
from siyu.kit.clock import utcnow

MODE_ALL_OR_NOTHING = "all_or_nothing"
MODE_SKIP_BAD_ROWS = "skip_bad_rows"

IMPORT_PENDING = "pending"
IMPORT_DONE = "done"
# All-or-nothing with bad rows: the report lists them, nothing was written.
IMPORT_REJECTED = "rejected"
IMPORT_FAILED = "failed"


class CustomerImport(IdMixin, Base):
    __tablename__ = "customer_imports"
    __table_args__ = (Index("ix_customer_imports_corp_id_created_at", "corp_id", "created_at"),)

    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    file_name: Mapped[str] = mapped_column(String(255))
    format: Mapped[str] = mapped_column(String(8))  # csv | xlsx
    mode: Mapped[str] = mapped_column(String(16), default=MODE_ALL_OR_NOTHING)
    dry_run: Mapped[bool] = mapped_column(default=False)
    phones_verified: Mapped[bool] = mapped_column(default=False)
    status: Mapped[str] = mapped_column(String(16), default=IMPORT_PENDING)
    total_rows: Mapped[int] = mapped_column(default=0)
    bad_rows: Mapped[int] = mapped_column(default=0)
    written_rows: Mapped[int] = mapped_column(default=0)
    # created / attached / merged / conflicts from the resolver.
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)
    # The first errors, for the console; the full list is the downloadable report.
    errors_preview: Mapped[list[Any]] = mapped_column(default=list)
    error: Mapped[str | None] = mapped_column(String(1000))
    requested_by_label: Mapped[str] = mapped_column(String(255), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
