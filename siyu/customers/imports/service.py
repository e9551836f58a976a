"""Import rules: accept an upload, then (in the job) validate every row, write the report and
resolve the good rows — or nothing, in all-or-nothing mode when any row is bad.

Parsing and validation happen before the job's write transaction opens, so SQLite's write
lock is held only while rows are written. All writes of an import are one transaction, so a
failure half-way leaves nothing behind either.
"""

from __future__ import annotations

import csv
import uuid
from collections.abc import Sequence
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from siyu.audit.context import audit_context
from siyu.audit.service import audit_service
from siyu.customers.imports.models import (
    IMPORT_DONE,
    IMPORT_REJECTED,
    MODE_ALL_OR_NOTHING,
    CustomerImport,
)
from siyu.customers.imports.parsing import detect_format, read_rows
from siyu.customers.imports.validate import Checked, RowError, check_rows
from siyu.db.session import Database
from siyu.identity.resolver import Outcome
from siyu.identity.service import identity_service
from siyu.jobs import enqueue
from siyu.kit.clock import utcnow
from siyu.kit.errors import BadRequest, NotFound, SiyuError
from siyu.kit.pagination import decode_id_cursor, split_id_page

PREVIEW_ERRORS = 200
RESOLVE_CHUNK = 20_000


class TooLarge(SiyuError):
    status_code = 413
    code = "payload_too_large"


def file_path(import_dir: Path, item: CustomerImport) -> Path:
    return import_dir / str(item.corp_id) / f"{item.id}.{item.format}"


def report_path(import_dir: Path, item: CustomerImport) -> Path:
    return import_dir / str(item.corp_id) / f"{item.id}-report.csv"


class ImportService:
    def create(
        self,
        session: Session,
        *,
        corp_id: uuid.UUID,
        file_name: str,
        body: bytes,
        mode: str,
        dry_run: bool,
        phones_verified: bool,
        import_dir: Path,
        max_bytes: int,
    ) -> CustomerImport:
        if len(body) > max_bytes:
            raise TooLarge(f"the file is larger than {max_bytes // (1024 * 1024)} MB")
        if not body:
            raise BadRequest("the upload is empty")
        fmt = detect_format(file_name, body[:4096])
        item = CustomerImport(
            corp_id=corp_id,
            file_name=file_name[:255],
            format=fmt,
            mode=mode,
            dry_run=dry_run,
            phones_verified=phones_verified,
            requested_by_label=audit_context(session).actor_label[:255],
            stats={},
            errors_preview=[],
        )
        session.add(item)
        session.flush()
        path = file_path(import_dir, item)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(body)
        enqueue(
            session,
            "customers.import",
            key=f"customers-import:{item.id}",
            args={"import_id": str(item.id)},
            corp_id=corp_id,
        )
        audit_service.record(
            session,
            action="customers.import.create",
            target_type="customer_import",
            target_id=item.id,
            details={"file_name": file_name, "mode": mode, "dry_run": dry_run, "bytes": len(body)},
        )
        return item

    def check(self, db: Database, *, import_id: uuid.UUID, import_dir: Path) -> Checked | None:
        """Parse and validate (read-only), write the report; None if the import is finished."""
        with db.transaction(write=False) as session:
            item = session.get(CustomerImport, import_id)
            if item is None or item.finished_at is not None:
                return None
            rules = identity_service.rules_for(session, item.corp_id)
            path, fmt, verified = file_path(import_dir, item), item.format, item.phones_verified
            report = report_path(import_dir, item)
        try:
            _, rows = read_rows(path, fmt)
            checked = check_rows(rows, rules=rules, source="import", phones_verified=verified)
        except BadRequest as exc:
            checked = Checked(errors=[RowError(1, "", exc.message)], bad_rows={1})
        except Exception as exc:  # a corrupt workbook: say so in the report, not as a crash
            message = f"the file cannot be read: {type(exc).__name__}"
            checked = Checked(errors=[RowError(1, "", message)], bad_rows={1})
        _write_report(report, checked.errors)
        return checked

    def apply(self, session: Session, *, import_id: uuid.UUID, checked: Checked) -> None:
        """Record the outcome and, unless dry-run or rejected, resolve the good rows."""
        item = session.get(CustomerImport, import_id)
        if item is None or item.finished_at is not None:
            return
        item.total_rows = checked.total
        item.bad_rows = len(checked.bad_rows)
        item.errors_preview = [e.__dict__ for e in checked.errors[:PREVIEW_ERRORS]]
        rejected = bool(checked.bad_rows) and item.mode == MODE_ALL_OR_NOTHING
        if not item.dry_run and not rejected:
            total = Outcome()
            for start in range(0, len(checked.records), RESOLVE_CHUNK):
                part = checked.records[start : start + RESOLVE_CHUNK]
                total.add(identity_service.resolve(session, corp_id=item.corp_id, records=part))
            item.written_rows = len(checked.records)
            item.stats = {
                "created": total.created,
                "attached": total.attached,
                "merged": total.merged,
                "conflicts": total.conflicts,
            }
        item.status = IMPORT_REJECTED if rejected else IMPORT_DONE
        item.finished_at = utcnow()
        session.flush()

    def get_or_404(
        self, session: Session, corp_id: uuid.UUID, import_id: uuid.UUID
    ) -> CustomerImport:
        item = session.get(CustomerImport, import_id)
        if item is None or item.corp_id != corp_id:
            raise NotFound(f"import {import_id} does not exist")
        return item

    def list(
        self, session: Session, *, corp_id: uuid.UUID, cursor: str | None, limit: int
    ) -> tuple[Sequence[CustomerImport], str | None]:
        stmt = select(CustomerImport).where(CustomerImport.corp_id == corp_id)
        after = decode_id_cursor(cursor)
        if after is not None:
            stmt = stmt.where(CustomerImport.id < after)
        rows = list(session.scalars(stmt.order_by(CustomerImport.id.desc()).limit(limit + 1)))
        return split_id_page(rows, limit)


def _write_report(path: Path, errors: Sequence[RowError]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8-sig") as handle:
        writer = csv.writer(handle)
        writer.writerow(["row", "column", "message"])
        for error in errors:
            writer.writerow([error.row, error.column, error.message])


import_service = ImportService()
