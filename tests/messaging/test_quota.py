"""The acceptance case: a monthly quota of 4 and 6 campaigns in one month. No customer is ever
sent a 5th, WeCom never answers "already received another" (nothing wasted), and the report
lists who was left out and why."""

from __future__ import annotations

from collections import Counter

from tests.messaging.conftest import Mass

HOUR = 3600


def test_no_customer_gets_a_fifth_message_in_a_month(mass: Mass) -> None:
    mass.world.state.rules.mass_quota = "four_per_month"
    mass.settings(quota_rule="four_per_month")
    regulars = mass.customers(3)
    delivered: Counter[str] = Counter()
    campaigns = []
    for index in range(6):
        if index == 4:
            newcomer = mass.customers(1)[0]  # joins late: still has slots
        audience = regulars + ([newcomer] if index >= 4 else [])
        campaign = mass.create(name=f"第{index + 1}期", customer_ids=audience)
        mass.confirm_all(campaign["id"])
        mass.track(campaign["id"])
        campaigns.append(campaign["id"])
        for row in mass.rows(campaign["id"]):
            if row.status == "delivered":
                delivered[str(row.customer_id)] += 1
            assert row.status != "got_other"  # WeCom never had to refuse one
        mass.advance(2 * 24 * HOUR)  # the next campaign, two days later (same month)

    assert all(delivered[c] == 4 for c in regulars)
    assert delivered[newcomer] == 2
    for customer in mass.world.wecom.customers.values():
        assert all(n <= 4 for n in customer.received.values())

    fifth = mass.report(campaigns[4])
    assert fifth["left_out"] == {"no_quota": 3}
    assert fifth["delivered"] == 1 and fifth["by_status"]["left_out"] == 3
    listed = mass.api.get(
        mass.url(f"/mass-campaigns/{campaigns[5]}/recipients"), params={"status": "left_out"}
    ).json()["items"]
    assert {(r["customer_id"], r["reason"]) for r in listed} == {(c, "no_quota") for c in regulars}


def test_siyu_caps_per_day_and_per_week(mass: Mass) -> None:
    mass.settings(daily_cap=1, weekly_cap=2)
    people = mass.customers(2)
    first = mass.create(customer_ids=people)
    assert first["reachable_count"] == 2
    preview = mass.api.post(
        mass.url("/mass-campaigns/preview"), json={"name": "x", "text": "y", "customer_ids": people}
    ).json()
    assert preview["reachable"] == 0 and preview["left_out"] == {"frequency_cap": 2}
    mass.advance(24 * HOUR)
    assert mass.create(customer_ids=people)["reachable_count"] == 2
    mass.advance(24 * HOUR)
    third = mass.api.post(
        mass.url("/mass-campaigns/preview"), json={"name": "x", "text": "y", "customer_ids": people}
    ).json()
    assert third["left_out"] == {"frequency_cap": 2}  # the weekly cap of 2 is spent


def test_opted_out_lost_and_unrelated_people_are_left_out_with_their_reason(mass: Mass) -> None:
    stays, opted, gone, other = mass.customers(4)
    world = mass.world
    response = mass.api.post(mass.url("/mass-opt-outs"), json={"customer_ids": [opted]})
    assert response.status_code == 204, response.text
    gone_ext = list(world.wecom.customers.values())[2].external_userid
    world.act("customer_deletes_staff", userid="alice", external_userid=gone_ext)
    world.deliver()
    preview = mass.api.post(
        mass.url("/mass-campaigns/preview"),
        json={"name": "x", "text": "y", "customer_ids": [stays, opted, gone, other]},
    ).json()
    assert preview["reachable"] == 2
    assert preview["left_out"] == {"opted_out": 1, "lost": 1}
    assert preview["staff"] == [
        {"staff_userid": "alice", "reachable": 2, "left_out": 1, "tasks": 1}
    ]


def test_quiet_hours_move_a_scheduled_send_to_their_end(mass: Mass) -> None:
    mass.settings(quiet_start_hour=22, quiet_end_hour=8)
    people = mass.customers(1)
    campaign = mass.create(customer_ids=people, send_at="2026-03-10T23:30:00+08:00")
    assert campaign["status"] == "scheduled"
    assert campaign["due_at"].startswith("2026-03-11T00:00:00")  # 08:00 China time
    assert campaign["requested_at"].startswith("2026-03-10T15:30:00")
    mass.advance(21 * HOUR)  # 07:00: still quiet
    mass.run("messaging.due")
    assert mass.campaign(campaign["id"])["status"] == "scheduled"
    mass.advance(HOUR)
    mass.run("messaging.due")
    assert mass.campaign(campaign["id"])["status"] == "sent"  # every task created
    assert [t["status"] for t in mass.tasks(campaign["id"])] == ["created"]
