"""The segment condition model: a boolean tree (and / or / not) over typed leaf conditions.

Every node is a pydantic model with a `type` discriminator, so a tree arrives from JSON already
checked: an unknown `type` or `op` is a 422 whose `loc` is the path of the bad node. What
pydantic cannot know (whether a tag id exists in this corp, how deep the tree is) is checked by
`validate.check_tree`, which reports the same kind of path (`condition.children[1].tag_ids[0]`).

Leaves say what they match, never how: the compiler (`compiler.py`) owns the SQL.
"""

from __future__ import annotations

import uuid
from datetime import date
from typing import Annotated, Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, field_validator

MAX_DEPTH = 6
MAX_CHILDREN = 50
MAX_IDS = 200


class _Node(BaseModel):
    model_config = ConfigDict(extra="forbid")


class TagsCondition(_Node):
    """WeCom corp tags (on any of the person's relations) and Siyu tags (on the person)."""

    type: Literal["tags"]
    match: Literal["any", "all", "none"] = "any"
    tag_ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_IDS)


FieldOp = Literal["eq", "ne", "gt", "gte", "lt", "lte", "contains", "in", "empty", "not_empty"]


class FieldCondition(_Node):
    """A custom profile field (customer_field_values); `value` is typed by the field's kind."""

    type: Literal["field"]
    field_id: uuid.UUID
    op: FieldOp
    value: str | float | date | list[str] | None = None

    @field_validator("value")
    @classmethod
    def _iso_date_is_a_date(cls, value: object) -> object:
        """JSON has no date type and pydantic's union keeps "2026-01-31" a str, which would be
        compared with value_text (empty for date fields); a full ISO date means a date."""
        if isinstance(value, str) and len(value) == 10:
            try:
                return date.fromisoformat(value)
            except ValueError:
                return value
        return value


class StageCondition(_Node):
    type: Literal["stage"]
    match: Literal["in", "not_in"] = "in"
    stage_ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_IDS)


class StaffCondition(_Node):
    """Owned by (has a live relation with) one of these staff members."""

    type: Literal["staff"]
    userids: list[str] = Field(min_length=1, max_length=MAX_IDS)


class DepartmentCondition(_Node):
    """Owned by a staff member of these WeCom departments (sub-departments included)."""

    type: Literal["department"]
    department_ids: list[int] = Field(min_length=1, max_length=MAX_IDS)


class ChannelCondition(_Node):
    """Added through one of these channels (the contact way's `state`)."""

    type: Literal["channel"]
    states: list[str] = Field(min_length=1, max_length=MAX_IDS)


class _Window(_Node):
    """A time window: absolute bounds, or "within the last N days" (relative to evaluation)."""

    after: AwareDatetime | None = None
    before: AwareDatetime | None = None
    within_days: int | None = Field(default=None, ge=1, le=3650)


class AddedCondition(_Window):
    type: Literal["added"]


class LastInteractionCondition(_Window):
    type: Literal["last_interaction"]


class GroupCondition(_Node):
    """Currently a member of any / none of these customer groups."""

    type: Literal["group"]
    match: Literal["any", "none"] = "any"
    group_ids: list[uuid.UUID] = Field(min_length=1, max_length=MAX_IDS)


class StatusCondition(_Node):
    type: Literal["status"]
    status: Literal["active", "lost"]


class AndNode(_Node):
    type: Literal["and"]
    children: list[Condition] = Field(min_length=1, max_length=MAX_CHILDREN)


class OrNode(_Node):
    type: Literal["or"]
    children: list[Condition] = Field(min_length=1, max_length=MAX_CHILDREN)


class NotNode(_Node):
    type: Literal["not"]
    child: Condition


Leaf = (
    TagsCondition
    | FieldCondition
    | StageCondition
    | StaffCondition
    | DepartmentCondition
    | ChannelCondition
    | AddedCondition
    | LastInteractionCondition
    | GroupCondition
    | StatusCondition
)
Condition = Annotated[AndNode | OrNode | NotNode | Leaf, Field(discriminator="type")]

for _model in (AndNode, OrNode, NotNode):
    _model.model_rebuild()


class ConditionDocument(_Node):
    """Wraps a tree so it can be validated from stored JSON (`ConditionDocument(condition=…)`)."""

    condition: Condition
