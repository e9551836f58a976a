"""Compile a condition tree to one SQL WHERE clause over `customer_facts`, on both dialects.

Why counts stay fast at 1,000,000 people: the common leaves (tags, staff, channel, added date,
status) are predicates on one row per person in `customer_facts` (the maintained index, see
`facts.py`), so a count is a single pass over one narrow table with no join: PostgreSQL answers
token sets from GIN indexes and the date from a b-tree; SQLite tests them with `instr()` in C
while scanning. Rarer leaves (department, group membership, stage, fields) are
`customer_id IN (subquery)` over one narrow index range, which both planners run once as a
semi-join. `none` and `not` negate the same predicates.

Last interaction needs a column no domain writes yet (it comes with messaging): a tree using
it is refused with a 400 that says the condition is not available.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, and_, false, not_, or_, select, true
from sqlalchemy.orm import Session

from siyu.auth.models import ScopeKind
from siyu.auth.scope import DataScope
from siyu.customers.models import Customer, FollowRelation
from siyu.customers.repository import _active_condition as live_relation
from siyu.db.dialect import tokens_overlap
from siyu.groups.models import MEMBER_EXTERNAL, GroupMember
from siyu.kit.errors import BadRequest
from siyu.profile.models import CustomerFieldValue
from siyu.segments import conditions as c
from siyu.segments.facts import tag_token
from siyu.segments.models import CustomerFacts as F
from siyu.staff.repository import departments, userids_in_departments


def _not_available(what: str, needs: str) -> BadRequest:
    return BadRequest(
        f"{what} conditions are not available yet: they need {needs}, which is not installed",
        code="condition_not_available",
    )


@dataclass(frozen=True)
class CompileContext:
    session: Session
    corp_id: uuid.UUID
    now: datetime


class SegmentCompiler:
    def where(self, node: c.Condition, ctx: CompileContext) -> ColumnElement[bool]:
        if isinstance(node, c.AndNode):
            return and_(*(self.where(child, ctx) for child in node.children))
        if isinstance(node, c.OrNode):
            return or_(*(self.where(child, ctx) for child in node.children))
        if isinstance(node, c.NotNode):
            return not_(self.where(node.child, ctx))
        return self._leaf(node, ctx)

    def base(self, scope: DataScope) -> ColumnElement[bool]:
        """The corp and the caller's data scope (merged people have no facts row at all)."""
        clauses: list[ColumnElement[bool]] = [F.corp_id == scope.corp_id]
        if scope.kind is not ScopeKind.all:
            owned = select(FollowRelation.customer_id).where(
                scope.condition(
                    corp_column=FollowRelation.corp_id, owner_column=FollowRelation.staff_userid
                )
            )
            clauses.append(F.customer_id.in_(owned))
        return and_(*clauses)

    # -- leaves ----------------------------------------------------------------------------------
    def _leaf(self, node: c.Leaf, ctx: CompileContext) -> ColumnElement[bool]:
        if isinstance(node, c.TagsCondition):
            return self._tags(node, ctx)
        if isinstance(node, c.StaffCondition):
            # A staff member owns a few thousand people at most: a semi-join from their
            # relations beats testing every facts row (and lets a list start from them).
            return self._owned_by(ctx, FollowRelation.staff_userid.in_(node.userids))
        if isinstance(node, c.DepartmentCondition):
            expanded = departments.with_descendants(
                ctx.session, ctx.corp_id, set(node.department_ids)
            )
            members = userids_in_departments(ctx.corp_id, expanded)
            return self._owned_by(ctx, FollowRelation.staff_userid.in_(members))
        if isinstance(node, c.ChannelCondition):
            return tokens_overlap(F.channels, node.states)
        if isinstance(node, c.AddedCondition):
            return self._window(F.first_added_at, node, ctx)
        if isinstance(node, c.LastInteractionCondition):
            last = Customer.__table__.c.get("last_interaction_at")
            if last is None:
                raise _not_available("last interaction", "customers.last_interaction_at")
            return self._person(ctx, self._window(last, node, ctx))
        if isinstance(node, c.GroupCondition):
            members = select(GroupMember.member_id).where(
                GroupMember.corp_id == ctx.corp_id,
                GroupMember.group_id.in_(node.group_ids),
                GroupMember.member_type == MEMBER_EXTERNAL,
                GroupMember.left_at.is_(None),
            )
            inside = self._person(ctx, Customer.external_userid.in_(members))
            return inside if node.match == "any" else not_(inside)
        if isinstance(node, c.StatusCondition):
            return F.status == node.status
        if isinstance(node, c.StageCondition):
            stage = Customer.stage_id
            if node.match == "in":
                return self._person(ctx, stage.in_(node.stage_ids))
            return self._person(ctx, or_(stage.is_(None), stage.not_in(node.stage_ids)))
        return self._field(node, ctx)

    def _owned_by(self, ctx: CompileContext, owner: ColumnElement[bool]) -> ColumnElement[bool]:
        relations = select(FollowRelation.customer_id).where(
            FollowRelation.corp_id == ctx.corp_id, owner, live_relation()
        )
        return F.customer_id.in_(relations)

    def _person(self, ctx: CompileContext, where: ColumnElement[bool]) -> ColumnElement[bool]:
        """A predicate on `customers` columns, as a semi-join from the facts row."""
        return F.customer_id.in_(select(Customer.id).where(Customer.corp_id == ctx.corp_id, where))

    def _tags(self, node: c.TagsCondition, ctx: CompileContext) -> ColumnElement[bool]:  # noqa: ARG002
        """WeCom tags of any relation and Siyu tags of the person are both tokens in `tags`."""
        tokens = [tag_token(t) for t in dict.fromkeys(node.tag_ids)]
        if node.match == "all":
            return and_(*(tokens_overlap(F.tags, [token]) for token in tokens))
        tagged = tokens_overlap(F.tags, tokens)
        return tagged if node.match == "any" else not_(tagged)

    def _window(self, col: Any, node: c._Window, ctx: CompileContext) -> ColumnElement[bool]:
        clauses: list[ColumnElement[bool]] = []
        if node.within_days is not None:
            clauses.append(col >= ctx.now - timedelta(days=node.within_days))
        if node.after is not None:
            clauses.append(col >= node.after)
        if node.before is not None:
            clauses.append(col < node.before)
        return and_(*clauses) if clauses else true()

    def _field(self, node: c.FieldCondition, ctx: CompileContext) -> ColumnElement[bool]:  # noqa: ARG002
        values = CustomerFieldValue.__table__
        has_field = values.c.field_id == node.field_id
        if node.op in ("empty", "not_empty"):
            present = F.customer_id.in_(select(values.c.customer_id).where(has_field))
            return present if node.op == "not_empty" else not_(present)
        value = node.value
        if isinstance(value, list):
            predicate: ColumnElement[bool] = values.c.value_text.in_(value)
        else:
            target = (
                values.c.value_date
                if isinstance(value, date)
                else values.c.value_number
                if isinstance(value, int | float)
                else values.c.value_text
            )
            predicate = _compare(node.op, target, value)
        matched = F.customer_id.in_(select(values.c.customer_id).where(has_field, predicate))
        return not_(matched) if node.op == "ne" else matched


def _compare(op: str, target: Any, value: Any) -> ColumnElement[bool]:
    if op in ("eq", "ne"):
        return target == value  # type: ignore[no-any-return]
    if op == "contains":
        return target.contains(str(value), autoescape=True)  # type: ignore[no-any-return]
    ops = {
        "gt": target > value,
        "gte": target >= value,
        "lt": target < value,
        "lte": target <= value,
    }
    return ops.get(op, false())  # type: ignore[no-any-return]


segment_compiler = SegmentCompiler()
