"""Mass messages staff send from their own WeCom client count against the quota once imported:
the next campaign leaves out whoever a member already messaged, so WeCom never refuses one."""

from __future__ import annotations

from sqlalchemy import func, select

from siyu.messaging.models import StaffMassMessage, StaffMassReceipt
from tests.messaging.conftest import Mass
from tests.profile.helpers import add_customer

IMPORT = "messaging.import_staff_sends"


def _preview(mass: Mass, **audience: object) -> dict[str, object]:
    body = {"name": "x", "text": "y", **audience}
    response = mass.api.post(mass.url("/mass-campaigns/preview"), json=body)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _receipts(mass: Mass) -> list[tuple[str, str, str | None]]:
    with mass.world.db.transaction(write=False) as session:
        rows = session.scalars(select(StaffMassReceipt).order_by(StaffMassReceipt.id))
        return [
            (r.staff_userid, r.target, str(r.customer_id) if r.customer_id else None) for r in rows
        ]


class TestImport:
    def test_a_members_own_send_uses_up_the_quota_of_who_got_it(self, mass: Mass) -> None:
        mass.world.state.rules.mass_quota = "one_per_day"
        mass.settings(quota_rule="one_per_day")
        person = add_customer(mass.world, "alice")
        messaged, ext = str(person.id), person.external_userid
        (other,) = mass.customers(1)
        mass.world.act("staff_mass_send", userid="alice", external_userids=[ext], text="周末见")
        mass.sync_clock()
        # Unknown to Siyu until imported: planning now would waste a send on `messaged`.
        assert _preview(mass, customer_ids=[messaged, other])["reachable"] == 2

        mass.run(IMPORT)
        assert _receipts(mass) == [("alice", ext, messaged)]
        preview = _preview(mass, customer_ids=[messaged, other])
        assert preview["reachable"] == 1 and preview["left_out"] == {"no_quota": 1}

        campaign = mass.create(customer_ids=[messaged, other])
        mass.confirm_all(campaign["id"])
        mass.track(campaign["id"])
        statuses = {str(r.customer_id): r.status for r in mass.rows(campaign["id"])}
        assert statuses == {messaged: "left_out", other: "delivered"}  # nothing got_other

    def test_importing_again_writes_nothing_twice(self, mass: Mass) -> None:
        people = mass.customers(3)
        mass.world.act("staff_mass_send", userid="alice", text="新品")  # all of alice's customers
        mass.sync_clock()
        mass.run(IMPORT)
        first = _receipts(mass)
        assert sorted(c for _, _, c in first) == sorted(people)
        mass.advance(60)
        mass.run(IMPORT)
        assert _receipts(mass) == first
        with mass.world.db.transaction(write=False) as session:
            (message,) = session.scalars(select(StaffMassMessage))
            assert message.chat_type == "single" and message.creator == "alice"
            assert message.imported_at is not None

    def test_group_sends_count_for_the_group(self, mass: Mass) -> None:
        mass.customers(2)
        world = mass.world
        members = [c.external_userid for c in world.wecom.customers.values()]
        chat = world.act("create_group", owner="alice", members=members)["chat_id"]
        world.deliver()
        mass.settings(quota_rule="one_per_day")
        world.state.rules.mass_quota = "one_per_day"
        world.act("staff_mass_send", userid="alice", chat_ids=[chat], text="群里见")
        mass.sync_clock()
        mass.run(IMPORT)
        assert _receipts(mass) == [("alice", chat, None)]
        preview = _preview(mass, kind="groups", chat_ids=[chat])
        assert preview["reachable"] == 0 and preview["left_out"] == {"no_quota": 1}

    def test_enterprise_messages_are_not_imported(self, mass: Mass) -> None:
        people = mass.customers(1)
        campaign = mass.create(customer_ids=people)
        mass.confirm_all(campaign["id"])
        mass.run(IMPORT)
        with mass.world.db.transaction(write=False) as session:
            assert session.scalar(select(func.count()).select_from(StaffMassMessage)) == 0
        assert _receipts(mass) == []
