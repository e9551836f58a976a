"""Resolution rules: junk values, limits, priority, and never merging two business ids."""

from __future__ import annotations

import pytest

from siyu.db.session import Database
from siyu.identity.rules import IdentityRuleSet, junk_reason, normalize
from siyu.identity.service import identity_service
from siyu.kit.clock import utcnow
from siyu.sync.apply import apply_follows
from tests.helpers.auth import make_corp
from tests.identity.helpers import claims, contact, merges, open_conflicts, person_of, resolve


class TestJunk:
    @pytest.mark.parametrize(
        ("kind", "value"),
        [
            ("phone", "00000000000"),
            ("phone", "13333333333"),
            ("phone", "11111111111"),
            ("phone", "12345"),
            ("unionid", ""),
            ("unionid", "null"),
            ("business_id", "test"),
            ("business_id", "None"),
            ("business_id", "0"),
            ("openid", "xxxxxxxx"),
        ],
    )
    def test_is_refused(self, kind: str, value: str) -> None:
        assert junk_reason(kind, normalize(kind, value), IdentityRuleSet()) is not None

    def test_blocklist_is_per_corp(self) -> None:
        rules = IdentityRuleSet(blocklist=["M000000001"])
        assert junk_reason("business_id", "m000000001", rules) is not None
        assert junk_reason("business_id", "M000000002", rules) is None

    def test_phones_are_normalised(self) -> None:
        assert normalize("phone", "+86 138-0013-8000") == "13800138000"

    def test_junk_claims_are_reported_not_stored(self, db: Database) -> None:
        corp = make_corp(db)
        outcome = resolve(db, corp, claims(("phone", "00000000000"), ("business_id", "B1")))
        assert [(r.kind, r.reason) for r in outcome.rejected] == [
            ("phone", "phone of one repeated digit")
        ]
        assert person_of(db, corp, "phone", "00000000000") is None
        assert person_of(db, corp, "business_id", "B1") is not None

    def test_a_record_of_junk_only_makes_no_person(self, db: Database) -> None:
        corp = make_corp(db)
        outcome = resolve(db, corp, claims(("phone", "null"), ("business_id", "test")))
        assert outcome.created == 0 and outcome.persons == {} and len(outcome.rejected) == 2


class TestLimits:
    def test_a_fourth_phone_is_refused(self, db: Database) -> None:
        corp = make_corp(db)
        phones = [("phone", f"1380013800{i}") for i in range(4)]
        outcome = resolve(db, corp, claims(("business_id", "B1"), *phones))
        assert len(outcome.rejected) == 1 and "limit" in outcome.rejected[0].reason
        owner = person_of(db, corp, "business_id", "B1")
        held = [person_of(db, corp, "phone", v) for _, v in phones]
        assert held.count(owner) == 3

    def test_corp_limits_apply(self, db: Database) -> None:
        corp = make_corp(db)
        with db.transaction() as session:
            identity_service.set_rules(
                session, corp_id=corp.id, rules=IdentityRuleSet(limits={"phone": 1})
            )
        outcome = resolve(db, corp, claims(("phone", "13800138000"), ("phone", "13800138001")))
        assert len(outcome.rejected) == 1


