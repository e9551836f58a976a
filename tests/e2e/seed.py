"""Data the browser tests log in with: a corp, its owner and a small WeCom directory.

Written through the domain services (not raw rows) so the audit log has real events to show.
Tests share one server and database (tests/e2e/conftest.py), so every world gets a WeCom corp id
and login emails of its own: what one test does to its corp or account no other test sees.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from siyu.audit.context import AuditContext, bind_audit_context
from siyu.auth.management import membership_service
from siyu.auth.models import Role
from siyu.auth.schemas import MemberCreate
from siyu.corps.schemas import CorpCreate
from siyu.corps.service import corp_service
from siyu.db.session import Database
from siyu.kit.secrets import SecretBox
from siyu.staff.schemas import DepartmentCreate, StaffMemberCreate
from siyu.staff.service import staff_service
from tests.conftest import TEST_SECRET_KEY

CORP_NAME = "示例科技"
DEPARTMENT = "华东销售部"
SEED_ACTOR = "cli:e2e-seed"
STAFF = (("zhangsan", "张三", 1, "13800000001"), ("lisi", "李四", 4, None))


@dataclass(frozen=True)
class ConsoleWorld:
    corp_id: uuid.UUID
    corp_name: str
    email: str
    password: str
    display_name: str
    department: str
    staff_names: tuple[str, ...]


def unique_suffix() -> str:
    return uuid.uuid4().hex[:10]


def seed_console_world(database_url: str) -> ConsoleWorld:
    suffix = unique_suffix()
    email, password, display_name = f"owner-{suffix}@example.com", "correct horse battery", "王小明"
    db = Database(database_url)
    try:
        with db.transaction() as session:
            corp = corp_service.create(
                session,
                data=CorpCreate(
                    wecom_corp_id=f"ww-console-{suffix}", name=CORP_NAME, is_sandbox=True
                ),
                box=SecretBox(TEST_SECRET_KEY),
            )
            # Act as an operator inside the corp, so the events below land in its audit log.
            bind_audit_context(
                session, AuditContext(actor_label=SEED_ACTOR, corp_id=corp.id), guard_writes=False
            )
            membership_service.add(
                session,
                corp_id=corp.id,
                data=MemberCreate(
                    email=email, role=Role.owner, display_name=display_name, password=password
                ),
                actor_role=Role.owner,
            )
            staff_service.create_department(
                session, corp_id=corp.id, data=DepartmentCreate(wecom_dept_id=2, name=DEPARTMENT)
            )
            for userid, name, status, mobile in STAFF:
                staff_service.create(
                    session,
                    corp_id=corp.id,
                    data=StaffMemberCreate(
                        userid=userid,
                        name=name,
                        position="客户经理",
                        mobile=mobile,
                        status=status,  # type: ignore[arg-type]
                        department_ids=[2],
                    ),
                )
            corp_id = corp.id
    finally:
        db.dispose()
    return ConsoleWorld(
        corp_id=corp_id,
        corp_name=CORP_NAME,
        email=email,
        password=password,
        display_name=display_name,
        department=DEPARTMENT,
        staff_names=tuple(name for _, name, _, _ in STAFF),
    )


def add_second_corp(database_url: str, *, email: str, name: str) -> uuid.UUID:
    """Another corp the same user belongs to, for the corp switcher."""
    db = Database(database_url)
    try:
        with db.transaction() as session:
            corp = corp_service.create(
                session,
                data=CorpCreate(wecom_corp_id=f"ww-console-{unique_suffix()}", name=name),
                box=SecretBox(TEST_SECRET_KEY),
            )
            membership_service.add(
                session,
                corp_id=corp.id,
                data=MemberCreate(email=email, role=Role.staff),
                actor_role=Role.owner,
            )
            return corp.id
    finally:
        db.dispose()
