"""Exporting a segment's people through `siyu.exports` (queued, audited, downloadable).

The export job runs later, without the request, so the request snapshots what it must honour:
the tree, the caller's data scope (departments already expanded) and whether the caller's role
sees phone numbers. The kind is not in `ExportCreate`'s public list, so nobody can hand the
generic export endpoint a forged scope; only `request_export` below creates one.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from typing import Any

from pydantic import BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from siyu.auth.deps import Access
from siyu.auth.models import ScopeKind
from siyu.auth.scope import DataScope
from siyu.exports.models import Export
from siyu.exports.schemas import ExportCreate
from siyu.segments.conditions import Condition
from siyu.segments.models import Segment
from siyu.staff.schemas import mask_mobile

KIND = "segment_customers"
COLUMNS = (
    "id",
    "name",
    "external_userid",
    "status",
    "first_added_at",
    "owners",
    "channels",
    "remark_mobiles",
)
_BATCH = 500


class SegmentExportParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    segment_id: uuid.UUID | None = None
    condition: dict[str, Any]
    # The customer list's name search, applied beside the tree as the list applies it.
    search: str | None = Field(default=None, max_length=64)
    scope_kind: ScopeKind
    staff_userid: str | None = None
    department_ids: list[int] = []
    mask_mobiles: bool = True


def request_export(
    session: Session,
    *,
    access: Access,
    condition: Condition | None,
    segment: Segment | None,
    search: str | None = None,
) -> Export:
    from siyu.exports.service import export_service
    from siyu.segments.service import dump_condition, segment_service

    # Validate now: a bad tree is the caller's 422, not a failed job later.
    segment_service.where(session, scope=access.scope, condition=condition)
    if search is not None and not search.strip():
        search = None
    params = SegmentExportParams(
        segment_id=segment.id if segment else None,
        condition=dump_condition(condition) if condition is not None else {},
        search=search,
        scope_kind=access.scope.kind,
        staff_userid=access.scope.staff_userid,
        department_ids=sorted(access.scope.department_ids),
        mask_mobiles=access.masks_mobile,
    )
    segment_service.record(
        session, access=access, condition=condition, purpose="export", segment=segment
    )
    data = ExportCreate.model_construct(
        kind=KIND,  # type: ignore[arg-type]
        params=params.model_dump(mode="json"),
    )
    return export_service.request(session, access=access, data=data)


def export_rows(session: Session, corp_id: uuid.UUID, raw: dict[str, Any]) -> Iterator[list[Any]]:
    from siyu.segments.repository import people
    from siyu.segments.service import segment_service

    params = SegmentExportParams.model_validate(raw)
    scope = DataScope(
        corp_id=corp_id,
        kind=params.scope_kind,
        staff_userid=params.staff_userid,
        department_ids=frozenset(params.department_ids),
    )
    condition = segment_service.parse(params.condition) if params.condition else None
    where = segment_service.where(session, scope=scope, condition=condition)
    search = people.search_clause(session, params.search) if params.search else None
    after: uuid.UUID | None = None
    while True:
        ids = people.ids_after(session, where, after_id=after, limit=_BATCH, search=search)
        if not ids:
            return
        after = ids[-1]
        rows = {row.id: row for row in people.rows(session, ids)}
        relations = people.relation_facts(session, ids, scope=scope)
        for customer_id in ids:
            person = rows[customer_id]
            mine = relations.get(customer_id, [])
            mobiles = [m for r in mine for m in r.remark_mobiles]
            if params.mask_mobiles:
                mobiles = [mask_mobile(m) or "" for m in mobiles]
            yield [
                person.id,
                person.name,
                person.external_userid or "",
                person.status,
                person.first_added_at.isoformat() if person.first_added_at else "",
                " ".join(r.staff_userid for r in mine),
                " ".join(sorted({r.state for r in mine if r.state})),
                " ".join(mobiles),
            ]
