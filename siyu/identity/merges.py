"""Merging persons and undoing merges, many at a time.

A merge moves every registered (table, column) from the merged person to the survivor and
records the moved row ids, so undo can put back exactly those rows and nothing else. Callers
pass persons that are not merged themselves (the resolver and the service check).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.orm import Session

from siyu.customers.repository import customers
from siyu.identity.models import IdentityMerge
from siyu.identity.movers import mover, movers
from siyu.identity.repository import chunks, merges, moves, persons
from siyu.kit.errors import Conflict
from siyu.kit.ids import new_id
from siyu.segments import facts as segment_facts


@dataclass(frozen=True)
class MergeRequest:
    survivor_id: uuid.UUID
    merged_id: uuid.UUID
    kind: str | None = None
    value: str | None = None


def merge_many(
    session: Session,
    corp_id: uuid.UUID,
    requests: Sequence[MergeRequest],
    *,
    reason: str,
    actor_label: str | None,
    now: datetime,
) -> list[uuid.UUID]:
    """Merge each request's person into its survivor; returns the merge ids.

    Set-based: per mover one SELECT of the affected rows and one executemany UPDATE, whatever
    the number of merges. A person may appear as merged once; survivors must not be merged.
    """
    if not requests:
        return []
    merged_ids = [r.merged_id for r in requests]
    if len(set(merged_ids)) != len(merged_ids):
        raise ValueError("a person can be merged only once per call")
    moved: dict[uuid.UUID, dict[str, list[str]]] = {m: {} for m in merged_ids}
    pairs = [(r.merged_id, r.survivor_id) for r in requests]
    for m in movers():
        if m.unique_with:
            # Rows the survivor already holds a value for stay with the merged person.
            free = moves.rows_free_to_move(session, m, pairs)
            for merged_id, survivor_id in pairs:
                keys = free.get(merged_id, [])
                moves.set_rows(session, m, keys, current=merged_id, value=survivor_id)
                if keys:
                    moved[merged_id][m.key] = [key.hex for key in keys]
            continue
        for person_id, row_ids in moves.rows_pointing_at(session, m, merged_ids).items():
            moved[person_id][m.key] = [row_id.hex for row_id in row_ids]
        moves.repoint(session, m, pairs)
    persons.set_merged_into(session, pairs, now)
    ids = [new_id() for _ in requests]
    merges.insert_many(
        session,
        [
            {
                "id": merge_id,
                "corp_id": corp_id,
                "survivor_id": r.survivor_id,
                "merged_id": r.merged_id,
                "reason": reason,
                "kind": r.kind,
                "value": r.value,
                "actor_label": actor_label,
                "moved": moved[r.merged_id],
                "created_at": now,
                "undone_at": None,
            }
            for merge_id, r in zip(ids, requests, strict=True)
        ],
    )
    for part in chunks(sorted({r.survivor_id for r in requests})):
        customers.refresh_status(session, corp_id, part)
    # The moves are Core updates the ORM does not see: the segment index must hear of them.
    segment_facts.touch(session, [*merged_ids, *(r.survivor_id for r in requests)])
    return ids


def undo(session: Session, merge: IdentityMerge, *, now: datetime) -> dict[str, int]:
    """Put back exactly the rows the merge moved; returns how many per "table.column".

    Refused while the survivor is itself merged into someone (undo that merge first), since
    the rows have moved on and "exactly" would no longer hold.
    """
    if merge.undone_at is not None:
        raise Conflict("this merge was already undone")
    state = persons.merged_into(session, [merge.survivor_id, merge.merged_id])
    if state.get(merge.survivor_id) is not None:
        raise Conflict(
            "the survivor was merged into another person since; undo that merge first",
            details={"merged_into_id": str(state[merge.survivor_id])},
        )
    if state.get(merge.merged_id) != merge.survivor_id:
        raise Conflict("the merged person is no longer part of the survivor")
    restored: dict[str, int] = {}
    for key, hex_ids in (merge.moved or {}).items():
        m = mover(key)
        if m is None:  # a domain that registered a mover then was removed: nothing to restore
            continue
        restored[key] = moves.set_rows(
            session,
            m,
            [uuid.UUID(h) for h in hex_ids],
            current=merge.survivor_id,
            value=merge.merged_id,
        )
    persons.set_merged_into(session, [(merge.merged_id, None)], now)
    merge.undone_at = now
    customers.refresh_status(session, merge.corp_id, [merge.survivor_id, merge.merged_id])
    segment_facts.touch(session, [merge.survivor_id, merge.merged_id])
    session.flush()
    return restored
