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
    user_client,
)

USERS = "/api/v1/users"


class TestCreateUser:
    def test_superusers_create_users_who_can_then_log_in(self, app: FastAPI, db: Database) -> None:
        admin = superuser_client(app, db)

        response = admin.client.post(
            USERS,
            json={
                "email": "New.Person@Example.com",
                "display_name": "New Person",
                "password": "a-long-password",
            },
        )

        assert response.status_code == 201
        assert response.json()["email"] == "new.person@example.com"
        assert "password" not in response.text and "password_hash" not in response.json()
        login(TestClient(app), "new.person@example.com", "a-long-password")

    def test_duplicate_email_is_409(self, app: FastAPI, db: Database) -> None:
        admin = superuser_client(app, db)
        make_user(db, email="taken@example.com")

        response = admin.client.post(
            USERS,
            json={"email": "TAKEN@example.com", "display_name": "x", "password": "a-long-password"},
        )

        assert response.status_code == 409

    def test_corp_owners_are_not_installation_admins(self, app: FastAPI, db: Database) -> None:
        owner = member_client(app, db, corp=make_corp(db), role=Role.owner)

        created = owner.client.post(
            USERS,
            json={"email": "x@example.com", "display_name": "x", "password": "a-long-password"},
        )
        listed = owner.client.get(USERS)

        assert created.status_code == listed.status_code == 403
        assert created.json()["error"]["code"] == "superuser_required"


class TestListUsers:
    def test_pages_through_every_user(self, app: FastAPI, db: Database) -> None:
        admin = superuser_client(app, db)
        for _ in range(4):
            make_user(db)

        first = admin.client.get(USERS, params={"limit": 3}).json()
        second = admin.client.get(USERS, params={"limit": 3, "cursor": first["next_cursor"]}).json()

        assert len(first["items"]) == 3 and len(second["items"]) == 2
        assert second["next_cursor"] is None
        ids = [u["id"] for u in first["items"] + second["items"]]
        assert len(set(ids)) == 5

    def test_a_garbage_cursor_is_400(self, app: FastAPI, db: Database) -> None:
        response = superuser_client(app, db).client.get(USERS, params={"cursor": "garbage"})

        assert response.status_code == 400


class TestUpdateUser:
    def test_deactivating_a_user_ends_their_sessions(self, app: FastAPI, db: Database) -> None:
        admin = superuser_client(app, db)
        corp = make_corp(db)
        user = make_user(db)
        make_membership(db, corp=corp, user=user, role=Role.admin)
        victim = user_client(app, user)

        response = admin.client.patch(f"{USERS}/{user.id}", json={"is_active": False})

        assert response.status_code == 200 and response.json()["is_active"] is False
        assert victim.get("/api/v1/auth/me").status_code == 401
        failed = TestClient(app).post(
            "/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}
        )
        assert failed.status_code == 401

    def test_superusers_cannot_demote_themselves(self, app: FastAPI, db: Database) -> None:
        admin = superuser_client(app, db)

        response = admin.client.patch(f"{USERS}/{admin.user.id}", json={"is_superuser": False})

        assert response.status_code == 400

    def test_unlock_clears_a_lockout(self, app: FastAPI, db: Database) -> None:
        admin = superuser_client(app, db)
        user = make_user(db)
        stranger = TestClient(app)
        for _ in range(5):
            stranger.post("/api/v1/auth/login", json={"email": user.email, "password": "x"})
        assert (
            stranger.post(
                "/api/v1/auth/login", json={"email": user.email, "password": PASSWORD}
            ).status_code
            == 429
        )

        admin.client.patch(f"{USERS}/{user.id}", json={"unlock": True})

        login(TestClient(app), user.email)
