from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import APIRouter, FastAPI
from sqlalchemy import select

from siyu.audit.models import AuditEvent
from siyu.audit.service import audit_service
from siyu.auth.deps import CorpAccess
from siyu.auth.models import Role
from siyu.db.session import Database
from siyu.deps import DbSession
from siyu.kit.clock import FrozenClock
from siyu.kit.errors import Conflict
from siyu.kit.routing import TransactionalRoute
from tests.helpers.auth import (
    api_key_client,
    make_corp,
    make_department,
    make_staff,
    member_client,
)


def _events(db: Database, action: str | None = None) -> list[AuditEvent]:
    with db.transaction() as session:
        stmt = select(AuditEvent).order_by(AuditEvent.id)
        if action:
            stmt = stmt.where(AuditEvent.action == action)
        return list(session.scalars(stmt))


@pytest.fixture
def probe_app(app: FastAPI) -> FastAPI:
    """An endpoint written without any audit call, as a careless future domain would."""
    router = APIRouter(route_class=TransactionalRoute)

    @router.post("/api/v1/corps/{corp_id}/probe-write")
    def probe_write(
        session: DbSession, access: CorpAccess, fail: bool = False, explicit: bool = False
    ) -> dict[str, bool]:
        access.corp.name = "probed"
        session.flush()
        if explicit:
            audit_service.record(session, action="probe.explicit")
        if fail:
            raise Conflict("probe failed after writing")
        return {"ok": True}

    app.include_router(router)
    return app


