"""The import job."""

from __future__ import annotations

import uuid

from siyu.customers.imports.models import IMPORT_FAILED, CustomerImport
from siyu.customers.imports.service import import_service
from siyu.jobs import JobContext, job


@job("customers.import", max_attempts=3, retry_base_seconds=10)
def run_import(ctx: JobContext, import_id: str) -> None:
    """Validation runs outside the write transaction; the writes are ctx.session's alone, so
    they commit together with the job's completion or not at all."""
    settings = ctx.runtime.settings
    try:
        checked = import_service.check(
            ctx.runtime.db, import_id=uuid.UUID(import_id), import_dir=settings.import_dir
        )
        if checked is not None:
            import_service.apply(ctx.session, import_id=uuid.UUID(import_id), checked=checked)
    except Exception as exc:
        if not ctx.is_last_attempt:
            raise
        ctx.session.rollback()
        item = ctx.session.get(CustomerImport, uuid.UUID(import_id))
        if item is not None:
            item.status = IMPORT_FAILED
            item.error = str(exc)[:1000]
