from __future__ import annotations

from datetime import timedelta

from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from siyu.auth.models import ApiKey, Role
from siyu.db.session import Database
from siyu.kit.clock import FrozenClock
from tests.helpers.auth import api_key_client, make_api_key, make_corp, member_client


def _keys_url(corp_id: object) -> str:
    return f"/api/v1/corps/{corp_id}/api-keys"


class TestCreateApiKey:
    def test_key_is_shown_once_and_only_its_digest_is_stored(
        self, app: FastAPI, db: Database
    ) -> None:
        corp = make_corp(db)
        admin = member_client(app, db, corp=corp, role=Role.admin)

        response = admin.client.post(
            _keys_url(corp.id), json={"name": "shop", "scopes": ["staff:read"]}
        )

        assert response.status_code == 201
        created = response.json()
        key = created["key"]
        assert key.startswith(f"sk_{created['prefix']}_")
        assert created["created_by_user_id"] == str(admin.user.id)
        listed = admin.client.get(_keys_url(corp.id)).json()
        assert [k["id"] for k in listed] == [created["id"]]
        assert "key" not in listed[0]
        with db.transaction() as session:
            stored = session.scalars(select(ApiKey.key_hash)).one()
        assert key not in stored

    def test_unknown_scope_syntax_is_refused(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        admin = member_client(app, db, corp=corp, role=Role.owner)

        response = admin.client.post(
            _keys_url(corp.id), json={"name": "x", "scopes": ["everything"]}
        )

        assert response.status_code == 422
        assert admin.client.get(_keys_url(corp.id)).json() == []

    def test_managers_cannot_manage_keys(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        manager = member_client(app, db, corp=corp, role=Role.manager)

        response = manager.client.post(_keys_url(corp.id), json={"name": "x", "scopes": ["*"]})

        assert response.status_code == 403
        assert response.json()["error"]["code"] == "insufficient_role"

    def test_keys_cannot_mint_keys(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        client = api_key_client(app, db, corp=corp, scopes=["*"])

        response = client.post(_keys_url(corp.id), json={"name": "x", "scopes": ["*"]})

        assert response.status_code == 403


class TestApiKeyScopes:
    def test_a_read_scope_reads_but_does_not_write(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        client = api_key_client(app, db, corp=corp, scopes=["staff:read"])
        staff_url = f"/api/v1/corps/{corp.id}/staff"

        assert client.get(staff_url).status_code == 200
        response = client.post(staff_url, json={"userid": "zhangsan", "name": "Zhang San"})

        assert response.status_code == 403
        assert response.json()["error"]["code"] == "insufficient_scope"
        assert client.get(staff_url).json()["items"] == []

    def test_write_implies_read_and_star_grants_everything(
        self, app: FastAPI, db: Database
    ) -> None:
        corp = make_corp(db)
        writer = api_key_client(app, db, corp=corp, scopes=["staff:write"])
        star = api_key_client(app, db, corp=corp, scopes=["*"])

        assert writer.get(f"/api/v1/corps/{corp.id}/staff").status_code == 200
        assert writer.get(f"/api/v1/corps/{corp.id}/audit-events").status_code == 403
        assert star.get(f"/api/v1/corps/{corp.id}/audit-events").status_code == 200

    def test_keys_need_no_csrf_token(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        client = api_key_client(app, db, corp=corp, scopes=["staff:write"])

        response = client.post(
            f"/api/v1/corps/{corp.id}/staff", json={"userid": "zhangsan", "name": "Zhang San"}
        )

        assert response.status_code == 201

    def test_use_is_recorded(self, app: FastAPI, db: Database, clock: FrozenClock) -> None:
        corp = make_corp(db)
        key, secret = make_api_key(db, corp=corp, scopes=["staff:read"])

        TestClient(app).get(
            f"/api/v1/corps/{corp.id}/staff", headers={"Authorization": f"Bearer {secret}"}
        )

        with db.transaction() as session:
            assert session.get(ApiKey, key.id).last_used_at == clock.now()  # type: ignore[union-attr]


class TestApiKeyRejection:
    def test_revoked_key_is_refused(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        admin = member_client(app, db, corp=corp, role=Role.admin)
        created = admin.client.post(
            _keys_url(corp.id), json={"name": "shop", "scopes": ["staff:read"]}
        ).json()
        integration = TestClient(app, headers={"Authorization": f"Bearer {created['key']}"})
        assert integration.get(f"/api/v1/corps/{corp.id}/staff").status_code == 200

        revoked = admin.client.delete(f"{_keys_url(corp.id)}/{created['id']}")

        assert revoked.status_code == 204
        response = integration.get(f"/api/v1/corps/{corp.id}/staff")
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_api_key"

    def test_expired_key_is_refused(self, app: FastAPI, db: Database, clock: FrozenClock) -> None:
        corp = make_corp(db)
        admin = member_client(app, db, corp=corp, role=Role.admin)
        expires = (clock.now() + timedelta(days=1)).isoformat()
        created = admin.client.post(
            _keys_url(corp.id),
            json={"name": "temp", "scopes": ["staff:read"], "expires_at": expires},
        ).json()
        integration = TestClient(app, headers={"Authorization": f"Bearer {created['key']}"})
        assert integration.get(f"/api/v1/corps/{corp.id}/staff").status_code == 200

        clock.advance(timedelta(days=1))

        assert integration.get(f"/api/v1/corps/{corp.id}/staff").status_code == 401

    def test_malformed_and_unknown_keys_are_refused(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        url = f"/api/v1/corps/{corp.id}/staff"
        for header in ("Bearer sk_00000000_unknown-secret-value", "Basic abc", "Bearer "):
            response = TestClient(app).get(url, headers={"Authorization": header})
            assert response.status_code == 401, header

    def test_a_key_is_a_stranger_to_other_corps(self, app: FastAPI, db: Database) -> None:
        home, other = make_corp(db), make_corp(db)
        client = api_key_client(app, db, corp=home, scopes=["*"])

        response = client.get(f"/api/v1/corps/{other.id}/staff")

        assert response.status_code == 404
        assert client.get("/api/v1/corps").json() == [
            {
                "id": str(home.id),
                "wecom_corp_id": home.wecom_corp_id,
                "name": home.name,
                "is_sandbox": False,
            }
        ]
