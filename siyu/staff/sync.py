"""Directory sync: departments and members from WeCom into the staff tables.

Called by the full sync (`siyu.sync.engine`) and the drift check. Two calls per corp:
department/list and user/list of the root department with fetch_child, so the directory is
one consistent snapshot rather than one call per department.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Protocol

from sqlalchemy.orm import Session

from siyu.staff.repository import directory_sync
from siyu.wecom.schemas import DepartmentList, UserList

ROOT_DEPARTMENT = 1


class DirectoryApi(Protocol):
    def department_list(self, *, id: int | None = None) -> DepartmentList: ...  # noqa: A002

    def user_list(self, *, department_id: int, fetch_child: bool = False) -> UserList: ...


def fetch_directory(client: DirectoryApi) -> tuple[DepartmentList, UserList]:
    """Both answers, fetched before any write so a failed call leaves the database alone."""
    departments = client.department_list()
    users = client.user_list(department_id=ROOT_DEPARTMENT, fetch_child=True)
    return departments, users


def apply_directory(
    session: Session,
    corp_id: uuid.UUID,
    departments: DepartmentList,
    users: UserList,
    *,
    now: datetime,
) -> dict[str, int]:
    """Mirror the directory: upsert departments and members, remove departments WeCom no
    longer has, and mark members it no longer lists as left (status 5) — never delete
    staff rows, since relations, groups and audit history point at their userids."""
    dept_rows = [
        {
            "wecom_dept_id": d.id,
            "name": d.name[:64],
            "parent_id": d.parentid or None,
            "order": d.order,
        }
        for d in departments.department
    ]
    dept_ids = directory_sync.upsert_departments(session, corp_id, dept_rows, now=now)
    removed = directory_sync.delete_departments_except(session, corp_id, dept_ids)
    member_rows: dict[str, dict[str, Any]] = {}
    for user in users.userlist:
        extra = user.model_extra or {}
        member_rows[user.userid] = {
            "userid": user.userid,
            "name": (user.name or user.userid)[:64],
            "position": extra.get("position") or None,
            "mobile": extra.get("mobile") or None,
            "gender": int(extra.get("gender") or 0),
            "status": int(user.status or 1),
            "main_department": extra.get("main_department"),
        }
    staff_ids = directory_sync.upsert_members(session, corp_id, list(member_rows.values()), now=now)
    directory_sync.replace_memberships(
        session,
        corp_id,
        {
            staff_ids[user.userid]: [dept_ids[d] for d in user.department if d in dept_ids]
            for user in users.userlist
        },
        now=now,
    )
    left = directory_sync.mark_left_except(session, corp_id, staff_ids, now=now)
    return {
        "departments": len(dept_ids),
        "departments_removed": removed,
        "staff": len(staff_ids),
        "staff_left": left,
    }
