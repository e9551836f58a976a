"""SQL over identities, merges and conflicts. Everything is batched: the resolver and the sync
write thousands of rows per call, so no function here issues a statement per row."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Table, func, select, update
from sqlalchemy.orm import Session, aliased

from siyu.customers.models import Customer, FollowRelation
from siyu.db.bulk import bulk_insert, bulk_update_pairs
from siyu.db.dialect import in_values
from siyu.identity.models import (
    CONFLICT_OPEN,
    CustomerIdentity,
    IdentityClaim,
    IdentityConflict,
    IdentityMerge,
    IdentityRules,
)
from siyu.identity.movers import Mover

# Bound parameters per IN list: far below SQLite's 32,766 and PostgreSQL's 65,535.
CHUNK = 5000
T = TypeVar("T")
Key = tuple[str, str, str]  # (kind, namespace, value)


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class IdentityRepository:
    def owners(
        self, session: Session, corp_id: uuid.UUID, keys: Iterable[Key]
    ) -> dict[Key, tuple[uuid.UUID, bool]]:
        """(kind, namespace, value) → (person id, verified) for the keys that exist."""
        by_group: dict[tuple[str, str], list[str]] = defaultdict(list)
        for kind, namespace, value in set(keys):
            by_group[(kind, namespace)].append(value)
        found: dict[Key, tuple[uuid.UUID, bool]] = {}
        t = CustomerIdentity
        for (kind, namespace), values in by_group.items():
            for part in chunks(values):
                stmt = select(t.value, t.customer_id, t.verified).where(
                    t.corp_id == corp_id,
                    t.kind == kind,
                    t.namespace == namespace,
                    in_values(session, t.value, part),
                )
                for value, customer_id, verified in session.connection().execute(stmt):
                    found[(kind, namespace, value)] = (customer_id, verified)
        return found

    def owners_of_claims(
        self, session: Session, corp_id: uuid.UUID, batch_id: uuid.UUID, lo: int, hi: int
    ) -> tuple[dict[Key, tuple[uuid.UUID, bool]], dict[uuid.UUID, dict[str, int]]]:
        """`owners` and `counts` for the staged claims of records lo ≤ n < hi, as two joins
        instead of thousands of IN lists (the batch path resolves a million claims)."""
        c, i = IdentityClaim, CustomerIdentity
        joined = (
            select(i.kind, i.namespace, i.value, i.customer_id, i.verified)
            .join(
                c,
                (c.kind == i.kind) & (c.namespace == i.namespace) & (c.value == i.value),
            )
            .where(
                i.corp_id == corp_id,
                c.batch_id == batch_id,
                c.record_no >= lo,
                c.record_no < hi,
            )
        )
        owners = {
            (kind, ns, value): (person, verified)
            for kind, ns, value, person, verified in session.connection().execute(joined)
        }
        held = joined.with_only_columns(i.customer_id).scalar_subquery()
        other = aliased(CustomerIdentity)
        stmt = (
            select(other.customer_id, other.kind, func.count())
            .where(other.customer_id.in_(held))
            .group_by(other.customer_id, other.kind)
        )
        counts: dict[uuid.UUID, dict[str, int]] = defaultdict(dict)
        for person, kind, n in session.connection().execute(stmt):
            counts[person][kind] = n
        return owners, counts

    def counts(
        self, session: Session, person_ids: Iterable[uuid.UUID]
    ) -> dict[uuid.UUID, dict[str, int]]:
        """Identities per kind of each person."""
        result: dict[uuid.UUID, dict[str, int]] = defaultdict(dict)
        t = CustomerIdentity
        for part in chunks(list(set(person_ids))):
            stmt = (
                select(t.customer_id, t.kind, func.count())
                .where(t.customer_id.in_(part))
                .group_by(t.customer_id, t.kind)
            )
            for customer_id, kind, n in session.execute(stmt):
                result[customer_id][kind] = n
        return result

    def insert_many(self, session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
        """Insert identities; a key that exists already keeps its owner (the caller checked)."""
        bulk_insert(
            session,
            CustomerIdentity.__table__,  # type: ignore[arg-type]
            rows,
            ignore_conflicts=("corp_id", "kind", "namespace", "value"),
        )

    def of_person(self, session: Session, person_id: uuid.UUID) -> list[CustomerIdentity]:
        stmt = select(CustomerIdentity).where(CustomerIdentity.customer_id == person_id)
        return list(session.scalars(stmt.order_by(CustomerIdentity.kind, CustomerIdentity.value)))

    def by_ids(self, session: Session, ids: Sequence[uuid.UUID]) -> list[CustomerIdentity]:
        return list(session.scalars(select(CustomerIdentity).where(CustomerIdentity.id.in_(ids))))


class PersonRepository:
    def insert_many(self, session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
        bulk_insert(session, Customer.__table__, rows)  # type: ignore[arg-type]

    def merged_into(
        self, session: Session, ids: Iterable[uuid.UUID]
    ) -> dict[uuid.UUID, uuid.UUID | None]:
        result: dict[uuid.UUID, uuid.UUID | None] = {}
        for part in chunks(list(set(ids))):
            stmt = select(Customer.id, Customer.merged_into_id).where(Customer.id.in_(part))
            result.update({row[0]: row[1] for row in session.execute(stmt)})
        return result

    def set_merged_into(
        self, session: Session, pairs: Sequence[tuple[uuid.UUID, uuid.UUID | None]], now: datetime
    ) -> None:
        """(person id, merged into) for many persons in one set-based update."""
        table: Table = Customer.__table__  # type: ignore[assignment]
        bulk_update_pairs(
            session, table, pairs, match="id", assign="merged_into_id", also={"updated_at": now}
        )


class MoveRepository:
    def rows_pointing_at(
        self, session: Session, mover: Mover, person_ids: Sequence[uuid.UUID]
    ) -> dict[uuid.UUID, list[uuid.UUID]]:
        """person id → keys of the rows whose mover column holds it."""
        column = mover.table.c[mover.column]
        result: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
        for part in chunks(list(person_ids)):
            stmt = select(column, mover.table.c[mover.row_key]).where(column.in_(part))
            for person_id, row_id in session.execute(stmt):
                result[person_id].append(row_id)
        return result

    def rows_free_to_move(
        self, session: Session, mover: Mover, pairs: Sequence[tuple[uuid.UUID, uuid.UUID]]
    ) -> dict[uuid.UUID, list[uuid.UUID]]:
        """For a mover with `unique_with`: merged person → keys of its rows whose unique key
        neither the survivor nor an earlier row moved to it already holds."""
        column = mover.table.c[mover.column]
        key_columns = [mover.table.c[name] for name in mover.unique_with]
        survivor_of = dict(pairs)
        taken: set[tuple[Any, ...]] = set()
        for part in chunks(list(set(survivor_of.values()))):
            for row in session.execute(select(column, *key_columns).where(column.in_(part))):
                taken.add(tuple(row))
        result: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
        for part in chunks(list(survivor_of)):
            stmt = select(column, mover.table.c[mover.row_key], *key_columns).where(
                column.in_(part)
            )
            for person_id, row_key, *unique in session.execute(stmt.order_by(column)):
                claim = (survivor_of[person_id], *unique)
                if claim not in taken:
                    taken.add(claim)
                    result[person_id].append(row_key)
        return result

    def repoint(
        self, session: Session, mover: Mover, pairs: Sequence[tuple[uuid.UUID, uuid.UUID]]
    ) -> None:
        """(from person, to person): every row of the column holding `from` now holds `to`."""
        bulk_update_pairs(session, mover.table, pairs, match=mover.column, assign=mover.column)

    def set_rows(
        self,
        session: Session,
        mover: Mover,
        row_ids: Sequence[uuid.UUID],
        *,
        current: uuid.UUID,
        value: uuid.UUID,
    ) -> int:
        """Rows still holding `current` get `value` (a row split off since stays where it is)."""
        column = mover.table.c[mover.column]
        moved = 0
        for part in chunks(list(row_ids)):
            stmt = (
                update(mover.table)
                .where(mover.table.c[mover.row_key].in_(part), column == current)
                .values({column: value})
            )
            moved += session.execute(stmt).rowcount or 0  # type: ignore[attr-defined]
        return moved

    def move_relations(
        self,
        session: Session,
        person_id: uuid.UUID,
        external_userids: Iterable[str],
        to: uuid.UUID,
    ) -> int:
        wanted = list(external_userids)
        if not wanted:
            return 0
        stmt = (
            update(FollowRelation)
            .where(
                FollowRelation.customer_id == person_id,
                FollowRelation.external_userid.in_(wanted),
            )
            .values(customer_id=to)
            .execution_options(synchronize_session=False)
        )
        return session.execute(stmt).rowcount or 0  # type: ignore[attr-defined]


class MergeRepository:
    def insert_many(self, session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
        bulk_insert(session, IdentityMerge.__table__, rows)  # type: ignore[arg-type]

    def get(
        self, session: Session, corp_id: uuid.UUID, merge_id: uuid.UUID
    ) -> IdentityMerge | None:
        merge = session.get(IdentityMerge, merge_id)
        return merge if merge is not None and merge.corp_id == corp_id else None

    def of_person(
        self, session: Session, corp_id: uuid.UUID, person_id: uuid.UUID, *, limit: int = 100
    ) -> list[IdentityMerge]:
        stmt = (
            select(IdentityMerge)
            .where(
                IdentityMerge.corp_id == corp_id,
                (IdentityMerge.survivor_id == person_id) | (IdentityMerge.merged_id == person_id),
            )
            .order_by(IdentityMerge.id.desc())
            .limit(limit)
        )
        return list(session.scalars(stmt))

    def count(self, session: Session, corp_id: uuid.UUID) -> int:
        stmt = (
            select(func.count()).select_from(IdentityMerge).where(IdentityMerge.corp_id == corp_id)
        )
        return session.scalar(stmt) or 0


class ConflictRepository:
    def insert_many(self, session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
        bulk_insert(
            session,
            IdentityConflict.__table__,  # type: ignore[arg-type]
            rows,
            ignore_conflicts=("corp_id", "person_a_id", "person_b_id", "kind", "value"),
        )

    def get(
        self, session: Session, corp_id: uuid.UUID, conflict_id: uuid.UUID
    ) -> IdentityConflict | None:
        conflict = session.get(IdentityConflict, conflict_id)
        return conflict if conflict is not None and conflict.corp_id == corp_id else None

    def list(
        self,
        session: Session,
        corp_id: uuid.UUID,
        *,
        status: str | None,
        visible: Any,
        after: uuid.UUID | None,
        limit: int,
    ) -> list[IdentityConflict]:
        """Newest first; `visible(column)` is the caller's scope test for a person column."""
        t = IdentityConflict
        stmt = select(t).where(t.corp_id == corp_id, visible(t.person_a_id), visible(t.person_b_id))
        if status is not None:
            stmt = stmt.where(t.status == status)
        if after is not None:
            stmt = stmt.where(t.id < after)
        return list(session.scalars(stmt.order_by(t.id.desc()).limit(limit)))

    def settle_between(
        self,
        session: Session,
        corp_id: uuid.UUID,
        a: uuid.UUID,
        b: uuid.UUID,
        *,
        status: str,
        now: datetime,
    ) -> None:
        """Open conflicts between a and b (either way round) take `status`."""
        t = IdentityConflict
        pair = ((t.person_a_id == a) & (t.person_b_id == b)) | (
            (t.person_a_id == b) & (t.person_b_id == a)
        )
        session.execute(
            update(t)
            .where(t.corp_id == corp_id, t.status == CONFLICT_OPEN, pair)
            .values(status=status, resolved_at=now)
            .execution_options(synchronize_session=False)
        )


class RulesRepository:
    def get(self, session: Session, corp_id: uuid.UUID) -> IdentityRules | None:
        return session.get(IdentityRules, corp_id)


identities = IdentityRepository()
persons = PersonRepository()
moves = MoveRepository()
merges = MergeRepository()
conflicts = ConflictRepository()
rules_store = RulesRepository()
