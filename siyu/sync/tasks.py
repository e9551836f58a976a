"""Jobs: the full sync as a durable job, and the periodic drift check."""

from __future__ import annotations

import uuid
from datetime import timedelta

import structlog

from siyu.corps.repository import corps
from siyu.jobs import JobContext, job, periodic
from siyu.sync.drift import database_signals, drifted, wecom_signals
from siyu.sync.engine import SyncEngine
from siyu.sync.models import RUN_DONE, RUN_FAILED
from siyu.sync.repository import sync_runs
from siyu.sync.service import sync_service
from siyu.wecom.client import client_for
from siyu.wecom.exceptions import WeComApiError

log = structlog.get_logger("siyu.sync")


@job("sync.full", max_attempts=5, retry_base_seconds=30)
def run_full_sync(ctx: JobContext, run_id: str) -> None:
    """Run or resume a sync. The work commits in its own transactions as it goes (checkpoints),
    so ctx.session stays untouched until the job is marked done: on SQLite, touching it first
    would hold the write lock for the whole sync."""
    with ctx.runtime.db.transaction(write=False) as session:
        run = sync_runs.get(session, uuid.UUID(run_id))
        if run is None or run.status == RUN_DONE:
            return
        corp = corps.get(session, run.corp_id)
        if corp is None:
            return
    status = SyncEngine(ctx.runtime.db, client_for(ctx.runtime, corp), run_id=run.id).run()
    if status == RUN_FAILED and not ctx.is_last_attempt:
        # Retried later from the checkpoints; the run's error says what went wrong meanwhile.
        raise RuntimeError(f"sync run {run_id} failed; will resume from its checkpoints")


@periodic("sync.drift_check", every=timedelta(minutes=30))
def drift_check(ctx: JobContext) -> None:
    """Compare cheap counts per corp and start a full sync where they differ."""
    with ctx.runtime.db.transaction(write=False) as session:
        candidates = [c for c in corps.list(session) if c.app_secret_ciphertext]
    for corp in candidates:
        with ctx.runtime.db.transaction(write=False) as session:
            if sync_runs.running(session, corp.id) is not None:
                continue
            database = database_signals(session, corp.id)
        if database is None:
            continue  # never synced: a person starts the first full sync
        try:
            differences = drifted(database, wecom_signals(client_for(ctx.runtime, corp)))
        except WeComApiError as exc:
            log.warning("sync_drift_check_failed", corp_id=str(corp.id), errcode=exc.errcode)
            continue
        if differences:
            log.info("sync_drift", corp_id=str(corp.id), signals=differences)
            sync_service.create_run(
                ctx.session,
                corp_id=corp.id,
                requested_by_label=f"drift check: {', '.join(differences)}",
            )
