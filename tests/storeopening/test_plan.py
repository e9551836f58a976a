"""The plan: peaks where the story puts them, caps that bite yet leave room for everyone."""

from __future__ import annotations

import pytest

from siyu.storeopening.plan import build_plan, customers_from_env


@pytest.mark.parametrize("customers", [100, 250, 1000, 5000])
def test_caps_bite_but_every_customer_has_a_member_with_room(customers: int) -> None:
    plan = build_plan(customers)
    assert len(plan.arrivals) == customers and len(set(plan.staff)) == 20
    for index, channel in enumerate(plan.channels):
        demand = sum(1 for a in plan.arrivals if a.channel == index)
        assert len(channel.pool) * channel.daily_cap < demand  # the pool alone runs out
        assert (len(channel.pool) + len(plan.backups)) * channel.daily_cap >= demand
        assert channel.daily_cap < plan.staff_daily_cap
    assert plan.threshold < plan.group_cap <= 200


def test_the_opening_rush_and_the_lunch_peak() -> None:
    plan = build_plan(5000)
    per_ten_minutes = [0] * 6
    for arrival in plan.arrivals:
        per_ten_minutes[int(arrival.at // 600)] += 1
    quiet = min(per_ten_minutes[1:4])
    assert per_ten_minutes[0] > 2.5 * quiet  # the doors open
    assert per_ten_minutes[4] > 2 * quiet  # lunch
    assert plan.arrivals == build_plan(5000).arrivals  # the same seed, the same crowd


def test_the_crowd_size_comes_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIYU_STORE_OPENING_CUSTOMERS", "321")
    assert customers_from_env() == 321
    monkeypatch.setenv("SIYU_STORE_OPENING_CUSTOMERS", "many")
    with pytest.raises(ValueError, match="must be a number"):
        customers_from_env()
    with pytest.raises(ValueError, match="100 to 50,000"):
        build_plan(5)
