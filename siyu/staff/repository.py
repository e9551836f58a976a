"""SQL over the staff directory: members, departments and their links."""

from __future__ import annotations

import builtins
import uuid
from collections import defaultdict
from collections.abc import Collection, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import Select, and_, delete, insert, or_, select, update
from sqlalchemy.orm import Session, aliased

from siyu.db.dialect import upsert
from siyu.kit.ids import new_id
from siyu.staff.models import Department, StaffDepartment, StaffMember

# WeCom member status for someone who left the corp.
STATUS_LEFT = 5

if TYPE_CHECKING:
    from siyu.auth.scope import DataScope


def _like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


class DepartmentRepository:
    def list(self, session: Session, corp_id: uuid.UUID) -> list[Department]:
        stmt = (
            select(Department)
            .where(Department.corp_id == corp_id)
            .order_by(Department.parent_id, Department.order, Department.wecom_dept_id)
        )
        return list(session.scalars(stmt))

    def by_wecom_ids(
        self, session: Session, corp_id: uuid.UUID, wecom_ids: Collection[int]
    ) -> builtins.list[Department]:
        if not wecom_ids:
            return []
        stmt = select(Department).where(
            Department.corp_id == corp_id, Department.wecom_dept_id.in_(list(wecom_ids))
        )
        return list(session.scalars(stmt))

    def add(self, session: Session, department: Department) -> Department:
        session.add(department)
        session.flush()
        return department

    def with_descendants(
        self, session: Session, corp_id: uuid.UUID, roots: Collection[int]
    ) -> frozenset[int]:
        """The given WeCom department ids plus every department below them.

        A recursive CTE (both dialects have one); UNION rather than UNION ALL, so a cycle in
        bad directory data ends the recursion instead of looping.
        """
        if not roots:
            return frozenset()
        tree = (
            select(Department.wecom_dept_id)
            .where(Department.corp_id == corp_id, Department.wecom_dept_id.in_(list(roots)))
            .cte("tree", recursive=True)
        )
        child = aliased(Department)
        tree = tree.union(
            select(child.wecom_dept_id).where(
                child.corp_id == corp_id, child.parent_id == tree.c.wecom_dept_id
            )
        )
        found = set(session.scalars(select(tree.c.wecom_dept_id)))
        return frozenset(found | set(roots))


class StaffRepository:
    def get(self, session: Session, scope: DataScope, staff_id: uuid.UUID) -> StaffMember | None:
        stmt = select(StaffMember).where(
            StaffMember.id == staff_id,
            scope.condition(corp_column=StaffMember.corp_id, owner_column=StaffMember.userid),
        )
        return session.scalar(stmt)

    def get_by_userid(
        self, session: Session, corp_id: uuid.UUID, userid: str
    ) -> StaffMember | None:
        stmt = select(StaffMember).where(
            StaffMember.corp_id == corp_id, StaffMember.userid == userid
        )
        return session.scalar(stmt)

    def names_of(
        self, session: Session, corp_id: uuid.UUID, userids: Sequence[str]
    ) -> dict[str, str]:
        names: dict[str, str] = {}
        for start in range(0, len(userids), 1000):  # keep IN lists short on both dialects
            stmt = select(StaffMember.userid, StaffMember.name).where(
                StaffMember.corp_id == corp_id,
                StaffMember.userid.in_(userids[start : start + 1000]),
            )
            names.update({row[0]: row[1] for row in session.execute(stmt)})
        return names

    def list(
        self,
        session: Session,
        scope: DataScope,
        *,
        department_id: int | None,
        name: str | None,
        after: tuple[str, uuid.UUID] | None,
        limit: int,
    ) -> list[StaffMember]:
        """Members visible in `scope`, ordered by (name, id) for keyset pages."""
        stmt = select(StaffMember).where(
            scope.condition(corp_column=StaffMember.corp_id, owner_column=StaffMember.userid)
        )
        if department_id is not None:
            in_department = (
                select(StaffDepartment.staff_member_id)
                .join(Department, Department.id == StaffDepartment.department_id)
                .where(
                    Department.corp_id == scope.corp_id, Department.wecom_dept_id == department_id
                )
            )
            stmt = stmt.where(StaffMember.id.in_(in_department))
        if name:
            pattern = _like_pattern(name)
            stmt = stmt.where(
                or_(
                    StaffMember.name.ilike(pattern, escape="\\"),
                    StaffMember.userid.ilike(pattern, escape="\\"),
                )
            )
        if after is not None:
            last_name, last_id = after
            stmt = stmt.where(
                or_(
                    StaffMember.name > last_name,
                    and_(StaffMember.name == last_name, StaffMember.id > last_id),
                )
            )
        stmt = stmt.order_by(StaffMember.name, StaffMember.id).limit(limit)
        return list(session.scalars(stmt))

    def add(self, session: Session, member: StaffMember) -> StaffMember:
        session.add(member)
        session.flush()
        return member

    def set_departments(
        self, session: Session, member: StaffMember, departments: Sequence[Department]
    ) -> None:
        session.execute(delete(StaffDepartment).where(StaffDepartment.staff_member_id == member.id))
        for department in departments:
            session.add(
                StaffDepartment(
                    staff_member_id=member.id, department_id=department.id, corp_id=member.corp_id
                )
            )
        session.flush()

    def department_ids_of(
        self, session: Session, staff_ids: Collection[uuid.UUID]
    ) -> dict[uuid.UUID, builtins.list[int]]:
        """WeCom department ids of each member, loaded for a whole page in one query."""
        result: dict[uuid.UUID, list[int]] = defaultdict(list)
        if not staff_ids:
            return result
        stmt = (
            select(StaffDepartment.staff_member_id, Department.wecom_dept_id)
            .join(Department, Department.id == StaffDepartment.department_id)
            .where(StaffDepartment.staff_member_id.in_(list(staff_ids)))
            .order_by(Department.wecom_dept_id)
        )
        for staff_id, wecom_id in session.execute(stmt):
            result[staff_id].append(wecom_id)
        return result

    def wecom_department_ids_of_userid(
        self, session: Session, corp_id: uuid.UUID, userid: str
    ) -> builtins.list[int]:
        stmt = (
            select(Department.wecom_dept_id)
            .join(StaffDepartment, StaffDepartment.department_id == Department.id)
            .join(StaffMember, StaffMember.id == StaffDepartment.staff_member_id)
            .where(StaffMember.corp_id == corp_id, StaffMember.userid == userid)
        )
        return list(session.scalars(stmt))


