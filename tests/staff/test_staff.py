from __future__ import annotations

from fastapi import FastAPI
from sqlalchemy import func, select

from siyu.audit.models import AuditEvent
from siyu.auth.models import Role
from siyu.db.session import Database
from siyu.staff.models import StaffMember
from siyu.staff.schemas import mask_mobile
from tests.helpers.auth import make_corp, make_department, make_staff, member_client


def _staff_url(corp_id: object) -> str:
    return f"/api/v1/corps/{corp_id}/staff"


class TestCreateStaff:
    def test_admin_enters_a_member_with_departments_and_defaults(
        self, app: FastAPI, db: Database
    ) -> None:
        corp = make_corp(db)
        make_department(db, corp=corp, wecom_dept_id=2)
        make_department(db, corp=corp, wecom_dept_id=5)
        admin = member_client(app, db, corp=corp, role=Role.admin)

        response = admin.client.post(
            _staff_url(corp.id),
            json={
                "userid": "Zhang.San-01",
                "name": "张三",
                "mobile": "13812345678",
                "department_ids": [5, 2],
                "gender": 1,
            },
        )

        assert response.status_code == 201
        body = response.json()
        assert body["department_ids"] == [2, 5] and body["main_department"] == 5
        assert (body["daily_add_cap"], body["friend_cap"], body["status"]) == (400, 5000, 1)
        assert body["mobile"] == "13812345678"

    def test_duplicate_userid_is_409(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        make_staff(db, corp=corp, userid="zhangsan")
        admin = member_client(app, db, corp=corp, role=Role.admin)

        response = admin.client.post(
            _staff_url(corp.id), json={"userid": "zhangsan", "name": "Again"}
        )

        assert response.status_code == 409

    def test_same_userid_in_another_corp_is_fine(self, app: FastAPI, db: Database) -> None:
        corp, other = make_corp(db), make_corp(db)
        make_staff(db, corp=other, userid="zhangsan")
        admin = member_client(app, db, corp=corp, role=Role.admin)

        response = admin.client.post(
            _staff_url(corp.id), json={"userid": "zhangsan", "name": "Zhang"}
        )

        assert response.status_code == 201

    def test_managers_cannot_create(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        manager = member_client(app, db, corp=corp, role=Role.manager)

        response = manager.client.post(_staff_url(corp.id), json={"userid": "x", "name": "X"})

        assert response.status_code == 403

    def test_bad_input_is_a_422_envelope_and_writes_nothing(
        self, app: FastAPI, db: Database
    ) -> None:
        corp = make_corp(db)
        admin = member_client(app, db, corp=corp, role=Role.admin)
        for body in (
            {"userid": "zhang san", "name": "x"},
            {"userid": "x" * 65, "name": "x"},
            {"userid": "ok", "name": ""},
            {"userid": "ok", "name": "x", "nickname": "typo"},
            {"userid": "ok", "name": "x", "daily_add_cap": "many"},
            {"userid": "ok", "name": "x", "daily_add_cap": -1},
            {"userid": "ok", "name": "x", "gender": 3},
            {"userid": "ok", "name": "x", "mobile": "call me"},
            {"userid": "ok", "name": "x", "department_ids": [99]},
        ):
            response = admin.client.post(_staff_url(corp.id), json=body)
            assert response.status_code == 422, body
            error = response.json()["error"]
            assert error["code"] == "validation_error" and error["message"]
        with db.transaction() as session:
            assert session.scalar(select(func.count()).select_from(StaffMember)) == 0
            assert (
                session.scalar(
                    select(func.count())
                    .select_from(AuditEvent)
                    .where(AuditEvent.action.like("staff.%"))
                )
                == 0
            )

    def test_unknown_department_names_the_missing_ids(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        admin = member_client(app, db, corp=corp, role=Role.admin)

        response = admin.client.post(
            _staff_url(corp.id), json={"userid": "ok", "name": "x", "department_ids": [99, 98]}
        )

        assert response.json()["error"]["details"] == {"department_ids": [98, 99]}


class TestUpdateStaff:
    def test_caps_and_departments_change_and_are_audited(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        make_department(db, corp=corp, wecom_dept_id=7)
        row = make_staff(db, corp=corp, userid="zhangsan")
        admin = member_client(app, db, corp=corp, role=Role.admin)

        response = admin.client.patch(
            f"{_staff_url(corp.id)}/{row.id}",
            json={
                "daily_add_cap": 60,
                "friend_cap": 20000,
                "department_ids": [7],
                "position": "导购",
            },
        )

        assert response.status_code == 200
        body = response.json()
        assert (
            body["daily_add_cap"],
            body["friend_cap"],
            body["department_ids"],
            body["position"],
        ) == (60, 20000, [7], "导购")
        with db.transaction() as session:
            event = session.scalars(
                select(AuditEvent).where(AuditEvent.action == "staff.update")
            ).one()
        assert event.details["fields"] == [
            "daily_add_cap",
            "department_ids",
            "friend_cap",
            "position",
        ]
        assert event.details["daily_add_cap"] == 60

    def test_null_for_a_required_field_is_422_and_changes_nothing(
        self, app: FastAPI, db: Database
    ) -> None:
        corp = make_corp(db)
        row = make_staff(db, corp=corp, userid="zhangsan", name="Zhang")
        admin = member_client(app, db, corp=corp, role=Role.admin)
        url = f"{_staff_url(corp.id)}/{row.id}"

        response = admin.client.patch(url, json={"name": None, "position": "x"})

        assert response.status_code == 422
        assert admin.client.get(url).json()["position"] is None

    def test_userid_cannot_be_changed(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        row = make_staff(db, corp=corp, userid="zhangsan")
        admin = member_client(app, db, corp=corp, role=Role.admin)

        response = admin.client.patch(f"{_staff_url(corp.id)}/{row.id}", json={"userid": "x"})

        assert response.status_code == 422

    def test_staff_role_cannot_update_even_their_own_row(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        row = make_staff(db, corp=corp, userid="zhangsan")
        own = member_client(app, db, corp=corp, role=Role.staff, staff_userid="zhangsan")

        response = own.client.patch(f"{_staff_url(corp.id)}/{row.id}", json={"daily_add_cap": 5000})

        assert response.status_code == 403


class TestMasking:
    def test_staff_role_sees_masked_mobiles_managers_see_full(
        self, app: FastAPI, db: Database
    ) -> None:
        corp = make_corp(db)
        row = make_staff(db, corp=corp, userid="zhangsan", mobile="13812345678")
        own = member_client(app, db, corp=corp, role=Role.staff, staff_userid="zhangsan")
        manager = member_client(
            app, db, corp=corp, role=Role.manager, scope=None, staff_userid="zhangsan"
        )

        masked = own.client.get(f"{_staff_url(corp.id)}/{row.id}").json()["mobile"]
        listed = own.client.get(_staff_url(corp.id)).json()["items"][0]["mobile"]
        full = manager.client.get(f"{_staff_url(corp.id)}/{row.id}").json()["mobile"]

        assert masked == listed == "138****5678"
        assert full == "13812345678"

    def test_mask_shapes(self) -> None:
        assert mask_mobile("+86 138-1234-5678") == "+86*******5678"
        assert mask_mobile("12345") == "*****"
        assert mask_mobile(None) is None


class TestListStaff:
    def test_pages_by_name_with_a_keyset_cursor(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        for userid, name in (("d", "Dan"), ("a", "Amy"), ("c", "Cai"), ("b", "Bo"), ("e", "Bo")):
            make_staff(db, corp=corp, userid=userid, name=name)
        admin = member_client(app, db, corp=corp, role=Role.admin)

        names, cursor = [], None
        while True:
            params = {"limit": 2, **({"cursor": cursor} if cursor else {})}
            page = admin.client.get(_staff_url(corp.id), params=params).json()
            names += [item["name"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break

        assert names == ["Amy", "Bo", "Bo", "Cai", "Dan"]

    def test_filters_by_department_and_name(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        sales = make_department(db, corp=corp, wecom_dept_id=2)
        make_staff(db, corp=corp, userid="zhangsan", name="张三", departments=[sales])
        make_staff(db, corp=corp, userid="lisi", name="李四")
        make_staff(db, corp=corp, userid="percent", name="100%")
        admin = member_client(app, db, corp=corp, role=Role.admin)

        def userids(**params: object) -> list[str]:
            page = admin.client.get(_staff_url(corp.id), params=params).json()
            return [item["userid"] for item in page["items"]]

        assert userids(department_id=2) == ["zhangsan"]
        assert userids(name="张") == ["zhangsan"]
        assert userids(name="LISI") == ["lisi"]
        assert userids(name="%") == ["percent"]

    def test_bad_query_values_are_422(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        admin = member_client(app, db, corp=corp, role=Role.admin)

        assert admin.client.get(_staff_url(corp.id), params={"limit": 0}).status_code == 422
        assert (
            admin.client.get(_staff_url(corp.id), params={"department_id": "x"}).status_code == 422
        )
        assert admin.client.get(_staff_url(corp.id), params={"cursor": "bad"}).status_code == 400


class TestDepartments:
    def test_admin_creates_and_everyone_lists(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        admin = member_client(app, db, corp=corp, role=Role.admin)
        staff = member_client(app, db, corp=corp, role=Role.staff)
        url = f"/api/v1/corps/{corp.id}/departments"

        created = admin.client.post(url, json={"wecom_dept_id": 1, "name": "HQ"})
        duplicate = admin.client.post(url, json={"wecom_dept_id": 1, "name": "HQ"})
        refused = staff.client.post(url, json={"wecom_dept_id": 2, "name": "Shop"})

        assert (created.status_code, duplicate.status_code, refused.status_code) == (201, 409, 403)
        assert [d["name"] for d in staff.client.get(url).json()] == ["HQ"]
