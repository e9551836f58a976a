from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from siyu.auth.models import AuthSession
from siyu.db.session import Database
from siyu.kit.clock import FrozenClock
from tests.helpers.auth import PASSWORD, login, make_corp, make_user, user_client

ME = "/api/v1/auth/me"
LOGOUT = "/api/v1/auth/logout"
PASSWORD_URL = "/api/v1/users/me/password"


class TestMe:
    def test_returns_the_login_body_for_the_cookie(self, client: TestClient, db: Database) -> None:
        make_user(db, email="me@example.com")
        body = login(client, "me@example.com")

        response = client.get(ME)

        assert response.status_code == 200
        assert response.json() == body

    def test_without_a_cookie_is_401(self, client: TestClient) -> None:
        response = client.get(ME)

        assert response.status_code == 401
        assert response.json()["error"]["code"] == "not_authenticated"

    def test_a_forged_cookie_is_401(self, client: TestClient) -> None:
        client.cookies.set("siyu_session", "forged-token")

        assert client.get(ME).json()["error"]["code"] == "session_expired"

    def test_only_a_digest_of_the_token_is_stored(self, client: TestClient, db: Database) -> None:
        make_user(db, email="me@example.com")
        login(client, "me@example.com")
        token = client.cookies["siyu_session"]

        with db.transaction() as session:
            stored = session.scalars(select(AuthSession.token_hash)).all()
        assert len(stored) == 1 and token not in stored[0] and len(stored[0]) == 64


class TestSessionExpiry:
    def test_session_ends_after_its_ttl(
        self, client: TestClient, db: Database, clock: FrozenClock
    ) -> None:
        make_user(db, email="me@example.com")
        login(client, "me@example.com")
        clock.advance(timedelta(hours=11, minutes=59))
        assert client.get(ME).status_code == 200

        clock.advance(timedelta(minutes=1))

        response = client.get(ME)
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "session_expired"


class TestLogout:
    def test_revokes_the_session_and_clears_the_cookie(
        self, client: TestClient, db: Database
    ) -> None:
        make_user(db, email="me@example.com")
        login(client, "me@example.com")
        token = client.cookies["siyu_session"]

        response = client.post(LOGOUT)

        assert response.status_code == 204
        assert 'siyu_session=""' in response.headers["set-cookie"]
        client.cookies.set("siyu_session", token)  # a copied cookie is dead too
        assert client.get(ME).status_code == 401

    def test_needs_the_csrf_header(self, client: TestClient, db: Database) -> None:
        make_user(db, email="me@example.com")
        login(client, "me@example.com")
        del client.headers["X-CSRF-Token"]

        response = client.post(LOGOUT)

        assert response.status_code == 403
        assert response.json()["error"]["code"] == "csrf_failed"
        assert client.get(ME).status_code == 200


class TestCsrf:
    def test_unsafe_cookie_requests_need_the_sessions_token(
        self, app: FastAPI, db: Database
    ) -> None:
        admin = make_user(db, superuser=True)
        client = user_client(app, admin)
        good = client.headers.pop("X-CSRF-Token")
        body = {"wecom_corp_id": "wwcsrf", "name": "CSRF Co"}

        missing = client.post("/api/v1/corps", json=body)
        wrong = client.post("/api/v1/corps", json=body, headers={"X-CSRF-Token": "x" * 43})
        right = client.post("/api/v1/corps", json=body, headers={"X-CSRF-Token": good})

        assert missing.status_code == wrong.status_code == 403
        assert missing.json()["error"]["code"] == wrong.json()["error"]["code"] == "csrf_failed"
        assert right.status_code == 201

    def test_another_sessions_token_does_not_work(self, app: FastAPI, db: Database) -> None:
        first = user_client(app, make_user(db, superuser=True))
        second = user_client(app, make_user(db, superuser=True))

        response = first.post(
            "/api/v1/corps",
            json={"wecom_corp_id": "wwx", "name": "X"},
            headers={"X-CSRF-Token": second.headers["X-CSRF-Token"]},
        )

        assert response.status_code == 403

    def test_safe_requests_need_no_token(self, app: FastAPI, db: Database) -> None:
        client = user_client(app, make_user(db))
        del client.headers["X-CSRF-Token"]

        assert client.get("/api/v1/corps").status_code == 200


class TestPasswordChange:
    def test_changes_the_password_and_ends_other_sessions(self, app: FastAPI, db: Database) -> None:
        user = make_user(db, email="me@example.com")
        here, elsewhere = user_client(app, user), user_client(app, user)

        response = here.patch(
            PASSWORD_URL, json={"current_password": PASSWORD, "new_password": "a-new-long-password"}
        )

        assert response.status_code == 204
        assert here.get(ME).status_code == 200
        assert elsewhere.get(ME).status_code == 401
        fresh = TestClient(app)
        assert (
            fresh.post(
                "/api/v1/auth/login", json={"email": "me@example.com", "password": PASSWORD}
            ).status_code
            == 401
        )
        login(fresh, "me@example.com", "a-new-long-password")

    def test_wrong_current_password_changes_nothing(self, app: FastAPI, db: Database) -> None:
        user = make_user(db)
        client = user_client(app, user)

        response = client.patch(
            PASSWORD_URL, json={"current_password": "wrong", "new_password": "a-new-long-password"}
        )

        assert response.status_code == 400
        assert response.json()["error"]["code"] == "wrong_password"
        login(TestClient(app), user.email, PASSWORD)

    def test_short_password_is_refused(self, app: FastAPI, db: Database) -> None:
        client = user_client(app, make_user(db))

        response = client.patch(
            PASSWORD_URL, json={"current_password": PASSWORD, "new_password": "short"}
        )

        assert response.status_code == 422
        assert response.json()["error"]["details"][0]["loc"] == ["body", "new_password"]

    def test_api_keys_cannot_change_passwords(self, app: FastAPI, db: Database) -> None:
        from tests.helpers.auth import api_key_client

        client = api_key_client(app, db, corp=make_corp(db), scopes=["*"])

        response = client.patch(
            PASSWORD_URL, json={"current_password": PASSWORD, "new_password": "a-new-long-password"}
        )

        assert response.status_code == 403
        assert response.json()["error"]["code"] == "login_required"
