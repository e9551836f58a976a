"""Callbacks record the contact's identities and attach relations to the surviving person."""

from __future__ import annotations

from siyu.db.session import Database
from tests.customers.world import World, world
from tests.identity.helpers import claims, person_of, resolve

__all__ = ["world"]


class TestCallbacks:
    def test_an_added_contact_gets_its_identities(self, world: World, db: Database) -> None:
        ext = str(world.act("add_customer", userid="alice")["external_userid"])
        world.deliver()
        customer = world.customer(ext)
        assert customer is not None
        assert person_of(db, world.corp, "external_userid", ext) == customer.id
        if customer.unionid:
            assert person_of(db, world.corp, "unionid", customer.unionid) == customer.id

    def test_a_merged_contacts_new_relation_joins_the_survivor(
        self, world: World, db: Database
    ) -> None:
        ext = str(world.act("add_customer", userid="alice")["external_userid"])
        world.deliver()
        contact = world.customer(ext)
        assert contact is not None
        # The shop knows this person by a business id and the contact's external_userid
        # (the shop's WeCom integration): the shop record survives (business id is stronger).
        resolve(db, world.corp, claims(("business_id", "B1")))
        shop = person_of(db, world.corp, "business_id", "B1")
        outcome = resolve(db, world.corp, claims(("business_id", "B1"), ("external_userid", ext)))
        assert outcome.merged == 1
        world.act("add_customer", userid="bob", external_userid=ext)
        world.deliver()
        relations = world.relations(ext)
        assert relations and {r.customer_id for r in relations.values()} == {shop}
