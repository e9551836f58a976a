"""Material media jobs: upload on request (after commit), and renew expiring media ids.

Both read and upload before they write: the job's own transaction (a write transaction, on
SQLite the one writer) opens only to save the new cache rows, not while files go to WeCom.
"""

from __future__ import annotations

import uuid
from collections import defaultdict
from datetime import timedelta

import structlog

from siyu.corps.service import corp_service
from siyu.jobs import JobContext, job, periodic
from siyu.materials import media
from siyu.materials.repository import material_repository as repo
from siyu.wecom.client import client_for
from siyu.wecom.exceptions import RETRYABLE, WeComApiError

log = structlog.get_logger("siyu.materials")
REFRESH_BATCH = 200


def _upload_and_save(
    ctx: JobContext, corp_id: uuid.UUID, material_ids: list[uuid.UUID], *, keep_fresh: bool
) -> int:
    now = ctx.now
    with ctx.runtime.db.transaction(write=False) as read:
        corp = corp_service.get_or_404(read, corp_id)
        uploads = media.plan(
            read, corp_id=corp_id, material_ids=material_ids, now=now, margin=media.REFRESH_WINDOW
        )
    if not uploads:
        if keep_fresh:
            repo.keep_fresh(ctx.session, material_ids, until=now + media.KEEP_FRESH)
        return 0
    try:
        client = client_for(ctx.runtime, corp)
    except WeComApiError as exc:  # no app secret configured: nothing to upload with
        log.warning("material_media_no_client", corp_id=str(corp_id), error=str(exc))
        return 0
    rows = []
    for item in uploads:
        try:
            rows += media.upload(client, [item], root=ctx.runtime.settings.materials_dir, now=now)
        except WeComApiError as exc:
            if exc.errcode in RETRYABLE:
                raise  # the job retries with back-off; nothing was saved yet
            # WeCom refuses this file for good (type, size): the hot path will say so too.
            log.warning("material_media_refused", material_id=str(item.material_id), error=str(exc))
    media.save(ctx.session, rows, keep_fresh_until=now + media.KEEP_FRESH if keep_fresh else None)
    if keep_fresh:
        repo.keep_fresh(ctx.session, material_ids, until=now + media.KEEP_FRESH)
    return len(rows)


@job("materials.ensure_media", max_attempts=6)
def ensure_media(ctx: JobContext, *, corp_id: str, material_ids: list[str]) -> None:
    _upload_and_save(ctx, uuid.UUID(corp_id), [uuid.UUID(m) for m in material_ids], keep_fresh=True)


@periodic("materials.refresh_media", every=timedelta(hours=1))
def refresh_media(ctx: JobContext) -> None:
    """Renew media ids of materials in use that expire within 12 hours."""
    with ctx.runtime.db.transaction(write=False) as read:
        rows = repo.expiring(
            read, before=ctx.now + media.REFRESH_WINDOW, now=ctx.now, limit=REFRESH_BATCH
        )
    per_corp: dict[uuid.UUID, list[uuid.UUID]] = defaultdict(list)
    for row in rows:
        per_corp[row.corp_id].append(row.material_id)
    renewed = sum(
        _upload_and_save(ctx, corp_id, ids, keep_fresh=False) for corp_id, ids in per_corp.items()
    )
    if renewed:
        log.info("material_media_refreshed", count=renewed)
