"""Editing a code: its settings, its pool (order and membership) and its routes.

Every check happens before anything is written, so bad input is a 4xx that changes nothing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from siyu.groupcodes import routing
from siyu.groupcodes.models import SLOT_STANDBY, GroupCode, GroupCodeRoute, GroupCodeSlot
from siyu.groupcodes.repository import group_code_repository as repo
from siyu.groups.service import group_service
from siyu.kit.errors import BadRequest


def apply_settings(code: GroupCode, data: Any) -> None:
    for field in (
        "owner_userid",
        "group_cap",
        "threshold_percent",
        "auto_create_room",
        "room_base_name",
        "phone_verification",
        "alert_enabled",
    ):
        value = getattr(data, field)
        if value is not None:
            setattr(code, field, value)
    if data.operator_userids is not None:
        code.operator_userids = list(dict.fromkeys(data.operator_userids))
    if code.auto_create_room and not code.room_base_name:
        raise BadRequest("room_base_name is required when auto_create_room is on")


def set_pool(session: Session, code: GroupCode, group_ids: Sequence[uuid.UUID]) -> None:
    """The pool in the given order; known groups keep their status, new ones wait as
    standbys, groups left out are removed (and leave the join way at the next sync)."""
    groups = {
        g.id: g for g in group_service.by_ids(session, corp_id=code.corp_id, group_ids=group_ids)
    }
    missing = [str(g) for g in group_ids if g not in groups]
    if missing:
        raise BadRequest(f"no such customer group: {', '.join(missing)}", details=missing)
    gone = [str(g) for g in group_ids if groups[g].dismissed_at is not None]
    if gone:
        raise BadRequest(f"dismissed groups cannot join a pool: {', '.join(gone)}")
    existing = {s.group_id: s for s in repo.slots(session, code.id)}
    added = False
    for position, group_id in enumerate(group_ids):
        slot = existing.pop(group_id, None)
        if slot is None:
            group = groups[group_id]
            slot = GroupCodeSlot(
                corp_id=code.corp_id,
                code_id=code.id,
                group_id=group_id,
                chat_id=group.chat_id,
                status=SLOT_STANDBY,
            )
            session.add(slot)
            added = True
        slot.position = position
    repo.delete_slots(session, [s.id for s in existing.values()])
    if added:
        code.exhausted_alerted_at = None  # new standbys: a later exhaustion alerts again
    session.flush()


def set_routes(session: Session, code: GroupCode, data: Any) -> None:
    targets = {r.target_code_id for r in data.routes}
    found = {c.id for c in repo.get_in_corp(session, code.corp_id, list(targets))}
    if code.id in targets:
        raise BadRequest("a route cannot point at its own code")
    if targets - found:
        raise BadRequest("a route points at a group code that does not exist")
    rows = [
        GroupCodeRoute(
            code_id=code.id,
            position=i,
            label=r.label,
            kind=r.kind,
            match_id=r.match_id,
            target_code_id=r.target_code_id,
        )
        for i, r in enumerate(data.routes)
    ]
    for row in rows:
        routing.check_route(session, code.corp_id, row)
    repo.replace_routes(session, code.id, rows)
