"""The drift check: cheap signals that the database and WeCom disagree.

Callbacks keep Siyu current between full syncs, but callbacks get lost (WeCom retries only
three times). Counting customers per staff member would cost as much as a sync, so the check
compares what is cheap to ask: the follow-user list (against the staff batches of the last
finished run), the directory size, the corp tag list and the groupchat/list count. Any
difference starts a full sync, which is exact and marks what disappeared.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from siyu.groups.repository import customer_groups
from siyu.staff.models import Department, StaffMember
from siyu.staff.repository import STATUS_LEFT
from siyu.sync.models import RUN_DONE, SyncRun
from siyu.sync.repository import checkpoints
from siyu.tags.models import TAG_TYPE_CORP
from siyu.tags.repository import tags
from siyu.wecom.client import WeComClient


def last_done_run(session: Session, corp_id: uuid.UUID) -> SyncRun | None:
    stmt = (
        select(SyncRun)
        .where(SyncRun.corp_id == corp_id, SyncRun.status == RUN_DONE)
        .order_by(SyncRun.id.desc())
        .limit(1)
    )
    return session.scalar(stmt)


def database_signals(session: Session, corp_id: uuid.UUID) -> dict[str, Any] | None:
    """What the database believes; None when no full sync has finished yet."""
    run = last_done_run(session, corp_id)
    if run is None:
        return None
    follow_users = sorted(
        userid
        for unit in checkpoints.of_stage(session, run.id, "customers")
        for userid in unit.payload.get("userids", [])
    )
    staff = session.scalar(
        select(func.count()).where(
            StaffMember.corp_id == corp_id, StaffMember.status != STATUS_LEFT
        )
    )
    departments = session.scalar(select(func.count()).where(Department.corp_id == corp_id))
    return {
        "follow_users": follow_users,
        "staff": staff or 0,
        "departments": departments or 0,
        "tags": tags.count(session, corp_id, tag_type=TAG_TYPE_CORP),
        "groups": customer_groups.count(session, corp_id),
    }


def wecom_signals(client: WeComClient) -> dict[str, Any]:
    """The same figures from WeCom: five cheap calls (groupchat/list pages of 1,000)."""
    tag_list = client.get_corp_tag_list()
    return {
        "follow_users": sorted(client.get_follow_user_list().follow_user),
        "staff": len(client.user_list(department_id=1, fetch_child=True).userlist),
        "departments": len(client.department_list().department),
        "tags": sum(1 for g in tag_list.tag_group if not g.deleted for t in g.tag if not t.deleted),
        "groups": sum(1 for _ in client.iter_groupchat_list(limit=1000)),
    }


def drifted(database: dict[str, Any], wecom: dict[str, Any]) -> list[str]:
    """Names of the signals that differ."""
    return sorted(name for name, value in wecom.items() if database.get(name) != value)
