from __future__ import annotations

import pytest

from siyu.db.session import Database
from siyu.events.service import CUSTOMER_ADDED, TAG_ADDED, domain_events
from tests.helpers.auth import make_corp


class TestDomainEvents:
    def test_dedup_key_records_a_fact_once(self, db: Database) -> None:
        corp = make_corp(db)
        with db.transaction() as session:
            first = domain_events.emit(
                session,
                corp_id=corp.id,
                name=CUSTOMER_ADDED,
                subject_type="customer",
                subject_id="wmA",
                dedup_key="inbox:k1",
            )
            again = domain_events.emit(
                session,
                corp_id=corp.id,
                name=CUSTOMER_ADDED,
                subject_type="customer",
                subject_id="wmA",
                dedup_key="inbox:k1",
            )
        assert (first, again) == (True, False)
        with db.transaction(write=False) as session:
            assert len(domain_events.list_after(session, corp_id=corp.id)) == 1

    def test_resume_after_last_seen_in_order(self, db: Database) -> None:
        corp = make_corp(db)
        with db.transaction() as session:
            for index in range(5):
                domain_events.emit(
                    session,
                    corp_id=corp.id,
                    name=TAG_ADDED,
                    subject_type="customer",
                    subject_id=f"wm{index}",
                )
        with db.transaction(write=False) as session:
            first_two = domain_events.list_after(session, corp_id=corp.id, limit=2)
            rest = domain_events.list_after(session, corp_id=corp.id, after_id=first_two[-1].id)
        assert [e.subject_id for e in first_two + rest] == [f"wm{i}" for i in range(5)]

    def test_unknown_names_are_refused(self, db: Database) -> None:
        corp = make_corp(db)
        with pytest.raises(ValueError, match="unknown domain event"), db.transaction() as session:
            domain_events.emit(
                session,
                corp_id=corp.id,
                name="customer.teleported",
                subject_type="customer",
                subject_id="x",
            )