class TestMergeRules:
    def test_a_shared_unionid_makes_one_person(self, db: Database) -> None:
        corp = make_corp(db)
        wecom = contact(db, corp, "wm1", unionid="U1")
        outcome = resolve(db, corp, claims(("openid", "o1"), ("unionid", "U1")))
        assert outcome.persons[1] == wecom
        assert person_of(db, corp, "openid", "o1") == wecom
        assert outcome.created == 0 and outcome.merged == 0

    def test_contacts_sharing_a_unionid_are_one_person_in_one_write_or_two(
        self, db: Database
    ) -> None:
        """Two contacts with one unionid (two staff's pages of the same sync batch, say) end
        as one person with a merge, as when they are written one after the other."""
        apart, together = make_corp(db), make_corp(db)
        contact(db, apart, "wm1", unionid="U1")
        contact(db, apart, "wm2", staff="bob", unionid="U1")
        with db.transaction() as session:
            apply_follows(
                session,
                together.id,
                [
                    ({"external_userid": e, "name": e, "unionid": "U1"}, {"userid": staff})
                    for e, staff in (("wm1", "alice"), ("wm2", "bob"))
                ],
                tag_ids={},
                now=utcnow(),
            )
        for corp in (apart, together):
            first = person_of(db, corp, "external_userid", "wm1")
            assert person_of(db, corp, "external_userid", "wm2") == first
            assert person_of(db, corp, "unionid", "U1") == first
            assert len(merges(db, corp)) == 1 and open_conflicts(db, corp) == []

    def test_a_bridge_merges_two_persons_with_history(self, db: Database) -> None:
        corp = make_corp(db)
        wecom = contact(db, corp, "wm1", unionid="U1")
        resolve(db, corp, claims(("business_id", "B1"), ("phone", "13800138000")))
        shop = person_of(db, corp, "business_id", "B1")
        outcome = resolve(db, corp, claims(("unionid", "U1"), ("phone", "13800138000")))
        assert outcome.merged == 1
        (merge,) = merges(db, corp)
        # The business id is the strongest identifier: the shop person survives.
        assert (merge.survivor_id, merge.merged_id) == (shop, wecom)
        assert person_of(db, corp, "external_userid", "wm1") == shop
        assert len(merge.moved["customer_identities.customer_id"]) == 2
        assert len(merge.moved["follow_relations.customer_id"]) == 1

    def test_two_business_ids_are_never_merged(self, db: Database) -> None:
        corp = make_corp(db)
        resolve(db, corp, claims(("business_id", "B1"), ("phone", "13800138000")))
        resolve(db, corp, claims(("business_id", "B2"), ("phone", "13800138001")))
        outcome = resolve(db, corp, claims(("phone", "13800138000"), ("phone", "13800138001")))
        assert outcome.merged == 0 and merges(db, corp) == []
        (conflict,) = open_conflicts(db, corp)
        assert conflict.reason == "limit:business_id"
        assert {conflict.person_a_id, conflict.person_b_id} == {
            person_of(db, corp, "business_id", "B1"),
            person_of(db, corp, "business_id", "B2"),
        }

    def test_a_record_with_a_second_business_id_becomes_a_conflict(self, db: Database) -> None:
        corp = make_corp(db)
        resolve(db, corp, claims(("business_id", "B1"), ("phone", "13800138000")))
        outcome = resolve(db, corp, claims(("business_id", "B2"), ("phone", "13800138000")))
        assert outcome.created == 1 and outcome.conflicts == 1
        assert person_of(db, corp, "business_id", "B2") != person_of(db, corp, "business_id", "B1")

    def test_unverified_phones_never_link(self, db: Database) -> None:
        corp = make_corp(db)
        resolve(db, corp, claims(("business_id", "B1"), ("phone", "13800138000")))
        outcome = resolve(db, corp, claims(("openid", "o1"), ("phone", "13800138000", False)))
        assert outcome.created == 1 and outcome.merged == 0
        assert open_conflicts(db, corp)[0].reason == "unverified_phone"

    def test_priority_decides_link_order(self, db: Database) -> None:
        """The business id is joined first, so the record stays with B1's person even though
        its phone belongs to another person with a different business id."""
        corp = make_corp(db)
        resolve(db, corp, claims(("business_id", "B1")))
        resolve(db, corp, claims(("business_id", "B2"), ("phone", "13800138000")))
        outcome = resolve(db, corp, claims(("phone", "13800138000"), ("business_id", "B1")))
        assert outcome.persons[1] == person_of(db, corp, "business_id", "B1")
        assert outcome.conflicts == 1

    def test_resolution_is_deterministic(self, db: Database) -> None:
        corp_a, corp_b = make_corp(db), make_corp(db)
        batch = [
            claims(("unionid", "U1"), ("phone", "13800138000")),
            claims(("business_id", "B1"), ("phone", "13800138000")),
            claims(("business_id", "B2"), ("unionid", "U1")),
        ]
        shapes = []
        for corp in (corp_a, corp_b):
            outcome = resolve(db, corp, *batch)
            groups = sorted(
                sorted(ref for ref, p in outcome.persons.items() if p == person)
                for person in set(outcome.persons.values())
            )
            shapes.append((groups, outcome.conflicts, len(outcome.rejected)))
        assert shapes[0] == shapes[1]

    def test_sync_attaches_relations_to_the_survivor(self, db: Database) -> None:
        corp = make_corp(db)
        wecom = contact(db, corp, "wm1", unionid="U1")
        resolve(db, corp, claims(("business_id", "B1"), ("phone", "13800138000")))
        resolve(db, corp, claims(("unionid", "U1"), ("phone", "13800138000")))
        shop = person_of(db, corp, "business_id", "B1")
        assert shop != wecom
        # A later sync of the merged contact, by another staff member too.
        again = contact(db, corp, "wm1", staff="bob", unionid="U1")
        assert again == shop
