"""Segment rules: validate a tree, compile it inside the caller's data scope, evaluate it and
record how long that took; saved segments are named trees shared by the corp.

Every evaluation (count, preview, export, bulk tagging) goes through `where()`, so the checks,
the scope and the "not available" rules are the same for all of them.
"""

from __future__ import annotations

import builtins
import time
import uuid
from typing import Any

from pydantic import TypeAdapter, ValidationError
from sqlalchemy import ColumnElement, Select, and_, select
from sqlalchemy.orm import Session

from siyu.audit.service import audit_service
from siyu.auth.deps import Access
from siyu.auth.scope import DataScope
from siyu.customers.models import Customer
from siyu.db.session import write_after_read
from siyu.kit.clock import utcnow
from siyu.kit.errors import NotFound, Unprocessable
from siyu.kit.pagination import decode_id_cursor, encode_cursor, split_id_page
from siyu.segments.compiler import CompileContext, segment_compiler
from siyu.segments.conditions import (
    AndNode,
    ChannelCondition,
    Condition,
    StaffCondition,
    StatusCondition,
    TagsCondition,
)
from siyu.segments.models import CustomerFacts, Segment, SegmentEvaluation
from siyu.segments.repository import people, segments
from siyu.segments.schemas import CustomerFilters, SegmentCreate, SegmentUpdate
from siyu.segments.validate import check_tree

_condition_adapter: TypeAdapter[Condition] = TypeAdapter(Condition)

# People a name search too short for the trigram index (1–2 characters) tests per list page.
# A page that matches nobody tests them all: about 3-4 µs each on either database at 1 M (a
# primary-key lookup and a LIKE), so 10,000 keeps such a page near 40 ms, well inside the
# 100 ms budget on a busy machine; a page that finds its matches early stops sooner.
SCAN_WINDOW = 10_000


def dump_condition(condition: Condition) -> dict[str, Any]:
    return _condition_adapter.dump_python(condition, mode="json", exclude_none=True)  # type: ignore[no-any-return]


