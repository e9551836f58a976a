"""The store opening end to end: the sandbox's scans and joins reach Siyu as encrypted
callbacks over HTTP, Siyu routes, tags, welcomes and rotates, and the three acceptance
properties hold in Siyu's database and in the sandbox's own state.

The crowd is `SIYU_STORE_OPENING_CUSTOMERS` (default 100 here, so the test stays around a
minute on a loaded two-core machine; `siyu scenario store-opening` plays the full 5,000)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from siyu.kit.clock import ShiftedClock, SystemClock, set_clock
from siyu.profile.stages import CN_TZ
from siyu.storeopening.plan import build_plan, customers_from_env
from siyu.storeopening.runner import run_standalone
from tests.conftest import make_settings


@pytest.fixture(autouse=True)
def late_in_the_china_day() -> Iterator[None]:
    """Run at 23:56 China time, whenever the suite runs: the scenario's hour would cross
    midnight, so the sandbox opens an hour early and Siyu's clock must follow it (before it
    did, every welcome was claimed expired; CI failed only when it ran in the last hour)."""
    now = datetime.now(CN_TZ)
    late = datetime.combine(now.date(), datetime.min.time(), CN_TZ) + timedelta(
        hours=23, minutes=56
    )
    previous = set_clock(ShiftedClock(SystemClock(), late - now))
    yield
    set_clock(previous)


# Every add is a real round trip through both servers; on a loaded two-core machine the
# suite's default 300 s per test is not enough for even a hundred customers on PostgreSQL.
@pytest.mark.timeout(900)
def test_store_opening_keeps_caps_tags_and_group_sizes(fresh_db_url: str, tmp_path: Path) -> None:
    plan = build_plan(customers_from_env(default=100))
    settings = make_settings(
        fresh_db_url, queue_url=f"sqlite:///{tmp_path / 'queue.db'}", log_level="WARNING"
    )
    report = run_standalone(plan, settings)

    # Everyone who scanned was added, welcomed and handled in time (no settle timed out).
    assert report["refused"] == {} and report["stalls"] == 0
    assert report["scans"] == plan.customers
    assert report["welcomes"]["sent"] == plan.customers
    joins = sum(1 for a in plan.arrivals if a.join_after is not None)
    assert report["joins"] == joins and report["joins_recorded"] == joins

    # 1. Nobody passes a daily cap: their own, or a code's (Siyu's rows and WeCom's relations).
    assert report["acceptance"]["no_staff_over_daily_cap"] is True
    staff = {row["userid"]: row for row in report["staff"]}
    assert sum(row["adds"] for row in staff.values()) == plan.customers
    for index, channel in enumerate(plan.channels):
        for userid in channel.pool:  # the caps bit: every pool member was filled to the cap
            assert staff[userid]["by_channel"][channel.name] == channel.daily_cap
        overflow = (
            sum(1 for a in plan.arrivals if a.channel == index)
            - len(channel.pool) * channel.daily_cap
        )
        taken = sum(staff[b]["by_channel"][channel.name] for b in plan.backups)
        assert taken == overflow  # …and the way moved on to the backups for the rest
    for row in staff.values():
        assert row["adds"] <= plan.staff_daily_cap

    # 2. Every new customer carries their channel's tag, in Siyu and in WeCom.
    assert report["acceptance"]["every_new_customer_tagged"] is True
    assert report["tags"] == {
        "adds": plan.customers,
        "wecom_relations": plan.customers,
        "untagged_in_siyu": 0,
        "untagged_in_wecom": 0,
    }

    # 3. No group behind the group code passes its cap; full groups rotated out for standbys.
    assert report["acceptance"]["no_group_over_cap"] is True
    groups = report["groups"]
    assert all(g["max_members"] <= plan.group_cap for g in groups)
    assert all(g["siyu_members"] == g["max_members"] for g in groups)
    used = [g for g in groups if g["max_members"] > 1]  # the owner is member 1
    full = [g for g in used if g["max_members"] == report["group_threshold"]]
    # WeCom fills the first listed group with room; Siyu rotated each out at the threshold and
    # the next one took over, so all used groups but the one still filling are exactly full.
    assert len(used) >= 2 and len(full) >= len(used) - 1
    assert sum(g["max_members"] - 1 for g in groups) == joins
