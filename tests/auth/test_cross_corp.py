"""Owners of one corp cannot reach another corp's members or API keys through any endpoint."""

from __future__ import annotations

from fastapi import FastAPI

from siyu.auth.models import ApiKey, CorpMembership, Role
from siyu.db.session import Database
from tests.helpers.auth import make_api_key, make_corp, make_membership, make_user, member_client
from tests.helpers.scope import ScopeTarget, assert_scope_isolation


class TestCrossCorpPeopleAndKeys:
    def test_members_and_keys_of_other_corps_are_unreachable(
        self, app: FastAPI, db: Database
    ) -> None:
        home, other = make_corp(db), make_corp(db)
        owner = member_client(app, db, corp=home, role=Role.owner)
        colleague = make_membership(db, corp=home, user=make_user(db), role=Role.staff)
        stranger = make_membership(db, corp=other, user=make_user(db), role=Role.owner)
        my_key, _ = make_api_key(db, corp=home, scopes=["staff:read"])
        their_key, _ = make_api_key(db, corp=other, scopes=["*"])

        report = assert_scope_isolation(
            app,
            owner.client,
            db,
            corp_ids=[home.id, other.id],
            sample_bodies={"update_member": {"role": "staff"}},
            targets=[
                ScopeTarget(
                    "member_id", CorpMembership, foreign=[stranger.id], visible=[colleague.id]
                ),
                ScopeTarget("api_key_id", ApiKey, foreign=[their_key.id], visible=[my_key.id]),
            ],
        )

        assert any("DELETE" in line and str(their_key.id) in line for line in report.denied)
