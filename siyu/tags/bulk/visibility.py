"""Who may follow a bulk tag job: every member whose data scope covers the job's.

A job acts on the people inside its requester's scope (snapshotted on the job), so its
progress, counts and condition speak of those people. A member whose scope holds all of them
(an admin, the requester's department manager, the requester) may read it, whoever started it;
a member who sees fewer people may not, since the job's total would tell them about the rest.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from siyu.auth.models import ScopeKind
from siyu.auth.scope import DataScope
from siyu.staff.repository import userids_in_departments


def covers(session: Session, reader: DataScope, job: DataScope) -> bool:
    """True when every person inside `job` is inside `reader` (for data scopes' owner rule)."""
    if reader.kind is ScopeKind.all:
        return True
    if job.kind is ScopeKind.all:
        return False
    if job.kind is ScopeKind.department and not job.department_ids <= reader.department_ids:
        return False  # covers teams the reader does not (an own scope holds no team)
    owner = job.staff_userid
    if owner is None or owner == reader.staff_userid:
        return True
    if reader.kind is not ScopeKind.department or not reader.department_ids:
        return False
    team = userids_in_departments(reader.corp_id, reader.department_ids)
    return session.scalar(team.where(team.selected_columns[0] == owner).limit(1)) is not None
