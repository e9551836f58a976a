from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from siyu.auth.models import LoginAttempt, Role, User
from siyu.db.session import Database
from siyu.kit.clock import FrozenClock
from tests.helpers.auth import LOGIN, PASSWORD, make_corp, make_membership, make_user


def _login(client: TestClient, email: str, password: str = PASSWORD) -> tuple[int, dict]:
    response = client.post(LOGIN, json={"email": email, "password": password})
    return response.status_code, response.json() if response.content else {}


class TestLoginSuccess:
    def test_returns_user_csrf_token_memberships_and_a_hardened_cookie(
        self, client: TestClient, db: Database
    ) -> None:
        corp = make_corp(db, name="Milk Co")
        user = make_user(db, email="ops@example.com")
        make_membership(db, corp=corp, user=user, role=Role.manager)

        response = client.post(LOGIN, json={"email": "ops@example.com", "password": PASSWORD})

        assert response.status_code == 200
        body = response.json()
        assert body["user"] == {
            "id": str(user.id),
            "email": "ops@example.com",
            "display_name": "ops",
            "is_superuser": False,
        }
        assert len(body["csrf_token"]) >= 32
        assert body["memberships"] == [
            {
                "corp": {
                    "id": str(corp.id),
                    "name": "Milk Co",
                    "wecom_corp_id": corp.wecom_corp_id,
                    "is_sandbox": False,
                },
                "role": "manager",
                "scope": "department",
            }
        ]
        cookie = response.headers["set-cookie"]
        assert cookie.startswith("siyu_session=")
        assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Path=/" in cookie
        assert "Secure" not in cookie  # public_url is http in tests

    def test_email_is_case_insensitive_and_last_login_is_recorded(
        self, client: TestClient, db: Database, clock: FrozenClock
    ) -> None:
        user = make_user(db, email="boss@example.com")

        status, _ = _login(client, "  BOSS@Example.COM ")

        assert status == 200
        with db.transaction() as session:
            assert session.get(User, user.id).last_login_at == clock.now()  # type: ignore[union-attr]

    def test_cookie_is_secure_when_served_over_https(self, app, db: Database, runtime) -> None:
        runtime.settings.public_url = "https://scrm.example.com"
        make_user(db, email="tls@example.com")

        response = TestClient(app).post(
            LOGIN, json={"email": "tls@example.com", "password": PASSWORD}
        )

        assert "Secure" in response.headers["set-cookie"]


class TestLoginFailure:
    def test_unknown_email_and_wrong_password_are_indistinguishable(
        self, client: TestClient, db: Database
    ) -> None:
        make_user(db, email="real@example.com")

        wrong = client.post(LOGIN, json={"email": "real@example.com", "password": "nope"})
        unknown = client.post(LOGIN, json={"email": "ghost@example.com", "password": "nope"})

        assert wrong.status_code == unknown.status_code == 401
        assert wrong.json() == unknown.json()
        assert wrong.json()["error"]["code"] == "invalid_credentials"
        assert "set-cookie" not in wrong.headers

    def test_inactive_user_cannot_log_in(self, client: TestClient, db: Database) -> None:
        make_user(db, email="gone@example.com", active=False)

        status, body = _login(client, "gone@example.com")

        assert status == 401
        assert body["error"]["code"] == "invalid_credentials"

    def test_every_attempt_is_recorded_even_though_the_request_fails(
        self, client: TestClient, db: Database
    ) -> None:
        make_user(db, email="real@example.com")

        _login(client, "real@example.com", "nope")
        _login(client, "real@example.com")

        with db.transaction() as session:
            rows = session.execute(
                select(LoginAttempt.email, LoginAttempt.succeeded, LoginAttempt.ip).order_by(
                    LoginAttempt.id
                )
            ).all()
        assert [tuple(r) for r in rows] == [
            ("real@example.com", False, "testclient"),
            ("real@example.com", True, "testclient"),
        ]

    def test_bad_body_is_a_422_envelope_and_records_nothing(
        self, client: TestClient, db: Database
    ) -> None:
        for body in (
            {"email": "a@b.c"},
            {"email": "a@b.c", "password": 5},
            {"email": "a@b.c", "password": "x", "remember": True},
        ):
            response = client.post(LOGIN, json=body)
            assert response.status_code == 422
            assert response.json()["error"]["code"] == "validation_error"
        with db.transaction() as session:
            assert session.scalar(select(func.count()).select_from(LoginAttempt)) == 0


class TestLockout:
    def test_account_locks_after_max_failures_even_for_the_right_password(
        self, client: TestClient, db: Database, clock: FrozenClock
    ) -> None:
        make_user(db, email="target@example.com")
        for _ in range(3):
            assert _login(client, "target@example.com", "guess")[0] == 401

        response = client.post(LOGIN, json={"email": "target@example.com", "password": PASSWORD})

        assert response.status_code == 429
        assert response.json()["error"]["code"] == "too_many_requests"
        assert response.headers["retry-after"] == str(15 * 60)

    def test_lock_runs_out_after_the_lockout_period(
        self, client: TestClient, db: Database, clock: FrozenClock
    ) -> None:
        make_user(db, email="target@example.com")
        for _ in range(3):
            _login(client, "target@example.com", "guess")
        clock.advance(timedelta(minutes=10))
        locked = client.post(LOGIN, json={"email": "target@example.com", "password": PASSWORD})
        assert locked.headers["retry-after"] == str(5 * 60)

        clock.advance(timedelta(minutes=5))

        assert _login(client, "target@example.com")[0] == 200

    def test_failures_count_afresh_after_a_lock_expires(
        self, client: TestClient, db: Database, clock: FrozenClock
    ) -> None:
        make_user(db, email="target@example.com")
        for _ in range(3):
            _login(client, "target@example.com", "guess")
        clock.advance(timedelta(minutes=16))

        assert _login(client, "target@example.com", "guess")[0] == 401
        assert _login(client, "target@example.com", "guess")[0] == 401

        assert _login(client, "target@example.com")[0] == 200

    def test_unknown_emails_lock_too_so_a_lock_reveals_nothing(
        self, client: TestClient, clock: FrozenClock
    ) -> None:
        for _ in range(3):
            assert _login(client, "nobody@example.com", "guess")[0] == 401

        status, body = _login(client, "nobody@example.com", "guess")

        assert status == 429
        assert body["error"]["code"] == "too_many_requests"


class TestIpRateLimit:
    def test_failures_from_one_address_across_accounts_are_limited(
        self, client: TestClient, db: Database, clock: FrozenClock
    ) -> None:
        make_user(db, email="victim@example.com")
        for n in range(5):
            clock.advance(10)
            assert _login(client, f"spray{n}@example.com", "guess")[0] == 401

        response = client.post(LOGIN, json={"email": "victim@example.com", "password": PASSWORD})

        assert response.status_code == 429
        # The oldest failure (at +10 s) leaves the 300 s window at +310 s; now is +50 s.
        assert response.headers["retry-after"] == "260"

    def test_limit_lifts_when_the_window_passes(
        self, client: TestClient, db: Database, clock: FrozenClock
    ) -> None:
        make_user(db, email="victim@example.com")
        for n in range(5):
            _login(client, f"spray{n}@example.com", "guess")
        assert _login(client, "victim@example.com")[0] == 429

        clock.advance(timedelta(seconds=301))

        assert _login(client, "victim@example.com")[0] == 200