class SegmentService:
    # -- compiling ---------------------------------------------------------------------------------
    def parse(self, raw: dict[str, Any]) -> Condition:
        """A stored or forwarded tree back into the model (422 with the path if it is bad)."""
        try:
            return _condition_adapter.validate_python(raw)
        except ValidationError as exc:
            details = [
                {"path": ".".join(["condition", *map(str, e["loc"])]), "message": e["msg"]}
                for e in exc.errors()
            ]
            raise Unprocessable(
                f"{details[0]['path']}: {details[0]['message']}",
                details=details,
                code="invalid_condition",
            ) from exc

    def where(
        self, session: Session, *, scope: DataScope, condition: Condition | None
    ) -> ColumnElement[bool]:
        """The checked, compiled clause over `customers`, limited to the caller's scope."""
        base = segment_compiler.base(scope)
        if condition is None:
            return base
        check_tree(session, corp_id=scope.corp_id, condition=condition)
        ctx = CompileContext(session=session, corp_id=scope.corp_id, now=utcnow())
        return and_(base, segment_compiler.where(condition, ctx))

    def member_ids(
        self,
        session: Session,
        *,
        scope: DataScope,
        condition: Condition | None,
        customer_ids: builtins.list[uuid.UUID] | None = None,
    ) -> Select[uuid.UUID]:
        """The matching people's ids as a select, for domains that plan over them in one SQL
        statement (messaging); `customer_ids` limits it to an explicit selection."""
        where = self.where(session, scope=scope, condition=condition)
        if customer_ids is not None:
            where = and_(where, people.among(customer_ids))
        return select(CustomerFacts.customer_id).where(where)

    # -- evaluating --------------------------------------------------------------------------------
    def matches(
        self, session: Session, *, corp_id: uuid.UUID, customer_id: uuid.UUID, condition: Condition
    ) -> bool:
        """Whether one person meets `condition` (routing a known visitor, as group codes do)."""
        where = self.where(session, scope=DataScope.everything(corp_id), condition=condition)
        return people.count(session, and_(where, CustomerFacts.customer_id == customer_id)) > 0

    def count(
        self,
        session: Session,
        *,
        access: Access,
        condition: Condition,
        segment: Segment | None = None,
    ) -> tuple[int, float]:
        where = self.where(session, scope=access.scope, condition=condition)
        started = time.perf_counter()
        total = people.count(session, where)
        elapsed = (time.perf_counter() - started) * 1000
        self._record(session, access, condition, segment, "count", total, elapsed)
        if segment is not None:
            segment_id, at = segment.id, utcnow()
            write_after_read(
                session, lambda writer: segments.set_last_count(writer, segment_id, total, at)
            )
        return total, elapsed

    def preview(
        self,
        session: Session,
        *,
        access: Access,
        condition: Condition,
        cursor: str | None,
        limit: int,
        segment: Segment | None = None,
    ) -> tuple[list[Customer], str | None]:
        where = self.where(session, scope=access.scope, condition=condition)
        started = time.perf_counter()
        rows = people.page(session, where, before_id=decode_id_cursor(cursor), limit=limit + 1)
        elapsed = (time.perf_counter() - started) * 1000
        self._record(session, access, condition, segment, "preview", None, elapsed)
        return split_id_page(rows, limit)

    def record(
        self,
        session: Session,
        *,
        access: Access,
        condition: Condition | None,
        purpose: str,
        segment: Segment | None = None,
    ) -> None:
        """For evaluations run elsewhere (exports, bulk jobs): who asked, for what, from where."""
        self._record(session, access, condition, segment, purpose, None, 0.0)

    def _record(
        self,
        session: Session,
        access: Access,
        condition: Condition | None,
        segment: Segment | None,
        purpose: str,
        total: int | None,
        elapsed_ms: float,
    ) -> None:
        evaluation = SegmentEvaluation(
            corp_id=access.corp_id,
            segment_id=segment.id if segment else None,
            purpose=purpose,
            condition=dump_condition(condition) if condition is not None else {},
            scope_kind=access.scope.kind.value,
            actor_label=access.principal.label,
            result_count=total,
            duration_ms=round(elapsed_ms, 3),
        )
        # Counts and previews run in a read session (no write lock while they scan).
        write_after_read(session, lambda writer: segments.add_evaluation(writer, evaluation))

    def list_condition(
        self, session: Session, *, access: Access, filters: CustomerFilters
    ) -> Condition | None:
        """The list filters as one tree (a saved view's segment included), so the list, its
        export and a segment can never disagree about who matches. The name search is not a
        condition: it is applied beside the tree (`people.search_clause`)."""
        children: list[Condition] = []
        if filters.segment_id is not None:
            segment = self.get_or_404(
                session, corp_id=access.corp_id, segment_id=filters.segment_id
            )
            children.append(self.condition_of(segment))
        if filters.status is not None:
            children.append(StatusCondition(type="status", status=filters.status))
        if filters.tag_ids:
            children.append(TagsCondition(type="tags", match="all", tag_ids=filters.tag_ids))
        if filters.staff_userid:
            children.append(StaffCondition(type="staff", userids=[filters.staff_userid]))
        if filters.channel:
            children.append(ChannelCondition(type="channel", states=[filters.channel]))
        return AndNode(type="and", children=children) if children else None

    def list_people(
        self,
        session: Session,
        *,
        access: Access,
        filters: CustomerFilters,
        cursor: str | None,
        limit: int,
    ) -> tuple[list[Customer], str | None]:
        """The customer list: newest first, keyset pages."""
        condition = self.list_condition(session, access=access, filters=filters)
        where = self.where(session, scope=access.scope, condition=condition)
        search = people.search_clause(session, filters.q) if filters.q else None
        before = decode_id_cursor(cursor)
        if search is not None and not search.indexed:
            # Too short for the trigram index: each page tests a bounded window of people, and
            # a page that is short but not the last says where the next window starts.
            rows, edge = people.page_in_window(
                session, where, before_id=before, limit=limit + 1, search=search, window=SCAN_WINDOW
            )
            page, next_cursor = split_id_page(rows, limit)
            if next_cursor is None and edge is not None:
                next_cursor = encode_cursor([edge])
            return page, next_cursor
        rows = people.page(session, where, before_id=before, limit=limit + 1, search=search)
        return split_id_page(rows, limit)

    # -- saved segments ----------------------------------------------------------------------------
    def get_or_404(self, session: Session, *, corp_id: uuid.UUID, segment_id: uuid.UUID) -> Segment:
        segment = segments.get(session, corp_id, segment_id)
        if segment is None:
            raise NotFound(f"segment {segment_id} does not exist")
        return segment

    def condition_of(self, segment: Segment) -> Condition:
        return self.parse(segment.condition)

    def list(
        self, session: Session, *, corp_id: uuid.UUID, cursor: str | None, limit: int
    ) -> tuple[list[Segment], str | None]:
        rows = segments.list(session, corp_id, before_id=decode_id_cursor(cursor), limit=limit + 1)
        return split_id_page(rows, limit)

    def create(self, session: Session, *, access: Access, data: SegmentCreate) -> Segment:
        check_tree(session, corp_id=access.corp_id, condition=data.condition)
        segment = segments.add(
            session,
            Segment(
                corp_id=access.corp_id,
                name=data.name,
                description=data.description,
                condition=dump_condition(data.condition),
                created_by_label=access.principal.label,
            ),
        )
        self._audit(session, "segment.create", segment)
        return segment

    def update(self, session: Session, *, segment: Segment, data: SegmentUpdate) -> Segment:
        if data.condition is not None:
            check_tree(session, corp_id=segment.corp_id, condition=data.condition)
            segment.condition = dump_condition(data.condition)
            segment.last_count = None
        if data.name is not None:
            segment.name = data.name
        if "description" in data.model_fields_set:
            segment.description = data.description
        session.flush()
        self._audit(session, "segment.update", segment)
        return segment

    def delete(self, session: Session, *, segment: Segment) -> None:
        segment.deleted_at = utcnow()
        session.flush()
        self._audit(session, "segment.delete", segment)

    def evaluations(
        self, session: Session, *, segment: Segment, cursor: str | None, limit: int
    ) -> tuple[builtins.list[SegmentEvaluation], str | None]:
        rows = segments.evaluations(
            session,
            segment.corp_id,
            segment.id,
            before_id=decode_id_cursor(cursor),
            limit=limit + 1,
        )
        return split_id_page(rows, limit)

    @staticmethod
    def _audit(session: Session, action: str, segment: Segment) -> None:
        audit_service.record(
            session,
            action=action,
            target_type="segment",
            target_id=segment.id,
            details={"name": segment.name},
        )


segment_service = SegmentService()
