"""Keeping `customer_facts` (the segment index) equal to the rows it is derived from.

Correct on every write path by construction, not by remembering to call something:

- ORM writes (callback handlers, the console, bulk jobs): an `after_flush` listener notes the
  people whose Customer, FollowRelation, FollowRelationTag or CustomerTag rows changed;
- Core bulk writes, which the ORM does not see (the full sync's upserts, `mark_missing`),
  call `touch()` with the people they wrote;
- `before_commit` recomputes the facts of every noted person from the source rows, inside the
  same transaction, so the index never disagrees with committed data.

A refresh is a recomputation (delete + insert from the sources), never an increment, so it is
idempotent and a missed or repeated refresh cannot drift. `rebuild_corp` recomputes a whole
corp (after an upgrade, or to check the index): `siyu segments rebuild-index`.
"""

from __future__ import annotations

import base64
import uuid
from collections import defaultdict
from collections.abc import Collection, Iterable, Mapping, Sequence
from datetime import datetime
from itertools import chain
from typing import Any

from sqlalchemy import Table, delete, event, select
from sqlalchemy.orm import Session, UOWTransaction

from siyu.customers.models import Customer, FollowRelation, FollowRelationTag
from siyu.db.bulk import bulk_insert
from siyu.db.dialect import in_values
from siyu.segments.models import CustomerFacts
from siyu.tags.models import CustomerTag

_PEOPLE = "segment_facts.people"
_RELATIONS = "segment_facts.relations"
# People per refresh round (five statements each); IN lists of this size suit both dialects.
_BATCH = 2000


def tag_token(tag_id: uuid.UUID) -> str:
    """8 characters: the last 48 bits of the id, which are random in Siyu's UUIDv7 ids.

    Short tokens keep a million token sets small, and SQLite's `instr` costs grow with the
    text it searches. Two tags of one corp share a token with odds of about 1 in 60 million
    at WeCom's cap of 3,000 corp tags (birthday bound over 48 random bits).
    """
    return base64.urlsafe_b64encode(tag_id.bytes[-6:]).decode()


def touch(session: Session, customer_ids: Iterable[uuid.UUID]) -> None:
    """Note people whose source rows a Core statement changed; refreshed before commit."""
    session.info.setdefault(_PEOPLE, set()).update(customer_ids)


def add_created_people(
    session: Session,
    corp_id: uuid.UUID,
    people: Mapping[uuid.UUID, datetime | None],
    relations: Iterable[tuple[uuid.UUID, str, str | None, Collection[uuid.UUID]]],
) -> None:
    """Facts rows for people whose every source row the caller's statements just inserted:
    `people` (id → first_added_at) were created in this transaction and hold no Siyu tags,
    and `relations` (customer id, staff userid, state, tag ids) are all their relations,
    inserted live. Exactly what `refresh` would compute, without its four reads and delete
    (about a third of the full sync's writer on a first sync). Anything written to them later
    in the transaction notes them as usual, and the refresh recomputes them."""
    staff: dict[uuid.UUID, set[str]] = defaultdict(set)
    channels: dict[uuid.UUID, set[str]] = defaultdict(set)
    tags: dict[uuid.UUID, set[str]] = defaultdict(set)
    for customer_id, staff_userid, state, tag_ids in relations:
        if customer_id not in people:
            continue
        staff[customer_id].add(staff_userid)
        if state:
            channels[customer_id].add(state)
        tags[customer_id].update(tag_token(tag_id) for tag_id in tag_ids)
    facts: Table = CustomerFacts.__table__  # type: ignore[assignment]
    rows = [
        {
            "customer_id": customer_id,
            "corp_id": corp_id,
            "status": "active" if staff[customer_id] else "lost",
            "first_added_at": first_added_at,
            "tags": sorted(tags[customer_id]),
            "staff": sorted(staff[customer_id]),
            "channels": sorted(channels[customer_id]),
        }
        for customer_id, first_added_at in people.items()
    ]
    bulk_insert(session, facts, rows)


def add_new_people(session: Session, people: Sequence[Mapping[str, Any]]) -> None:
    """Facts rows for people a Core statement just inserted (rows with `id`, `corp_id` and
    optionally `first_added_at`) who hold no relations or tags yet: exactly what `refresh`
    would compute for them, without its reads and delete. The identity resolver creates
    hundreds of thousands of such people per batch; a relation or tag written later in the
    transaction notes them as usual and the refresh recomputes them."""
    none: list[str] = []  # one object: bulk_insert converts a repeated value once
    facts: Table = CustomerFacts.__table__  # type: ignore[assignment]
    rows = [
        {
            "customer_id": person["id"],
            "corp_id": person["corp_id"],
            "status": "lost",  # no live relation
            "first_added_at": person.get("first_added_at"),
            "tags": none,
            "staff": none,
            "channels": none,
        }
        for person in people
    ]
    bulk_insert(session, facts, rows)


def _is_live(relation: Any) -> bool:
    return (
        relation.missing_since is None
        and relation.deleted_by_staff_at is None
        and relation.deleted_by_customer_at is None
    )


