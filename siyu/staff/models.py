"""WeCom departments and members (成员) of a corp, as the directory sync will mirror them."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from siyu.db.base import Base, IdMixin, TimestampMixin
from siyu.kit.clock import utcnow

# WeCom member status: 1 activated, 2 disabled, 4 not activated, 5 left the corp.
STAFF_STATUSES = (1, 2, 4, 5)
# Planning defaults from the playbook: ~400 passive adds a day, ~5,000 friends per member.
DEFAULT_DAILY_ADD_CAP = 400
DEFAULT_FRIEND_CAP = 5000


class Department(IdMixin, TimestampMixin, Base):
    __tablename__ = "departments"
    __table_args__ = (UniqueConstraint("corp_id", "wecom_dept_id"),)

    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    wecom_dept_id: Mapped[int]
    name: Mapped[str] = mapped_column(String(64))
    # The parent's WeCom id (as department/list reports it); null or 0 for the root.
    parent_id: Mapped[int | None]
    order: Mapped[int] = mapped_column(default=0)


class StaffMember(IdMixin, TimestampMixin, Base):
    __tablename__ = "staff_members"
    __table_args__ = (
        UniqueConstraint("corp_id", "userid"),
        Index("ix_staff_members_corp_id_name", "corp_id", "name"),
    )

    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    userid: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(64))
    position: Mapped[str | None] = mapped_column(String(128))
    mobile: Mapped[str | None] = mapped_column(String(32))
    gender: Mapped[int] = mapped_column(default=0)
    status: Mapped[int] = mapped_column(default=1)
    main_department: Mapped[int | None]
    daily_add_cap: Mapped[int] = mapped_column(default=DEFAULT_DAILY_ADD_CAP)
    friend_cap: Mapped[int] = mapped_column(default=DEFAULT_FRIEND_CAP)


class StaffDepartment(Base):
    """Membership of a staff member in a department (WeCom members can be in several)."""

    __tablename__ = "staff_departments"

    staff_member_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("staff_members.id", ondelete="CASCADE"), primary_key=True
    )
    department_id: Mapped[uuid.UUID] = mapped_column(
        ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    corp_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("corps.id", ondelete="CASCADE"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