class TestExplicitEvents:
    def test_a_write_records_who_what_when_and_from_where(
        self, app: FastAPI, db: Database, clock: FrozenClock
    ) -> None:
        corp = make_corp(db)
        admin = member_client(app, db, corp=corp, role=Role.admin)

        response = admin.client.post(
            f"/api/v1/corps/{corp.id}/staff",
            json={"userid": "zhangsan", "name": "Zhang San"},
            headers={"X-Request-ID": "req-123", "User-Agent": "ua/1"},
        )

        (event,) = [e for e in _events(db) if e.action == "staff.create"]
        assert event.corp_id == corp.id
        assert event.actor_user_id == admin.user.id and event.actor_label == admin.user.email
        assert event.target_type == "staff_member" and event.target_id == response.json()["id"]
        assert (event.ip, event.user_agent, event.request_id) == ("testclient", "ua/1", "req-123")
        assert event.created_at == clock.now()
        assert not [e for e in _events(db) if e.action.startswith("request.")]

    def test_api_key_writes_name_the_key(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        client = api_key_client(app, db, corp=corp, scopes=["staff:write"])

        client.post(f"/api/v1/corps/{corp.id}/staff", json={"userid": "lisi", "name": "Li Si"})

        (event,) = _events(db, "staff.create")
        assert event.actor_api_key_id is not None and event.actor_user_id is None
        assert event.actor_label.startswith("api_key:")

    def test_logins_and_credential_changes_are_recorded_without_secrets(
        self, app: FastAPI, db: Database
    ) -> None:
        corp = make_corp(db)
        admin = member_client(app, db, corp=corp, role=Role.owner)

        created = admin.client.post(
            f"/api/v1/corps/{corp.id}/api-keys", json={"name": "erp", "scopes": ["*"]}
        ).json()
        admin.client.delete(f"/api/v1/corps/{corp.id}/api-keys/{created['id']}")

        actions = [e.action for e in _events(db)]
        assert actions == ["auth.login", "api_key.create", "api_key.revoke"]
        assert all(created["key"] not in str(e.details) for e in _events(db))

    def test_secret_detail_keys_are_redacted(self, db: Database) -> None:
        with db.transaction() as session:
            audit_service.record(
                session,
                action="test.secret",
                details={"password": "hunter2", "nested": {"app_secret": "x", "ok": 1}},
            )

        (event,) = _events(db, "test.secret")
        assert event.details == {
            "password": "[redacted]",
            "nested": {"app_secret": "[redacted]", "ok": 1},
        }


class TestGenericFallback:
    def test_an_unaudited_write_still_leaves_an_event(
        self, probe_app: FastAPI, db: Database
    ) -> None:
        corp = make_corp(db)
        owner = member_client(probe_app, db, corp=corp, role=Role.owner)

        response = owner.client.post(f"/api/v1/corps/{corp.id}/probe-write")

        assert response.status_code == 200
        (event,) = _events(db, "request.post")
        assert event.corp_id == corp.id and event.actor_user_id == owner.user.id
        assert event.target_id == "/api/v1/corps/{corp_id}/probe-write"
        assert event.details == {"method": "POST", "path": f"/api/v1/corps/{corp.id}/probe-write"}

    def test_an_explicit_event_replaces_the_generic_one(
        self, probe_app: FastAPI, db: Database
    ) -> None:
        corp = make_corp(db)
        owner = member_client(probe_app, db, corp=corp, role=Role.owner)

        owner.client.post(f"/api/v1/corps/{corp.id}/probe-write", params={"explicit": True})

        assert [e.action for e in _events(db) if e.action != "auth.login"] == ["probe.explicit"]

    def test_a_failed_request_rolls_back_its_events_with_its_changes(
        self, probe_app: FastAPI, db: Database
    ) -> None:
        corp = make_corp(db)
        owner = member_client(probe_app, db, corp=corp, role=Role.owner)

        response = owner.client.post(
            f"/api/v1/corps/{corp.id}/probe-write", params={"explicit": True, "fail": True}
        )

        assert response.status_code == 409
        assert [e.action for e in _events(db)] == ["auth.login"]
        assert owner.client.get(f"/api/v1/corps/{corp.id}").json()["name"] == corp.name

    def test_reads_record_nothing(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        owner = member_client(app, db, corp=corp, role=Role.owner)

        owner.client.get(f"/api/v1/corps/{corp.id}/staff")
        owner.client.get(f"/api/v1/corps/{corp.id}")

        assert [e.action for e in _events(db)] == ["auth.login"]


class TestListAuditEvents:
    def _seed(self, app: FastAPI, db: Database, clock: FrozenClock):  # type: ignore[no-untyped-def]
        corp = make_corp(db)
        owner = member_client(app, db, corp=corp, role=Role.owner)
        make_department(db, corp=corp, wecom_dept_id=2)
        for n in range(3):
            clock.advance(timedelta(hours=1))
            owner.client.post(
                f"/api/v1/corps/{corp.id}/staff", json={"userid": f"u{n}", "name": f"U{n}"}
            )
        clock.advance(timedelta(hours=1))
        owner.client.post(
            f"/api/v1/corps/{corp.id}/departments",
            json={"wecom_dept_id": 3, "name": "Sales", "parent_id": 2},
        )
        return corp, owner

    def test_newest_first_in_keyset_pages(
        self, app: FastAPI, db: Database, clock: FrozenClock
    ) -> None:
        corp, owner = self._seed(app, db, clock)
        url = f"/api/v1/corps/{corp.id}/audit-events"

        first = owner.client.get(url, params={"limit": 2}).json()
        second = owner.client.get(url, params={"limit": 2, "cursor": first["next_cursor"]}).json()

        actions = [e["action"] for e in first["items"] + second["items"]]
        assert actions == ["department.create", "staff.create", "staff.create", "staff.create"]
        assert second["next_cursor"] is None

    def test_filters_by_action_prefix_actor_and_dates(
        self, app: FastAPI, db: Database, clock: FrozenClock
    ) -> None:
        start = clock.now()
        corp, owner = self._seed(app, db, clock)
        url = f"/api/v1/corps/{corp.id}/audit-events"

        def count(**params: str) -> int:
            response = owner.client.get(url, params=params)
            assert response.status_code == 200, response.text
            return len(response.json()["items"])

        assert count(action="staff.create") == 3
        assert count(action="staff.") == count(action="staff*") == 3
        assert count(actor_user_id=str(owner.user.id)) == 4
        assert count(actor_user_id="01234567-89ab-7def-8123-456789abcdef") == 0
        window = {
            "since": (start + timedelta(hours=2)).isoformat(),
            "until": (start + timedelta(hours=4)).isoformat(),
        }
        assert count(**window) == 2

    def test_naive_dates_and_bad_cursors_are_refused(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        owner = member_client(app, db, corp=corp, role=Role.owner)
        url = f"/api/v1/corps/{corp.id}/audit-events"

        assert owner.client.get(url, params={"since": "2026-01-01T00:00:00"}).status_code == 422
        assert owner.client.get(url, params={"cursor": "nonsense"}).status_code == 400

    def test_only_owners_admins_and_audit_keys_may_read(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        make_staff(db, corp=corp, userid="x")
        url = f"/api/v1/corps/{corp.id}/audit-events"

        for role, status in (
            (Role.owner, 200),
            (Role.admin, 200),
            (Role.manager, 403),
            (Role.staff, 403),
        ):
            client = member_client(app, db, corp=corp, role=role).client
            assert client.get(url).status_code == status, role
        assert api_key_client(app, db, corp=corp, scopes=["audit:read"]).get(url).status_code == 200
        assert api_key_client(app, db, corp=corp, scopes=["staff:read"]).get(url).status_code == 403

    def test_corps_see_only_their_own_events(self, app: FastAPI, db: Database) -> None:
        corp, other = make_corp(db), make_corp(db)
        owner = member_client(app, db, corp=corp, role=Role.owner)
        other_owner = member_client(app, db, corp=other, role=Role.owner)
        other_owner.client.post(
            f"/api/v1/corps/{other.id}/staff", json={"userid": "secret", "name": "S"}
        )

        items = owner.client.get(f"/api/v1/corps/{corp.id}/audit-events").json()["items"]

        assert items == []
