"""Claim batches: the API, the durable job, and resuming after a crash mid-batch."""

from __future__ import annotations

import pytest
from fastapi import FastAPI

from siyu.auth.models import Role
from siyu.db.session import Database
from siyu.identity.batches import run_batch, stage
from siyu.identity.models import IdentityBatch
from siyu.identity.resolver import Record
from tests.helpers.auth import make_corp, member_client
from tests.identity.helpers import claims, contact, merges, person_of, snapshot

RECORDS = [
    claims(("business_id", "B1"), ("phone", "13800138000")),
    claims(("openid", "o1"), ("unionid", "U1")),
    # Bridges the two persons above (they exist by now: one chunk per record): a merge.
    claims(("unionid", "U1"), ("phone", "13800138000")),
    claims(("business_id", "B2"), ("phone", "13800138001")),
]


class Crash(Exception):
    pass


class TestBatchApi:
    def test_submitted_claims_are_resolved_by_the_job(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        wecom = contact(db, corp, "wm1", unionid="U1")
        admin = member_client(app, db, corp=corp, role=Role.admin).client
        body = {
            "source": "miniprogram",
            "records": [
                {
                    "name": "小程序用户",
                    "claims": [
                        {"kind": "openid", "value": "o1", "namespace": "wxapp"},
                        {"kind": "unionid", "value": "U1"},
                    ],
                }
            ],
        }
        response = admin.post(f"/api/v1/corps/{corp.id}/identity/batches", json=body)
        assert response.status_code == 202, response.text
        batch = admin.get(f"/api/v1/corps/{corp.id}/identity/batches/{response.json()['id']}")
        assert batch.json()["status"] == "done"
        assert person_of(db, corp, "openid", "o1") == wecom

    def test_unknown_kinds_are_a_422(self, app: FastAPI, db: Database) -> None:
        corp = make_corp(db)
        admin = member_client(app, db, corp=corp, role=Role.admin).client
        body = {"source": "x", "records": [{"claims": [{"kind": "email", "value": "a@b"}]}]}
        response = admin.post(f"/api/v1/corps/{corp.id}/identity/batches", json=body)
        assert response.status_code == 422


class TestResume:
    def _batch(self, db: Database, corp_id: object) -> object:
        with db.transaction() as session:
            records = [Record(ref=i, claims=c) for i, c in enumerate(RECORDS, start=1)]
            return stage(session, corp_id=corp_id, source="test", records=records).id  # type: ignore[arg-type]

    def test_a_crash_between_chunks_resumes_to_the_same_result(self, db: Database) -> None:
        whole, crashed = make_corp(db), make_corp(db)
        run_batch(db.transaction, self._batch(db, whole.id), chunk=1)  # type: ignore[arg-type]
        batch_id = self._batch(db, crashed.id)
        seen = []

        def crash_after_two(_: object) -> None:
            seen.append(1)
            if len(seen) == 2:
                raise Crash

        with pytest.raises(Crash):
            run_batch(db.transaction, batch_id, chunk=1, on_chunk=crash_after_two)  # type: ignore[arg-type]
        with db.transaction(write=False) as session:
            batch = session.get(IdentityBatch, batch_id)
            assert batch is not None and batch.done_records == 2
        assert run_batch(db.transaction, batch_id, chunk=1) == "done"  # type: ignore[arg-type]

        def shape(corp: object) -> object:
            state = snapshot(db, corp)  # type: ignore[arg-type]
            ids = {p for _, _, p in state["identities"]}  # type: ignore[union-attr]
            names = {p: f"p{i}" for i, p in enumerate(sorted(ids))}
            return (
                sorted((k, v, names[p]) for k, v, p in state["identities"]),  # type: ignore[union-attr]
                len(merges(db, corp)),  # type: ignore[arg-type]
            )

        assert shape(whole) == shape(crashed)
        assert len(merges(db, whole)) == 1

    def test_the_segment_index_equals_a_recomputation(self, db: Database) -> None:
        """New persons get their facts rows written directly, merged and surviving ones are
        recomputed: either way the index is what a full rebuild makes of the sources."""
        from sqlalchemy import select

        from siyu.segments import facts
        from siyu.segments.models import CustomerFacts

        corp = make_corp(db)
        run_batch(db.transaction, self._batch(db, corp.id), chunk=2)  # type: ignore[arg-type]

        def index() -> list[tuple[object, ...]]:
            with db.transaction(write=False) as session:
                t = CustomerFacts
                stmt = select(t.customer_id, t.status, t.first_added_at, t.tags, t.staff)
                return sorted(tuple(r) for r in session.execute(stmt.where(t.corp_id == corp.id)))

        written = index()
        # The first chunk makes two persons, the third record merges them, the fourth is new.
        assert len(written) == 2 and len(merges(db, corp)) == 1
        with db.transaction() as session:
            facts.rebuild_corp(session, corp.id)
        assert index() == written
