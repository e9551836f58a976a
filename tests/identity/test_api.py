"""Identity API: merge history, manual merge and undo (exactly), split, conflicts, redirect
hints for merged ids, phone masking, and data scopes."""

from __future__ import annotations

import uuid

from fastapi import FastAPI

from siyu.auth.models import Role
from siyu.corps.models import Corp
from siyu.customers.models import Customer
from siyu.db.session import Database
from siyu.identity.models import IdentityConflict
from tests.customers.scope_bodies import customer_write_bodies
from tests.helpers.auth import make_corp, member_client
from tests.helpers.scope import ScopeTarget, assert_scope_isolation
from tests.identity.helpers import (
    claims,
    contact,
    merges,
    open_conflicts,
    person_of,
    resolve,
    snapshot,
)


def _base(corp_id: uuid.UUID) -> str:
    return f"/api/v1/corps/{corp_id}"


class TestManualMerge:
    def test_merge_then_undo_restores_exactly(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        a = contact(db, corp, "wm-a", staff="alice", unionid="UA")
        b = contact(db, corp, "wm-b", staff="bob", unionid="UB")
        resolve(db, corp, claims(("openid", "o-b"), ("unionid", "UB")))
        before = snapshot(db, corp)
        admin = member_client(app, db, corp=corp, role=Role.admin).client
        response = admin.post(f"{_base(corp.id)}/customers/{a}/merge", json={"merged_id": str(b)})
        assert response.status_code == 201, response.text
        merge = response.json()
        assert merge["reason"] == "manual"
        assert merge["moved"] == {
            "customer_identities.customer_id": 3,
            "follow_relations.customer_id": 1,
        }
        assert person_of(db, corp, "openid", "o-b") == a
        # The merged person is hidden from lists and answers with the survivor's id.
        listed = admin.get(f"{_base(corp.id)}/customers").json()["items"]
        assert [c["id"] for c in listed] == [str(a)]
        redirect = admin.get(f"{_base(corp.id)}/customers/{b}", follow_redirects=False)
        assert redirect.status_code == 307
        assert redirect.json() == {"merged_into_id": str(a)}
        history = admin.get(f"{_base(corp.id)}/customers/{a}/merges").json()
        assert [h["id"] for h in history] == [merge["id"]]

        undone = admin.post(f"{_base(corp.id)}/identity/merges/{merge['id']}/undo")
        assert undone.status_code == 200, undone.text
        assert snapshot(db, corp) == before
        again = admin.post(f"{_base(corp.id)}/identity/merges/{merge['id']}/undo")
        assert again.status_code == 409

    def test_undo_waits_for_a_later_merge_of_the_survivor(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        a, b, c = (contact(db, corp, f"wm-{n}") for n in "abc")
        admin = member_client(app, db, corp=corp, role=Role.admin).client
        first = admin.post(f"{_base(corp.id)}/customers/{a}/merge", json={"merged_id": str(b)})
        second = admin.post(f"{_base(corp.id)}/customers/{c}/merge", json={"merged_id": str(a)})
        assert second.status_code == 201
        # b was merged into a, a into c: b now points at c directly (chains stay flat).
        assert person_of(db, corp, "external_userid", "wm-b") == c
        blocked = admin.post(f"{_base(corp.id)}/identity/merges/{first.json()['id']}/undo")
        assert blocked.status_code == 409
        assert admin.post(f"{_base(corp.id)}/identity/merges/{second.json()['id']}/undo").is_success
        assert admin.post(f"{_base(corp.id)}/identity/merges/{first.json()['id']}/undo").is_success
        assert [person_of(db, corp, "external_userid", f"wm-{n}") for n in "abc"] == [a, b, c]

    def test_automatic_merges_undo_exactly(self, db: Database, app: FastAPI) -> None:
        corp = make_corp(db)
        contact(db, corp, "wm1", unionid="U1")
        resolve(db, corp, claims(("business_id", "B1"), ("phone", "13800138000")))
        before = snapshot(db, corp)
        resolve(db, corp, claims(("unionid", "U1"), ("phone", "13800138000")))
        (merge,) = merges(db, corp)
        admin = member_client(app, db, corp=corp, role=Role.admin).client
        assert admin.post(f"{_base(corp.id)}/identity/merges/{merge.id}/undo").is_success
        assert snapshot(db, corp) == before

    def test_merging_into_itself_is_refused(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        a = contact(db, corp, "wm-a")
        admin = member_client(app, db, corp=corp, role=Role.admin).client
        response = admin.post(f"{_base(corp.id)}/customers/{a}/merge", json={"merged_id": str(a)})
        assert response.status_code == 400


def merge_then_split(app: FastAPI, db: Database, moving: str) -> tuple[Corp, str, str]:
    """wm-b merged into wm-a's person, then the identity `moving` split off.
    Returns the corp, the first person's id and the new person's id."""
    corp = make_corp(db)
    a = contact(db, corp, "wm-a", staff="alice")
    b = contact(db, corp, "wm-b", staff="bob")
    admin = member_client(app, db, corp=corp, role=Role.admin).client
    admin.post(f"{_base(corp.id)}/customers/{a}/merge", json={"merged_id": str(b)})
    identities = admin.get(f"{_base(corp.id)}/customers/{a}/identities").json()
    chosen = next(i for i in identities if i["value"] == moving)
    response = admin.post(
        f"{_base(corp.id)}/customers/{a}/split", json={"identity_ids": [chosen["id"]]}
    )
    assert response.status_code == 201, response.text
    return corp, str(a), response.json()["id"]


def wecom_reports_both_again(db: Database, corp: Corp) -> None:
    """A sync or a callback brings both contacts again."""
    contact(db, corp, "wm-a", staff="alice")
    contact(db, corp, "wm-b", staff="bob")


class TestSplit:
    def test_identities_and_their_relations_move_to_a_new_person(
        self, app: FastAPI, db: Database
    ) -> None:
        corp, a, new_id = merge_then_split(app, db, "wm-b")
        expected = sorted([("wm-a", "alice", a), ("wm-b", "bob", new_id)])
        assert str(person_of(db, corp, "external_userid", "wm-b")) == new_id
        assert snapshot(db, corp)["relations"] == expected
        wecom_reports_both_again(db, corp)
        assert str(person_of(db, corp, "external_userid", "wm-b")) == new_id
        assert snapshot(db, corp)["relations"] == expected

    def test_splitting_off_the_persons_own_contact_survives_a_sync(
        self, app: FastAPI, db: Database
    ) -> None:
        corp, a, new_id = merge_then_split(app, db, "wm-a")
        wecom_reports_both_again(db, corp)
        assert str(person_of(db, corp, "external_userid", "wm-a")) == new_id
        assert str(person_of(db, corp, "external_userid", "wm-b")) == a
        assert snapshot(db, corp)["relations"] == sorted(
            [("wm-a", "alice", new_id), ("wm-b", "bob", a)]
        )

    def test_the_last_identity_stays(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        a = contact(db, corp, "wm-a")
        admin = member_client(app, db, corp=corp, role=Role.admin).client
        (only,) = admin.get(f"{_base(corp.id)}/customers/{a}/identities").json()
        response = admin.post(
            f"{_base(corp.id)}/customers/{a}/split", json={"identity_ids": [only["id"]]}
        )
        assert response.status_code == 400


class TestConflicts:
    def _conflict(self, db: Database) -> tuple[object, IdentityConflict]:
        corp = make_corp(db)
        resolve(db, corp, claims(("business_id", "B1"), ("phone", "13800138000")))
        resolve(db, corp, claims(("business_id", "B2"), ("phone", "13800138000")))
        (conflict,) = open_conflicts(db, corp)
        return corp, conflict

    def test_listed_and_merged_on_request(self, app: FastAPI, db: Database) -> None:
        corp, conflict = self._conflict(db)
        admin = member_client(app, db, corp=corp, role=Role.owner).client  # type: ignore[attr-defined]
        base = _base(corp.id)  # type: ignore[attr-defined]
        page = admin.get(f"{base}/identity/conflicts").json()
        assert [c["id"] for c in page["items"]] == [str(conflict.id)]
        assert page["items"][0]["value"] == "13800138000"  # owners see full numbers
        done = admin.post(
            f"{base}/identity/conflicts/{conflict.id}/resolve", json={"action": "merge"}
        )
        assert done.status_code == 200 and done.json()["status"] == "merged"
        assert admin.get(f"{base}/identity/conflicts").json()["items"] == []

    def test_kept_apart(self, app: FastAPI, db: Database) -> None:
        corp, conflict = self._conflict(db)
        admin = member_client(app, db, corp=corp, role=Role.admin).client  # type: ignore[attr-defined]
        done = admin.post(
            f"{_base(corp.id)}/identity/conflicts/{conflict.id}/resolve",  # type: ignore[attr-defined]
            json={"action": "keep_apart"},
        )
        assert done.json()["status"] == "kept_apart"
        assert merges(db, corp) == []  # type: ignore[arg-type]


class TestMasking:
    def test_staff_and_managers_see_masked_phones(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        person = contact(db, corp, "wm1", staff="alice", unionid="U1")
        resolve(db, corp, claims(("unionid", "U1"), ("phone", "13800138000")))
        url = f"{_base(corp.id)}/customers/{person}/identities"

        def phone_seen(role: Role) -> str:
            client = member_client(app, db, corp=corp, role=role, staff_userid="alice").client
            return next(i["value"] for i in client.get(url).json() if i["kind"] == "phone")

        assert phone_seen(Role.staff) == "138****8000"
        assert phone_seen(Role.manager) == "138****8000"
        assert phone_seen(Role.admin) == "13800138000"
        owner = member_client(app, db, corp=corp, role=Role.owner).client
        rules = owner.get(f"{_base(corp.id)}/identity/rules").json()
        assert owner.put(
            f"{_base(corp.id)}/identity/rules", json=rules | {"managers_see_phones": True}
        ).is_success
        assert phone_seen(Role.manager) == "13800138000"
        assert phone_seen(Role.staff) == "138****8000"


class TestRules:
    def test_bad_rules_are_a_clear_422(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        owner = member_client(app, db, corp=corp, role=Role.owner).client
        response = owner.put(f"{_base(corp.id)}/identity/rules", json={"priority": ["phone"]})
        assert response.status_code == 422
        assert "priority" in response.text

    def test_staff_cannot_change_rules(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        staff = member_client(app, db, corp=corp, role=Role.staff, staff_userid="alice").client
        assert staff.put(f"{_base(corp.id)}/identity/rules", json={}).status_code == 403


class TestScopes:
    def test_staff_cannot_see_or_merge_others_customers(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        mine = contact(db, corp, "wm-mine", staff="alice")
        theirs = contact(db, corp, "wm-theirs", staff="bob")
        alice = member_client(app, db, corp=corp, role=Role.staff, staff_userid="alice")
        report = assert_scope_isolation(
            app,
            alice.client,
            db,
            corp_ids=[corp.id, make_corp(db).id],
            targets=[ScopeTarget("customer_id", Customer, foreign=[theirs], visible=[mine])],
            sample_bodies=customer_write_bodies(mine),
        )
        assert report.denied
        # Nor merge their customer into hers from her side.
        response = alice.client.post(
            f"{_base(corp.id)}/customers/{mine}/merge", json={"merged_id": str(theirs)}
        )
        assert response.status_code == 404
        assert person_of(db, corp, "external_userid", "wm-theirs") == theirs

    def test_staff_see_only_conflicts_between_their_customers(
        self, app: FastAPI, db: Database
    ) -> None:
        corp = make_corp(db)
        contact(db, corp, "wm-1", staff="bob", unionid="U1")
        resolve(db, corp, claims(("business_id", "B1"), ("unionid", "U1")))
        resolve(db, corp, claims(("business_id", "B2"), ("unionid", "U1")))
        assert open_conflicts(db, corp)
        alice = member_client(app, db, corp=corp, role=Role.staff, staff_userid="alice").client
        assert alice.get(f"{_base(corp.id)}/identity/conflicts").json()["items"] == []
