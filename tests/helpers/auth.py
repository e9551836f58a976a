"""Factories for people and access, and clients that are logged in or hold an API key.

Every domain's tests use these:

    corp = make_corp(db)
    alice = member_client(app, db, corp=corp, role=Role.staff, staff_userid="alice")
    alice.client.get(f"/api/v1/corps/{corp.id}/staff")       # cookie + X-CSRF-Token set
    integration = api_key_client(app, db, corp=corp, scopes=["staff:read"])

Factories write rows directly (no audit events, no business rules), so tests that count audit
events see only what the code under test recorded.
"""

from __future__ import annotations

import itertools
import secrets
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache

from argon2 import PasswordHasher, profiles
from fastapi import FastAPI
from fastapi.testclient import TestClient

from siyu.auth import credentials
from siyu.auth.models import DEFAULT_SCOPE, ApiKey, CorpMembership, Role, ScopeKind, User
from siyu.corps.models import Corp
from siyu.db.session import Database
from siyu.kit.clock import utcnow
from siyu.staff.models import Department, StaffDepartment, StaffMember

PASSWORD = "correct-horse-battery-staple"
LOGIN = "/api/v1/auth/login"

# Tests need argon2's behaviour, not its cost: the cheapest profile keeps logins ~1 ms.
credentials.configure_hasher(PasswordHasher.from_parameters(profiles.CHEAPEST))
_seq = itertools.count(1)


@lru_cache(maxsize=16)
def _hash(password: str) -> str:
    return credentials.hash_password(password)


def make_corp(db: Database, *, name: str | None = None, wecom_corp_id: str | None = None) -> Corp:
    n = next(_seq)
    with db.transaction() as session:
        corp = Corp(
            wecom_corp_id=wecom_corp_id or f"ww{uuid.uuid4().hex[:16]}",
            name=name or f"Corp {n}",
            callback_key=secrets.token_urlsafe(18),
        )
        session.add(corp)
    return corp


def make_user(
    db: Database,
    *,
    email: str | None = None,
    password: str = PASSWORD,
    superuser: bool = False,
    active: bool = True,
    name: str | None = None,
) -> User:
    email = (email or f"user{next(_seq)}-{uuid.uuid4().hex[:6]}@example.com").lower()
    with db.transaction() as session:
        user = User(
            email=email,
            display_name=name or email.split("@")[0],
            password_hash=_hash(password),
            is_superuser=superuser,
            is_active=active,
        )
        session.add(user)
    return user


def make_membership(
    db: Database,
    *,
    corp: Corp,
    user: User,
    role: Role = Role.staff,
    scope: ScopeKind | None = None,
    staff_userid: str | None = None,
    department_ids: Iterable[int] = (),
) -> CorpMembership:
    with db.transaction() as session:
        membership = CorpMembership(
            corp_id=corp.id,
            user_id=user.id,
            role=role.value,
            scope=(scope or DEFAULT_SCOPE[role]).value,
            staff_userid=staff_userid,
            department_ids=sorted(department_ids),
        )
        session.add(membership)
    return membership


def make_department(
    db: Database,
    *,
    corp: Corp,
    wecom_dept_id: int,
    parent_id: int | None = None,
    name: str | None = None,
) -> Department:
    with db.transaction() as session:
        department = Department(
            corp_id=corp.id,
            wecom_dept_id=wecom_dept_id,
            parent_id=parent_id,
            name=name or f"Dept {wecom_dept_id}",
        )
        session.add(department)
    return department


def make_staff(
    db: Database,
    *,
    corp: Corp,
    userid: str,
    name: str | None = None,
    mobile: str | None = "13812345678",
    departments: Sequence[Department] = (),
) -> StaffMember:
    with db.transaction() as session:
        member = StaffMember(
            corp_id=corp.id,
            userid=userid,
            name=name or userid.title(),
            mobile=mobile,
            main_department=departments[0].wecom_dept_id if departments else None,
        )
        session.add(member)
        session.flush()
        for department in departments:
            session.add(
                StaffDepartment(
                    staff_member_id=member.id, department_id=department.id, corp_id=corp.id
                )
            )
    return member


def make_api_key(
    db: Database, *, corp: Corp, scopes: Sequence[str], name: str = "integration"
) -> tuple[ApiKey, str]:
    new = credentials.new_api_key()
    with db.transaction() as session:
        key = ApiKey(
            corp_id=corp.id,
            name=name,
            prefix=new.prefix,
            key_hash=new.digest,
            scopes=list(scopes),
            created_at=utcnow(),
        )
        session.add(key)
    return key, new.key


def login(client: TestClient, email: str, password: str = PASSWORD) -> dict[str, object]:
    """Log `client` in and make it send the CSRF header from now on; returns the body."""
    response = client.post(LOGIN, json={"email": email, "password": password})
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    client.headers["X-CSRF-Token"] = str(body["csrf_token"])
    return body


def user_client(app: FastAPI, user: User, password: str = PASSWORD) -> TestClient:
    client = TestClient(app)
    login(client, user.email, password)
    return client


@dataclass
class Member:
    user: User
    membership: CorpMembership | None
    client: TestClient


def member_client(
    app: FastAPI,
    db: Database,
    *,
    corp: Corp,
    role: Role = Role.staff,
    scope: ScopeKind | None = None,
    staff_userid: str | None = None,
    department_ids: Iterable[int] = (),
) -> Member:
    """A new user with a membership in `corp`, logged in."""
    user = make_user(db)
    membership = make_membership(
        db,
        corp=corp,
        user=user,
        role=role,
        scope=scope,
        staff_userid=staff_userid,
        department_ids=department_ids,
    )
    return Member(user=user, membership=membership, client=user_client(app, user))


def superuser_client(app: FastAPI, db: Database) -> Member:
    user = make_user(db, superuser=True)
    return Member(user=user, membership=None, client=user_client(app, user))


def api_key_client(app: FastAPI, db: Database, *, corp: Corp, scopes: Sequence[str]) -> TestClient:
    _, key = make_api_key(db, corp=corp, scopes=scopes)
    client = TestClient(app)
    client.headers["Authorization"] = f"Bearer {key}"
    return client
