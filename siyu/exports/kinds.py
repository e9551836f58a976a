"""What can be exported: each kind names its columns, who may export it, and how to read its
rows page by page (through the owning domain's service, so the domain's rules apply)."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field
from sqlalchemy.orm import Session

from siyu.auth.models import Role
from siyu.segments.exports import COLUMNS as SEGMENT_COLUMNS
from siyu.segments.exports import SegmentExportParams


class AuditExportParams(BaseModel):
    model_config = ConfigDict(extra="forbid")

    action: str | None = Field(default=None, max_length=100)
    since: AwareDatetime | None = None
    until: AwareDatetime | None = None


def _audit_rows(session: Session, corp_id: uuid.UUID, raw: dict[str, Any]) -> Iterator[list[Any]]:
    from siyu.audit.service import audit_service

    params = AuditExportParams.model_validate(raw)
    cursor = None
    while True:
        rows, cursor = audit_service.list(
            session,
            corp_id=corp_id,
            action=params.action,
            since=params.since,
            until=params.until,
            cursor=cursor,
            limit=500,
        )
        for row in rows:
            yield [
                row.created_at.isoformat(),
                row.action,
                row.actor_label,
                row.target_type or "",
                row.target_id or "",
                row.ip or "",
                row.request_id or "",
            ]
        if cursor is None:
            return


def _segment_rows(session: Session, corp_id: uuid.UUID, raw: dict[str, Any]) -> Iterator[list[Any]]:
    from siyu.segments.exports import export_rows

    return export_rows(session, corp_id, raw)


@dataclass(frozen=True)
class ExportKind:
    name: str
    columns: tuple[str, ...]
    params: type[BaseModel]
    roles: tuple[Role, ...]
    api_scope: str
    rows: Callable[[Session, uuid.UUID, dict[str, Any]], Iterator[list[Any]]]


class NoParams(BaseModel):
    model_config = ConfigDict(extra="forbid")


def _duplicate_rows(
    session: Session, corp_id: uuid.UUID, raw: dict[str, Any]
) -> Iterator[list[Any]]:
    from siyu.duplicates.service import duplicate_service

    NoParams.model_validate(raw)
    return duplicate_service.export_rows(session, corp_id, raw)


KINDS: dict[str, ExportKind] = {
    "audit_events": ExportKind(
        name="audit_events",
        columns=("created_at", "action", "actor", "target_type", "target_id", "ip", "request_id"),
        params=AuditExportParams,
        roles=(Role.owner, Role.admin),
        api_scope="audit:read",
        rows=_audit_rows,
    ),
    "duplicate_customers": ExportKind(
        name="duplicate_customers",
        columns=("customer_id", "name", "external_userid", "primary_staff_userid", "staff"),
        params=NoParams,
        roles=(Role.owner, Role.admin),
        api_scope="customers:read",
        rows=_duplicate_rows,
    ),
    # Requested only through the segments API (it snapshots the caller's scope into params).
    "segment_customers": ExportKind(
        name="segment_customers",
        columns=SEGMENT_COLUMNS,
        params=SegmentExportParams,
        roles=(Role.owner, Role.admin, Role.manager, Role.staff),
        api_scope="customers:read",
        rows=_segment_rows,
    ),
}


def file_stamp(moment: datetime) -> str:
    return moment.strftime("%Y%m%d-%H%M%S")
