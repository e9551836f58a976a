"""SQL of the segments domain: saved segments, evaluations, and running a compiled WHERE clause
(count, a keyset page, id batches for bulk jobs, rows for exports)."""

from __future__ import annotations

import builtins
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, exists, func, select, update
from sqlalchemy.orm import Session

from siyu.auth.scope import DataScope
from siyu.customers.models import Customer, FollowRelation
from siyu.db.search import indexed_contains
from siyu.groups.models import CustomerGroup
from siyu.profile.models import CustomerField, SalesStage
from siyu.segments.models import CustomerFacts, Segment, SegmentEvaluation
from siyu.tags.models import Tag


class SegmentRepository:
    def add(self, session: Session, segment: Segment) -> Segment:
        session.add(segment)
        session.flush()
        return segment

    def get(self, session: Session, corp_id: uuid.UUID, segment_id: uuid.UUID) -> Segment | None:
        return session.scalar(
            select(Segment).where(
                Segment.corp_id == corp_id,
                Segment.id == segment_id,
                Segment.deleted_at.is_(None),
            )
        )

    def list(
        self, session: Session, corp_id: uuid.UUID, *, before_id: uuid.UUID | None, limit: int
    ) -> list[Segment]:
        stmt = select(Segment).where(Segment.corp_id == corp_id, Segment.deleted_at.is_(None))
        if before_id is not None:
            stmt = stmt.where(Segment.id < before_id)
        return list(session.scalars(stmt.order_by(Segment.id.desc()).limit(limit)))

    def add_evaluation(self, session: Session, evaluation: SegmentEvaluation) -> None:
        session.add(evaluation)
        session.flush()

    def set_last_count(
        self, session: Session, segment_id: uuid.UUID, count: int, at: datetime
    ) -> None:
        session.execute(
            update(Segment)
            .where(Segment.id == segment_id)
            .values(last_count=count, last_evaluated_at=at)
        )

    def evaluations(
        self,
        session: Session,
        corp_id: uuid.UUID,
        segment_id: uuid.UUID,
        *,
        before_id: uuid.UUID | None,
        limit: int,
    ) -> builtins.list[SegmentEvaluation]:
        stmt = select(SegmentEvaluation).where(
            SegmentEvaluation.corp_id == corp_id, SegmentEvaluation.segment_id == segment_id
        )
        if before_id is not None:
            stmt = stmt.where(SegmentEvaluation.id < before_id)
        return builtins.list(
            session.scalars(stmt.order_by(SegmentEvaluation.id.desc()).limit(limit))
        )


class SegmentLookups:
    """Existence checks for ids a condition names (validation reports the missing ones)."""

    def live_tag_ids(
        self, session: Session, corp_id: uuid.UUID, tag_ids: Sequence[uuid.UUID]
    ) -> set[uuid.UUID]:
        if not tag_ids:
            return set()
        stmt = select(Tag.id).where(
            Tag.corp_id == corp_id, Tag.id.in_(list(tag_ids)), Tag.deleted_at.is_(None)
        )
        return set(session.scalars(stmt))

    def field_ids(
        self, session: Session, corp_id: uuid.UUID, field_ids: Sequence[uuid.UUID]
    ) -> set[uuid.UUID]:
        if not field_ids:
            return set()
        stmt = select(CustomerField.id).where(
            CustomerField.corp_id == corp_id, CustomerField.id.in_(list(field_ids))
        )
        return set(session.scalars(stmt))

    def stage_ids(
        self, session: Session, corp_id: uuid.UUID, stage_ids: Sequence[uuid.UUID]
    ) -> set[uuid.UUID]:
        if not stage_ids:
            return set()
        stmt = select(SalesStage.id).where(
            SalesStage.corp_id == corp_id, SalesStage.id.in_(list(stage_ids))
        )
        return set(session.scalars(stmt))

    def group_ids(
        self, session: Session, corp_id: uuid.UUID, group_ids: Sequence[uuid.UUID]
    ) -> set[uuid.UUID]:
        if not group_ids:
            return set()
        stmt = select(CustomerGroup.id).where(
            CustomerGroup.corp_id == corp_id, CustomerGroup.id.in_(list(group_ids))
        )
        return set(session.scalars(stmt))


@dataclass(frozen=True)
class NameSearch:
    condition: ColumnElement[bool]
    indexed: bool


