from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import select

from siyu.audit.models import AuditEvent
from siyu.auth.models import CorpMembership, Role
from siyu.corps.models import Corp
from siyu.db.session import Database
from tests.helpers.auth import api_key_client, make_corp, member_client, superuser_client

CORPS = "/api/v1/corps"
AES_KEY = "a" * 43


class TestListCorps:
    def test_members_see_only_their_corps_and_superusers_all(
        self, app: FastAPI, db: Database
    ) -> None:
        mine, _other = make_corp(db, name="Mine"), make_corp(db, name="Other")
        member = member_client(app, db, corp=mine, role=Role.staff)
        admin = superuser_client(app, db)

        assert [c["name"] for c in member.client.get(CORPS).json()] == ["Mine"]
        assert {c["name"] for c in admin.client.get(CORPS).json()} >= {"Mine", "Other"}


class TestCreateCorp:
    def test_superuser_registers_a_corp_and_becomes_its_owner(
        self, app: FastAPI, db: Database
    ) -> None:
        admin = superuser_client(app, db)

        response = admin.client.post(
            CORPS,
            json={
                "wecom_corp_id": "ww1234567890",
                "name": "Fresh Milk",
                "agent_id": 1000002,
                "app_secret": "s3cr3t-app-secret",
                "callback_token": "tok",
                "callback_aes_key": AES_KEY,
            },
        )

        assert response.status_code == 201
        body = response.json()
        assert (
            body["has_app_secret"] and body["has_callback_token"] and body["has_callback_aes_key"]
        )
        assert "s3cr3t" not in response.text and AES_KEY not in response.text
        with db.transaction() as session:
            membership = session.scalars(select(CorpMembership)).one()
            event = session.scalars(
                select(AuditEvent).where(AuditEvent.action == "corp.create")
            ).one()
        assert (membership.user_id, membership.role) == (admin.user.id, "owner")
        assert str(event.corp_id) == body["id"]

    def test_duplicate_corp_id_is_409(self, app: FastAPI, db: Database) -> None:
        make_corp(db, wecom_corp_id="wwtaken")

        response = superuser_client(app, db).client.post(
            CORPS, json={"wecom_corp_id": "wwtaken", "name": "Again"}
        )

        assert response.status_code == 409

    def test_owners_of_a_corp_cannot_register_corps(self, app: FastAPI, db: Database) -> None:
        owner = member_client(app, db, corp=make_corp(db), role=Role.owner)

        response = owner.client.post(CORPS, json={"wecom_corp_id": "wwnew", "name": "New"})

        assert response.status_code == 403

    def test_bad_input_registers_nothing(self, app: FastAPI, db: Database) -> None:
        admin = superuser_client(app, db)
        for body in (
            {"wecom_corp_id": "bad id", "name": "x"},
            {"wecom_corp_id": "wwok", "name": "x", "callback_aes_key": "short"},
            {"wecom_corp_id": "wwok", "name": "x", "agent_id": "one"},
            {"wecom_corp_id": "wwok", "name": "x", "secret": "typo"},
        ):
            assert admin.client.post(CORPS, json=body).status_code == 422, body
        with db.transaction() as session:
            assert session.scalars(select(Corp)).all() == []


class TestGetAndUpdateCorp:
    def test_admins_read_and_update_settings_without_seeing_secrets(
        self, app: FastAPI, db: Database
    ) -> None:
        corp = make_corp(db)
        admin = member_client(app, db, corp=corp, role=Role.admin)
        url = f"{CORPS}/{corp.id}"

        before = admin.client.get(url).json()
        response = admin.client.patch(url, json={"name": "Renamed", "app_secret": "new-secret"})

        assert before["has_app_secret"] is False
        assert response.status_code == 200
        assert response.json()["name"] == "Renamed" and response.json()["has_app_secret"]
        with db.transaction() as session:
            event = session.scalars(
                select(AuditEvent).where(AuditEvent.action == "corp.update")
            ).one()
            stored = session.get(Corp, corp.id)
        assert event.details == {"fields": ["app_secret", "name"]}
        assert stored is not None and "new-secret" not in (stored.app_secret_ciphertext or "")

    def test_managers_and_staff_are_refused(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        for role in (Role.manager, Role.staff):
            client = member_client(app, db, corp=corp, role=role).client
            assert client.get(f"{CORPS}/{corp.id}").status_code == 403
            assert client.patch(f"{CORPS}/{corp.id}", json={"name": "x"}).status_code == 403

    def test_api_keys_need_corps_scopes(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        reader = api_key_client(app, db, corp=corp, scopes=["corps:read"])

        assert reader.get(f"{CORPS}/{corp.id}").status_code == 200
        assert reader.patch(f"{CORPS}/{corp.id}", json={"name": "x"}).status_code == 403
