"""Checks on a condition tree that pydantic cannot make: depth, ids that must exist in this
corp, coherent windows and field operators. Every problem names the path of its node, so the
console can put the message next to the condition that caused it."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy.orm import Session

from siyu.kit.errors import Unprocessable
from siyu.segments.conditions import (
    MAX_DEPTH,
    AndNode,
    Condition,
    FieldCondition,
    GroupCondition,
    NotNode,
    OrNode,
    StageCondition,
    TagsCondition,
    _Window,
)
from siyu.segments.repository import segment_lookups

_NO_VALUE_OPS = ("empty", "not_empty")
_ORDER_OPS = ("gt", "gte", "lt", "lte")


@dataclass
class _Findings:
    problems: list[dict[str, str]] = field(default_factory=list)
    tag_ids: dict[uuid.UUID, str] = field(default_factory=dict)
    group_ids: dict[uuid.UUID, str] = field(default_factory=dict)
    field_ids: dict[uuid.UUID, str] = field(default_factory=dict)
    stage_ids: dict[uuid.UUID, str] = field(default_factory=dict)

    def add(self, path: str, message: str) -> None:
        self.problems.append({"path": path, "message": message})


def walk(
    node: Condition, path: str = "condition", depth: int = 1
) -> Iterator[tuple[Condition, str, int]]:
    """Every node with its path and depth (the root has depth 1), parents first."""
    yield node, path, depth
    if isinstance(node, AndNode | OrNode):
        for index, child in enumerate(node.children):
            yield from walk(child, f"{path}.children[{index}]", depth + 1)
    elif isinstance(node, NotNode):
        yield from walk(node.child, f"{path}.child", depth + 1)


def _check_window(node: _Window, path: str, found: _Findings) -> None:
    if node.within_days is not None and (node.after or node.before):
        found.add(path, "use within_days or after/before, not both")
    elif node.within_days is None and node.after is None and node.before is None:
        found.add(path, "give within_days, after or before")
    elif node.after and node.before and node.after >= node.before:
        found.add(path, "after must be earlier than before")


def _check_field(node: FieldCondition, path: str, found: _Findings) -> None:
    if node.op in _NO_VALUE_OPS:
        if node.value is not None:
            found.add(f"{path}.value", f"op {node.op} takes no value")
    elif node.value is None:
        found.add(f"{path}.value", f"op {node.op} needs a value")
    elif node.op == "in" and not isinstance(node.value, list):
        found.add(f"{path}.value", "op in needs a list of values")
    elif node.op != "in" and isinstance(node.value, list):
        found.add(f"{path}.value", f"op {node.op} needs a single value")
    elif node.op in _ORDER_OPS and not isinstance(node.value, int | float | date):
        found.add(f"{path}.value", f"op {node.op} needs a number or a date")


def check_tree(session: Session, *, corp_id: uuid.UUID, condition: Condition) -> None:
    """Raise 422 listing every bad node (path + message); return quietly if the tree is sound."""
    found = _Findings()
    for node, path, depth in walk(condition):
        if depth > MAX_DEPTH:
            found.add(path, f"the tree is deeper than {MAX_DEPTH} levels")
            break
        if isinstance(node, TagsCondition):
            for index, tag_id in enumerate(node.tag_ids):
                found.tag_ids.setdefault(tag_id, f"{path}.tag_ids[{index}]")
        elif isinstance(node, GroupCondition):
            for index, group_id in enumerate(node.group_ids):
                found.group_ids.setdefault(group_id, f"{path}.group_ids[{index}]")
        elif isinstance(node, _Window):
            _check_window(node, path, found)
        elif isinstance(node, FieldCondition):
            found.field_ids.setdefault(node.field_id, f"{path}.field_id")
            _check_field(node, path, found)
        elif isinstance(node, StageCondition):
            for index, stage_id in enumerate(node.stage_ids):
                found.stage_ids.setdefault(stage_id, f"{path}.stage_ids[{index}]")
    live_tags = segment_lookups.live_tag_ids(session, corp_id, list(found.tag_ids))
    for tag_id, path in found.tag_ids.items():
        if tag_id not in live_tags:
            found.add(path, f"tag {tag_id} does not exist")
    live_groups = segment_lookups.group_ids(session, corp_id, list(found.group_ids))
    for group_id, path in found.group_ids.items():
        if group_id not in live_groups:
            found.add(path, f"customer group {group_id} does not exist")
    live_fields = segment_lookups.field_ids(session, corp_id, list(found.field_ids))
    for field_id, path in found.field_ids.items():
        if field_id not in live_fields:
            found.add(path, f"custom field {field_id} does not exist")
    live_stages = segment_lookups.stage_ids(session, corp_id, list(found.stage_ids))
    for stage_id, path in found.stage_ids.items():
        if stage_id not in live_stages:
            found.add(path, f"sales stage {stage_id} does not exist")
    if found.problems:
        first = found.problems[0]
        raise Unprocessable(
            f"{first['path']}: {first['message']}",
            details=found.problems,
            code="invalid_condition",
        )