class PeopleQueries:
    """Runs a WHERE clause from the compiler; newest first (ids are UUIDv7, so id order is
    creation order) with keyset cursors, never OFFSET."""

    def count(self, session: Session, where: ColumnElement[bool]) -> int:
        """One pass over `customer_facts` (no join: every common leaf is a column of it)."""
        return session.scalar(select(func.count()).select_from(CustomerFacts).where(where)) or 0

    def page(
        self,
        session: Session,
        where: ColumnElement[bool],
        *,
        before_id: uuid.UUID | None,
        limit: int,
        search: NameSearch | None = None,
    ) -> list[Customer]:
        """Two short queries instead of one join: the page's ids from `customer_facts` alone
        (a backward walk of its primary key that stops after `limit` matches, which both
        planners choose for a single table), then those customers by primary key."""
        facts = CustomerFacts.customer_id
        stmt = self._searching(select(facts).where(where), search)
        if before_id is not None:
            stmt = stmt.where(facts < before_id)
        ids = list(session.scalars(stmt.order_by(facts.desc()).limit(limit)))
        found = {row.id: row for row in self.rows(session, ids)} if ids else {}
        return [found[i] for i in ids if i in found]

    def page_in_window(
        self,
        session: Session,
        where: ColumnElement[bool],
        *,
        before_id: uuid.UUID | None,
        limit: int,
        search: NameSearch,
        window: int,
    ) -> tuple[list[Customer], uuid.UUID | None]:
        """`page` for a search no index answers, over the next `window` people of `where`
        only: at most `limit` matches among them, and the window's last id when the window
        was full (the next page starts below it, so no one is skipped), else None.

        A short query that matches few people would otherwise test every row of the corp
        before answering; this bounds each page's work whatever the query matches."""
        facts = CustomerFacts.customer_id
        scanned = select(facts).where(where)
        if before_id is not None:
            scanned = scanned.where(facts < before_id)
        # The window's last person, when it has `window` people (an index walk, no rows read).
        # The window is then the id range down to it: a range the page walks newest first and
        # leaves as soon as it has `limit` matches, where a LIMIT subquery was read whole and
        # sorted again before the first match came out (100 ms on SQLite at 1 M, even for a
        # query that matches every other person).
        edge = session.scalar(scanned.order_by(facts.desc()).offset(window - 1).limit(1))
        inside = scanned if edge is None else scanned.where(facts >= edge)
        # A correlated scalar subquery, not EXISTS: PostgreSQL turns an EXISTS into a semi-join
        # and scans every name for the pattern (no trigram to use), 0.7 s at 1 M; a scalar
        # subquery stays a lookup per person of the window, as on SQLite.
        match = select(Customer.id).where(Customer.id == facts, search.condition)
        stmt = inside.where(match.scalar_subquery().is_not(None))
        ids = list(session.scalars(stmt.order_by(facts.desc()).limit(limit)))
        found = {row.id: row for row in self.rows(session, ids)} if ids else {}
        return [found[i] for i in ids if i in found], edge

    def ids_after(
        self,
        session: Session,
        where: ColumnElement[bool],
        *,
        after_id: uuid.UUID | None,
        limit: int,
        search: NameSearch | None = None,
    ) -> list[uuid.UUID]:
        """Ascending id batches: a bulk job resumes from its last id after a crash."""
        stmt = self._searching(select(CustomerFacts.customer_id).where(where), search)
        if after_id is not None:
            stmt = stmt.where(CustomerFacts.customer_id > after_id)
        return list(session.scalars(stmt.order_by(CustomerFacts.customer_id).limit(limit)))

    @staticmethod
    def _searching(stmt: Select[Any], search: NameSearch | None) -> Select[Any]:
        facts = CustomerFacts.customer_id
        if search is None:
            return stmt
        if search.indexed:
            # The trigram index names the matching people; the page is read among them (a
            # query that matches nobody answers at once instead of testing every row).
            return stmt.where(facts.in_(select(Customer.id).where(search.condition)))
        # Correlated EXISTS, not a join: SQLite would build a Bloom filter over every
        # customer before the first row; this way the walk stops at the page's end.
        return stmt.where(exists().where(Customer.id == facts, search.condition))

    def rows(self, session: Session, customer_ids: Sequence[uuid.UUID]) -> list[Customer]:
        return list(session.scalars(select(Customer).where(Customer.id.in_(list(customer_ids)))))

    def relation_facts(
        self, session: Session, customer_ids: Sequence[uuid.UUID], *, scope: DataScope
    ) -> dict[uuid.UUID, list[FollowRelation]]:
        """Relations of a page of people inside `scope`, for export columns (owners, channels,
        mobiles): a store manager's export never shows another store's remarks or phones."""
        found: dict[uuid.UUID, list[FollowRelation]] = defaultdict(list)
        if customer_ids:
            stmt = select(FollowRelation).where(
                FollowRelation.customer_id.in_(list(customer_ids)),
                scope.condition(
                    corp_column=FollowRelation.corp_id, owner_column=FollowRelation.staff_userid
                ),
            )
            for relation in session.scalars(stmt.order_by(FollowRelation.staff_userid)):
                found[relation.customer_id].append(relation)
        return found

    def among(self, customer_ids: Sequence[uuid.UUID]) -> ColumnElement[bool]:
        """Limit a clause to an explicit selection (the console's ticked rows)."""
        return CustomerFacts.customer_id.in_(list(customer_ids))

    def search_clause(self, session: Session, text: str) -> NameSearch:
        """Case-insensitive substring match on the name: from the trigram index for three
        characters or more, else a LIKE (with escaping) tested row by row; see docs."""
        indexed = indexed_contains(session, Customer.__table__.c.name, text)
        if indexed is not None:
            return NameSearch(indexed, indexed=True)
        return NameSearch(Customer.name.icontains(text.strip(), autoescape=True), indexed=False)


segments = SegmentRepository()
segment_lookups = SegmentLookups()
people = PeopleQueries()
