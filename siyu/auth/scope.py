"""Data scopes: which rows of a corp a caller may see or change.

Every scoped table has an owner column holding a WeCom userid (the staff member a customer,
group or task belongs to). Repositories filter with `DataScope.condition()`, one helper for
every domain, so scope rules cannot drift between tables:

- all: every row of the corp;
- department: rows owned by members of the caller's departments (descendants included),
  plus the caller's own rows;
- own: rows owned by the caller's WeCom userid.

Rows outside the scope are answered with 404, exactly like rows that do not exist.
"""

from __future__ import annotations

import uuid
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import ColumnElement, and_, false, or_, true
from sqlalchemy.orm import InstrumentedAttribute, Session

from siyu.auth.models import ScopeKind
from siyu.staff.repository import departments, staff_members, userids_in_departments

Column = InstrumentedAttribute[Any] | ColumnElement[Any]


@dataclass(frozen=True)
class DataScope:
    corp_id: uuid.UUID
    kind: ScopeKind
    staff_userid: str | None = None
    # WeCom department ids, already expanded with their descendants.
    department_ids: frozenset[int] = field(default_factory=frozenset)

    @classmethod
    def everything(cls, corp_id: uuid.UUID) -> DataScope:
        return cls(corp_id=corp_id, kind=ScopeKind.all)

    def condition(self, *, corp_column: Column, owner_column: Column) -> ColumnElement[bool]:
        """The WHERE clause for a table with a corp column and an owner-userid column."""
        return and_(corp_column == self.corp_id, self._owner_condition(owner_column))

    def _owner_condition(self, owner_column: Column) -> ColumnElement[bool]:
        if self.kind is ScopeKind.all:
            return true()
        own = owner_column == self.staff_userid if self.staff_userid else false()
        if self.kind is ScopeKind.own:
            return own
        if not self.department_ids:
            return own
        in_departments = owner_column.in_(userids_in_departments(self.corp_id, self.department_ids))
        return or_(own, in_departments)


def build_scope(
    session: Session,
    *,
    corp_id: uuid.UUID,
    kind: ScopeKind,
    staff_userid: str | None,
    department_ids: Collection[int],
) -> DataScope:
    """A membership's scope, with departments expanded to their sub-departments.

    A department-scoped member with no explicit departments manages the departments their own
    WeCom account belongs to, which is what a store manager (店长) expects.
    """
    if kind is not ScopeKind.department:
        return DataScope(corp_id=corp_id, kind=kind, staff_userid=staff_userid)
    roots = set(department_ids)
    if not roots and staff_userid:
        roots = set(staff_members.wecom_department_ids_of_userid(session, corp_id, staff_userid))
    expanded = departments.with_descendants(session, corp_id, roots)
    return DataScope(corp_id=corp_id, kind=kind, staff_userid=staff_userid, department_ids=expanded)
