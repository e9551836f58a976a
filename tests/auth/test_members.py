from __future__ import annotations

from fastapi import FastAPI
from fastapi.testclient import TestClient

from siyu.auth.models import Role
from siyu.db.session import Database
from tests.helpers.auth import (
    PASSWORD,
    login,
    make_corp,
    make_membership,
    make_user,
    member_client,
    superuser_client,
)


def _members(corp_id: object) -> str:
    return f"/api/v1/corps/{corp_id}/members"


class TestListMembers:
    def test_admins_see_members_with_role_and_scope(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        admin = member_client(app, db, corp=corp, role=Role.admin)
        make_membership(
            db,
            corp=corp,
            user=make_user(db, email="a-staff@example.com"),
            role=Role.staff,
            staff_userid="zhangsan",
        )

        response = admin.client.get(_members(corp.id))

        assert response.status_code == 200
        rows = {m["user"]["email"]: m for m in response.json()}
        assert rows["a-staff@example.com"]["role"] == "staff"
        assert rows["a-staff@example.com"]["scope"] == "own"
        assert rows["a-staff@example.com"]["staff_userid"] == "zhangsan"
        assert rows[admin.user.email]["scope"] == "all"

    def test_managers_and_staff_are_refused(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        for role in (Role.manager, Role.staff):
            response = member_client(app, db, corp=corp, role=role).client.get(_members(corp.id))
            assert response.status_code == 403
            assert response.json()["error"]["code"] == "insufficient_role"

    def test_non_members_get_404_as_if_the_corp_did_not_exist(
        self, app: FastAPI, db: Database
    ) -> None:
        corp, other = make_corp(db), make_corp(db)
        outsider = member_client(app, db, corp=other, role=Role.owner)

        response = outsider.client.get(_members(corp.id))
        missing = outsider.client.get(_members("01234567-89ab-7def-8123-456789abcdef"))

        assert response.status_code == missing.status_code == 404
        assert response.json()["error"]["code"] == "not_found"

    def test_superusers_act_as_owners_in_every_corp(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)

        response = superuser_client(app, db).client.get(_members(corp.id))

        assert response.status_code == 200


class TestAddMember:
    def test_adds_an_existing_user_with_the_roles_default_scope(
        self, app: FastAPI, db: Database
    ) -> None:
        corp = make_corp(db)
        admin = member_client(app, db, corp=corp, role=Role.admin)
        make_user(db, email="lead@example.com")

        response = admin.client.post(
            _members(corp.id),
            json={"email": "Lead@Example.com", "role": "manager", "department_ids": [3, 2, 3]},
        )

        assert response.status_code == 201
        body = response.json()
        assert (body["role"], body["scope"], body["department_ids"]) == (
            "manager",
            "department",
            [2, 3],
        )

    def test_creates_a_new_user_when_a_password_is_given(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        admin = member_client(app, db, corp=corp, role=Role.admin)

        response = admin.client.post(
            _members(corp.id),
            json={
                "email": "new@example.com",
                "role": "staff",
                "password": "a-long-password",
                "staff_userid": "newbie",
            },
        )

        assert response.status_code == 201
        body = login(TestClient(app), "new@example.com", "a-long-password")
        assert body["memberships"][0]["role"] == "staff"  # type: ignore[index]

    def test_cannot_reset_an_existing_users_password(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        admin = member_client(app, db, corp=corp, role=Role.admin)
        make_user(db, email="lead@example.com")

        response = admin.client.post(
            _members(corp.id),
            json={"email": "lead@example.com", "role": "staff", "password": "attacker-password"},
        )

        assert response.status_code == 409
        login(TestClient(app), "lead@example.com", PASSWORD)

    def test_unknown_email_without_password_is_404(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        admin = member_client(app, db, corp=corp, role=Role.admin)

        response = admin.client.post(
            _members(corp.id), json={"email": "x@example.com", "role": "staff"}
        )

        assert response.status_code == 404

    def test_duplicate_membership_is_409(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        admin = member_client(app, db, corp=corp, role=Role.admin)

        response = admin.client.post(
            _members(corp.id), json={"email": admin.user.email, "role": "staff"}
        )

        assert response.status_code == 409

    def test_only_owners_grant_owner(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        admin = member_client(app, db, corp=corp, role=Role.admin)
        owner = member_client(app, db, corp=corp, role=Role.owner)
        make_user(db, email="heir@example.com")
        body = {"email": "heir@example.com", "role": "owner"}

        refused = admin.client.post(_members(corp.id), json=body)
        granted = owner.client.post(_members(corp.id), json=body)

        assert refused.status_code == 403
        assert granted.status_code == 201

    def test_bad_input_is_a_422_envelope_and_adds_nobody(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        admin = member_client(app, db, corp=corp, role=Role.admin)
        make_user(db, email="lead@example.com")
        for body in (
            {"email": "lead@example.com", "role": "emperor"},
            {"email": "lead@example.com", "role": "staff", "colour": "red"},
            {"email": "lead@example.com", "role": "staff", "department_ids": "2"},
            {"email": "lead@example.com", "role": "staff", "staff_userid": "bad id!"},
            {"email": "not-an-email", "role": "staff"},
        ):
            response = admin.client.post(_members(corp.id), json=body)
            assert response.status_code == 422, body
            assert set(response.json()["error"]) == {"code", "message", "details"}
        assert len(admin.client.get(_members(corp.id)).json()) == 1


class TestUpdateAndRemoveMember:
    def test_changing_role_resets_scope_unless_given(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        admin = member_client(app, db, corp=corp, role=Role.admin)
        target = make_membership(db, corp=corp, user=make_user(db), role=Role.staff)
        url = f"{_members(corp.id)}/{target.id}"

        promoted = admin.client.patch(url, json={"role": "manager"}).json()
        widened = admin.client.patch(url, json={"scope": "all"}).json()

        assert (promoted["role"], promoted["scope"]) == ("manager", "department")
        assert (widened["role"], widened["scope"]) == ("manager", "all")

    def test_admins_cannot_touch_owners(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        admin = member_client(app, db, corp=corp, role=Role.admin)
        owner = member_client(app, db, corp=corp, role=Role.owner)
        assert owner.membership is not None
        url = f"{_members(corp.id)}/{owner.membership.id}"

        assert admin.client.patch(url, json={"role": "staff"}).status_code == 403
        assert admin.client.delete(url).status_code == 403

    def test_the_last_owner_stays(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        owner = member_client(app, db, corp=corp, role=Role.owner)
        assert owner.membership is not None
        url = f"{_members(corp.id)}/{owner.membership.id}"

        demote = owner.client.patch(url, json={"role": "admin"})
        remove = owner.client.delete(url)

        assert demote.status_code == remove.status_code == 409
        assert owner.client.get(_members(corp.id)).json()[0]["role"] == "owner"

    def test_removed_member_loses_access(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        admin = member_client(app, db, corp=corp, role=Role.admin)
        leaver = member_client(app, db, corp=corp, role=Role.manager)
        assert leaver.membership is not None
        assert leaver.client.get(f"/api/v1/corps/{corp.id}/staff").status_code == 200

        response = admin.client.delete(f"{_members(corp.id)}/{leaver.membership.id}")

        assert response.status_code == 204
        assert leaver.client.get(f"/api/v1/corps/{corp.id}/staff").status_code == 404

    def test_members_of_other_corps_are_404(self, app: FastAPI, db: Database) -> None:
        corp, other = make_corp(db), make_corp(db)
        admin = member_client(app, db, corp=corp, role=Role.admin)
        foreign = make_membership(db, corp=other, user=make_user(db), role=Role.staff)

        response = admin.client.patch(f"{_members(corp.id)}/{foreign.id}", json={"role": "admin"})

        assert response.status_code == 404
