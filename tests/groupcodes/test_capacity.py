"""Many joins through one code: no group passes its cap, groups rotate out at the threshold
(before they are full), and the owner hears once that the standbys ran out.

CI runs 14 groups (200 joins, nine rotations); `SIYU_GROUPCODE_GROUPS=70` runs 1,040 joins
through 70 groups (measured at 297–538 s on a loaded 2-core machine)."""

from __future__ import annotations

import os

import pytest
from fastapi import FastAPI

from tests.customers.world import World
from tests.groupcodes.helpers import create_code, customers, new_groups, scan, url
from tests.profile.helpers import admin

CAP = 20  # WeCom's cap in this world (the sandbox refuses the 21st member with 90503)
GROUPS = int(os.environ.get("SIYU_GROUPCODE_GROUPS", "14"))  # 5 active, the rest standby
# Each group takes 15 customers (+ the owner = 16, the threshold); ten short of filling them all.
JOINS = GROUPS * 15 - 10
# Every join goes through the inbox and its handler: slower than most tests.
pytestmark = pytest.mark.timeout(max(300, JOINS))
BATCH = 3  # callbacks delivered together, as a burst reaches the inbox


def test_joins_never_overfill_a_group(app: FastAPI, world: World) -> None:
    world.state.rules.group_size_cap = CAP
    world.state.rules.daily_passive_add_cap = JOINS  # the customers are not what this is about
    client = admin(app, world)
    code = create_code(
        client,
        world,
        new_groups(world, GROUPS),
        group_cap=CAP,
        threshold_percent=80,
        operator_userids=["bob"],
    )
    threshold = code["threshold"]
    assert threshold == 16
    config_id = code["config_id"]
    peak: dict[str, int] = {}
    people = customers(world, JOINS)
    for index, external_userid in enumerate(people, start=1):
        chat_id = scan(world, config_id, external_userid)
        peak[chat_id] = max(peak.get(chat_id, 0), len(world.wecom.groups[chat_id].members))
        if index % BATCH == 0:
            world.deliver()
        # While standbys last, no listed group may be more than a burst past the threshold.
        if index <= (GROUPS - 5) * (threshold - 1) - BATCH:
            listed = world.wecom.join_ways[config_id].chat_id_list
            assert len(listed) == 5
            assert all(len(world.wecom.groups[c].members) < threshold + BATCH for c in listed)
    world.deliver()

    assert max(peak.values()) <= CAP
    assert sum(len(world.wecom.groups[c].members) - 1 for c in peak) == JOINS
    detail = client.get(url(world, f"/{code['id']}")).json()
    slots = detail["slots"]
    retired = [s for s in slots if s["status"] == "retired"]
    # Every group that rotated out did so below the cap: rotation happened before it was full.
    assert retired and all(s["member_count"] < CAP for s in retired)
    assert not [s for s in slots if s["status"] == "standby"]
    alerts = [m for m in world.wecom.app_messages if "群活码" in str(m["body"])]
    assert len(alerts) == 1 and alerts[0]["touser"] == "alice|bob"
    assert detail["exhausted_alerted_at"] is not None
