"""The scenario's result: the three acceptance properties, checked twice — against Siyu's
database and against the sandbox (what WeCom itself holds) — plus welcome latency."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import UTC, datetime
from typing import Any

from siyu.db.session import Database
from siyu.profile.stages import CN_TZ
from siyu.storeopening import repository as repo
from siyu.storeopening.driver import Played
from siyu.storeopening.plan import Plan
from siyu.storeopening.siyu_side import StoreSetup
from siyu.storeopening.wecom_side import SandboxSide


def percentile(values: list[float], fraction: float) -> float | None:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else None


def _staff(plan: Plan, setup: StoreSetup, adds: list[Any], caps: dict[str, int]) -> list[Any]:
    by_code = Counter((str(code_id), userid) for code_id, userid, _, _ in adds)
    per_staff = Counter(userid for _, userid, _, _ in adds)
    days = Counter((userid, at.astimezone(CN_TZ).date()) for _, userid, _, at in adds)
    rows = []
    for userid in plan.staff:
        codes = {c.channel: by_code[(c.id, userid)] for c in setup.codes}
        worst_day = max((n for (u, _), n in days.items() if u == userid), default=0)
        over_code = [c.channel for c in setup.codes if by_code[(c.id, userid)] > c.daily_cap]
        rows.append(
            {
                "userid": userid,
                "adds": per_staff[userid],
                "daily_cap": caps.get(userid),
                "by_channel": codes,
                "within_caps": worst_day <= caps.get(userid, 0) and not over_code,
            }
        )
    return rows


def build_report(
    db: Database, plan: Plan, setup: StoreSetup, sandbox: SandboxSide, played: Played
) -> dict[str, Any]:
    code_ids = [uuid.UUID(c.id) for c in setup.codes]
    states = {c.state: c for c in setup.codes}
    with db.transaction(write=False) as session:
        adds = repo.code_adds(session, code_ids)
        caps = repo.daily_caps(session, setup.corp_id, plan.staff)
        tags = repo.relation_tags(session, setup.corp_id, list(states))
        opened = datetime.fromtimestamp(played.started_at - 1, UTC)
        welcomes = repo.welcome_latencies(session, code_ids, opened)
        siyu_members = repo.group_members(session, setup.corp_id, list(setup.chat_ids))
        joins_recorded = repo.group_code_joins(session, uuid.UUID(setup.group_code_id))
    # Only this hour's adds (a demo corp may have played the store opening before).
    adds = [row for row in adds if row[3].timestamp() >= played.started_at - 1]
    this_hour = {(userid, ext) for _, userid, ext, _ in adds}
    tags = {key: value for key, value in tags.items() if key in this_hour}
    staff = _staff(plan, setup, adds, caps)

    # Tags in Siyu: every relation added through a code carries its channel's WeCom tag.
    untagged_siyu = sum(
        1
        for state, tag_ids in tags.values()
        if state in states and states[state].wecom_tag_id not in tag_ids
    )
    # Tags and adds in WeCom (the sandbox): the same relations, from batch/get_by_user.
    wecom_relations = [
        item
        for item in sandbox.relations(plan.staff)
        if item["follow_info"].get("state") in states
        and item["follow_info"]["createtime"] >= played.started_at - 1
    ]
    untagged_wecom = sum(
        1
        for item in wecom_relations
        if states[item["follow_info"]["state"]].wecom_tag_id
        not in item["follow_info"].get("tag_id", [])
    )
    wecom_adds = Counter(item["follow_info"]["userid"] for item in wecom_relations)
    # Groups: the sandbox's member counts (members only join here, so the last count is the
    # most ever) next to the largest count seen after any join during the run.
    groups = []
    for chat_id in setup.chat_ids:
        wecom_now = sandbox.group_members(chat_id)
        most = max(wecom_now, played.max_members.get(chat_id, 0))
        groups.append(
            {
                "chat_id": chat_id,
                "max_members": most,
                "siyu_members": siyu_members.get(chat_id),
                "cap": setup.group_cap,
                "within_cap": most <= setup.group_cap,
            }
        )
    sent = [ms for status, ms in welcomes if status == "sent" and ms is not None]
    staff_ok = all(r["within_caps"] for r in staff) and all(
        wecom_adds[u] <= (caps.get(u) or 0) for u in plan.staff
    )
    return {
        "customers": plan.customers,
        "scans": played.scans,
        "refused": dict(played.refused),
        "joins": played.joins,
        "joins_recorded": joins_recorded,
        "stalls": played.stalls,
        "simulated_seconds": 3600,
        "wall_seconds": round(played.wall_seconds, 1),
        "staff": staff,
        "tags": {
            "adds": len(adds),
            "wecom_relations": len(wecom_relations),
            "untagged_in_siyu": untagged_siyu,
            "untagged_in_wecom": untagged_wecom,
        },
        "groups": groups,
        "group_threshold": setup.threshold,
        "welcomes": {
            "sent": len(sent),
            "other": len(welcomes) - len(sent),
            "p50_ms": percentile(sent, 0.5),
            "p99_ms": percentile(sent, 0.99),
            "max_ms": max(sent, default=None),
        },
        "acceptance": {
            "no_staff_over_daily_cap": staff_ok,
            "every_new_customer_tagged": untagged_siyu == 0
            and untagged_wecom == 0
            and len(wecom_relations) == played.scans,
            "no_group_over_cap": all(g["within_cap"] for g in groups),
        },
    }
