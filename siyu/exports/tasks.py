"""The export job."""

from __future__ import annotations

import uuid

from siyu.exports.service import export_service
from siyu.jobs import JobContext, job


@job("exports.run", max_attempts=5, retry_base_seconds=10)
def run_export(ctx: JobContext, export_id: str) -> None:
    try:
        export_service.run(
            ctx.session, export_id=uuid.UUID(export_id), export_dir=ctx.runtime.settings.export_dir
        )
    except Exception as exc:
        if not ctx.is_last_attempt:
            raise
        # Out of attempts: say so on the export instead of leaving it pending forever.
        ctx.session.rollback()
        export_service.fail(ctx.session, export_id=uuid.UUID(export_id), error=str(exc))