class DirectorySyncRepository:
    """Bulk writes of the directory sync (siyu/staff/sync.py): one statement per batch."""

    def upsert_departments(
        self, session: Session, corp_id: uuid.UUID, rows: Sequence[dict[str, Any]], *, now: datetime
    ) -> dict[int, uuid.UUID]:
        """Insert or refresh departments (wecom_dept_id, name, parent_id, order); → id map."""
        if not rows:
            return {}
        values = [
            {**row, "id": new_id(), "corp_id": corp_id, "created_at": now, "updated_at": now}
            for row in rows
        ]
        table = Department.__table__.c
        stmt = upsert(
            session,
            Department,
            conflict_columns=("corp_id", "wecom_dept_id"),
            update=lambda excluded: {
                "name": excluded.name,
                "parent_id": excluded.parent_id,
                "order": excluded.order,
                "updated_at": now,
            },
        ).returning(table.wecom_dept_id, table.id)
        return {row[0]: row[1] for row in session.connection().execute(stmt, values)}

    def delete_departments_except(
        self, session: Session, corp_id: uuid.UUID, keep: Collection[int]
    ) -> int:
        """Departments WeCom no longer lists were deleted there (memberships go with them)."""
        stmt = delete(Department).where(
            Department.corp_id == corp_id, Department.wecom_dept_id.not_in(list(keep))
        )
        return session.execute(stmt.execution_options(synchronize_session=False)).rowcount or 0  # type: ignore[attr-defined]

    def upsert_members(
        self, session: Session, corp_id: uuid.UUID, rows: Sequence[dict[str, Any]], *, now: datetime
    ) -> dict[str, uuid.UUID]:
        """Insert or refresh members (userid, name, position, mobile, gender, status,
        main_department); planning caps (daily_add_cap, friend_cap) are Siyu's and kept."""
        if not rows:
            return {}
        fields = ("name", "position", "mobile", "gender", "status", "main_department")
        values = [
            {**row, "id": new_id(), "corp_id": corp_id, "created_at": now, "updated_at": now}
            for row in rows
        ]
        table = StaffMember.__table__.c
        stmt = upsert(
            session,
            StaffMember,
            conflict_columns=("corp_id", "userid"),
            update=lambda excluded: {
                **{name: getattr(excluded, name) for name in fields},
                "updated_at": now,
            },
        ).returning(table.userid, table.id)
        return {row[0]: row[1] for row in session.connection().execute(stmt, values)}

    def mark_left_except(
        self, session: Session, corp_id: uuid.UUID, keep: Collection[str], *, now: datetime
    ) -> int:
        """Members no longer in the directory get WeCom's status 5 (left the corp)."""
        stmt = (
            update(StaffMember)
            .where(
                StaffMember.corp_id == corp_id,
                StaffMember.userid.not_in(list(keep)),
                StaffMember.status != STATUS_LEFT,
            )
            .values(status=STATUS_LEFT, updated_at=now)
            .execution_options(synchronize_session=False)
        )
        return session.execute(stmt).rowcount or 0  # type: ignore[attr-defined]

    def replace_memberships(
        self,
        session: Session,
        corp_id: uuid.UUID,
        memberships: dict[uuid.UUID, builtins.list[uuid.UUID]],
        *,
        now: datetime,
    ) -> None:
        """Make each listed member's departments exactly the given department ids."""
        if not memberships:
            return
        session.execute(
            delete(StaffDepartment)
            .where(StaffDepartment.staff_member_id.in_(list(memberships)))
            .execution_options(synchronize_session=False)
        )
        rows = [
            {
                "staff_member_id": staff_id,
                "department_id": dept_id,
                "corp_id": corp_id,
                "created_at": now,
            }
            for staff_id, dept_ids in memberships.items()
            for dept_id in dict.fromkeys(dept_ids)
        ]
        if rows:
            session.execute(insert(StaffDepartment), rows)


def userids_in_departments(corp_id: uuid.UUID, wecom_dept_ids: Collection[int]) -> Select[Any]:
    """A subquery of the userids of members in any of the given departments (data scopes)."""
    return (
        select(StaffMember.userid)
        .join(StaffDepartment, StaffDepartment.staff_member_id == StaffMember.id)
        .join(Department, Department.id == StaffDepartment.department_id)
        .where(
            StaffMember.corp_id == corp_id,
            Department.corp_id == corp_id,
            Department.wecom_dept_id.in_(sorted(wecom_dept_ids)),
        )
    )


departments = DepartmentRepository()
staff_members = StaffRepository()
directory_sync = DirectorySyncRepository()
