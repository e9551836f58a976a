"""Requesting, running and serving exports."""

from __future__ import annotations

import csv
import os
import uuid
from pathlib import Path

from pydantic import ValidationError
from sqlalchemy.orm import Session

from siyu.audit.service import audit_service
from siyu.auth.deps import Access
from siyu.auth.models import Role
from siyu.exports.kinds import KINDS, file_stamp
from siyu.exports.models import Export, ExportStatus
from siyu.exports.repository import exports
from siyu.exports.schemas import ExportCreate
from siyu.jobs import enqueue
from siyu.kit.clock import utcnow
from siyu.kit.errors import Forbidden, NotFound, Unprocessable
from siyu.kit.pagination import decode_id_cursor, split_id_page

# Spreadsheet programs execute cells that start with these; prefix them so an exported name
# like "=HYPERLINK(...)" stays text (CSV injection).
_FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def _safe_cell(value: object) -> str:
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_PREFIXES) else text


def export_path(export_dir: Path, export: Export) -> Path:
    return export_dir / str(export.corp_id) / f"{export.id}.csv"


class ExportService:
    def request(self, session: Session, *, access: Access, data: ExportCreate) -> Export:
        kind = KINDS[data.kind]
        if access.principal.api_key is not None:
            if not access.allows(kind.api_scope):
                raise Forbidden(
                    f"this API key lacks the scope {kind.api_scope}", code="insufficient_scope"
                )
        elif access.role not in kind.roles:
            names = " or ".join(role.value for role in kind.roles)
            raise Forbidden(
                f"exporting {kind.name} needs the role {names}", code="insufficient_role"
            )
        try:
            params = kind.params.model_validate(data.params)
        except ValidationError as exc:
            details = [
                {"loc": ["body", "params", *map(str, e["loc"])], "msg": e["msg"], "type": e["type"]}
                for e in exc.errors()
            ]
            raise Unprocessable(f"params: {details[0]['msg']}", details=details) from exc
        principal = access.principal
        export = exports.add(
            session,
            Export(
                corp_id=access.corp_id,
                kind=kind.name,
                params=params.model_dump(mode="json", exclude_none=True),
                status=ExportStatus.pending,
                requested_by_user_id=principal.user.id if principal.user else None,
                requested_by_api_key_id=principal.api_key.id if principal.api_key else None,
                requested_by_label=principal.label,
            ),
        )
        audit_service.record(
            session,
            action="export.request",
            target_type="export",
            target_id=export.id,
            details={"kind": kind.name, "params": export.params},
        )
        enqueue(
            session,
            "exports.run",
            key=f"export:{export.id}",
            args={"export_id": str(export.id)},
            corp_id=access.corp_id,
        )
        return export

    def get_or_404(self, session: Session, *, access: Access, export_id: uuid.UUID) -> Export:
        export = exports.get(session, corp_id=access.corp_id, export_id=export_id)
        if export is None or not self._visible(access, export):
            raise NotFound(f"export {export_id} does not exist")
        return export

    def list(
        self, session: Session, *, access: Access, cursor: str | None, limit: int
    ) -> tuple[list[Export], str | None]:
        before_id = decode_id_cursor(cursor)
        only_user = None if self._sees_all(access) else access.principal.user
        rows = exports.list(
            session,
            corp_id=access.corp_id,
            requested_by_user_id=only_user.id if only_user else None,
            before_id=before_id,
            limit=limit + 1,
        )
        return split_id_page(rows, limit)

    def open_download(
        self, session: Session, *, access: Access, export_id: uuid.UUID, export_dir: Path
    ) -> tuple[Export, Path]:
        export = self.get_or_404(session, access=access, export_id=export_id)
        path = export_path(export_dir, export)
        if export.status != ExportStatus.done or not path.is_file():
            raise NotFound(
                f"export {export_id} has no file yet (status: {export.status})",
                code="export_not_ready",
            )
        audit_service.record(
            session,
            action="export.download",
            target_type="export",
            target_id=export.id,
            details={"kind": export.kind},
        )
        return export, path

    def run(self, session: Session, *, export_id: uuid.UUID, export_dir: Path) -> None:
        """Write the file (atomically: temp file then rename, so a retry simply overwrites)."""
        export = session.get(Export, export_id)
        if export is None or export.status == ExportStatus.done:
            return
        kind = KINDS[export.kind]
        path = export_path(export_dir, export)
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        count = 0
        # UTF-8 with BOM: Excel on Windows opens Chinese text correctly only with it.
        with partial.open("w", newline="", encoding="utf-8-sig") as handle:
            writer = csv.writer(handle)
            writer.writerow(kind.columns)
            for row in kind.rows(session, export.corp_id, export.params):
                writer.writerow([_safe_cell(cell) for cell in row])
                count += 1
        os.replace(partial, path)
        export.status = ExportStatus.done
        export.row_count = count
        export.byte_size = path.stat().st_size
        export.finished_at = utcnow()
        export.file_name = f"{kind.name}-{file_stamp(export.created_at)}.csv"
        session.flush()

    def fail(self, session: Session, *, export_id: uuid.UUID, error: str) -> None:
        export = session.get(Export, export_id)
        if export is not None and export.status != ExportStatus.done:
            export.status = ExportStatus.failed
            export.error = error[:2000]
            export.finished_at = utcnow()
            session.flush()

    @staticmethod
    def _sees_all(access: Access) -> bool:
        return access.principal.api_key is not None or access.role in (Role.owner, Role.admin)

    def _visible(self, access: Access, export: Export) -> bool:
        if self._sees_all(access):
            return True
        user = access.principal.user
        return user is not None and export.requested_by_user_id == user.id


export_service = ExportService()
