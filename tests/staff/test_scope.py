"""Data scopes on the staff directory, proven through every endpoint by the shared helper."""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from fastapi import APIRouter, FastAPI

from siyu.auth.models import Role, ScopeKind
from siyu.auth.scope import build_scope
from siyu.corps.models import Corp
from siyu.db.session import Database
from siyu.staff.models import StaffMember
from siyu.staff.schemas import StaffMemberCreate
from tests.helpers.auth import api_key_client, make_corp, make_department, make_staff, member_client
from tests.helpers.scope import ScopeTarget, assert_scope_isolation

SAMPLES = {"update_staff": {"daily_add_cap": 1, "position": "hijacked"}}


@dataclass
class Directory:
    """Root 1 → North 2 → Store A 3; Root 1 → South 4.
    alice in 3, carol in 2, bob in 4, dave in none."""

    corp: Corp
    alice: StaffMember
    bob: StaffMember
    carol: StaffMember
    dave: StaffMember


@pytest.fixture
def directory(db: Database) -> Directory:
    corp = make_corp(db)
    make_department(db, corp=corp, wecom_dept_id=1, parent_id=0)
    north = make_department(db, corp=corp, wecom_dept_id=2, parent_id=1)
    store = make_department(db, corp=corp, wecom_dept_id=3, parent_id=2)
    south = make_department(db, corp=corp, wecom_dept_id=4, parent_id=1)
    return Directory(
        corp=corp,
        alice=make_staff(db, corp=corp, userid="alice", departments=[store]),
        bob=make_staff(db, corp=corp, userid="bob", departments=[south]),
        carol=make_staff(db, corp=corp, userid="carol", departments=[north]),
        dave=make_staff(db, corp=corp, userid="dave"),
    )


class TestOwnScope:
    def test_staff_reach_only_their_own_row_through_every_endpoint(
        self, app: FastAPI, db: Database, directory: Directory
    ) -> None:
        d = directory
        alice = member_client(app, db, corp=d.corp, role=Role.staff, staff_userid="alice")

        report = assert_scope_isolation(
            app,
            alice.client,
            db,
            corp_ids=[d.corp.id],
            sample_bodies=SAMPLES,
            targets=[
                ScopeTarget(
                    "staff_id",
                    StaffMember,
                    foreign=[d.bob.id, d.carol.id, d.dave.id],
                    visible=[d.alice.id],
                )
            ],
        )

        assert any(line.startswith("PATCH") for line in report.denied)
        assert any(line.startswith("GET") for line in report.denied)

    def test_a_member_without_a_wecom_userid_sees_nothing(
        self, app: FastAPI, db: Database, directory: Directory
    ) -> None:
        member = member_client(app, db, corp=directory.corp, role=Role.staff)

        page = member.client.get(f"/api/v1/corps/{directory.corp.id}/staff").json()

        assert page["items"] == []


class TestDepartmentScope:
    def test_managers_reach_their_departments_and_sub_departments_only(
        self, app: FastAPI, db: Database, directory: Directory
    ) -> None:
        d = directory
        manager = member_client(
            app, db, corp=d.corp, role=Role.manager, staff_userid="mgr", department_ids=[2]
        )

        assert_scope_isolation(
            app,
            manager.client,
            db,
            corp_ids=[d.corp.id],
            sample_bodies=SAMPLES,
            targets=[
                ScopeTarget(
                    "staff_id",
                    StaffMember,
                    foreign=[d.bob.id, d.dave.id],
                    visible=[d.carol.id, d.alice.id],
                )
            ],
        )

    def test_without_explicit_departments_a_manager_manages_their_own(
        self, app: FastAPI, db: Database, directory: Directory
    ) -> None:
        d = directory
        carol = member_client(app, db, corp=d.corp, role=Role.manager, staff_userid="carol")

        assert_scope_isolation(
            app,
            carol.client,
            db,
            corp_ids=[d.corp.id],
            sample_bodies=SAMPLES,
            targets=[
                ScopeTarget(
                    "staff_id",
                    StaffMember,
                    foreign=[d.bob.id, d.dave.id],
                    visible=[d.carol.id, d.alice.id],
                )
            ],
        )

    def test_departments_expand_to_descendants(self, db: Database, directory: Directory) -> None:
        with db.transaction() as session:
            scope = build_scope(
                session,
                corp_id=directory.corp.id,
                kind=ScopeKind.department,
                staff_userid=None,
                department_ids=[1],
            )

        assert scope.department_ids == frozenset({1, 2, 3, 4})


class TestCrossCorp:
    def test_api_keys_cannot_reach_another_corps_rows(
        self, app: FastAPI, db: Database, directory: Directory
    ) -> None:
        home = make_corp(db)
        mine = make_staff(db, corp=home, userid="home-user")
        client = api_key_client(app, db, corp=home, scopes=["*"])
        d = directory

        assert_scope_isolation(
            app,
            client,
            db,
            corp_ids=[home.id, d.corp.id],
            sample_bodies=SAMPLES,
            targets=[
                ScopeTarget(
                    "staff_id",
                    StaffMember,
                    foreign=[d.alice.id, d.bob.id, d.carol.id, d.dave.id],
                    visible=[mine.id],
                )
            ],
        )

    def test_all_scope_members_cannot_reach_another_corps_rows(
        self, app: FastAPI, db: Database, directory: Directory
    ) -> None:
        home = make_corp(db)
        mine = make_staff(db, corp=home, userid="home-user")
        admin = member_client(app, db, corp=home, role=Role.admin)
        d = directory

        assert_scope_isolation(
            app,
            admin.client,
            db,
            corp_ids=[home.id, d.corp.id],
            sample_bodies=SAMPLES,
            targets=[
                ScopeTarget(
                    "staff_id", StaffMember, foreign=[d.alice.id, d.bob.id], visible=[mine.id]
                )
            ],
        )


class TestHelperCatchesLeaks:
    def test_the_helper_fails_when_a_row_is_reachable(
        self, app: FastAPI, db: Database, directory: Directory
    ) -> None:
        d = directory
        admin = member_client(app, db, corp=d.corp, role=Role.admin)

        with pytest.raises(AssertionError, match="reached an out-of-scope row"):
            assert_scope_isolation(
                app,
                admin.client,
                db,
                corp_ids=[d.corp.id],
                sample_bodies=SAMPLES,
                targets=[ScopeTarget("staff_id", StaffMember, foreign=[d.bob.id])],
            )

    def test_the_helper_demands_a_valid_body_for_required_fields(
        self, app: FastAPI, db: Database, directory: Directory
    ) -> None:
        router = APIRouter()

        @router.put("/api/v1/corps/{corp_id}/staff/{staff_id}/copy")
        def copy_staff(body: StaffMemberCreate) -> None:
            del body

        app.include_router(router)
        alice = member_client(app, db, corp=directory.corp, role=Role.staff, staff_userid="alice")

        with pytest.raises(AssertionError, match="sample_bodies"):
            assert_scope_isolation(
                app,
                alice.client,
                db,
                corp_ids=[directory.corp.id],
                sample_bodies=SAMPLES,
                targets=[ScopeTarget("staff_id", StaffMember, foreign=[directory.bob.id])],
            )