def refresh(session: Session, customer_ids: Iterable[uuid.UUID]) -> None:
    """Recompute the facts of these people from their source rows (in batches)."""
    ids = list(set(customer_ids))
    for start in range(0, len(ids), _BATCH):
        _refresh_batch(session, ids[start : start + _BATCH])


def _refresh_batch(session: Session, ids: list[uuid.UUID]) -> None:
    merged = Customer.__table__.c.get("merged_into_id")
    # Core on the session's connection: the ORM's row loading cost more than the queries on
    # the full sync's hot path, and nothing here needs ORM objects.
    connection = session.connection()
    people = select(Customer.id, Customer.corp_id, Customer.first_added_at).where(
        in_values(connection, Customer.id, ids)
    )
    if merged is not None:
        people = people.add_columns(merged.label("merged_into_id"))
    # A merged person lives on in the survivor's facts only. Filtered here, not in SQL:
    # with `merged_into_id IS NULL` in the WHERE, SQLite's planner walks the (huge) NULL
    # range of that column's index instead of the primary key, once per batch (quadratic).
    rows = {
        row.id: row
        for row in connection.execute(people)
        if merged is None or row.merged_into_id is None
    }
    relations = connection.execute(
        select(
            FollowRelation.customer_id,
            FollowRelation.staff_userid,
            FollowRelation.state,
            FollowRelation.missing_since,
            FollowRelation.deleted_by_staff_at,
            FollowRelation.deleted_by_customer_at,
        ).where(in_values(connection, FollowRelation.customer_id, ids))
    )
    tags: dict[uuid.UUID, set[str]] = defaultdict(set)
    staff: dict[uuid.UUID, set[str]] = defaultdict(set)
    channels: dict[uuid.UUID, set[str]] = defaultdict(set)
    live: set[uuid.UUID] = set()
    for relation in relations:
        if relation.state:
            channels[relation.customer_id].add(relation.state)
        if _is_live(relation):
            live.add(relation.customer_id)
            staff[relation.customer_id].add(relation.staff_userid)
    linked = chain(
        connection.execute(
            select(FollowRelation.customer_id, FollowRelationTag.tag_id)
            .join(FollowRelationTag, FollowRelationTag.relation_id == FollowRelation.id)
            .where(in_values(connection, FollowRelation.customer_id, ids))
        ),
        connection.execute(
            select(CustomerTag.customer_id, CustomerTag.tag_id).where(
                in_values(connection, CustomerTag.customer_id, ids)
            )
        ),
    )
    for customer_id, tag_id in linked:
        tags[customer_id].add(tag_token(tag_id))
    facts: Table = CustomerFacts.__table__  # type: ignore[assignment]
    connection.execute(delete(facts).where(in_values(connection, facts.c.customer_id, ids)))
    values = [
        {
            "customer_id": customer_id,
            "corp_id": row.corp_id,
            "status": "active" if customer_id in live else "lost",
            "first_added_at": row.first_added_at,
            "tags": sorted(tags[customer_id]),
            "staff": sorted(staff[customer_id]),
            "channels": sorted(channels[customer_id]),
        }
        for customer_id, row in rows.items()
    ]
    bulk_insert(session, facts, values)


def rebuild_batch(
    session: Session, corp_id: uuid.UUID, *, after: uuid.UUID | None, limit: int = 5000
) -> list[uuid.UUID]:
    """Recompute the next `limit` people of a corp after `after` (id order); returns their ids,
    so a caller can commit between batches and resume from the last one."""
    stmt = select(Customer.id).where(Customer.corp_id == corp_id)
    if after is not None:
        stmt = stmt.where(Customer.id > after)
    ids = list(session.scalars(stmt.order_by(Customer.id).limit(limit)))
    refresh(session, ids)
    return ids


def rebuild_corp(session: Session, corp_id: uuid.UUID) -> int:
    """Recompute every person of a corp in this transaction; returns how many."""
    after: uuid.UUID | None = None
    total = 0
    while ids := rebuild_batch(session, corp_id, after=after):
        total += len(ids)
        after = ids[-1]
    return total


@event.listens_for(Session, "after_flush")
def _note_changes(session: Session, _: UOWTransaction) -> None:
    people: set[uuid.UUID] = session.info.setdefault(_PEOPLE, set())
    relations: set[uuid.UUID] = session.info.setdefault(_RELATIONS, set())
    for obj in chain(session.new, session.dirty, session.deleted):
        if isinstance(obj, Customer):
            people.add(obj.id)
        elif isinstance(obj, FollowRelation | CustomerTag):
            people.add(obj.customer_id)
        elif isinstance(obj, FollowRelationTag):
            relations.add(obj.relation_id)


@event.listens_for(Session, "before_commit")
def _refresh_noted(session: Session) -> None:
    for _ in range(3):  # a refresh flushes nothing of the ORM's, so one round is the norm
        session.flush()
        people: set[uuid.UUID] = session.info.pop(_PEOPLE, set())
        relations: set[uuid.UUID] = session.info.pop(_RELATIONS, set())
        ordered = list(relations)
        for start in range(0, len(ordered), _BATCH):
            batch = ordered[start : start + _BATCH]
            owners = select(FollowRelation.customer_id).where(
                in_values(session, FollowRelation.id, batch)
            )
            people |= set(session.scalars(owners))
        if not people:
            return
        refresh(session, people)
