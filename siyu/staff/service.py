"""Staff directory rules: manual entry (until the WeCom sync fills it), caps, masking."""

from __future__ import annotations

import builtins
import uuid
from collections.abc import Sequence

from sqlalchemy.orm import Session

from siyu.audit.service import audit_service
from siyu.auth.scope import DataScope
from siyu.kit.errors import BadRequest, Conflict, NotFound, Unprocessable
from siyu.kit.pagination import decode_cursor, encode_cursor
from siyu.staff.models import (
    DEFAULT_DAILY_ADD_CAP,
    DEFAULT_FRIEND_CAP,
    Department,
    StaffMember,
)
from siyu.staff.repository import departments, staff_members
from siyu.staff.schemas import DepartmentCreate, StaffMemberCreate, StaffMemberUpdate, mask_mobile
from siyu.staff.schemas import StaffMember as StaffMemberOut

_NOT_NULL = ("name", "gender", "status", "daily_add_cap", "friend_cap")


class StaffService:
    def get_or_404(self, session: Session, *, scope: DataScope, staff_id: uuid.UUID) -> StaffMember:
        """A member inside `scope`; outside it answers exactly like a missing one."""
        member = staff_members.get(session, scope, staff_id)
        if member is None:
            raise NotFound(f"staff member {staff_id} does not exist")
        return member

    def list(
        self,
        session: Session,
        *,
        scope: DataScope,
        department_id: int | None = None,
        name: str | None = None,
        cursor: str | None = None,
        limit: int = 50,
    ) -> tuple[list[StaffMember], str | None]:
        after = None
        if cursor:
            last_name, last_id = decode_cursor(cursor, size=2)
            try:
                after = (str(last_name), uuid.UUID(str(last_id)))
            except ValueError as exc:
                raise BadRequest(
                    "cursor is not valid; pass the next_cursor of a previous page"
                ) from exc
        rows = staff_members.list(
            session, scope, department_id=department_id, name=name, after=after, limit=limit + 1
        )
        next_cursor = None
        if len(rows) > limit:
            last = rows[limit - 1]
            next_cursor = encode_cursor([last.name, last.id])
        return rows[:limit], next_cursor

    def create(
        self, session: Session, *, corp_id: uuid.UUID, data: StaffMemberCreate
    ) -> StaffMember:
        if staff_members.get_by_userid(session, corp_id, data.userid) is not None:
            raise Conflict(f"staff member {data.userid} already exists")
        linked = self._departments(session, corp_id, data.department_ids)
        member = staff_members.add(
            session,
            StaffMember(
                corp_id=corp_id,
                userid=data.userid,
                name=data.name,
                position=data.position,
                mobile=data.mobile,
                gender=data.gender,
                status=data.status,
                main_department=data.main_department
                or (data.department_ids[0] if data.department_ids else None),
                daily_add_cap=data.daily_add_cap
                if data.daily_add_cap is not None
                else DEFAULT_DAILY_ADD_CAP,
                friend_cap=data.friend_cap if data.friend_cap is not None else DEFAULT_FRIEND_CAP,
            ),
        )
        staff_members.set_departments(session, member, linked)
        audit_service.record(
            session,
            action="staff.create",
            target_type="staff_member",
            target_id=member.id,
            details={"userid": member.userid},
        )
        return member

    def update(
        self, session: Session, *, member: StaffMember, data: StaffMemberUpdate
    ) -> StaffMember:
        fields = data.model_dump(exclude_unset=True)
        for name in _NOT_NULL:
            if name in fields and fields[name] is None:
                raise Unprocessable(f"{name} cannot be null")
        department_ids = fields.pop("department_ids", None)
        if department_ids is not None:
            linked = self._departments(session, member.corp_id, department_ids)
            staff_members.set_departments(session, member, linked)
        for name, value in fields.items():
            setattr(member, name, value)
        session.flush()
        changed = sorted([*fields, *(["department_ids"] if department_ids is not None else [])])
        audit_service.record(
            session,
            action="staff.update",
            target_type="staff_member",
            target_id=member.id,
            details={
                "userid": member.userid,
                "fields": changed,
                **{k: fields[k] for k in ("daily_add_cap", "friend_cap", "status") if k in fields},
            },
        )
        return member

    def names(
        self, session: Session, *, corp_id: uuid.UUID, userids: Sequence[str]
    ) -> dict[str, str]:
        """userid → display name, for the userids that are known members."""
        return staff_members.names_of(session, corp_id, userids)

    def present(
        self, session: Session, rows: Sequence[StaffMember], *, mask: bool
    ) -> builtins.list[StaffMemberOut]:
        """API views of `rows`, with departments attached and mobiles masked when asked."""
        dept_ids = staff_members.department_ids_of(session, [row.id for row in rows])
        views = []
        for row in rows:
            view = StaffMemberOut.model_validate(
                {**_columns(row), "department_ids": dept_ids.get(row.id, [])}
            )
            if mask:
                view.mobile = mask_mobile(view.mobile)
            views.append(view)
        return views

    def list_departments(
        self, session: Session, *, corp_id: uuid.UUID
    ) -> builtins.list[Department]:
        return departments.list(session, corp_id)

    def create_department(
        self, session: Session, *, corp_id: uuid.UUID, data: DepartmentCreate
    ) -> Department:
        if departments.by_wecom_ids(session, corp_id, [data.wecom_dept_id]):
            raise Conflict(f"department {data.wecom_dept_id} already exists")
        department = departments.add(session, Department(corp_id=corp_id, **data.model_dump()))
        audit_service.record(
            session,
            action="department.create",
            target_type="department",
            target_id=department.id,
            details={"wecom_dept_id": department.wecom_dept_id},
        )
        return department

    @staticmethod
    def _departments(
        session: Session, corp_id: uuid.UUID, wecom_ids: Sequence[int]
    ) -> builtins.list[Department]:
        found = departments.by_wecom_ids(session, corp_id, set(wecom_ids))
        missing = sorted(set(wecom_ids) - {d.wecom_dept_id for d in found})
        if missing:
            raise Unprocessable(
                f"departments {missing} do not exist in this corp",
                details={"department_ids": missing},
            )
        return found


def _columns(row: StaffMember) -> dict[str, object]:
    return {column.key: getattr(row, column.key) for column in StaffMember.__table__.columns}


staff_service = StaffService()
