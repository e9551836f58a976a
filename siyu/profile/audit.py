"""Audit records of profile settings (fields and stages share the shape `<kind>.<verb>`)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from siyu.audit.service import audit_service


def audited(session: Session, *, kind: str, verb: str, row: Any, details: dict[str, Any]) -> None:
    audit_service.record(
        session, action=f"{kind}.{verb}", target_type=kind, target_id=row.id, details=details
    )


def delete_audited(session: Session, *, kind: str, row: Any) -> None:
    """Record, then delete: the record keeps the key the row had."""
    audited(session, kind=kind, verb="delete", row=row, details={"key": row.key})
    session.delete(row)
    session.flush()
