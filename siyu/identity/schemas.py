"""Identity API schemas."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any, Literal

from pydantic import Field

from siyu.identity.rules import IdentityRuleSet
from siyu.kit.pagination import Page
from siyu.kit.schemas import InputSchema, OutputSchema

IdentityKind = Literal["business_id", "unionid", "external_userid", "phone", "openid"]


class Identity(OutputSchema):
    id: uuid.UUID
    kind: str
    namespace: str = Field(description="The appid for openids; empty otherwise")
    value: str = Field(description="Phones are masked for roles that may not see them")
    source: str
    verified: bool
    created_at: datetime


class Merge(OutputSchema):
    id: uuid.UUID
    survivor_id: uuid.UUID
    merged_id: uuid.UUID
    reason: str = Field(description="auto (the resolver) or manual")
    kind: str | None = Field(description="The shared identifier's kind (auto merges)")
    value: str | None
    actor_label: str | None
    moved: dict[str, int] = Field(description='Rows moved per "table.column"')
    created_at: datetime
    undone_at: datetime | None

    @classmethod
    def of(cls, merge: Any, *, mask: bool) -> Merge:
        from siyu.identity.masking import mask_identity_value

        view = cls.model_validate(
            {
                **{c: getattr(merge, c) for c in cls.model_fields if c != "moved"},
                "moved": {k: len(v) for k, v in (merge.moved or {}).items()},
            }
        )
        if mask and view.kind and view.value:
            view.value = mask_identity_value(view.kind, view.value)
        return view


class Conflict(OutputSchema):
    id: uuid.UUID
    person_a_id: uuid.UUID = Field(description="The person holding the identifier")
    person_b_id: uuid.UUID = Field(description="The person that claimed it too")
    kind: str
    namespace: str
    value: str
    reason: str = Field(description='Why it was not merged, e.g. "limit:business_id"')
    status: str = Field(description="open, merged or kept_apart")
    created_at: datetime
    resolved_at: datetime | None


ConflictPage = Page[Conflict]


class MergeCreate(InputSchema):
    merged_id: uuid.UUID = Field(description="The person merged into the one in the path")


class SplitCreate(InputSchema):
    identity_ids: list[uuid.UUID] = Field(min_length=1, max_length=100)
    name: str | None = Field(default=None, max_length=128)


class ConflictResolve(InputSchema):
    action: Literal["merge", "keep_apart"]


class UndoResult(OutputSchema):
    restored: dict[str, int] = Field(description='Rows put back per "table.column"')


class RulesUpdate(IdentityRuleSet):
    model_config = {"extra": "forbid"}


class ClaimIn(InputSchema):
    kind: IdentityKind
    value: str = Field(max_length=128)
    namespace: str = Field(default="", max_length=64)
    verified: bool = True


class RecordIn(InputSchema):
    name: str = Field(default="", max_length=128)
    claims: list[ClaimIn] = Field(min_length=1, max_length=20)


class BatchCreate(InputSchema):
    source: str = Field(min_length=1, max_length=32, examples=["shop"])
    records: list[RecordIn] = Field(min_length=1, max_length=10_000)


class Batch(OutputSchema):
    id: uuid.UUID
    source: str
    status: str
    total_records: int
    done_records: int
    stats: dict[str, int]
    error: str | None
    created_at: datetime
    finished_at: datetime | None
