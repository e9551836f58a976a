"""The WeCom client's housekeeping: old call-journal rows are pruned every hour."""

from __future__ import annotations

from datetime import timedelta

import structlog

from siyu.jobs import JobContext, periodic
from siyu.wecom.service import wecom_call_service

log = structlog.get_logger("siyu.wecom")


@periodic("wecom.prune_calls", every=timedelta(hours=1))
def prune_wecom_calls(ctx: JobContext) -> None:
    deleted = wecom_call_service.prune(ctx.session, now=ctx.now)
    if deleted:
        log.info("wecom_calls_pruned", deleted=deleted)
